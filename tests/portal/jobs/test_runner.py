"""The job runner's guarantees, on any backend: one claim, retries, recovery, counted once."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest

from portal import db
from portal.db import utcnow
from portal.jobs import periodic, runner
from portal.jobs.models import Job
from portal.jobs.periodic import Periodic, prune_finished_jobs
from portal.jobs.runner import Outcome, recover_stale_jobs, run_job
from portal.jobs.scheduler import Scheduler
from tests.portal.jobs.conftest import FAST_RECOVERY, SLOW_TASKS, job_row, times_counted


@pytest.fixture
def job_app(make_app):
    return make_app(**{**FAST_RECOVERY, "JOB_RETRY_BACKOFF": 0.01}, JOB_TASK_MODULES=SLOW_TASKS)


def submit(app, kind: str, **payload) -> str:
    with app.test_request_context():
        session = db.session()
        job = runner.submit(session, kind, payload)
        session.commit()
        return job.id


def change(app, job_id: str, **values) -> None:
    with app.app_context():
        session = db.new_session()
        job = session.get(Job, job_id)
        for name, value in values.items():
            setattr(job, name, value)
        session.commit()
        session.close()


def test_a_transient_error_is_retried_with_back_off_until_it_succeeds(job_app):
    job_id = submit(job_app, "test.flaky", failures=2, marker="flaky")
    with job_app.app_context():
        runner.start(job_id)  # inline: retries after the back-off, in this thread
    job = job_row(job_app, job_id)
    assert (job.state, job.attempts) == ("finished", 3)
    assert job.result == {"marker": "flaky", "attempt": 3}
    assert times_counted(job_app, "flaky") == 1


def test_a_transient_error_that_persists_fails_the_job_after_max_attempts(job_app):
    job_id = submit(job_app, "test.flaky", failures=99, marker="never")
    with job_app.app_context():
        runner.start(job_id)
    job = job_row(job_app, job_id)
    assert (job.state, job.attempts) == ("failed", 3)
    assert "persisted over 3 attempts" in job.error
    assert times_counted(job_app, "never") == 0


def test_the_first_transient_error_queues_the_job_again_with_a_delay(job_app):
    job_id = submit(job_app, "test.flaky", failures=1, marker="once")
    result = run_job(job_app, job_id)
    assert result.outcome is Outcome.RETRY
    assert result.retry_in == pytest.approx(0.01)
    job = job_row(job_app, job_id)
    assert job.state == "queued" and "temporary error" in job.message


def test_a_second_delivery_of_a_finished_job_is_skipped_and_not_counted(job_app):
    job_id = submit(job_app, "test.slow", seconds=0.05, marker="done")
    assert run_job(job_app, job_id).outcome is Outcome.FINISHED
    assert run_job(job_app, job_id).outcome is Outcome.SKIPPED
    assert job_row(job_app, job_id).attempts == 1
    assert times_counted(job_app, "done") == 1


def test_a_delivery_while_another_runner_is_alive_is_told_to_come_back(job_app):
    job_id = submit(job_app, "test.slow", seconds=0.05, marker="busy")
    change(job_app, job_id, state="running", attempts=1, heartbeat_at=utcnow())
    result = run_job(job_app, job_id)
    assert result.outcome is Outcome.BUSY
    assert result.retry_in == FAST_RECOVERY["JOB_STALE_AFTER"]
    assert times_counted(job_app, "busy") == 0


def test_a_runner_that_lost_its_claim_cannot_finish_the_job(job_app):
    job_id = submit(job_app, "test.slow", seconds=0.05, marker="zombie")
    # Another runner took the job over (attempt 2) while this one, attempt 1, still worked.
    change(job_app, job_id, state="running", attempts=2, heartbeat_at=utcnow())
    with job_app.app_context():
        session = db.new_session()
        assert runner._finish(session, job_id, 1, state="finished", result={}) is False
        session.close()
    assert job_row(job_app, job_id).state == "running"


def test_the_sweep_takes_back_a_job_whose_runner_died_and_runs_it(job_app):
    job_id = submit(job_app, "test.slow", seconds=0.05, marker="swept")
    change(
        job_app,
        job_id,
        state="running",
        attempts=1,
        started_at=utcnow() - timedelta(hours=1),
        heartbeat_at=utcnow() - timedelta(minutes=10),
    )
    counts = recover_stale_jobs(job_app)  # inline executor: the requeued job runs now
    assert counts == {"requeued": 1, "failed": 0, "resent": 0}
    job = job_row(job_app, job_id)
    assert (job.state, job.attempts) == ("finished", 2)
    assert times_counted(job_app, "swept") == 1


def test_the_sweep_fails_a_job_whose_runners_died_too_often(job_app):
    job_id = submit(job_app, "test.slow", seconds=0.05, marker="doomed")
    change(
        job_app, job_id, state="running", attempts=3, heartbeat_at=utcnow() - timedelta(minutes=10)
    )
    assert recover_stale_jobs(job_app) == {"requeued": 0, "failed": 1, "resent": 0}
    job = job_row(job_app, job_id)
    assert job.state == "failed" and "stopped 3 times" in job.error
    assert job.finished_at is not None


def test_the_sweep_resends_a_queued_job_nobody_picked_up_and_leaves_live_ones(job_app):
    lost = submit(job_app, "test.slow", seconds=0.05, marker="lost")
    change(job_app, lost, heartbeat_at=utcnow() - timedelta(minutes=10))
    alive = submit(job_app, "test.slow", seconds=0.05, marker="alive")
    change(job_app, alive, state="running", attempts=1, heartbeat_at=utcnow())
    assert recover_stale_jobs(job_app) == {"requeued": 0, "failed": 0, "resent": 1}
    assert job_row(job_app, lost).state == "finished"
    assert job_row(job_app, alive).state == "running"


def test_a_running_task_keeps_its_heartbeat_fresh_without_progress_reports(make_app):
    app = make_app(JOB_HEARTBEAT_SECONDS=0.05, JOB_TASK_MODULES=SLOW_TASKS)
    job_id = submit(app, "test.flaky", failures=0, marker="beat")
    before = job_row(app, job_id).heartbeat_at
    with app.app_context(), runner._Heartbeat(app, job_id, attempt=0):
        change(app, job_id, state="running", attempts=0)
        time.sleep(0.5)
    assert job_row(app, job_id).heartbeat_at > before


def test_pruning_deletes_only_old_finished_jobs(job_app):
    old = submit(job_app, "test.slow", seconds=0.05, marker="old")
    recent = submit(job_app, "test.slow", seconds=0.05, marker="recent")
    queued = submit(job_app, "test.slow", seconds=0.05, marker="queued")
    change(job_app, old, state="finished", finished_at=utcnow() - timedelta(days=31))
    change(job_app, recent, state="finished", finished_at=utcnow() - timedelta(days=1))
    change(job_app, queued, created_at=utcnow() - timedelta(days=60))
    assert prune_finished_jobs(job_app) == 1
    assert job_row(job_app, old) is None
    assert job_row(job_app, recent) is not None and job_row(job_app, queued) is not None


def test_one_failing_periodic_task_does_not_stop_the_others(job_app):
    calls: list[str] = []

    def broken(_app):
        calls.append("broken")
        raise RuntimeError("boom")

    scheduler = Scheduler(
        job_app,
        (Periodic("broken", broken, 10), Periodic("works", lambda _app: calls.append("works"), 10)),
    )
    due: dict[str, float] = {}
    scheduler.run_due(due, now=100.0)
    scheduler.run_due(due, now=105.0)  # not due again yet
    scheduler.run_due(due, now=111.0)
    assert calls == ["broken", "works", "broken", "works"]


@pytest.fixture
def root_logging():
    """Apps built with TESTING off install the portal's log handler: put things back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_periodic_list_holds_the_sweep_and_the_embedded_scheduler_starts_on_first_request(
    make_app, root_logging
):
    testing = make_app()
    listed = {entry.name for entry in periodic.entries(testing)}
    assert listed >= {"jobs.recover_stale", "jobs.prune_finished", "play.recut_puzzles"}
    assert "portal.scheduler" not in testing.extensions
    embedded = make_app(TESTING=False, JOBS_INLINE=False)
    scheduler = embedded.extensions["portal.scheduler"]
    assert not scheduler.running, "CLI commands must not start it"
    embedded.test_client().get("/healthz")
    try:
        assert scheduler.running
    finally:
        scheduler.stop()
        embedded.extensions["portal.jobs"].shutdown()
    with_broker = make_app(TESTING=False, JOBS_INLINE=False, BROKER_URL="redis://127.0.0.1:1/0")
    assert "portal.scheduler" not in with_broker.extensions, "Celery beat runs it instead"


def test_a_job_waiting_out_its_back_off_is_not_taken_early_by_another_turn(make_app):
    app = make_app(**{**FAST_RECOVERY, "JOB_RETRY_BACKOFF": 600.0}, JOB_TASK_MODULES=SLOW_TASKS)
    flaky = submit(app, "test.flaky", failures=1, marker="patient")
    assert run_job(app, flaky).outcome is Outcome.RETRY
    done = submit(app, "test.slow", seconds=0.01, marker="other")
    assert runner.run_next(app, done).outcome is Outcome.FINISHED
    # A turn left over (its job already ran) finds only the job in back-off: it waits.
    assert runner.run_next(app, done).outcome is Outcome.SKIPPED
    assert job_row(app, flaky).state == "queued"
    assert times_counted(app, "patient") == 0
