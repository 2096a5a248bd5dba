"""Submit jobs and run them, reporting progress into the job's row.

A job function is registered under a kind with ``@task("kind")`` and called as
``fn(context, **payload)``; it reports progress through ``context.progress`` and
returns a JSON-able result. It gets its own session and owns its transaction: its
writes are committed together with the job's "finished" state, so a job run twice
(a worker died, the message came back) can never count twice.

Where jobs run depends on configuration alone: inline (tests), on a thread pool of
the web process (the embedded default), or on Celery workers when
``PORTAL_BROKER_URL`` is set (see ``portal.jobs.celery_app``).

Fairness. Neither a thread pool nor a Celery queue knows whose job it holds: both
run what was queued first, so one member's backlog would make everyone else wait.
So what they carry is a *turn*, not an order: submitting a job queues one turn
(naming the job), and a runner taking a turn claims the fairest job waiting in the
database at that moment (``fair_order``: the member with the fewest jobs running,
then the one served longest ago), which may be another than the one named. The
database stays the one queue, the same code is fair on both backends, and nothing
is lost: each turn runs at most one job and each job brings one turn. Members
cannot flood the queue either: ``submit`` refuses more than
``JOBS_ACTIVE_PER_USER`` jobs waiting or running per member.
"""

from __future__ import annotations

import enum
import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from flask import Flask, current_app, has_request_context
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal import db
from portal.db import Base, rows_changed, utcnow
from portal.errors import ServiceError
from portal.extensions import the_app
from portal.jobs.models import Job, JobState
from portal.logging_setup import current_request_id, job_context

log = logging.getLogger(__name__)

TaskFunction = Callable[..., dict[str, Any]]
T = TypeVar("T")
_TASKS: dict[str, TaskFunction] = {}
_LABELS: dict[str, str] = {}


class JobFailure(Exception):
    """Raised by a task to fail its job with a message meant for the user. ``url``, when
    given, is the page that explains the failure and the way on: the job's page sends
    the person there."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class TransientJobError(Exception):
    """Raised by a task when trying again later may succeed (a service was unreachable)."""


#: Errors worth another attempt: the database went away or was locked for too long.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, TransientJobError)


def register_tasks(tasks: dict[str, TaskFunction], labels: Mapping[str, str] | None = None) -> None:
    """Make ``tasks`` (kind -> function) runnable in this process; ``labels`` say what
    each kind does in the words of the pages ("Checking an upload")."""
    _TASKS.update(tasks)
    _LABELS.update(labels or {})


def label(kind: str) -> str:
    """What a job of this kind does, for people; never its internal name."""
    return _LABELS.get(kind, "Background work")


def task(kind: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register the decorated function under ``kind`` (for JOB_TASK_MODULES)."""

    def register(function: TaskFunction) -> TaskFunction:
        _TASKS[kind] = function
        return function

    return register


def registered_kinds() -> list[str]:
    return sorted(_TASKS)


class Outcome(enum.StrEnum):
    FINISHED = "finished"
    FAILED = "failed"
    RETRY = "retry"  # a transient error: the job is queued again, try after ``retry_in``
    BUSY = "busy"  # another runner holds the job and is alive: look again later
    SKIPPED = "skipped"  # nothing to do: unknown, already done, or the claim was lost


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    retry_in: float = 0.0


