"""Logs as text or one JSON object a line, each carrying the request (or job) it belongs to.

Several web processes and workers write to one log store in production: the request
id joins a request's lines, the job it submitted and the worker's lines for that job.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, g, request
from flask.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is echoed into logs and headers: accept only a short, plain token.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
job_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("job_id", default="")

_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    """Stamp every record with the current request and job ids."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", None) or request_id_var.get()
        record.job_id = getattr(record, "job_id", None) or job_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, ids, and any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD_ATTRIBUTES or key.startswith("_") or value in ("", None):
                continue
            entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s job=%(job_id)s] %(message)s"


def make_handler(log_format: str) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.set_name("portal")
    return handler


def configure(log_format: str, level: str = "INFO") -> None:
    """Install the portal's handler on the root logger (once per process)."""
    if log_format not in ("json", "text"):
        raise ValueError(f"PORTAL_LOG_FORMAT must be 'json' or 'text', not {log_format!r}")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "portal":
            root.removeHandler(existing)
    root.addHandler(make_handler(log_format))
    root.setLevel(level.upper())


def new_request_id() -> str:
    # 128 random bits, like a uuid4's hex, from the process's generator rather than
    # the kernel's: an id need not be unguessable, and a system call per request
    # makes its thread wait for the interpreter lock again. (The generator is
    # reseeded in each forked worker, so two workers do not repeat each other.)
    return f"{random.getrandbits(128):032x}"


def current_request_id() -> str:
    return request_id_var.get()


@contextmanager
def job_context(job_id: str, request_id: str = "") -> Iterator[None]:
    """Within this block, log lines name the job (and the request that submitted it)."""
    job_token = job_id_var.set(job_id)
    request_token = request_id_var.set(request_id)
    try:
        yield
    finally:
        job_id_var.reset(job_token)
        request_id_var.reset(request_token)


def _assign_request_id() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _ACCEPTABLE_ID.match(incoming) else new_request_id()
    g._request_id_token = request_id_var.set(g.request_id)


def _echo_request_id(response: Response) -> Response:
    if "request_id" in g:
        response.headers[REQUEST_ID_HEADER] = g.request_id
    return response


def _forget_request_id(_exc: BaseException | None) -> None:
    token = g.pop("_request_id_token", None)
    if token is not None:
        # Torn down in another context (a streamed response): nothing to undo there.
        with contextlib.suppress(ValueError):
            request_id_var.reset(token)


def init_app(app: Flask) -> None:
    # Tests build many apps in one process: they keep pytest's log capture as it is.
    if not app.testing:
        configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request(_assign_request_id)
    app.after_request(_echo_request_id)
    app.teardown_request(_forget_request_id)
