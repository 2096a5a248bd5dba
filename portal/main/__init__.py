"""The home page, section landing pages and health checks."""

from __future__ import annotations

from flask import Flask

from portal.main import views


def init_app(app: Flask) -> None:
    app.register_blueprint(views.bp)
