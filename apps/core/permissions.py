"""One permission idiom for the portal: ``requires`` for pages, ``reads_open_writes_need`` for the API.

Both take a *check*: a permission name such as ``"plots.add_plot"`` or a predicate ``user -> bool``
(``apps.accounts.permissions.is_admin``, ``apps.alerts.permissions.can_edit_rules``...). The mechanism
lives in core because it needs nothing above it: open reading is a setting (``HYDRA_OPEN_ACCESS``),
the answers are Django's and DRF's, and the predicates come from the app that owns the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework.permissions import SAFE_METHODS, BasePermission

from apps.core.bad_input import wants_json

Check = str | Callable[[object], bool]


def is_authenticated(user) -> bool:
    return bool(user and user.is_authenticated)


def can_read(user) -> bool:
    """Reading is open when HYDRA_OPEN_ACCESS is on; otherwise it needs a login."""
    return settings.OPEN_ACCESS or is_authenticated(user)


def as_predicate(check: Check) -> Callable[[object], bool]:
    """A permission name becomes ``user.has_perm(name)`` for a logged-in user; a predicate stays itself."""
    if callable(check):
        return check
    return lambda user: is_authenticated(user) and user.has_perm(check)


LOGIN_MESSAGE = "Log in to do this."


def _login(request):
    """The login page with ``next``: this page, or for a form (POST) the same-site page it was sent from."""
    back = request.get_full_path()
    if request.method not in ("GET", "HEAD"):
        referer = request.headers.get("Referer", "")
        if referer and url_has_allowed_host_and_scheme(referer, {request.get_host()}, request.is_secure()):
            back = referer
    return redirect_to_login(back)


def requires(check: Check = can_read, message: str = "", *, refuse_to: str | None = None, json: bool = False):
    """Page decorator: let the request through when ``check(request.user)`` holds.

    Otherwise an anonymous visitor is sent to the login page with ``next`` (a JSON caller, see
    ``wants_json``, gets 401), and a logged-in user gets the portal's 403 page saying ``message``
    (which role is needed; a JSON caller gets 403 with it). ``refuse_to`` names a page to send a
    logged-in user back to with ``message`` instead of the 403 page (the validation forms);
    ``json=True`` answers in JSON whatever the caller asks (endpoints only scripts call)."""
    allowed = as_predicate(check)

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if allowed(user):
                return view(request, *args, **kwargs)
            as_json = json or wants_json(request)
            if not is_authenticated(user):
                if as_json:
                    return JsonResponse({"message": LOGIN_MESSAGE, "error": LOGIN_MESSAGE}, status=401)
                return _login(request)
            if as_json:
                return JsonResponse({"message": message or "You may not do this."}, status=403)
            if refuse_to:
                messages.error(request, message)
                return redirect(refuse_to)
            raise PermissionDenied(message or None)

        return wrapped

    return decorate


read_required = requires(can_read)
read_required.__doc__ = "Let the request through when the visitor may read; send anyone else to the login page."


def reads_open_writes_need(check: Check = is_authenticated, message: str = LOGIN_MESSAGE) -> type[BasePermission]:
    """A DRF permission class: reads follow open access (``can_read``), writes need ``check``."""
    allowed = as_predicate(check)

    class ReadsOpenWritesNeed(BasePermission):
        def has_permission(self, request, view):
            if request.method in SAFE_METHODS:
                return can_read(request.user)
            return bool(allowed(request.user))

    ReadsOpenWritesNeed.message = message
    ReadsOpenWritesNeed.__doc__ = f"Reads follow open access; writes: {message}"
    return ReadsOpenWritesNeed
