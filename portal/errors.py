"""The one error type services raise, and the two ways every error is shown.

A service that cannot honour a request raises :class:`ServiceError` (or one of the
subclasses below, which only choose the status): a message for the person, the
field it is about, and details such as a row and column. The app answers every
error — a ServiceError, an HTTP error, a CSRF failure, a crash — in one place:
as a JSON body ``{"error": {"code", "message", "field", ...}}`` for API clients,
as the error page for browsers, after rolling back the request's unit of work.
Views that show a form catch ServiceError only to put the message next to the
field the person is typing in.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class ServiceError(Exception):
    """A request that cannot be honoured; the message is for the person who made it."""

    status = 400
    code = "invalid"
    #: Response headers the answer must carry (``WWW-Authenticate`` for a 401).
    headers: dict[str, str] = {}

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        #: Where exactly (row, column, study ...), shown beside the message.
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.field, **self.details}


class NotFound(ServiceError):
    """No such object, or not one this person may see (the two look the same)."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    """The person is known, and not allowed to do this."""

    status = 403
    code = "forbidden"


class Unauthorized(ServiceError):
    """Only a signed-in person may do this."""

    status = 401
    code = "unauthorized"


class InvalidToken(Unauthorized):
    """A bearer token that is unknown, revoked or whose account is closed (RFC 6750)."""

    code = "invalid_token"
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Conflict(ServiceError):
    """The object's state forbids this now (already published, already started ...)."""

    status = 409
    code = "conflict"


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


TITLES = {
    400: ("Bad request", "The request could not be understood."),
    401: ("Please log in", "Log in to do that."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Page not found", "There is no page at this address."),
    405: ("Method not allowed", "This page cannot be used that way."),
    409: ("Not now", "This cannot be done in the object's present state."),
    413: ("Too large", "What you sent is larger than this portal accepts."),
    429: ("Slow down", "Too many attempts in a short time. Wait a minute and try again."),
    500: ("Something went wrong", "The error has been logged. Please try again later."),
}

CSRF_MESSAGE = (
    "The form expired or did not come from this site (CSRF check failed). "
    "Reload the page and try again."
)


def wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def render(status: int, body: dict[str, Any], headers: Any = None) -> Any:
    """``body`` is the error's JSON form; browsers get the same message as a page."""
    headers = headers or {}
    if wants_json():
        return {"error": body}, status, headers
    title, _ = TITLES.get(status, ("Error", ""))
    return (
        render_template("errors/error.html", status=status, title=title, message=body["message"]),
        status,
        headers,
    )


def http_body(error: HTTPException) -> dict[str, Any]:
    status = error.code or 500
    code = (error.name or "error").lower().replace(" ", "_")
    # Werkzeug's stock descriptions speak to developers; a description given to
    # abort() is meant for the reader and is kept.
    given = error.description if error.description != type(error).description else None
    message = given or TITLES.get(status, ("", error.name))[1]
    if status == 429:
        # The rate limiter describes the limit ("10 per 1 minute"): say what to do, then it.
        message = f"{TITLES[429][1]} (limit: {given})" if given else TITLES[429][1]
    return {"code": code, "message": message, "field": None}


def _rollback() -> None:
    # A failed request must not leave half a unit of work in the session.
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> Any:
        _rollback()
        return render(error.status, error.to_dict(), error.headers)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Any:
        _rollback()
        return render(400, {"code": "csrf_failed", "message": CSRF_MESSAGE, "field": None})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        _rollback()
        # Werkzeug's own headers carry meaning (``Allow`` on a 405, ``WWW-Authenticate``
        # on a 401); the body is ours, so its content type is not kept.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        return render(error.code or 500, http_body(error), headers)

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> Any:
        _rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render(500, {"code": "server_error", "message": TITLES[500][1], "field": None})
