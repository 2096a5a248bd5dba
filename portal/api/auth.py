"""Bearer-token authentication for /api/v1, and CSRF for cookie-authenticated API calls.

A request that carries a bearer token is authenticated by the token alone,
whatever cookie it also sends: the token's user is installed as Flask-Login's
user for the request (``g._login_user``, which ``current_user`` reads first),
so Flask-Login's session checks never mix the two.

Each web process remembers the tokens it resolved for ``TOKEN_CACHE_SECONDS``
(1 by default): a game client sends a token with every call, and looking it
and its owner up is otherwise a quarter of a solution's cost. The copy holds
column values, not live objects, and each request gets its own instances. A
token revoked, or an account changed, in this process is forgotten at once;
other processes stop accepting a revoked token within those seconds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask, Request, current_app, g, request
from flask_login import current_user
from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value

from portal import db
from portal.accounts.models import User
from portal.accounts.tokens import ApiToken, find_token, token_digest
from portal.db import attach_loaded, utcnow
from portal.errors import Forbidden, InvalidToken, Unauthorized
from portal.extensions import csrf
from portal.short_cache import ShortLivedCache

TOKEN_CACHE = "portal.token_cache"

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class MissingCredentials(Unauthorized):
    """A call that needs an account and carries none (RFC 6750 asks for the challenge)."""

    headers = {"WWW-Authenticate": 'Bearer realm="api"'}


def missing_credentials() -> MissingCredentials:
    return MissingCredentials("Send a personal API token as 'Authorization: Bearer <token>'.")


def _without_credentials() -> bool:
    """No token, no signed-in account and no browser session: a script or a stranger,
    not a page whose CSRF token went missing."""
    return not current_user.is_authenticated and (
        current_app.session_interface.get_cookie_name(current_app) not in request.cookies
    )


def bearer_token(req: Request) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_scope(scope: str) -> None:
    token = g.get("api_token")
    if token is not None and not token.allows(scope):
        raise Forbidden(f"This token is '{token.scope}' only; this needs '{scope}'.")


LAST_USED_RESOLUTION = timedelta(minutes=1)


def _columns(instance: Any) -> dict[str, Any]:
    return {
        column.key: getattr(instance, column.key) for column in inspect(type(instance)).column_attrs
    }


def tokens_seen() -> ShortLivedCache:
    return current_app.extensions[TOKEN_CACHE]


def forget_tokens() -> None:
    """Forget every resolved token (a token was revoked or an account changed)."""
    tokens_seen().forget(lambda _digest: True)


def _authenticate(plain: str) -> None:
    session = db.session()
    digest = token_digest(plain)
    cache = tokens_seen()
    kept = cache.get(digest)
    if kept is None:
        generation = cache.generation
        token = find_token(session, plain)
        if token is None:  # unknown tokens are never kept: guessing must not fill memory
            # Served as anonymous, a revoked token would look like it still works on
            # every public read; the client must learn it has to get a new one.
            raise InvalidToken(
                "This API token is unknown, revoked or expired, or its account is closed. "
                "Create a new token on your account page."
            )
    else:
        user = attach_loaded(session, User, kept[1])
        token = attach_loaded(session, ApiToken, kept[0])
        set_committed_value(token, "user", user)
    now = utcnow()
    # "Last used" is shown to the minute; writing it on every call would make each
    # read a write transaction, which is what a busy token (a game client) does most.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
        if kept is not None:  # the copy learns the write, but lives no longer for it
            cache.replace(digest, (_columns(token), kept[1]))
    if kept is None:
        # Kept as read from the database (with "last used" as just written), and only
        # if no revocation was forgotten meanwhile. A remembered copy is never stored
        # again, so nothing is remembered longer than TOKEN_CACHE_SECONDS after its read.
        cache.put(digest, (_columns(token), _columns(token.user)), generation=generation)
    g.api_token = token
    g._login_user = token.user


def protect_api(app: Flask) -> None:
    app.extensions[TOKEN_CACHE] = ShortLivedCache(float(app.config["TOKEN_CACHE_SECONDS"]))

    @app.before_request
    def api_authentication() -> None:
        if not request.path.startswith("/api/"):
            return
        plain = bearer_token(request)
        if plain is not None:
            _authenticate(plain)
        elif request.method in UNSAFE and request.routing_exception is None:
            # (A route that does not exist or take this method answers 404 or 405.)
            if _without_credentials():
                raise missing_credentials()
            # Called with the session cookie, like a page: the same CSRF rule applies.
            # (portal.security has already refused form fields whose names are not text.)
            csrf.protect()
