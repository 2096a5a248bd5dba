"""Anonymous page views, kept for about a second in each web process.

A visitor with no cookie and no token sees exactly what every other such
visitor sees, so a busy listing (datasets, questions, communities) need not be
rebuilt for each of them. Kept: GET requests with neither a Cookie nor an
Authorization header, answered 200 with HTML by a view that left the session
untouched. A page with a form writes a CSRF token into the session, and a flash
message lives there too, so such pages are never kept. Every served copy still
goes through the after-request hooks, so it gets its own request id and the
security headers. ``PAGE_CACHE_SECONDS`` (1 in production, 0 elsewhere) bounds
how stale an anonymous page may be; signed-in members always get fresh pages.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from flask import session as web_session

from portal.short_cache import ShortLivedCache

EXTENSION = "portal.page_cache"


def _key() -> tuple[str, str, str] | None:
    if request.method != "GET" or "Cookie" in request.headers or "Authorization" in request.headers:
        return None
    return request.scheme, request.host, request.full_path


def _serve_kept() -> Response | None:
    key = _key()
    kept = None if key is None else current_app.extensions[EXTENSION].get(key)
    if kept is None:
        return None
    body, mimetype = kept
    g.page_from_cache = True  # a copy served must not renew its own expiry
    return current_app.response_class(body, mimetype=mimetype)


def _keep(response: Response) -> Response:
    key = None if g.get("page_from_cache") else _key()
    if (
        key is not None
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.is_streamed
        and not web_session.modified
        and "Set-Cookie" not in response.headers
    ):
        current_app.extensions[EXTENSION].put(key, (response.get_data(), response.mimetype))
    return response


def init_app(app: Flask) -> None:
    seconds = float(app.config["PAGE_CACHE_SECONDS"])
    # Pages are kilobytes each, and query strings make keys without end: keep few.
    app.extensions[EXTENSION] = ShortLivedCache(seconds, max_entries=256)
    if seconds > 0:
        app.before_request(_serve_kept)
        # Registered first, so it runs after every other after-request hook has
        # had its say (they run in reverse order): a hook setting a cookie is seen.
        app.after_request_funcs.setdefault(None, []).insert(0, _keep)
