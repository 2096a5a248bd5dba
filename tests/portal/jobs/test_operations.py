"""What operators rely on: request ids, structured logs, pool settings, `portal serve`."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from sqlalchemy import select

from portal import settings
from portal.accounts.models import Role
from portal.db import make_engine
from portal.jobs.celery_app import RUN_TASK, CeleryExecutor, celery_for
from portal.jobs.commands import gunicorn_argv
from portal.jobs.models import Job
from portal.jobs.periodic import PERIODIC
from portal.logging_setup import JsonFormatter, configure, job_context, make_handler
from tests.portal.conftest import AuthActions, csrf_token
from tests.portal.data.conftest import GOOD_CSV, METADATA
from tests.portal.jobs.conftest import ROOT


def test_a_request_id_is_generated_and_echoed(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_an_incoming_request_id_is_honoured_unless_it_is_unsafe(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "edge-42.a:b"}).headers["X-Request-ID"]
        == "edge-42.a:b"
    )
    unsafe = client.get("/healthz", headers={"X-Request-ID": 'x" injected=1'})
    assert unsafe.headers["X-Request-ID"] != 'x" injected=1'
    assert len(unsafe.headers["X-Request-ID"]) == 32


def test_a_job_remembers_the_request_that_submitted_it(app, client, make_user, session):
    make_user("rita", role=Role.RESEARCHER)
    AuthActions(client).login("rita")
    form = {
        **METADATA,
        "csrf_token": csrf_token(client, "/datasets/new"),
        "file": (io.BytesIO(GOOD_CSV), "trial.csv"),
    }
    response = client.post(
        "/datasets/new",
        data=form,
        content_type="multipart/form-data",
        headers={"X-Request-ID": "upload-7"},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    job = session.scalars(select(Job)).one()
    assert (job.request_id, job.state) == ("upload-7", "finished")


def _record(message: str, **extra) -> logging.LogRecord:
    return logging.makeLogRecord(
        {
            "name": "portal.test",
            "levelname": "INFO",
            "levelno": logging.INFO,
            "msg": message,
            **extra,
        }
    )


def test_json_logs_carry_the_job_and_request_ids_and_extra_fields():
    handler = make_handler("json")
    with job_context("job-1", "req-9"):
        record = _record("Job %s finished", args=("job-1",), rows=4)
        assert handler.filter(record)
    entry = json.loads(handler.format(record))
    assert entry["message"] == "Job job-1 finished"
    assert entry["level"] == "INFO" and entry["logger"] == "portal.test"
    assert (entry["job_id"], entry["request_id"], entry["rows"]) == ("job-1", "req-9", 4)
    assert entry["time"].endswith("+00:00")


def test_json_logs_include_the_exception():
    try:
        raise ValueError("bad row")
    except ValueError:
        record = _record("failed", exc_info=sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: bad row" in entry["exception"]


def test_text_logs_name_the_ids_and_unknown_formats_are_refused():
    handler = make_handler("text")
    with job_context("job-2", "req-3"):
        record = _record("hello")
        handler.filter(record)
    assert "[req=req-3 job=job-2] hello" in handler.format(record)
    with pytest.raises(ValueError, match="PORTAL_LOG_FORMAT"):
        configure("xml")


def test_scaling_settings_come_from_the_environment():
    found = settings.from_environment(
        {
            "PORTAL_LOG_FORMAT": "json",
            "PORTAL_DB_POOL_SIZE": "12",
            "PORTAL_DB_MAX_OVERFLOW": "3",
            "PORTAL_DB_POOL_PRE_PING": "false",
            "PORTAL_JOB_MAX_ATTEMPTS": "5",
            "PORTAL_WEB_WORKERS": "4",
            "PORTAL_JOB_STALE_AFTER": "90",
        }
    )
    assert found == {
        "LOG_FORMAT": "json",
        "DB_POOL_SIZE": 12,
        "DB_MAX_OVERFLOW": 3,
        "DB_POOL_PRE_PING": False,
        "JOB_MAX_ATTEMPTS": 5,
        "WEB_WORKERS": 4,
        "JOB_STALE_AFTER": 90.0,
    }


def test_the_connection_pool_is_sized_by_configuration():
    # Building an engine does not connect: no server needed to check its pool.
    engine = make_engine(
        "postgresql+psycopg://portal@127.0.0.1:1/portal",
        12,
        max_overflow=3,
        pool_pre_ping=False,
        pool_recycle=600,
    )
    assert (engine.pool.size(), engine.pool._max_overflow) == (12, 3)
    assert engine.pool._pre_ping is False and engine.pool._recycle == 600
    engine.dispose()


def test_serve_runs_gunicorn_with_the_configured_workers():
    def option(argv: list[str], name: str) -> str:
        return argv[argv.index(name) + 1]

    config = {"WEB_WORKERS": 3, "WEB_THREADS": 8, "WEB_BIND": "0.0.0.0:9000"}
    argv = gunicorn_argv(config)
    assert argv[1:3] == ["-m", "gunicorn"] and argv[-1] == "portal.app:create_app()"
    assert [option(argv, name) for name in ("--workers", "--threads", "--bind")] == [
        "3",
        "8",
        "0.0.0.0:9000",
    ]
    argv = gunicorn_argv(config, workers=1, bind="127.0.0.1:1")
    assert [option(argv, name) for name in ("--workers", "--threads", "--bind")] == [
        "1",
        "8",
        "127.0.0.1:1",
    ]


def test_worker_and_beat_refuse_to_start_without_a_broker(runner):
    for command in ("worker", "beat"):
        result = runner.invoke(args=[command])
        assert result.exit_code != 0
        assert "PORTAL_BROKER_URL is not set" in result.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_portal_serve_answers_from_several_gunicorn_workers(database_url, tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        {
            "PORTAL_DATABASE_URL": database_url,
            "PORTAL_INSTANCE_PATH": str(tmp_path),
            "PORTAL_LOG_FORMAT": "json",
            "PYTHONPATH": str(ROOT),
        }
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from portal.cli import main; main()",
            "serve",
            "--workers",
            "2",
            "--threads",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        pids, ready = set(), None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (len(pids) < 2 or ready is None):
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/readyz", headers={"X-Request-ID": "probe-1"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    ready = (
                        response.status,
                        json.loads(response.read()),
                        response.headers["X-Request-ID"],
                    )
                pids |= _worker_pids(server.pid)
            except OSError:
                time.sleep(0.2)
        assert ready == (200, {"status": "ok", "database": "ok"}, "probe-1")
        assert len(pids) == 2, "gunicorn runs the configured number of workers"
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    assert "rid=probe-1" in output, "the access log names the request id: " + output[-2000:]


def _worker_pids(master: int) -> set[int]:
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return {int(pid) for pid in children.stdout.split()}


def test_celery_gets_the_delivery_guarantees_and_the_one_periodic_list(make_app):
    app = make_app(
        JOBS_INLINE=False, BROKER_URL="redis://127.0.0.1:1/0", BROKER_VISIBILITY_TIMEOUT=42
    )
    assert isinstance(app.extensions["portal.jobs"], CeleryExecutor)
    celery = celery_for(app)
    conf = celery.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options == {"visibility_timeout": 42}
    assert {name: entry["schedule"] for name, entry in conf.beat_schedule.items()} == {
        entry.name: entry.every for entry in PERIODIC
    }
    assert RUN_TASK in celery.tasks
    assert all(f"portal.periodic.{entry.name}" in celery.tasks for entry in PERIODIC)
