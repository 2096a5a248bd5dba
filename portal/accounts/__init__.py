"""Accounts: users, roles, registration, login, profiles and API tokens."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.accounts import views

    app.register_blueprint(views.bp)
