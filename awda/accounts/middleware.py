from __future__ import annotations

import functools
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awda.accounts.login import login_incomplete
from awda.accounts.models import User
from awda.accounts.second_factor import SESSION_LOGIN_AT, authenticator_of
from awda.audit.models import Action
from awda.audit.services import audit_record


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class SessionLifetimeMiddleware:
    """Ends a session AWDA_SESSION_MAX_HOURS after the login, however active it was (the
    idle timeout is the session cookie's own age)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User):
            now = time.time()
            started = request.session.get(SESSION_LOGIN_AT)
            if not isinstance(started, int | float) or started > now:
                # A login that did not stamp the session (or a tampered value): from now.
                request.session[SESSION_LOGIN_AT] = now
            elif now - started > settings.SESSION_MAX_HOURS * 3600:
                return self._end(request, user)
        return self.get_response(request)

    def _end(self, request: HttpRequest, user: User) -> HttpResponse:
        audit_record(
            actor=user, action=Action.LOGOUT, obj=user, details={"reason": "session_lifetime"}
        )
        logout(request)
        message = ngettext(
            "Your session has reached its limit of %(hours)d hour. Please log in again.",
            "Your session has reached its limit of %(hours)d hours. Please log in again.",
            settings.SESSION_MAX_HOURS,
        ) % {"hours": settings.SESSION_MAX_HOURS}
        if _is_api(request):
            return JsonResponse({"detail": message}, status=401)
        messages.info(request, message)
        return redirect_to_login(request.path)


@functools.cache
def _open_paths() -> tuple[str, ...]:
    """What a user who has not given their second factor yet may still reach."""
    names = [
        "accounts:login",
        "accounts:logout",
        "accounts:two_factor_verify",
        "accounts:two_factor_setup",
        "accounts:two_factor_qr",
        "set_language",
        "healthz",
    ]
    return tuple(reverse(name) for name in names)


class SecondFactorMiddleware:
    """Until a user who needs a second factor has given it, every page sends them to the
    code (or enrolment) page and the API refuses them; only the login steps, logout,
    language choice, static files and the health check answer.

    Session logins only: API tokens are issued after the second factor, so a request with
    a token is verified by construction.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            isinstance(user, User)
            and login_incomplete(request, user)
            and request.path not in _open_paths()
            and not request.path.startswith(settings.STATIC_URL)
        ):
            if _is_api(request):
                return JsonResponse(
                    {
                        "detail": _(
                            "Finish logging in with your second factor first "
                            "(or use a token from POST /api/v1/auth/token/ with `otp`)."
                        )
                    },
                    status=403,
                )
            if authenticator_of(user) is None:
                return redirect("accounts:two_factor_setup")
            return redirect("accounts:two_factor_verify")
        return self.get_response(request)
