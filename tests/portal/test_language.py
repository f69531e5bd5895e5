import pytest

pytestmark = pytest.mark.django_db


def test_vietnamese_even_when_the_phone_asks_for_english(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "vi"
    assert "Bạn cần làm thủ tục gì?" in response.content.decode()


def test_the_language_switch_is_remembered(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "What do you need to do?" in page
    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert "Bạn cần làm thủ tục gì?" in client.get("/").content.decode()


def test_unknown_language_cookie_falls_back_to_vietnamese(client):
    client.cookies["django_language"] = "fr"
    assert client.get("/")["Content-Language"] == "vi"
