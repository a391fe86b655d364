from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from awda.accounts.models import User
from awda.accounts.services import user_logout_everywhere
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.request_context import client_ip_of
from awda.common.views import acting_user


def client_ip(request: HttpRequest) -> str:
    return client_ip_of(request) or "0.0.0.0"  # noqa: S104 - a placeholder, never bound


def lockout(
    request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """What a locked-out user gets, instead of a login attempt."""
    username = (credentials or {}).get("username", "")
    audit_record(actor=None, action=Action.LOCKED_OUT, details={"username": str(username)[:150]})
    message = _(
        "Too many failed logins: this account is locked for a while. "
        "Ask your supervisor or administrator if you need access now."
    )
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "accounts/locked_out.html", {"message": message}, status=429)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "idle": settings.SESSION_IDLE_MINUTES}

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        audit_record(actor=user, action=Action.LOGIN, obj=user)
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = (form.data.get("username") or "")[:150]
        audit_record(actor=None, action=Action.LOGIN_FAILED, details={"username": username})
        return super().form_invalid(form)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponseRedirect:
    user = request.user
    if isinstance(user, User):
        audit_record(actor=user, action=Action.LOGOUT, obj=user)
    logout(request)
    return redirect("accounts:login")


@require_POST
@login_required
def logout_everywhere_view(request: HttpRequest) -> HttpResponseRedirect:
    user = acting_user(request)
    user_logout_everywhere(user=user)
    logout(request)
    messages.success(request, _("You have been logged out on every device."))
    return redirect("accounts:login")
