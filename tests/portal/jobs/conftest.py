"""Real services for the job tests: Redis, and `portal worker` processes started here.

With PORTAL_TEST_REDIS_URL set (CI sets it), the broker tests run against that Redis
database, which they empty before and after each test. Without it they are skipped,
except under CI=true, where a missing or unreachable Redis fails them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from portal import db
from portal.audit import AuditEvent
from portal.jobs.models import Job
from tests.portal.jobs.slow_tasks import COUNTED

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "")
IN_CI = os.environ.get("CI") == "true"
ROOT = Path(__file__).resolve().parents[3]
SLOW_TASKS = "tests.portal.jobs.slow_tasks"

# Short timings so a dead worker is noticed in seconds, not minutes.
FAST_RECOVERY = {
    "JOB_HEARTBEAT_SECONDS": 0.5,
    "JOB_STALE_AFTER": 3.0,
    "JOB_RETRY_BACKOFF": 0.2,
    "BROKER_VISIBILITY_TIMEOUT": 4,
}


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not REDIS_URL:
        if IN_CI:
            pytest.fail(
                "CI=true but PORTAL_TEST_REDIS_URL is not set: the job tests must run "
                "against a real Redis in CI."
            )
        pytest.skip("set PORTAL_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to run with Redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.fail(
            f"PORTAL_TEST_REDIS_URL is set but Redis cannot be reached at {REDIS_URL}: "
            f"{type(error).__name__}: {error}"
        )
    return REDIS_URL


@pytest.fixture
def broker(redis_url: str) -> Iterator[str]:
    """The test Redis database, emptied before and after: no message leaks between tests."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()
    client.close()


@pytest.fixture
def scaled_config(app_config: dict, broker: str) -> dict:
    """Settings shared by the web app and the workers of one test, like a deployment's."""
    return {
        **app_config,
        **FAST_RECOVERY,
        "BROKER_URL": broker,
        "JOBS_INLINE": False,
        "JOB_TASK_MODULES": SLOW_TASKS,
    }


@pytest.fixture
def scaled_app(make_app, scaled_config: dict) -> Flask:
    return make_app(**scaled_config)


class Worker:
    """One `portal worker` process (in its own process group, so it can be killed whole)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from portal.cli import main; main()",
                "worker",
                "--concurrency=1",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"the worker did not start:\n{self.output()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def worker_environment(config: dict, instance: Path) -> dict[str, str]:
    """What a worker machine's environment holds: the shared settings, its own instance folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    shared = ("DATABASE_URL", "DATA_DIR", "BROKER_URL", "JOB_TASK_MODULES", *FAST_RECOVERY)
    env.update({f"PORTAL_{key}": str(config[key]) for key in shared})
    env.update(
        {
            "PORTAL_INSTANCE_PATH": str(instance),
            "PORTAL_WORKER_POOL": "prefork",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
    )
    return env


@pytest.fixture
def start_worker(
    scaled_app: Flask, scaled_config: dict, tmp_path: Path
) -> Iterator[Callable[[], Worker]]:
    """Start workers on the test's database and broker; all are stopped after the test."""
    workers: list[Worker] = []

    def start() -> Worker:
        number = len(workers) + 1
        env = worker_environment(scaled_config, tmp_path / f"worker{number}")
        worker = Worker(env, tmp_path / f"worker{number}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.stop()


def job_row(app: Flask, job_id: str) -> Job:
    """The job as the database has it now (a fresh session, not the app's)."""
    with app.app_context():
        session = db.new_session()
        try:
            return session.get(Job, job_id)
        finally:
            session.close()


def times_counted(app: Flask, marker: str) -> int:
    """How many times a test task's work with ``marker`` was committed."""
    with app.app_context():
        session = db.new_session()
        try:
            return session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == COUNTED, AuditEvent.subject == marker)
            )
        finally:
            session.close()
