"""E-mail through Django's mail backend (the SMTP server of HYDRA_EMAIL_HOST and friends)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from apps.notifications.adapters import PermanentError
from apps.notifications.adapters.image import attachment


def send(delivery) -> None:
    if settings.EMAIL_BACKEND.endswith("dummy.EmailBackend"):
        raise PermanentError("e-mail is off: set HYDRA_EMAIL_HOST (and HYDRA_EMAIL_PORT...) to an SMTP server")
    connection = get_connection(fail_silently=False, timeout=settings.NOTIFY_TIMEOUT)
    message = EmailMessage(
        subject=delivery.subject or "Hydra",
        body=delivery.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.target],
        connection=connection,
        headers={"X-Hydra-Delivery": str(delivery.pk)},
    )
    image = attachment(delivery)
    if image:
        message.attach(image[0], image[1], "image/png")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"the SMTP server refused the address: {exc.recipients}") from exc
