"""Password reset by mail: sent when a mail server is configured, and said to be unavailable when not."""

import pytest
from django.core import mail
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_without_a_mail_server_the_reset_page_says_no_mail_is_sent(client, settings):
    settings.EMAIL_CONFIGURED = False
    factories.user("forgetful", email="forgetful@example.org")
    page = client.get(reverse("password_reset"))
    assert page.status_code == 200
    assert "no mail server is configured" in page.content.decode()
    response = client.post(reverse("password_reset"), {"email": "forgetful@example.org"})
    assert response.status_code == 503
    body = response.content.decode()
    assert "no reset link can be sent, and none was" in body
    assert "Password reset sent" not in body and "emailed you" not in body
    assert mail.outbox == []


def test_without_a_mail_server_the_sent_page_leads_back_to_the_explanation(client, settings):
    settings.EMAIL_CONFIGURED = False
    response = client.get(reverse("password_reset_done"))
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset")


def test_with_a_mail_server_the_reset_link_is_mailed(client, settings):
    settings.EMAIL_CONFIGURED = True
    factories.user("forgetful", email="forgetful@example.org")
    response = client.post(reverse("password_reset"), {"email": "forgetful@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["forgetful@example.org"]
    assert "/accounts/reset/" in mail.outbox[0].body
