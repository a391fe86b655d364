from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def two_factor(request: HttpRequest) -> dict[str, Any]:
    """For the demo banner: every page says when two-factor login is switched off."""
    return {"TWO_FACTOR_RELAXED": not settings.TWO_FACTOR_REQUIRED}
