"""Unbound extensions, created once and bound to each app in create_app()."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from portal.db import Database

db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please log in to see that page."
login_manager.login_message_category = "info"
# A stolen cookie replayed from elsewhere loses its "fresh" status and the session.
login_manager.session_protection = "strong"

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def the_app() -> Flask:
    """The app behind ``current_app``, to hand to a thread or a job that outlives the
    request (the proxy itself only works inside it)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def login_key() -> str:
    """Rate-limit key for login attempts on one account, whatever the client's address."""
    return "login:" + (request.form.get("login") or "").strip().lower()[:254]


def user_or_address() -> str:
    """Rate-limit key for members' actions: the account when signed in, else the address.

    Keying on the account means one member cannot dodge a limit by changing network,
    and members behind one shared address (a hospital, a school) do not share one.
    """
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return "addr:" + (get_remote_address() or "")


def post_limit() -> str:
    """Questions and comments, through the pages or the API."""
    return current_app.config["POST_RATE_LIMIT"]


def vote_limit() -> str:
    """Supporting and withdrawing support for questions."""
    return current_app.config["VOTE_RATE_LIMIT"]


def upload_limit() -> str:
    """Dataset files uploaded, through the pages or the API."""
    return current_app.config["UPLOAD_RATE_LIMIT"]


def analysis_limit() -> str:
    """Analyses started or rerun, through the pages or the API."""
    return current_app.config["ANALYSIS_RATE_LIMIT"]
