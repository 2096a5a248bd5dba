"""Friendly error pages; JSON for API clients."""

from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Page not found", "There is no page at this address."),
    405: ("Method not allowed", "This page cannot be used that way."),
    413: ("Too large", "What you sent is larger than this portal accepts."),
    429: ("Slow down", "Too many attempts in a short time. Wait a minute and try again."),
    500: ("Something went wrong", "The error has been logged. Please try again later."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _render(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, ("Error", "The request failed."))
    if detail:
        message = detail
    if _wants_json():
        code = title.lower().replace(" ", "_")
        return {"error": {"code": code, "message": message, "field": None}}, status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _rollback() -> None:
    # A failed request must not leave half a unit of work in the session.
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        _rollback()
        return _render(
            400,
            "The form expired or did not come from this site (CSRF check failed). "
            "Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        _rollback()
        return _render(error.code or 500)

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        _rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(500)
