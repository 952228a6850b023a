"""Per-user API tokens for scripts: only a hash of each key is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "hydra_"
# Shown in lists so a user can tell keys apart; long enough to recognise, far too short to guess the rest.
PREFIX_LENGTH = 12
# last_used_at is written at most this often per token, so a busy script does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A named API key of one user. The key itself is shown once, at creation; the row keeps its SHA-256."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'CI uploads'.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, editable=False, help_text="First characters of the key.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, user, name: str) -> tuple[ApiToken, str]:
        """Create a token for ``user``; return it with its key, which is not stored anywhere."""
        token = cls(user=user, name=name)
        key = token.set_new_key()
        token.save()
        return token, key

    def set_new_key(self) -> str:
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.prefix = key[:PREFIX_LENGTH]
        self.key_hash = hash_key(key)
        return key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def touch(self) -> None:
        """Record a use, at most once per LAST_USED_RESOLUTION."""
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_RESOLUTION:
            self.last_used_at = now
            ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)


class DirectoryAccount(models.Model):
    """Marks a user the directory (LDAP) manages: no local password, roles and access follow the directory."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="directory_account"
    )
    dn = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    refused = models.CharField(
        max_length=200, blank=True, help_text="Why the directory no longer lets this user in; empty while allowed."
    )

    class Meta:
        verbose_name = "directory account"

    def __str__(self):
        return self.dn or str(self.user_id)
