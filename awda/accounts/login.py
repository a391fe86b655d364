"""The steps of a login, shared by the login pages and the token endpoint.

1. The password (Django's authentication, with django-axes counting failures per username).
2. For users who need it, the second factor: a wrong code is recorded and counts toward
   the same lockout as a wrong password.
3. The login is complete: the failures are forgotten and the login is recorded.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest

from awda.accounts.models import User
from awda.accounts.second_factor import (
    SESSION_PENDING,
    authenticator_of,
    is_verified,
    required_for,
)
from awda.audit.models import Action
from awda.audit.services import audit_record


def needs_second_factor(user: User) -> bool:
    """Roles that see personal data must; anyone else who set one up uses it too."""
    return required_for(user) or authenticator_of(user) is not None


def login_incomplete(request: HttpRequest, user: User) -> bool:
    """Logged in with the password, but the second factor is still to be given."""
    return not is_verified(user) and bool(
        request.session.get(SESSION_PENDING) or required_for(user)
    )


def is_locked_out(request: HttpRequest, user: User) -> bool:
    return bool(AxesProxyHandler.is_locked(request, {"username": user.get_username()}))


def second_factor_failed(request: HttpRequest, user: User) -> bool:
    """Record a wrong one-time code and count it toward the lockout; True if the username
    is now locked out (django-axes then answers with the lockout page or 429)."""
    # The password was right, so the entry is the user's: their organisation's data
    # protection officer sees it.
    audit_record(
        actor=user,
        action=Action.LOGIN_FAILED,
        obj=user,
        details={"username": user.get_username()[:150], "step": "second_factor"},
    )
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    return bool(getattr(request, "axes_locked_out", False))


def failures_forget(user: User) -> None:
    """The login is complete: the earlier failures no longer count toward a lockout."""
    AxesProxyHandler.reset_attempts(username=user.get_username())


def login_complete(request: HttpRequest, user: User, *, second_factor: str) -> None:
    """Password and (where needed) second factor given on the pages: forget the earlier
    failures and record the login with the second factor used ("totp", "recovery_code" or
    "none"). The token endpoint records the token instead."""
    failures_forget(user)
    audit_record(
        actor=user, action=Action.LOGIN, obj=user, details={"second_factor": second_factor}
    )
