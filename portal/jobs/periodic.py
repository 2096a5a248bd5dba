"""The portal's periodic work, listed once for both schedulers.

Celery beat (``portal beat``) sends these as tasks when a broker is configured;
otherwise the in-process scheduler (``portal.jobs.scheduler``) calls them. Each
function takes the app, does a bounded amount of work, and is safe to run in several
processes at once (every change is a conditional UPDATE or an idempotent DELETE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import and_, delete, exists, select
from sqlalchemy.exc import IntegrityError

from portal.db import utcnow
from portal.jobs.models import Job, JobState
from portal.jobs.runner import job_session, recover_stale_jobs
from portal.play import services
from portal.play.models import AlignmentSource


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
        deleted = session.execute(delete(Job).where(Job.id.in_(ids), condition)).rowcount
        session.commit()
    return deleted


def recut_puzzles(app: Flask) -> int:
    """New puzzles where every puzzle of a level of an alignment has retired."""
    added = 0
    with job_session(app) as session:
        for alignment_id in session.scalars(select(AlignmentSource.id)).all():
            plan = services.plan_cuts(session, session.get(AlignmentSource, alignment_id))
            session.rollback()  # no transaction stays open through seconds of solving
            cuts = services.solve_cuts(plan)
            try:
                added += len(
                    services.store_cuts(session, session.get(AlignmentSource, alignment_id), cuts)
                )
                session.commit()
            except IntegrityError:  # another process stored the same cut first
                session.rollback()
    return added


#: Everything that runs on a timer. Leaderboards are computed when shown and kept
#: for a second per web process (portal.play.payload_cache), so they need no
#: refresh; sessions are signed cookies, so there are none to clean.
PERIODIC: tuple[Periodic, ...] = (
    Periodic("jobs.recover_stale", recover_stale_jobs, every=60.0),
    Periodic("jobs.prune_finished", prune_finished_jobs, every=3600.0),
    Periodic("play.recut_puzzles", recut_puzzles, every=600.0),
)
