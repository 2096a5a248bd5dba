"""Session cookies are signed by a signer kept per secret key: a cookie signed with
a key no longer in use must stop counting the moment the key changes, and one
signed with a key kept as a fallback must still count."""

from __future__ import annotations

from flask import Flask, session

from portal.session_cookies import SignedCookieSessions


def cookie_app(key: str, fallbacks: list[str] | None = None) -> Flask:
    app = Flask(__name__)
    app.secret_key = key
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks or []
    app.session_interface = SignedCookieSessions()

    @app.get("/set")
    def set_value() -> str:
        session["who"] = "ada"
        return "set"

    @app.get("/read")
    def read_value() -> str:
        return session.get("who", "nobody")

    return app


def test_a_cookie_counts_under_its_key_and_its_fallback_but_not_after_the_key_changes():
    app = cookie_app("first key")
    client = app.test_client()
    client.get("/set")
    assert client.get("/read").text == "ada"
    app.secret_key = "second key"
    assert client.get("/read").text == "nobody"
    app.config["SECRET_KEY_FALLBACKS"] = ["first key"]
    assert client.get("/read").text == "ada"


def test_the_signer_is_built_once_for_a_key():
    app = cookie_app("a key")
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    app.secret_key = "another key"
    assert interface.get_signing_serializer(app) is not first


def test_the_portal_uses_it(app):
    assert isinstance(app.session_interface, SignedCookieSessions)
