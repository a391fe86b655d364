from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from awda.accounts.models import User
from awda.accounts.roles import Can


def awda(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    can = {c.value: isinstance(user, User) and user.can(c) for c in Can}
    return {"AWDA_DEMO": settings.DEMO, "can": can}
