"""``portal run``: Flask's development server, saying when it answers its first page.

``make run`` sets ``PORTAL_RUN_STARTED_AT`` (Unix time) when it begins; given it, the
command prints how long the whole first run took, from an empty checkout to a page, once
the server answers. Without it the command is Flask's ``run`` unchanged.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import click
from flask.cli import run_command as flask_run_command
from werkzeug.serving import is_running_from_reloader

STARTED_AT = "PORTAL_RUN_STARTED_AT"

# Addresses a server listens on but a client cannot connect to.
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def started_at(environ: Mapping[str, str]) -> float | None:
    raw = environ.get(STARTED_AT, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise click.BadParameter(
            f"{STARTED_AT}={raw!r} is not a Unix time in seconds", param_hint=STARTED_AT
        ) from None


def answers(url: str, timeout: float = 2.0) -> bool:
    """Whether the server at ``url`` answers with any HTTP response."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def announce_when_ready(
    url: str,
    started: float,
    echo: Callable[[str], Any] = click.echo,
    *,
    poll: float = 0.1,
    give_up_after: float = 600.0,
) -> bool:
    """Waits until ``url`` answers its front page, then says so with the seconds since
    ``started``."""
    deadline = time.monotonic() + give_up_after
    while time.monotonic() < deadline:
        if answers(url + "/"):
            echo(f"Ready at {url}, {time.time() - started:.0f} s after `make run` began")
            return True
        time.sleep(poll)
    return False


def _client_url(host: str, port: int, cert: object) -> str:
    host = _ANY_ADDRESS.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if cert else "http"
    return f"{scheme}://{host}:{port}"


def _run(**options: Any) -> None:
    started = started_at(os.environ)
    # With the reloader the server runs in a child process started with the same
    # environment; only the parent watches, so the line is printed once.
    if started is not None and not is_running_from_reloader():
        url = _client_url(options["host"], options["port"], options.get("cert"))
        threading.Thread(
            target=announce_when_ready, args=(url, started), name="ready-line", daemon=True
        ).start()
    assert flask_run_command.callback is not None
    flask_run_command.callback(**options)


run_command = click.Command(
    "run",
    callback=_run,
    params=flask_run_command.params,
    help=flask_run_command.help,
    short_help=flask_run_command.short_help,
    epilog=f"With {STARTED_AT} set (Unix time), prints how long after it the server answered.",
)
