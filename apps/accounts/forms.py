from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from apps.accounts import throttle


class ThrottledLoginMixin:
    """Says so when the user name or the address is locked; the failures themselves are counted by
    apps.accounts.throttle for every way in, this form's included."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and throttle.is_locked(self.request, username):
            raise forms.ValidationError(throttle.LOCKED_MESSAGE, code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            if username and throttle.is_locked(self.request, username):
                raise forms.ValidationError(throttle.LOCKED_MESSAGE, code="locked") from None
            raise


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
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
        except forms.ValidationError as error:
            locked = any(e.code == "locked" for e in error.error_list)
            if not locked and getattr(self.request, "ldap_unreachable", False):
                raise forms.ValidationError(self.error_messages["ldap_unreachable"], code="ldap_unreachable") from None
            raise


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin site's login form, under the same throttle as the portal's."""

    def confirm_login_allowed(self, user):
        from apps.accounts.admin_site import may_use_admin

        if not may_use_admin(user):
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
