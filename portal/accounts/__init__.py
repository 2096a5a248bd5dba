"""Accounts: users, roles, registration, login, profiles and API tokens."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported here, as flaskr's factory does: importing the package (its models, say)
    # must not load its pages, which import the rest of the portal.
    from portal.accounts import views
    from portal.jobs import periodic

    app.register_blueprint(views.bp)
    forget = periodic.Periodic(
        "accounts.forget_login_failures", forget_login_failures, every=3600.0
    )
    periodic.add(app, forget)


def forget_login_failures(app: Flask) -> int:
    """The periodic task: drop failed-login counts nobody has added to for a day."""
    from portal.accounts import backoff
    from portal.db import utcnow
    from portal.jobs.runner import job_session

    with job_session(app) as session:
        forgotten = backoff.forget_old(session, utcnow())
        session.commit()
    return forgotten
