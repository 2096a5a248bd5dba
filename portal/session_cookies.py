"""Flask's signed-cookie sessions, their signer built once per key.

Flask's own interface builds the signer (serializer, signer, key list) anew for
every request, cookie or none: on an API call, which sends no cookie, that is
the whole cost of the session. The signer depends only on the secret key, its
fallbacks, and the salt, digest, key derivation and serializer, which are fixed
for the interface, so it is kept until the key or the fallbacks change.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SignedCookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._signer: tuple[Any, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._signer
        if kept is None or kept[0] != keys:
            # Replaced whole, so a thread never sees a key with another key's signer.
            kept = self._signer = (keys, super().get_signing_serializer(app))
        return kept[1]


def init_app(app: Flask) -> None:
    app.session_interface = SignedCookieSessions()
