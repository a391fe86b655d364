"""Who is asking, from where, under which request id: for the audit trail.

The middleware sets it once per request; commands run without one ("cli").
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_ip: str | None
    channel: str  # "web", "api" or "cli"


_CLI = RequestContext(request_id="", client_ip=None, channel="cli")
current: ContextVar[RequestContext] = ContextVar("awda_request_context", default=_CLI)


def client_ip_of(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the proxy's X-Forwarded-For when configured."""
    candidate = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            candidate = forwarded.split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def context_for(request: HttpRequest) -> RequestContext:
    given = request.headers.get("X-Request-ID", "")
    request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    channel = "api" if request.path.startswith("/api/") else "web"
    return RequestContext(request_id=request_id, client_ip=client_ip_of(request), channel=channel)
