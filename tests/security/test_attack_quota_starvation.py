"""One member queues a backlog of heavy jobs; another member's small job must not wait
for all of it. Checked on both backends: the web process's thread pool, and real
`portal worker` processes on Redis (PORTAL_TEST_REDIS_URL).

Each backend gets one runner, so jobs start one after another and the order in which
they started is the order of their ``started_at``. The jobs hold their runner until
the test opens a gate, so every job is queued before the first one ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal import db
from portal.jobs import runner
from portal.jobs.models import Job
from tests.portal.jobs.conftest import (  # noqa: F401 - fixtures
    FAST_RECOVERY,
    SLOW_TASKS,
    Worker,
    broker,
    redis_url,
    worker_environment,
)

TASKS = f"{SLOW_TASKS},tests.security.starvation_tasks"
BACKLOG = 5


def queue(app: Flask, owner_id: int, marker: str, gate: Path) -> None:
    with app.test_request_context():
        session = db.session()
        job = runner.submit(
            session, "test.gated", {"gate": str(gate), "marker": marker}, owner_id=owner_id
        )
        session.commit()
        runner.start(job.id)


def start_order(app: Flask, expected: int) -> list[str]:
    """The markers of the jobs in the order they started, once all have finished."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with app.app_context():
            session = db.new_session()
            try:
                jobs = session.scalars(select(Job).order_by(Job.started_at)).all()
            finally:
                session.close()
        if len(jobs) == expected and all(job.done for job in jobs):
            assert all(job.state == "finished" for job in jobs), [j.error for j in jobs]
            return [job.payload["marker"] for job in jobs]
        time.sleep(0.1)
    raise AssertionError("the jobs did not all finish")


def attack(app: Flask, make_user, gate: Path) -> list[str]:
    alice = make_user("alice")
    bob = make_user("bob")
    for number in range(BACKLOG):
        queue(app, alice, f"alice-{number}", gate)
    queue(app, bob, "bob", gate)
    gate.touch()
    return start_order(app, BACKLOG + 1)


def test_a_backlog_on_the_web_process_thread_pool_does_not_starve_another_member(
    make_app, make_user, tmp_path
):
    app = make_app(
        JOBS_INLINE=False, JOB_WORKERS=1, JOB_TASK_MODULES=TASKS, JOBS_ACTIVE_PER_USER=10
    )
    order = attack(app, make_user, tmp_path / "gate")
    # Bob's job starts as soon as the runner is free, not after Alice's backlog.
    assert order == ["alice-0", "bob", "alice-1", "alice-2", "alice-3", "alice-4"]


@pytest.fixture
def worker_app(make_app, app_config: dict, broker: str, tmp_path: Path) -> Iterator[Flask]:  # noqa: F811
    config = {
        **app_config,
        **FAST_RECOVERY,
        "BROKER_URL": broker,
        "JOBS_INLINE": False,
        "JOB_TASK_MODULES": TASKS,
        "JOBS_ACTIVE_PER_USER": 10,
    }
    app = make_app(**config)
    worker = Worker(worker_environment(config, tmp_path / "worker"), tmp_path / "worker.log")
    try:
        worker.wait_ready()
        yield app
    finally:
        worker.stop()


def test_a_backlog_on_celery_workers_does_not_starve_another_member(
    worker_app, make_user, tmp_path
):
    order = attack(worker_app, make_user, tmp_path / "gate")
    assert order == ["alice-0", "bob", "alice-1", "alice-2", "alice-3", "alice-4"]
