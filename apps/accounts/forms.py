from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """The login form; says so when the directory server could not be reached."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "ldap_unreachable": (
            "The directory server cannot be reached right now, so directory accounts cannot log in. "
            "Local accounts still work."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "ldap_unreachable", False):
                raise forms.ValidationError(self.error_messages["ldap_unreachable"], code="ldap_unreachable") from None
            raise
