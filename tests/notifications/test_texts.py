"""SMS texts (GSM-7/UCS-2 length, the diacritic-free variant, shortening) and the
versioned message templates."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from motcua.notifications.defaults import DEFAULT_TEMPLATES, SAMPLE_CONTEXT
from motcua.notifications.models import MessageTemplate, Notification, NotificationStatus
from motcua.notifications.rendering import render_email, render_sms, render_text
from motcua.notifications.services import (
    message_template_save,
    message_templates_ensure_seeded,
    notification_deliver,
    notification_write,
)
from motcua.notifications.text import (
    sms_fit,
    sms_parts,
    sms_units,
    strip_diacritics,
    vn_mobile,
)

EVENTS = [
    "received",
    "supplement_requested",
    "fee_requested",
    "apology",
    "result_ready",
    "returned",
    "payment_received",
    "reminder",
]

# --- SMS text ----------------------------------------------------------------------------


def test_diacritic_free_variant_keeps_case_and_punctuation():
    text = "Hồ sơ ĐÃ được tiếp nhận: “hẹn” 16:10 – Quý, Thủy… (₫)"
    assert strip_diacritics(text) == 'Ho so DA duoc tiep nhan: "hen" 16:10 - Quy, Thuy... (d)'
    # Decomposed input (macOS keyboards) folds the same way.
    import unicodedata

    assert strip_diacritics(unicodedata.normalize("NFD", text)) == strip_diacritics(text)
    assert strip_diacritics("Mã 1.001193 — 中") == "Ma 1.001193 - ?"  # never leaves GSM-7


@pytest.mark.parametrize(
    "text, encoding, units, parts",
    [
        ("a" * 160, "gsm7", 160, 1),
        ("a" * 161, "gsm7", 161, 2),
        ("a" * 306, "gsm7", 306, 2),
        ("a" * 307, "gsm7", 307, 3),
        ("{" * 80, "gsm7", 160, 1),  # extension characters count twice
        ("ơ" * 70, "ucs2", 70, 1),
        ("ơ" * 71, "ucs2", 71, 2),
        ("ơ" * 134, "ucs2", 134, 2),
        ("ơ" * 135, "ucs2", 135, 3),
        ("a" * 159 + "ơ", "ucs2", 160, 3),  # one diacritic turns the whole text UCS-2
    ],
)
def test_length_and_parts(text, encoding, units, parts):
    assert sms_units(text) == (encoding, units)
    assert sms_parts(text) == parts


def test_long_texts_are_shortened_at_a_word_with_an_ellipsis():
    words = "Hồ sơ 000.00.32.H37-260213-0001 đã được tiếp nhận và đang được giải quyết " * 6
    plain = sms_fit(words, unicode=False, max_parts=1)
    assert plain.shortened and plain.encoding == "gsm7" and plain.parts == 1
    assert len(plain.text) <= 160 and plain.text.endswith("...")
    assert plain.text.startswith("Ho so 000.00.32.H37-260213-0001 da duoc tiep nhan")
    assert not plain.text[:-3].endswith(" ")
    two = sms_fit(words, unicode=True, max_parts=2)
    assert two.shortened and two.encoding == "ucs2" and two.parts == 2
    assert len(two.text) <= 134 and two.text.endswith("…")
    short = sms_fit("Hồ sơ đã xong.", unicode=True, max_parts=1)
    assert (short.text, short.encoding, short.shortened) == ("Hồ sơ đã xong.", "ucs2", False)


def test_vietnamese_mobile_numbers():
    assert vn_mobile("+84 912 345 678") == vn_mobile("0912345678") == "84912345678"
    assert vn_mobile("84-386-123-456") == "84386123456"
    assert vn_mobile("0214 3840 000") is None  # a landline
    assert vn_mobile("12345") is None and vn_mobile("") is None


# --- templates -----------------------------------------------------------------------------


# The supplement request names the papers asked for: it may take two GSM-7 parts, and
# on a Unicode route it is shortened before its link (tests/notifications/test_sms_links).
TWO_PARTS = {"supplement_requested"}


def test_every_event_has_a_template_that_renders_and_fits_one_sms_part():
    for key in [*EVENTS, "refused", "withdrawn"]:
        template = MessageTemplate(**DEFAULT_TEMPLATES[key], key=key, version=1)
        email = render_email(template, SAMPLE_CONTEXT)
        assert email.subject and email.body and "{{" not in email.body
        sms = render_sms(template, SAMPLE_CONTEXT, unicode=False)
        parts = 2 if key in TWO_PARTS else 1
        assert sms.encoding == "gsm7" and sms.parts == parts and not sms.shortened, key
        if key in TWO_PARTS:
            continue
        assert (
            sms_fit(
                render_text(template.sms_body, SAMPLE_CONTEXT), unicode=True, max_parts=2
            ).shortened
            is False
        ), key


def test_received_text():
    template = MessageTemplate(**DEFAULT_TEMPLATES["received"], key="received", version=1)
    sms = render_sms(template, SAMPLE_CONTEXT, unicode=False)
    assert sms.text == (
        "Ho so 000.00.32.H37-260213-0001 da duoc tiep nhan. Hen tra ket qua 16:10 ngay 24/02/2026."
        " https://motcua.laocai.gov.vn/h/5yc1sk2x"
    )
    assert "Hẹn" not in sms.text
    assert "16:10 ngày 24/02/2026" in render_email(template, SAMPLE_CONTEXT).body


def test_seeding_is_idempotent_and_leaves_edits_alone(db):
    assert message_templates_ensure_seeded() == len(DEFAULT_TEMPLATES)
    assert set(EVENTS) <= set(MessageTemplate.objects.values_list("key", flat=True))
    message_template_save(key="received", subject="Đã nhận {{ code }}", email_body="Đã nhận.")
    assert message_templates_ensure_seeded() == 0
    assert list(
        MessageTemplate.objects.filter(key="received").values_list("version", flat=True)
    ) == [2, 1]


def test_an_edit_is_a_new_version_and_sent_messages_keep_theirs(db, gateways, settings):
    settings.NOTIFY_SMTP_HOST = ""
    message_templates_ensure_seeded()
    v1 = MessageTemplate.objects.get(key="received", version=1)
    context = {**SAMPLE_CONTEXT}
    first = notification_write(template="received", context=context, recipient_phone="0912345678")
    gateways.sms.switches.fail = "error"
    notification_deliver(notification_id=first.pk)  # fails, pinned to v1
    first.refresh_from_db()
    assert (first.status, first.template_version) == (NotificationStatus.CREATED, v1)

    v2 = message_template_save(
        key="received",
        subject="Đã nhận hồ sơ {{ code }}",
        email_body="Đã nhận hồ sơ {{ code }}.",
        sms_body="Đã nhận hồ sơ {{ code }}.",
    )
    assert v2.version == 2
    v1.refresh_from_db()
    assert v1.sms_body == DEFAULT_TEMPLATES["received"]["sms_body"]  # untouched

    gateways.sms.switches.fail = ""
    Notification.objects.filter(pk=first.pk).update(next_attempt_at=None)
    notification_deliver(notification_id=first.pk)  # the retry repeats the v1 words
    second = notification_write(template="received", context=context, recipient_phone="0912345678")
    notification_deliver(notification_id=second.pk)
    second.refresh_from_db()
    assert second.template_version == v2
    texts = {m["key"]: m["body"]["content"] for m in gateways.sms.ledger.messages()}
    assert "Hen tra ket qua 16:10 ngay 24/02/2026." in texts[first.key.hex]
    assert texts[second.key.hex] == "Da nhan ho so 000.00.32.H37-260213-0001."


def test_a_template_that_would_not_work_is_refused(db, settings):
    settings.NOTIFY_SMS_MAX_PARTS = 1
    with pytest.raises(ValidationError) as caught:
        message_template_save(
            key="received",
            subject="Hồ sơ {{ code|no_such_filter }}",
            email_body="{% if %}",
            sms_body="Hồ sơ {{ code }} của {{ applicant }} ({{ procedure }}) tại {{ agency }} "
            "đã được tiếp nhận, hẹn trả kết quả {{ due_at|vn_datetime }}.",
            zalo_template_id="123",
            zalo_params=["ma_ho_so"],
        )
    errors = caught.value.message_dict
    assert set(errors) == {"subject", "email_body", "sms_body", "zalo_params"}
    assert "at most 160 fit" in errors["sms_body"][0]
    assert not MessageTemplate.objects.exists()


def test_admin_edit_saves_a_new_version(admin_client, db):
    message_templates_ensure_seeded()
    v1 = MessageTemplate.objects.get(key="returned", version=1)
    url = f"/admin/notifications/messagetemplate/{v1.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and "Xem trước với dữ liệu mẫu" in page.content.decode()
    response = admin_client.post(
        url,
        {
            "description": "Trả kết quả",
            "subject": "Hồ sơ {{ code }}: đã trả kết quả",
            "email_body": "Kết quả hồ sơ {{ code }} đã được trả.",
            "sms_body": "Hồ sơ {{ code }} đã trả kết quả.",
            "zalo_template_id": "",
            "zalo_params": "{}",
        },
    )
    assert response.status_code == 302
    versions = MessageTemplate.objects.filter(key="returned").order_by("version")
    assert [(t.version, t.subject) for t in versions] == [
        (1, DEFAULT_TEMPLATES["returned"]["subject"]),
        (2, "Hồ sơ {{ code }}: đã trả kết quả"),
    ]
    bad = admin_client.post(
        url,
        {
            "subject": "{{ x|no_such_filter }}",
            "email_body": "x",
            "sms_body": "",
            "zalo_params": "{}",
        },
    )
    assert bad.status_code == 200 and MessageTemplate.objects.filter(key="returned").count() == 2
