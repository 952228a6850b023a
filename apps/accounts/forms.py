from django import forms
from django.contrib.auth.forms import AuthenticationForm

from apps.accounts import throttle


class LoginForm(AuthenticationForm):
    """The login form; says so when the directory server could not be reached."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "Too many failed logins: try again in a few minutes.",
        "ldap_unreachable": (
            "The directory server cannot be reached right now, so directory accounts cannot log in. "
            "Local accounts still work."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and throttle.is_locked(self.request, username):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                throttle.record_failure(self.request, username)
            if getattr(self.request, "ldap_unreachable", False):
                raise forms.ValidationError(self.error_messages["ldap_unreachable"], code="ldap_unreachable") from None
            raise
        throttle.clear(self.request, username)
        return cleaned
