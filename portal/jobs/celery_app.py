"""Celery, built from the Flask app's configuration, when ``PORTAL_BROKER_URL`` is set.

Only job ids travel through the broker: the job rows stay the source of truth, so
a lost or repeated message costs nothing (claims are conditional UPDATEs) and any
web process can show any job.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future

from celery import Celery, signals
from flask import Flask
from kombu import Connection
from sqlalchemy.exc import OperationalError

from portal import db
from portal.jobs import periodic
from portal.jobs.periodic import Periodic
from portal.jobs.runner import Outcome, run_next

log = logging.getLogger(__name__)

QUEUE = "portal"
RUN_TASK = "portal.jobs.run"


def celery_for(app: Flask) -> Celery:
    """The Celery app of this Flask app (one per Flask app, built on first use)."""
    existing = app.extensions.get("portal.celery")
    if existing is not None:
        return existing
    config = app.config
    celery = Celery("portal", broker=config["BROKER_URL"], set_as_current=False)
    celery.conf.update(
        task_default_queue=QUEUE,
        task_ignore_result=True,
        # Acknowledge after the job ran, and give the message back if the worker process
        # died under it: a worker killed mid-job does not lose the job.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One job at a time per process: a long job must not hold others hostage.
        worker_prefetch_multiplier=1,
        # Redis gives an unacknowledged message to another worker after this long.
        broker_transport_options={"visibility_timeout": config["BROKER_VISIBILITY_TIMEOUT"]},
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        # A web request must not hang on a broker that is down: the sweep resends later.
        task_publish_retry_policy={
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule={
            entry.name: {"task": f"portal.periodic.{entry.name}", "schedule": entry.every}
            for entry in periodic.entries(app)
        },
    )
    _register_tasks(celery, app)
    app.extensions["portal.celery"] = celery
    return celery


def _register_tasks(celery: Celery, app: Flask) -> None:
    # Not shared: each Flask app (tests build many) gets its own Celery app and tasks.
    @celery.task(name=RUN_TASK, bind=True, max_retries=None, shared=False)
    def run(self, job_id: str) -> str:
        try:
            result = run_next(app, job_id)
        except OperationalError as error:
            # The database was unreachable before the job could even be claimed or
            # recorded: nothing ran, so the message is simply tried again later.
            delay = min(600.0, app.config["JOB_RETRY_BACKOFF"] * 2**self.request.retries)
            raise self.retry(exc=error, countdown=delay) from error
        if result.outcome in (Outcome.RETRY, Outcome.BUSY):
            # BUSY: another delivery of this job is running it; look again once its
            # heartbeat could have gone stale, and then skip it or take it over.
            raise self.retry(countdown=result.retry_in)
        return result.outcome.value

    for entry in periodic.entries(app):
        _register_periodic(celery, app, entry)

    @signals.worker_process_init.connect(weak=False)
    def _fresh_connections(**_kwargs: object) -> None:
        # A forked worker process must not reuse its parent's pooled connections.
        with app.app_context():
            db.engine().dispose(close=False)


def _register_periodic(celery: Celery, app: Flask, entry: Periodic) -> None:
    @celery.task(name=f"portal.periodic.{entry.name}", shared=False)
    def periodic() -> None:
        entry.function(app)


class CeleryExecutor:
    """Send committed jobs to the workers; the web process never runs them."""

    def __init__(self, celery: Celery) -> None:
        self.celery = celery

    def start(self, app: Flask, job_id: str) -> Future | None:
        try:
            self.celery.send_task(RUN_TASK, args=[job_id], queue=QUEUE)
        except Exception:  # noqa: BLE001 - the row is committed: the recovery sweep resends it
            log.exception("Could not send job %s to the broker; it stays queued", job_id)
        return None

    def shutdown(self) -> None:
        pass


def broker_problem(url: str, timeout: float = 2.0) -> str | None:
    """None when the broker answers, else what went wrong (for /readyz)."""
    try:
        with Connection(url, connect_timeout=timeout) as connection:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=int(timeout)
            )
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return type(error).__name__
    return None
