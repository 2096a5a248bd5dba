"""Bearer-token authentication for /api/v1, and CSRF for cookie-authenticated API calls.

A request that carries a bearer token is authenticated by the token alone,
whatever cookie it also sends: the token's user is installed as Flask-Login's
user for the request (``g._login_user``, which ``current_user`` reads first),
so Flask-Login's session checks never mix the two.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, abort, g, request

from portal import db
from portal.accounts.tokens import find_token
from portal.db import utcnow
from portal.extensions import csrf, login_manager

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def bearer_token(req: Request) -> str | None:
    header = req.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require_scope(scope: str) -> None:
    token = g.get("api_token")
    if token is not None and not token.allows(scope):
        abort(403, description=f"This token is '{token.scope}' only; this needs '{scope}'.")


LAST_USED_RESOLUTION = timedelta(minutes=1)


def _authenticate(plain: str) -> None:
    session = db.session()
    token = find_token(session, plain)
    if token is None:
        g._login_user = login_manager.anonymous_user()
        return
    now = utcnow()
    # "Last used" is shown to the minute; writing it on every call would make each
    # read a write transaction, which is what a busy token (a game client) does most.
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.commit()
    g.api_token = token
    g._login_user = token.user


def protect_api(app: Flask) -> None:
    @app.before_request
    def api_authentication() -> None:
        if not request.path.startswith("/api/"):
            return
        plain = bearer_token(request)
        if plain is not None:
            _authenticate(plain)
        elif request.method in UNSAFE:
            # Called with the session cookie, like a page: the same CSRF rule applies.
            # (portal.security has already refused form fields whose names are not text.)
            csrf.protect()
