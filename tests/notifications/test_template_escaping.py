"""Message templates (edited by administrators) and the values put into them (typed by
citizens): the HTML part of an e-mail escapes every value and the template's own words,
and a template cannot switch that off; the text part and the SMS carry what was typed."""

from __future__ import annotations

import pytest

from motcua.notifications.defaults import SAMPLE_CONTEXT
from motcua.notifications.models import Notification, NotificationStatus
from motcua.notifications.rendering import render_email, render_sms
from motcua.notifications.services import (
    message_template_check,
    message_template_save,
    notification_deliver,
)

SCRIPT = "<script>alert(1)</script>"
SITE = "https://dichvucong.laocai.gov.vn"


def test_a_script_typed_into_a_dossier_is_text_in_the_email_html(
    gateways, receive, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_SITE_URL = SITE
    name = f'Mai {SCRIPT} <img src=x onerror="alert(2)">'
    with django_capture_on_commit_callbacks(execute=True):
        dossier = receive(name=name, phone="", email="mai@example.vn")
    row = Notification.objects.get(dossier=dossier, template="received")
    if row.status != NotificationStatus.DELIVERED:
        assert notification_deliver(notification_id=row.pk) == NotificationStatus.DELIVERED
    [message] = gateways.smtp.ledger.messages()
    html, text = message["body"]["html"], message["body"]["text"]

    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "<img" not in html
    assert "Mai &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=&quot;" in html
    assert dossier.code in html
    # The site's own link is clickable; the text part carries the name as typed.
    assert f'<a href="{SITE}/' in html
    assert f"Kính gửi {name}," in text


def test_only_links_to_this_site_become_clickable(db, settings):
    settings.NOTIFY_SITE_URL = SITE
    template = message_template_save(
        key="received",
        subject="Hồ sơ {{ code }}",
        email_body="Xem {{ link }}.\nTên: {{ applicant }}",
        sms_body="Hồ sơ {{ code }}",
    )
    context = {
        "code": "X-1",
        "link": f"{SITE}/h/abc?x=1&y=2",
        "applicant": 'https://evil.example/"><b>',
    }
    html = render_email(template, context).html
    assert f'<a href="{SITE}/h/abc?x=1&amp;y=2">{SITE}/h/abc?x=1&amp;y=2</a>.' in html
    assert "https://evil.example/&quot;&gt;&lt;b&gt;" in html
    assert 'href="https://evil' not in html


def test_the_administrators_words_are_escaped_too_and_sms_stays_plain(db):
    template = message_template_save(
        key="received",
        subject="Hồ sơ {{ code }} <b>mới</b>",
        email_body="Phí < 100.000 đồng & <i>miễn</i> cho {{ applicant }}\n\nHết.",
        sms_body="Ho so {{ code }} cua {{ applicant }}",
    )
    context = {"code": "X-1", "applicant": SCRIPT}
    email = render_email(template, context)
    assert "<p>Phí &lt; 100.000 đồng &amp; &lt;i&gt;miễn&lt;/i&gt; cho &lt;script&gt;" in email.html
    assert "<p>Hết.</p>" in email.html
    assert "<title>Hồ sơ X-1 &lt;b&gt;mới&lt;/b&gt;</title>" in email.html
    assert email.body.startswith(f"Phí < 100.000 đồng & <i>miễn</i> cho {SCRIPT}")
    assert render_sms(template, context, unicode=True).text == f"Ho so X-1 cua {SCRIPT}"


@pytest.mark.parametrize(
    "email_body",
    [
        "Kính gửi {{ applicant|safe }}",
        "Kính gửi {{ applicant | safe }}",
        "{{ missing|safeseq|bullets }}",
        "{% autoescape off %}{{ applicant }}{% endautoescape %}",
    ],
)
def test_a_template_cannot_switch_escaping_off(db, email_body):
    errors = message_template_check(subject="Hồ sơ {{ code }}", email_body=email_body)
    assert "always shown as typed" in errors["email_body"]
    with pytest.raises(Exception, match="always shown as typed"):
        message_template_save(key="received", subject="Hồ sơ", email_body=email_body)


def test_the_default_templates_render_as_html(db):
    from motcua.notifications.defaults import DEFAULT_TEMPLATES
    from motcua.notifications.models import MessageTemplate

    for key, fields in DEFAULT_TEMPLATES.items():
        template = MessageTemplate(key=key, version=1, **fields)
        assert (
            message_template_check(
                subject=template.subject, email_body=template.email_body, sms_body=""
            )
            == {}
        ), key
        assert render_email(template, SAMPLE_CONTEXT).html.startswith("<!DOCTYPE html>")
