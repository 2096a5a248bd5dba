"""Submit jobs and run them, reporting progress into the job's row.

A job function is registered under a kind with ``@task("kind")`` and called as
``fn(context, **payload)``; it reports progress through ``context.progress`` and
returns a JSON-able result. It gets its own session and owns its transaction.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from portal import db
from portal.db import utcnow
from portal.jobs.models import Job

TaskFunction = Callable[..., dict[str, Any]]
_TASKS: dict[str, TaskFunction] = {}


class JobFailure(Exception):
    """Raised by a task to fail its job with a message meant for the user."""


def task(kind: str) -> Callable[[TaskFunction], TaskFunction]:
    def register(function: TaskFunction) -> TaskFunction:
        _TASKS[kind] = function
        return function

    return register


@dataclass
class JobContext:
    """What a running task sees: its job id, a session of its own, and a progress reporter."""

    job_id: str
    session: Session
    app: Flask
    _last_report: float = 0.0

    def progress(self, fraction: float, message: str = "", *, force: bool = False) -> None:
        """Record progress, committed at once on a separate connection.

        Report before the task writes: on SQLite this connection would otherwise
        wait for the task's own open write transaction.
        """
        # Throttled: a tight loop reporting every row would spend its time on UPDATEs.
        now = time.monotonic()
        if not force and now - self._last_report < 0.25:
            return
        self._last_report = now
        with job_session(self.app) as progress_session:
            progress_session.execute(
                update(Job)
                .where(Job.id == self.job_id)
                .values(progress=max(0.0, min(1.0, fraction)), message=message[:500])
            )
            progress_session.commit()


@contextmanager
def job_session(app: Flask) -> Iterator[Session]:
    """A session of its own, outside any request, for a job or its progress reports."""
    with app.app_context():
        session = db.new_session()
        try:
            yield session
        finally:
            session.close()


def submit(session: Session, kind: str, payload: dict[str, Any], *, owner_id: int | None = None) -> Job:
    """Record a job in the caller's unit of work; it starts once the caller commits."""
    if kind not in _TASKS:
        raise KeyError(f"no task registered for {kind!r}")
    job = Job(id=uuid.uuid4().hex, kind=kind, payload_json=json.dumps(payload), owner_id=owner_id)
    session.add(job)
    session.flush()
    return job


def start(job_id: str) -> Future | None:
    """Hand a committed job to the executor of this app (or run it now, in inline mode)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    executor: JobExecutor = app.extensions["portal.jobs"]
    return executor.start(app, job_id)


def run_job(app: Flask, job_id: str) -> None:
    """Run one job to the end, recording its outcome. Never raises."""
    with job_session(app) as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "queued")
            .values(state="running", started_at=utcnow(), progress=0.0)
        ).rowcount
        session.commit()
        if not claimed:
            return  # another runner has it, or it already ran: running twice would double-count
        job = session.get(Job, job_id)
        function = _TASKS[job.kind]
        payload = job.payload
        context = JobContext(job_id=job_id, session=session, app=app)
        try:
            result = function(context, **payload)
        except JobFailure as failure:
            session.rollback()
            _finish(session, job_id, state="failed", error=str(failure))
        except Exception as error:  # noqa: BLE001 - the job must end in a state, whatever happened
            session.rollback()
            app.logger.exception("Job %s (%s) failed", job_id, job.kind)
            _finish(session, job_id, state="failed",
                    error=f"Internal error ({type(error).__name__}); the job was not completed.")
        else:
            session.commit()
            _finish(session, job_id, state="finished", result=result)


def _finish(session: Session, job_id: str, *, state: str, error: str = "",
            result: dict[str, Any] | None = None) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(state=state, error=error, finished_at=utcnow(),
                progress=1.0 if state == "finished" else Job.progress,
                result_json=json.dumps(result or {}, default=str))
    )
    session.commit()


class JobExecutor:
    """Runs jobs on a small thread pool, or synchronously when ``JOBS_INLINE`` is set."""

    def __init__(self, workers: int, inline: bool) -> None:
        self.inline = inline
        self._pool = None if inline else ThreadPoolExecutor(workers, thread_name_prefix="job")

    def start(self, app: Flask, job_id: str) -> Future | None:
        if self._pool is None:
            run_job(app, job_id)
            return None
        return self._pool.submit(run_job, app, job_id)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def init_app(app: Flask) -> None:
    app.extensions["portal.jobs"] = JobExecutor(
        workers=app.config.get("JOB_WORKERS", 2), inline=app.config.get("JOBS_INLINE", False)
    )
