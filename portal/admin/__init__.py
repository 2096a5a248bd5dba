"""The site admin area at /admin (admins only): a dashboard, finding users, a user's
page (role, suspension, ban), and the audit log with filters and a CSV export.

services (queries and account decisions; never commit), forms, views (the blueprint).
Every change made here is audited.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package must not load its pages.
    from portal.admin import views

    app.register_blueprint(views.bp)
