"""Accounts: users, roles, registration, login, profiles and API tokens."""

from __future__ import annotations

from flask import Flask

from portal.accounts import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
