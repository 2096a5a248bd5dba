"""The home page, section landing pages, a member's own work, and health checks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.main import views, work

    app.register_blueprint(views.bp)
    app.register_blueprint(work.bp)