@dataclass
class JobContext:
    """What a running task sees: its job id, a session of its own, and a progress reporter."""

    job_id: str
    session: Session
    app: Flask
    attempt: int = 1
    _last_report: float = 0.0

    def row(self, model: type[T], key: Any, what: str) -> T:
        """The row the job works on; gone (deleted since the job was queued), the job fails."""
        found = self.session.get(model, key)
        if found is None:
            raise JobFailure(f"The {what} was deleted before this job ran.")
        return found

    def progress(self, fraction: float, message: str = "", *, force: bool = False) -> None:
        """Record progress (and a heartbeat), committed at once on a separate connection.

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
                .where(*_held_by(self.job_id, self.attempt))
                .values(
                    progress=max(0.0, min(1.0, fraction)),
                    message=message[:500],
                    heartbeat_at=utcnow(),
                )
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


class TooManyJobs(ServiceError):
    """The member already has as many jobs waiting or running as one member may."""

    status = 429
    code = "too_many_jobs"


ACTIVE = (JobState.QUEUED, JobState.RUNNING)


def check_room(session: Session, owner_id: int | None) -> None:
    """Raise TooManyJobs when ``owner_id`` may not queue another job now.

    Views call it before costly work (spooling an upload); ``submit`` calls it again,
    holding the owner's row, so two requests at once cannot both take the last place.
    """
    limit = current_app.config["JOBS_ACTIVE_PER_USER"]
    if owner_id is None or limit <= 0:
        return
    active = session.scalar(
        select(func.count()).select_from(Job).where(Job.owner_id == owner_id, Job.state.in_(ACTIVE))
    )
    if active is not None and active >= limit:
        waiting = "job" if active == 1 else "jobs"
        raise TooManyJobs(
            f"You have {active} {waiting} waiting or running, the most one member may have "
            "at once; try again when one finishes."
        )


def _lock_owner(session: Session, owner_id: int) -> None:
    # The owner's row serialises its submissions (PostgreSQL; SQLite has one writer).
    users = Base.metadata.tables["users"]
    session.execute(select(users.c.id).where(users.c.id == owner_id).with_for_update())


def submit(
    session: Session, kind: str, payload: dict[str, Any], *, owner_id: int | None = None
) -> Job:
    """Record a job in the caller's unit of work; it starts once the caller commits.

    Raises TooManyJobs when the owner already has ``JOBS_ACTIVE_PER_USER`` jobs
    waiting or running.
    """
    if kind not in _TASKS:
        raise KeyError(f"no task registered for {kind!r}")
    config = current_app.config
    if owner_id is not None:
        _lock_owner(session, owner_id)
        check_room(session, owner_id)
    job = Job(
        id=uuid.uuid4().hex,
        kind=kind,
        payload=payload,
        owner_id=owner_id,
        max_attempts=config["JOB_MAX_ATTEMPTS"],
        heartbeat_at=utcnow(),
        request_id=current_request_id() if has_request_context() else "",
    )
    session.add(job)
    session.flush()
    return job


def start(job_id: str) -> Future | None:
    """Hand a committed job to the executor of this app (or run it now, in inline mode)."""
    app = the_app()
    return executor_of(app).start(app, job_id)


def executor_of(app: Flask) -> Executor:
    return app.extensions["portal.jobs"]


def _held_by(job_id: str, attempt: int) -> tuple:
    """The rows this runner may still write: its own attempt, still running."""
    return (Job.id == job_id, Job.state == JobState.RUNNING, Job.attempts == attempt)


def _stale_before(app: Flask):
    return utcnow() - timedelta(seconds=app.config["JOB_STALE_AFTER"])


def _claimable(app: Flask):
    """Queued, or running under a runner whose heartbeat stopped, with attempts left."""
    return or_(
        Job.state == JobState.QUEUED,
        and_(
            Job.state == JobState.RUNNING,
            Job.attempts < Job.max_attempts,
            func.coalesce(Job.heartbeat_at, Job.started_at) < _stale_before(app),
        ),
    )


def run_job(app: Flask, job_id: str) -> RunResult:
    """Run one job to the end, recording its outcome. Never raises.

    The claim is one conditional UPDATE, so of two deliveries of the same job only
    one runs it; the other sees it finished (skip) or held by a live runner (busy).
    """
    result = _claim_and_run(app, job_id, _claimable(app))
    if result is not None:
        return result
    with job_session(app) as session:
        job = session.get(Job, job_id)
        if job is not None and job.state == JobState.RUNNING:
            return RunResult(Outcome.BUSY, retry_in=app.config["JOB_STALE_AFTER"])
    return RunResult(Outcome.SKIPPED)


def run_next(app: Flask, job_id: str) -> RunResult:
    """Take a turn: run the fairest waiting job, or else ``job_id`` (see ``fair_order``).

    Every submitted job gives the runners one turn (a thread-pool item or a broker
    message naming it), and each turn runs at most one job, so there are always at
    least as many turns as waiting jobs, and every job runs. Which job a turn runs is
    decided when it starts, not when it was queued: that is what lets a member's one
    small upload go before another member's backlog. Only when no job is waiting does
    the turn fall back to the job it names (a stale one to take over, or a duplicate
    message to skip).
    """
    for _ in range(_FAIR_ROUNDS):
        with job_session(app) as session:
            candidates = session.scalars(fair_order(app).limit(_FAIR_CANDIDATES)).all()
        if not candidates:
            break
        for candidate in candidates:
            result = _claim_and_run(app, candidate, _waiting())
            if result is not None:
                return result
        # Every candidate was taken by another runner meanwhile: look again.
    return run_job(app, job_id)


#: Waiting jobs tried per look, and looks, before a turn falls back to its own job.
_FAIR_CANDIDATES = 8
_FAIR_ROUNDS = 3


def _waiting():
    """Queued and due: a job waiting out a retry's back-off holds a future heartbeat."""
    return and_(
        Job.state == JobState.QUEUED, func.coalesce(Job.heartbeat_at, Job.created_at) <= utcnow()
    )


