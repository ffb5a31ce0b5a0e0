"""Headers on every response, and the same-origin check on every form sent.

Forms are protected against cross-site requests by the `Origin` header and
SameSite cookies, not by an expiring CSRF token (a survey left open over lunch
must still submit). Browsers send `Origin` with every POST; under
`Referrer-Policy: no-referrer` Chromium sends `Origin: null`, and then
`Sec-Fetch-Site` tells a same-origin form from a foreign one. A request with
neither header (an old browser, curl) is let through: no browser would send a
cross-site form without them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({b"GET", b"HEAD", b"OPTIONS"})
_PAGE_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self';"
        b" frame-src 'self'; object-src 'self'; base-uri 'none'; frame-ancestors 'self'",
    ),
]
_STATIC_HEADERS = [
    (b"cache-control", b"public, max-age=3600"),
    (b"x-content-type-options", b"nosniff"),
]


def origin_of(url: str) -> str:
    """`https://host[:port]` of a URL, lower-case, as browsers send it in `Origin`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(origin: str | None, fetch_site: str | None, expected: str) -> bool:
    """Whether a form sent with these headers comes from our own pages."""
    if origin is not None and origin != "null":
        return origin.lower() == expected
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    return origin is None


class SecurityMiddleware:
    """Pure ASGI (no per-request task, unlike BaseHTTPMiddleware): refuses a foreign
    form with 403 before any route runs, and adds the headers to every response."""

    def __init__(self, app: ASGIApp, *, public_origin: str, refused: ASGIApp) -> None:
        self.app = app
        self.expected = public_origin
        self.refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        extra = _STATIC_HEADERS if scope["path"].startswith("/static/") else _PAGE_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in names),
                ]
            await send(message)

        if scope["method"].encode() not in SAFE_METHODS and not same_origin(
            _header(headers, b"origin"), _header(headers, b"sec-fetch-site"), self.expected
        ):
            await self.refused(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def _header(headers: dict[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value is not None else None
