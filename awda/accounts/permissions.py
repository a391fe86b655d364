from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from awda.accounts.models import User


class SeesPersonalData(BasePermission):
    """The default for the API: a logged-in user whose role may see personal data."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.sees_personal_data
