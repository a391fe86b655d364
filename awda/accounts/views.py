from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from awda.accounts.login import (
    is_locked_out,
    login_complete,
    login_incomplete,
    needs_second_factor,
    second_factor_failed,
)
from awda.accounts.models import SecondFactorReset, User
from awda.accounts.roles import Can
from awda.accounts.second_factor import (
    SESSION_LOGIN_AT,
    SESSION_NEXT,
    SESSION_PENDING,
    authenticator_of,
    is_verified,
    pending_authenticator_of,
    qr_code_svg,
    recovery_codes_left,
    required_for,
    secret_for_manual_entry,
)
from awda.accounts.selectors import user_get_for_admin, users_for_admin
from awda.accounts.services import (
    recovery_codes_regenerate,
    second_factor_begin,
    second_factor_confirm,
    second_factor_reset,
    second_factor_verify,
    user_logout_everywhere,
)
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.forms import add_service_errors
from awda.common.request_context import client_ip_of
from awda.common.views import acting_user, requires


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
        return {
            **super().get_context_data(**kwargs),
            "idle": settings.SESSION_IDLE_MINUTES,
            "max_hours": settings.SESSION_MAX_HOURS,
        }

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        """The password was right. Users who need a second factor are logged in but held
        at the code (or enrolment) page by SecondFactorMiddleware until they give it."""
        user = form.get_user()
        next_url = self.get_success_url()
        auth_login(self.request, user)
        session = self.request.session
        session[SESSION_LOGIN_AT] = time.time()
        if needs_second_factor(user):
            session[SESSION_PENDING] = True
            session[SESSION_NEXT] = next_url
            if authenticator_of(user) is None:
                return redirect("accounts:two_factor_setup")
            return redirect("accounts:two_factor_verify")
        login_complete(self.request, user, second_factor="none")
        return HttpResponseRedirect(next_url)

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


class CodeForm(forms.Form):
    otp = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "none",
                "spellcheck": "false",
                "dir": "ltr",
                "autofocus": True,
                "class": "form-control form-control-lg text-center",
            }
        ),
    )


def _continue_to(request: HttpRequest) -> str:
    """Where the login was going before the second factor was asked for."""
    return request.session.pop(SESSION_NEXT, None) or resolve_url(settings.LOGIN_REDIRECT_URL)


def _no_menu() -> dict[str, Any]:
    """Until the login is complete, the pages show no navigation (its links would only
    lead back here): base.html draws it for an authenticated `user`."""
    return {"user": AnonymousUser()}


@never_cache
@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login: the authenticator's code, or a recovery code."""
    user = acting_user(request)
    if is_verified(user):
        return redirect(_continue_to(request))
    if authenticator_of(user) is None:
        return redirect("accounts:two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if is_locked_out(request, user):
            logout(request)
            return lockout(request, None, {"username": user.get_username()})
        device = second_factor_verify(user=user, code=form.cleaned_data["otp"])
        if device is not None:
            return _verified(request, user, device)
        if second_factor_failed(request, user):
            # Locked out now: django-axes answers with the lockout page.
            logout(request)
            return redirect("accounts:login")
        form.add_error(
            "otp",
            _("This code is not right. Type the code the app shows now, or a recovery code."),
        )
    return render(request, "accounts/two_factor_verify.html", {"form": form, **_no_menu()})


def _verified(
    request: HttpRequest, user: User, device: TOTPDevice | StaticDevice
) -> HttpResponseRedirect:
    otp_login(request, device)
    request.session.pop(SESSION_PENDING, None)
    if isinstance(device, StaticDevice):
        login_complete(request, user, second_factor="recovery_code")
        left = recovery_codes_left(user)
        messages.warning(
            request,
            ngettext(
                "You logged in with a recovery code: %(count)d is left. If your phone is "
                "lost, set up the authenticator on a new one; either way, make new codes.",
                "You logged in with a recovery code: %(count)d are left. If your phone is "
                "lost, set up the authenticator on a new one; either way, make new codes.",
                left,
            )
            % {"count": left},
        )
        request.session.pop(SESSION_NEXT, None)
        return redirect("accounts:two_factor")
    login_complete(request, user, second_factor="totp")
    return HttpResponseRedirect(_continue_to(request))


def _may_set_up(user: User) -> bool:
    """Whether a new authenticator may be set up: by a user who has none, or (to move to
    a new phone) who has given their second factor in this session - never by someone who
    only knows the password of a user who has one."""
    return is_verified(user) or authenticator_of(user) is None


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: scan the QR code (or type the key), then type a code to confirm. The ten
    recovery codes are shown once, on the answer to that confirmation."""
    user = acting_user(request)
    if not _may_set_up(user):
        return redirect("accounts:two_factor_verify")
    verified = is_verified(user)
    device = second_factor_begin(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor_confirm(user=user, device=device, code=form.cleaned_data["otp"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            otp_login(request, device)
            if not verified:
                request.session.pop(SESSION_PENDING, None)
                login_complete(request, user, second_factor="totp")
                next_url = _continue_to(request)
            else:
                next_url = resolve_url("accounts:two_factor")
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next_url": next_url}
            )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "secret": secret_for_manual_entry(device),
            "replacing": verified,
            "required": required_for(user),
            **(_no_menu() if login_incomplete(request, user) else {}),
        },
    )


@never_cache
@login_required
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the authenticator being set up, as SVG from Awda's own address (the
    Content-Security-Policy allows no data: addresses)."""
    user = acting_user(request)
    if not _may_set_up(user):
        raise Http404
    device = pending_authenticator_of(user)
    if device is None:
        raise Http404
    return HttpResponse(qr_code_svg(device), content_type="image/svg+xml")


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The user's own second factor: their authenticator, the recovery codes left, and
    the buttons to move to a new phone or make new codes."""
    user = acting_user(request)
    return render(
        request,
        "accounts/two_factor.html",
        {
            "authenticator": authenticator_of(user),
            "codes_left": recovery_codes_left(user),
            "required": required_for(user),
            "verified": is_verified(user),
        },
    )


@require_POST
@never_cache
@login_required
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not is_verified(user):
        return redirect("accounts:two_factor")
    codes = recovery_codes_regenerate(user=user)
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next_url": resolve_url("accounts:two_factor")},
    )


@requires(Can.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    """The organisation's users and whether each has set up two-factor login."""
    users = users_for_admin(acting_user(request)).select_related("organisation")
    return render(request, "accounts/user_list.html", {"users": users})


class ResetForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        help_text=gettext_lazy(
            "For example: phone lost. Kept with the reset; do not write personal data here."
        ),
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


@requires(Can.MANAGE_USERS)
def two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """An administrator removes a user's second factor (e.g. a lost phone): they set up a
    new one at their next login."""
    by = acting_user(request)
    target = user_get_for_admin(by, pk)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            second_factor_reset(
                user=target,
                by=by,
                reason=form.cleaned_data["reason"],
                via=SecondFactorReset.Via.PAGE,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "The second factor of %(username)s was removed and their sessions "
                    "ended: they set up a new one at their next login."
                )
                % {"username": target.username},
            )
            return redirect("accounts:user_list")
    return render(request, "accounts/two_factor_reset.html", {"target": target, "form": form})