def fair_order(app: Flask):
    """Waiting job ids, fairest first, so one member's backlog cannot starve the others.

    Owners are taken by how many of their jobs are running now (fewest first), then by
    how long ago one of their jobs last started (never, then longest ago): with one
    runner the owners take turns, with several each owner gets one before anyone
    gets a second. Within an owner, oldest first. Jobs without an owner (the portal's
    own) come first: they are few and short.
    """
    owners = (
        select(
            Job.owner_id.label("owner_id"),
            func.count(Job.id).filter(Job.state == JobState.RUNNING).label("running"),
            func.max(Job.started_at).label("served"),
        )
        .where(Job.owner_id.is_not(None))
        .group_by(Job.owner_id)
        .subquery()
    )
    return (
        select(Job.id)
        .outerjoin(owners, owners.c.owner_id == Job.owner_id)
        .where(_waiting())
        .order_by(
            func.coalesce(owners.c.running, 0),
            owners.c.served.is_not(None),
            owners.c.served,
            Job.created_at,
            Job.id,
        )
    )


def _claim_and_run(app: Flask, job_id: str, claimable: Any) -> RunResult | None:
    """Run ``job_id`` if this runner can claim it under ``claimable``; None if not."""
    with job_session(app) as session:
        now = utcnow()
        claimed = rows_changed(
            session,
            update(Job)
            .where(Job.id == job_id, claimable)
            .values(
                state=JobState.RUNNING,
                started_at=now,
                heartbeat_at=now,
                progress=0.0,
                attempts=Job.attempts + 1,
                error="",
            )
            .execution_options(synchronize_session=False),
        )
        session.commit()
        if not claimed:
            return None
        job = session.get(Job, job_id)
        if job is None:
            return None
        with job_context(job_id, job.request_id), _Heartbeat(app, job_id, job.attempts):
            return _execute(app, session, job)


def _execute(app: Flask, session: Session, job: Job) -> RunResult:
    job_id, attempt, kind = job.id, job.attempts, job.kind
    function = _TASKS.get(kind)
    if function is None:
        _finish(
            session,
            job_id,
            attempt,
            state=JobState.FAILED,
            error=f"This portal cannot run jobs of kind {kind!r}.",
        )
        return RunResult(Outcome.FAILED)
    context = JobContext(job_id=job_id, session=session, app=app, attempt=attempt)
    log.info("Job %s (%s) started, attempt %d of %d", job_id, kind, attempt, job.max_attempts)
    try:
        result = function(context, **job.payload)
    except JobFailure as failure:
        session.rollback()
        _finish(
            session,
            job_id,
            attempt,
            state=JobState.FAILED,
            error=str(failure),
            result={"url": failure.url} if failure.url else None,
        )
        return RunResult(Outcome.FAILED)
    except TRANSIENT_ERRORS as error:
        session.rollback()
        return _after_transient_error(app, session, job_id, attempt, job.max_attempts, error)
    except Exception as error:  # noqa: BLE001 - the job must end in a state, whatever happened
        session.rollback()
        log.exception("Job %s (%s) failed", job_id, kind)
        _finish(
            session,
            job_id,
            attempt,
            state=JobState.FAILED,
            error=f"Internal error ({type(error).__name__}); the job was not completed.",
        )
        return RunResult(Outcome.FAILED)
    # The task's writes and the "finished" state commit together, fenced on the attempt.
    if not _finish(session, job_id, attempt, state=JobState.FINISHED, result=result):
        log.warning("Job %s lost its claim (taken over as stale); its work is discarded", job_id)
        return RunResult(Outcome.SKIPPED)
    log.info("Job %s (%s) finished", job_id, kind)
    return RunResult(Outcome.FINISHED)


def _after_transient_error(
    app: Flask, session: Session, job_id: str, attempt: int, max_attempts: int, error: BaseException
) -> RunResult:
    reason = f"{type(error).__name__}"
    if attempt >= max_attempts:
        log.error("Job %s gave up after %d attempts: %s", job_id, attempt, error)
        _finish(
            session,
            job_id,
            attempt,
            state=JobState.FAILED,
            error=f"A temporary error ({reason}) persisted over {attempt} attempts; "
            "the job was not completed.",
        )
        return RunResult(Outcome.FAILED)
    delay = app.config["JOB_RETRY_BACKOFF"] * 2 ** (attempt - 1)
    log.warning("Job %s hit a temporary error (%s); retrying in %.1f s", job_id, error, delay)
    session.execute(
        update(Job)
        .where(*_held_by(job_id, attempt))
        .values(
            state=JobState.QUEUED,
            # Not before the back-off has passed: no other turn takes it early.
            heartbeat_at=utcnow() + timedelta(seconds=delay),
            message=f"Waiting to try again after a temporary error "
            f"(attempt {attempt} of {max_attempts}).",
        )
    )
    session.commit()
    return RunResult(Outcome.RETRY, retry_in=delay)


