"""Access rules and response headers shared by every blueprint."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from portal.accounts.models import Role
from portal.errors import ServiceError
from portal.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def role_required(role: Role) -> Callable[[F], F]:
    """Allow a view to users with at least ``role``; others get 403, visitors a login."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def safe_next_url(target: str | None) -> str | None:
    """Return ``target`` when it is a path on this site, else None.

    Only a relative path is allowed: no scheme, no host, and not the
    protocol-relative "//evil" or the backslash "/\\evil" that browsers treat as hosts.
    """
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    return target


#: Set on every response that does not set its own (names as written, then lower case).
_SECURITY_HEADERS = tuple(
    (name, value, name.lower())
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    )
)


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    # One pass over what the response set (setdefault scans the list for each name).
    present = set(headers.keys(lower=True))
    headers.extend(
        [(name, value) for name, value, lower in _SECURITY_HEADERS if lower not in present]
    )
    if request.is_secure and "strict-transport-security" not in present:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


class DatabaseInteger(IntegerConverter):
    """``<int:...>`` bounded to a 32-bit database id: a longer number in a URL is a 404,
    not an overflow in the database driver (SQLite raises, PostgreSQL refuses)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def refuse_malformed_forms() -> None:
    """A multipart part whose name is not text is parsed with a None key, on which
    Flask-WTF's CSRF token lookup crashes (a 500): refuse such a body as malformed."""
    forms = ("multipart/form-data", "application/x-www-form-urlencoded")
    if (
        request.method in ("POST", "PUT", "PATCH", "DELETE")
        and request.mimetype in forms
        and any(not isinstance(key, str) for key in request.form)
    ):
        abort(400, description="A form field's name is not valid text.")


def _nul_in(value: Any, where: str) -> str | None:
    """The place (``where``, then keys and list positions) of the first NUL in ``value``."""
    if isinstance(value, str):
        return where if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            place = f"{where}.{key}" if where else str(key)
            if "\x00" in str(key):
                return place
            found = _nul_in(item, place)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_in(item, f"{where}[{i}]")
            if found is not None:
                return found
    return None


def _may_hold_nul(body: bytes) -> bool:
    # JSON can write a NUL only as the escape \u0000 (a raw one is not JSON), so a
    # UTF-8 body with neither needs no walk through its values. UTF-16 and UTF-32
    # bodies hold NUL bytes anyway, and are walked.
    return b"\x00" in body or b"\\u0000" in body


def refuse_nul_bytes() -> None:
    """Refuse a NUL character in the address, the query, a form or a JSON body.

    No text this portal keeps may hold one, and PostgreSQL refuses to store or even
    compare it (a server error on any query that uses the value), so it is answered
    here once, naming where it was, instead of in every view.
    """
    if "\x00" in request.path:
        raise ServiceError("The address contains a NUL character.", "path", code="nul_byte")
    sources: list[tuple[str, Any]] = [("query", request.args)]
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            sources.append(("form", request.form))
            names = [(k, f.filename or "") for k, f in request.files.items(multi=True)]
            sources.append(("file name", MultiDict(names)))
        elif request.is_json and _may_hold_nul(request.get_data(cache=True)):
            sources.append(("JSON", request.get_json(silent=True)))
    for kind, data in sources:
        if isinstance(data, MultiDict):
            data = {key: v for key, v in data.items(multi=True) if _nul_in(v, "") is not None}
        place = _nul_in(data, "")
        if place is not None:
            place = place or kind
            raise ServiceError(
                f"The {kind} field {place!r} contains a NUL character; remove it and try again.",
                place,
                code="nul_byte",
            )


def init_app(app: Flask) -> None:
    # Before any blueprint adds its rules: they are compiled with the converter they find.
    app.url_map.converters["int"] = DatabaseInteger
    app.after_request(add_security_headers)
    # First of all before-request functions: CSRFProtect's check reads the form keys.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_malformed_forms)
    app.before_request_funcs[None].insert(1, refuse_nul_bytes)
