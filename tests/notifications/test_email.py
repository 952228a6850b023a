"""E-mail to a real SMTP server (aiosmtpd) on loopback."""

import pytest

from apps.notifications import notify, services
from apps.notifications.models import Delivery, Status
from tests.notifications.images import assert_stamped, put_plot_image

pytestmark = pytest.mark.django_db


def test_an_email_arrives_with_the_stamped_plot(smtp, settings):
    settings.DEFAULT_FROM_EMAIL = "hydra@lab.example"
    image = put_plot_image()
    (row,) = notify(
        "email:shift@lab.example",
        "[Hydra] ALARM: CDC_occupancy",
        "3 Bad runs of 3.\nExpert: Ann",
        image=image,
        image_label="Run 4242",
    )
    assert services.attempt(row.pk) == "sent"
    ((recipients, message),) = smtp.messages
    assert recipients == ["shift@lab.example"]
    assert message["Subject"] == "[Hydra] ALARM: CDC_occupancy" and message["From"] == "hydra@lab.example"
    assert message["X-Hydra-Delivery"] == str(row.pk)
    parts = list(message.walk())
    text = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "3 Bad runs of 3." in text and "Expert: Ann" in text
    png = next(p for p in parts if p.get_content_type() == "image/png")
    assert png.get_filename() == "run-4242.png"
    assert_stamped(png.get_payload(decode=True))
    row.refresh_from_db()
    assert row.status == Status.SENT and row.sent_at and row.attempts == 1 and row.last_error == ""


def test_mail_off_fails_with_the_setting_to_set(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    (row,) = notify("email:shift@lab.example", "S", "T")
    assert services.attempt(row.pk) == "failed"
    assert "set HYDRA_EMAIL_HOST" in Delivery.objects.get(pk=row.pk).last_error