def _finish(
    session: Session,
    job_id: str,
    attempt: int,
    *,
    state: str,
    error: str = "",
    result: dict[str, Any] | None = None,
) -> bool:
    written = rows_changed(
        session,
        update(Job)
        .where(*_held_by(job_id, attempt))
        .values(
            state=state,
            error=error,
            finished_at=utcnow(),
            progress=1.0 if state == JobState.FINISHED else Job.progress,
            result=result or {},
        ),
    )
    if not written:
        session.rollback()
        return False
    session.commit()
    return True


class _Heartbeat:
    """Bump the job's heartbeat on a timer while its task runs, even without progress reports."""

    def __init__(self, app: Flask, job_id: str, attempt: int) -> None:
        self.app, self.job_id, self.attempt = app, job_id, attempt
        self.interval = app.config["JOB_HEARTBEAT_SECONDS"]
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{job_id[:8]}", daemon=True
        )

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with job_session(self.app) as session:
                    session.execute(
                        update(Job)
                        .where(*_held_by(self.job_id, self.attempt))
                        .values(heartbeat_at=utcnow())
                    )
                    session.commit()
            except Exception:  # noqa: BLE001 - a missed beat is harmless; the next one may work
                log.debug("Heartbeat of job %s missed", self.job_id, exc_info=True)


def recover_stale_jobs(app: Flask) -> dict[str, int]:
    """Take back jobs whose runner died, and hand out again jobs nobody picked up.

    A running job with a stale heartbeat is queued again (or failed once it has had
    its attempts); a queued job not handed out for a while (a web process restarted
    with jobs in its thread pool, the broker was down at submit time) is sent again.
    Every change is a conditional UPDATE, so several sweepers at once do no harm.
    """
    stale = _stale_before(app)
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    to_send: list[str] = []
    with job_session(app) as session:
        last_sign = func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at)
        rows = session.execute(
            select(Job.id, Job.state, Job.attempts, Job.max_attempts).where(
                Job.state.in_((JobState.QUEUED, JobState.RUNNING)), last_sign < stale
            )
        ).all()
        for job_id, state, attempts, max_attempts in rows:
            still = (Job.id == job_id, Job.state == state, last_sign < stale)
            if state == JobState.RUNNING and attempts >= max_attempts:
                changed = rows_changed(
                    session,
                    update(Job)
                    .where(*still)
                    .values(
                        state=JobState.FAILED,
                        finished_at=utcnow(),
                        error=f"The process running this job stopped {attempts} times; "
                        "the job was not completed.",
                    ),
                )
                counts["failed"] += changed
            elif state == JobState.RUNNING:
                changed = rows_changed(
                    session,
                    update(Job)
                    .where(*still)
                    .values(
                        state=JobState.QUEUED,
                        heartbeat_at=utcnow(),
                        message="Queued again: the process running it stopped.",
                    ),
                )
                counts["requeued"] += changed
                to_send += [job_id] if changed else []
            else:
                changed = rows_changed(
                    session, update(Job).where(*still).values(heartbeat_at=utcnow())
                )
                counts["resent"] += changed
                to_send += [job_id] if changed else []
            session.commit()
    if counts["requeued"] or counts["failed"] or counts["resent"]:
        log.warning("Recovered stale jobs: %s", counts)
    executor = executor_of(app)
    for job_id in to_send:
        executor.start(app, job_id)
    return counts


class Executor(Protocol):
    def start(self, app: Flask, job_id: str) -> Future | None: ...

    def shutdown(self) -> None: ...


class JobExecutor:
    """Runs jobs on a small thread pool, or synchronously when ``JOBS_INLINE`` is set."""

    def __init__(self, workers: int, inline: bool) -> None:
        self.inline = inline
        self._pool = None if inline else ThreadPoolExecutor(workers, thread_name_prefix="job")

    def start(self, app: Flask, job_id: str) -> Future | None:
        if self._pool is None:
            result = run_job(app, job_id)
            while result.outcome is Outcome.RETRY:
                time.sleep(result.retry_in)
                result = run_job(app, job_id)
            return None
        return self._pool.submit(self._run, app, job_id)

    def _run(self, app: Flask, job_id: str) -> RunResult:
        result = run_next(app, job_id)
        if result.outcome is Outcome.RETRY:
            # Back off without holding a pool thread.
            timer = threading.Timer(result.retry_in, self.start, args=(app, job_id))
            timer.daemon = True
            timer.start()
        return result

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def import_task_modules(app: Flask) -> None:
    """Import the modules named in ``JOB_TASK_MODULES`` so their kinds are registered."""
    names = (part.strip() for part in app.config["JOB_TASK_MODULES"].split(","))
    for name in filter(None, names):
        importlib.import_module(name)
