"""Jobs on real Celery workers and a real Redis: submitted on the web, run elsewhere, recovered."""

from __future__ import annotations

import re
import time

from portal import db
from portal.accounts.models import Role
from portal.jobs import runner
from tests.portal.conftest import AuthActions
from tests.portal.data.conftest import DatasetActions
from tests.portal.jobs.conftest import job_row, times_counted


def wait_for(check, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_an_upload_on_the_web_is_ingested_by_a_worker_and_shown_on_the_job_page(
    scaled_app, start_worker, make_user
):
    client = scaled_app.test_client()
    make_user("rita", role=Role.RESEARCHER)
    AuthActions(client).login("rita")
    uploads = DatasetActions(client)
    start_worker()

    response = uploads.upload()
    assert response.status_code == 303
    job_url = response.headers["Location"]
    job_id = re.fullmatch(r"/jobs/([0-9a-f]{32})", job_url).group(1)

    # The web process only sent the id: the worker runs it while the page polls the row.
    status = wait_for(
        lambda: (
            (s := client.get("/api/v1" + job_url).get_json())["state"] in ("finished", "failed")
            and s
        ),
        60,
        "the worker to run the job",
    )
    assert status["state"] == "finished", status
    assert status["result"]["url"] == "/datasets/aspirin-after-stroke?version=1"
    assert status["attempts"] == 1
    page = client.get(job_url).get_data(as_text=True)
    assert "finished" in page and "See the result" in page
    dataset = client.get("/datasets/aspirin-after-stroke").get_data(as_text=True)
    assert "4 rows × 4 columns" in dataset
    assert job_row(scaled_app, job_id).request_id, "the submitting request's id is kept"


def test_a_worker_killed_mid_job_is_recovered_and_the_job_counts_once(scaled_app, start_worker):
    first = start_worker()
    with scaled_app.test_request_context():
        session = db.session()
        job = runner.submit(session, "test.slow", {"seconds": 6.0, "marker": "killed"})
        session.commit()
        runner.start(job.id)

    running = wait_for(
        lambda: (
            (row := job_row(scaled_app, job.id)).state == "running" and row.progress > 0 and row
        ),
        120,
        "the first worker to start the job",
    )
    assert running.attempts == 1
    first.kill()  # SIGKILL to the whole worker: no chance to hand the job back

    # Nothing runs it now; the job still says "running" until its heartbeat goes stale.
    assert job_row(scaled_app, job.id).state == "running"
    start_worker()
    done = wait_for(
        lambda: (row := job_row(scaled_app, job.id)).done and row,
        120,
        "the job to be redelivered and finished by the second worker",
    )
    assert done.state == "finished", done.error
    assert done.attempts == 2
    assert done.result == {"marker": "killed", "attempt": 2}
    assert times_counted(scaled_app, "killed") == 1


def test_a_finished_job_delivered_again_is_not_rerun(scaled_app, start_worker):
    start_worker()
    with scaled_app.test_request_context():
        session = db.session()
        job = runner.submit(session, "test.slow", {"seconds": 0.2, "marker": "twice"})
        session.commit()
        runner.start(job.id)
    wait_for(lambda: job_row(scaled_app, job.id).done, 60, "the job to finish")
    with scaled_app.app_context():
        runner.start(job.id)  # a duplicate message, as after a redelivery
    time.sleep(2)
    assert job_row(scaled_app, job.id).attempts == 1
    assert times_counted(scaled_app, "twice") == 1


def test_readyz_checks_the_broker(scaled_app, make_app, scaled_config):
    ready = scaled_app.test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}

    unreachable = make_app(**{**scaled_config, "BROKER_URL": "redis://127.0.0.1:1/0"})
    response = unreachable.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["down"] == ["broker"] and body["database"] == "ok"
