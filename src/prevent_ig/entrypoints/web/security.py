"""Security headers on every response, and the CSRF check on every form post.

The Content Security Policy allows only this origin: no inline script, no outside fonts or styles,
no framing. Case pages must not be cached anywhere (a shared computer's back button, a proxy).
"""

import hmac

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
STATIC_PREFIX = "/static/"
API_PATH_PREFIX = "/api/"


SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # Browsers heed it only over HTTPS, as the service is deployed; on a plain-HTTP demo it is ignored.
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


class SecurityHeadersMiddleware:
    """A plain ASGI middleware: it only edits the response's start message, so unlike Starlette's
    ``BaseHTTPMiddleware`` it adds no task and no extra stream to each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), cacheable=cacheable)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def add_security_headers(headers: MutableHeaders, *, cacheable: bool = False) -> None:
    """For every response; also called by the server-error page, which Starlette sends from outside
    every middleware."""
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    if not cacheable:
        headers["Cache-Control"] = "no-store"


def tokens_match(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


class RequestBodyGuard:
    """Refuse bodies that are too large (413) or carry NUL characters (400), before any route runs.

    PostgreSQL cannot store NUL in text, and no form or JSON field has a use for it; refusing it here
    means one rule for every form, upload and API call, and a clear 400 instead of a database error.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                text = f"The request is larger than {self.max_bytes // 1_000_000} MB."
                await _refusal(scope, 413, "too-large", text)(scope, receive, send)
                return
        if b"\x00" in body or b"%00" in body or b"\\u0000" in body:
            text = "The request contains a NUL character, which no field accepts."
            await _refusal(scope, 400, "nul-character", text)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


def _refusal(scope: Scope, status: int, kind: str, text: str) -> Response:
    """Problem details for the API (RFC 9457), plain text for pages."""
    if str(scope.get("path", "")).startswith(API_PATH_PREFIX):
        body = {
            "type": f"https://prevent-ig.example/problems/{kind}",
            "title": text,
            "status": status,
            "detail": text,
        }
        return JSONResponse(body, status_code=status, media_type="application/problem+json")
    return Response(text, status_code=status, media_type="text/plain; charset=utf-8")
