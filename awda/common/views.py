from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from awda.accounts.models import User
from awda.accounts.roles import Can

View = TypeVar("View", bound=Callable[..., HttpResponse])


def acting_user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def requires(capability: Can) -> Callable[[View], View]:
    """A page for logged-in users whose role has `capability` (others get 403: the page
    exists for everyone; which records it shows is the selectors' business)."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not acting_user(request).can(capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def paginate(request: HttpRequest, queryset: QuerySet[Any], per_page: int = 25) -> Page:
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if user.sees_personal_data:
        return redirect("registry:household_list")
    return redirect("dashboard")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
