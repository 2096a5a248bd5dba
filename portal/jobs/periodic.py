"""The portal's periodic work, listed once per app for both schedulers.

Each feature adds its own entries when the app is built (``add``); Celery beat
(``portal beat``) sends them as tasks when a broker is configured, otherwise the
in-process scheduler (``portal.jobs.scheduler``) calls them. Each function takes the
app, does a bounded amount of work, and is safe to run in several processes at once
(every change is a conditional UPDATE or an idempotent DELETE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import and_, delete, exists, select

from portal.db import rows_changed, utcnow
from portal.jobs.models import Job, JobState
from portal.jobs.runner import job_session, recover_stale_jobs

EXTENSION = "portal.periodic"


@dataclass(frozen=True)
class Periodic:
    name: str
    function: Callable[[Flask], Any]
    every: float  # seconds


def prune_finished_jobs(app: Flask) -> int:
    """Delete finished and failed jobs past the retention period that nothing points to."""
    cutoff = utcnow() - timedelta(days=app.config["JOB_RETENTION_DAYS"])
    # Rows that refer to a job (an analysis run, ...) keep it: their pages show it.
    referrers = [
        exists().where(fk.parent == Job.id)
        for table in Job.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table is Job.__table__
    ]
    condition = and_(
        Job.state.in_((JobState.FINISHED, JobState.FAILED)),
        Job.finished_at < cutoff,
        *[~referrer for referrer in referrers],
    )
    with job_session(app) as session:
        ids = session.scalars(select(Job.id).where(condition).limit(1000)).all()
        if not ids:
            return 0
        deleted = rows_changed(session, delete(Job).where(Job.id.in_(ids), condition))
        session.commit()
    return deleted


#: The jobs' own upkeep. Sessions are signed cookies, so there are none to clean.
UPKEEP: tuple[Periodic, ...] = (
    Periodic("jobs.recover_stale", recover_stale_jobs, every=60.0),
    Periodic("jobs.prune_finished", prune_finished_jobs, every=3600.0),
)


def add(app: Flask, *entries: Periodic) -> None:
    """Run ``entries`` on their timers in this app (adding one twice changes nothing)."""
    listed: dict[str, Periodic] = app.extensions.setdefault(EXTENSION, {})
    for entry in entries:
        listed[entry.name] = entry


def entries(app: Flask) -> tuple[Periodic, ...]:
    """Everything that runs on a timer in this app."""
    return tuple(app.extensions.get(EXTENSION, {}).values())
