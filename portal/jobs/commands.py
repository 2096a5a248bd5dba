"""The processes of a scaled-out portal: ``portal serve``, ``portal worker``, ``portal beat``.

See README, "Running on several machines".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from portal.extensions import the_app

# A factory call rather than ``wsgi:app``: it imports from any folder, and each
# gunicorn worker builds its own app (its own database pool) after the fork.
WSGI_APP = "portal.app:create_app()"


def _celery_or_fail(app: Flask):
    if not app.config["BROKER_URL"]:
        raise click.ClickException(
            "PORTAL_BROKER_URL is not set: without a broker, jobs run inside the web process "
            "and no worker is needed."
        )
    # Celery is loaded only by the processes that use it.
    from portal.jobs.celery_app import celery_for

    return celery_for(app)


@click.command("worker")
@click.option(
    "--concurrency",
    "-c",
    type=int,
    default=None,
    help="Jobs run at once (default: WORKER_CONCURRENCY).",
)
@click.option(
    "--pool",
    type=click.Choice(["prefork", "threads", "solo"]),
    default=None,
    help="How jobs run (default: WORKER_POOL).",
)
@click.option("--loglevel", default=None, help="Default: LOG_LEVEL.")
@with_appcontext
def worker_command(concurrency: int | None, pool: str | None, loglevel: str | None) -> None:
    """Run a Celery worker taking the portal's jobs from the broker."""
    app = the_app()
    celery = _celery_or_fail(app)
    config = app.config
    celery.worker_main(
        [
            "worker",
            f"--concurrency={concurrency or config['WORKER_CONCURRENCY']}",
            f"--pool={pool or config['WORKER_POOL']}",
            f"--loglevel={loglevel or config['LOG_LEVEL']}",
            # Workers need not talk to each other: the database coordinates them.
            "--without-gossip",
            "--without-mingle",
        ]
    )


@click.command("beat")
@click.option("--loglevel", default=None, help="Default: LOG_LEVEL.")
@with_appcontext
def beat_command(loglevel: str | None) -> None:
    """Run Celery beat: sends the periodic tasks (run exactly one of these)."""
    app = the_app()
    celery = _celery_or_fail(app)
    schedule = Path(app.instance_path) / "celerybeat-schedule"
    celery.start(
        ["beat", f"--loglevel={loglevel or app.config['LOG_LEVEL']}", f"--schedule={schedule}"]
    )


def gunicorn_argv(
    config: dict, *, workers: int | None = None, threads: int | None = None, bind: str | None = None
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers or config["WEB_WORKERS"]),
        "--threads",
        str(threads or config["WEB_THREADS"]),
        "--bind",
        bind or config["WEB_BIND"],
        "--access-logfile",
        "-",
        # The request id joins gunicorn's access line to the portal's own log lines.
        "--access-logformat",
        '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s',
        WSGI_APP,
    ]


@click.command("serve")
@click.option("--workers", "-w", type=int, default=None, help="Processes (default: WEB_WORKERS).")
@click.option("--threads", type=int, default=None, help="Threads each (default: WEB_THREADS).")
@click.option("--bind", "-b", default=None, help="Address (default: WEB_BIND).")
@with_appcontext
def serve_command(workers: int | None, threads: int | None, bind: str | None) -> None:
    """Serve the portal with gunicorn (the production web process)."""
    argv = gunicorn_argv(current_app.config, workers=workers, threads=threads, bind=bind)
    click.echo(" ".join(argv[1:]))
    # Replace this process: gunicorn's master then receives the supervisor's signals.
    os.execv(argv[0], argv)


COMMANDS = (worker_command, beat_command, serve_command)
