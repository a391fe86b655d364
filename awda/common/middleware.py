from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation

from awda.common import request_context
from awda.common.parsers import holds_nul, nul_message


class RequestContextMiddleware:
    """Gives each request an id (kept from X-Request-ID when well-formed) for the audit trail."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = request_context.context_for(request)
        token = request_context.current.set(context)
        try:
            response = self.get_response(request)
        finally:
            request_context.current.reset(token)
        response["X-Request-ID"] = context.request_id
        return response


class LanguageMiddleware:
    """Arabic unless the user chose otherwise (language cookie).

    Pages ignore the browser's Accept-Language on purpose: many caseworkers use devices set
    to English but work in Arabic. API clients may ask with Accept-Language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if request.path.startswith("/api/") and not language:
            language = translation.get_language_from_request(request)
        if not language or not translation.check_for_language(language):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary = response.get("Vary", "")
        if "Cookie" not in patch_vary:
            response["Vary"] = f"{patch_vary}, Cookie" if patch_vary else "Cookie"
        return response


# No inline script or style anywhere, no framing, nothing loaded from elsewhere. The API's
# documentation page (Swagger UI) writes its own <style> elements, so it alone may.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = (
            _DOCS_POLICY if request.path.startswith("/api/v1/docs/") else CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class RefuseNulMiddleware:
    """Refuses (400) a request whose query string or posted form holds a NUL character,
    before a view passes it to the database (PostgreSQL refuses NUL in text: a server
    error). The API's bodies are checked by its parsers (awda.common.parsers)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        posted = request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        if holds_nul(request.GET) or (posted and holds_nul(request.POST)):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": nul_message()}, status=400)
            return HttpResponseBadRequest(nul_message())
        return self.get_response(request)
