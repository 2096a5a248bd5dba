"""A member tries to take the server for themselves: floods of uploads and analyses,
a queue full of their jobs, and storage filled with their files."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role, User
from portal.data.models import DatasetVersion
from portal.jobs.models import Job, JobState
from tests.portal.api.conftest import bearer
from tests.portal.conftest import csrf_token
from tests.portal.data.conftest import GOOD_CSV, DatasetActions

API_METADATA = {
    "title": "Scripted upload",
    "description": "Sent through the API.",
    "licence": "CC0-1.0",
    "conditions": ["Asthma"],
}


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {
        **app_config,
        "UPLOAD_RATE_LIMIT": "4 per hour",
        "ANALYSIS_RATE_LIMIT": "2 per hour",
        "JOBS_ACTIVE_PER_USER": 3,
        "STORAGE_PER_USER_MB": 1,
    }


@pytest.fixture
def rita(make_user, auth, client) -> DatasetActions:
    """A researcher, signed in on the upload page."""
    make_user("rita", role=Role.RESEARCHER)
    auth.login("rita")
    return DatasetActions(client)


def queue_jobs(session, username: str, count: int) -> None:
    """Jobs of ``username`` that are waiting, as if the workers were all busy."""
    owner = session.scalar(select(User).where(User.username == username))
    for _ in range(count):
        session.add(Job(id=uuid.uuid4().hex, kind="analysis.run", owner_id=owner.id))
    session.commit()


def incoming_files(app) -> list[Path]:
    folder = Path(app.config["DATA_DIR"]) / "incoming"
    return sorted(folder.iterdir()) if folder.exists() else []


def api_upload(client, token: str, content: bytes = GOOD_CSV):
    return client.post(
        "/api/v1/datasets",
        headers=bearer(token),
        data={
            "metadata": json.dumps(API_METADATA),
            "file": (io.BytesIO(content), "trial.csv"),
        },
        content_type="multipart/form-data",
    )


def test_a_member_with_a_full_queue_is_told_to_wait_on_the_pages_and_the_api(
    app, rita: DatasetActions, session, make_user, token_for
):
    queue_jobs(session, "rita", 3)

    page = rita.upload()
    assert page.status_code == 429
    text = page.get_data(as_text=True)
    assert "You have 3 jobs waiting or running" in text
    assert "try again when one finishes" in text
    assert "Aspirin after stroke" in text, "the form keeps what the member typed"
    assert incoming_files(app) == [], "a refused upload leaves no file behind"

    token = token_for(session.scalar(select(User).where(User.username == "rita")))
    answer = api_upload(app.test_client(), token)
    assert answer.status_code == 429
    error = answer.get_json()["error"]
    assert error["code"] == "too_many_jobs"
    assert error["message"].startswith("You have 3 jobs waiting or running")
    assert incoming_files(app) == []

    # Another member's upload is not held up by rita's queue.
    make_user("sam", role=Role.RESEARCHER)
    other = token_for(session.scalar(select(User).where(User.username == "sam")))
    assert api_upload(app.test_client(), other).status_code == 202

    # Once one of rita's jobs ends she may queue another.
    first = session.scalars(select(Job).where(Job.state == JobState.QUEUED)).first()
    first.state = JobState.FINISHED
    session.commit()
    assert api_upload(app.test_client(), token).status_code == 202


def test_uploads_are_rate_limited_per_account_across_pages_and_api(
    app, rita: DatasetActions, session, token_for
):
    token = token_for(session.scalar(select(User).where(User.username == "rita")))
    for number in range(2):
        assert rita.upload(title=f"Trial number {number}").status_code == 303
    for _ in range(2):
        assert api_upload(app.test_client(), token).status_code == 202
    page = rita.upload(title="One upload too many")
    assert page.status_code == 429
    answer = api_upload(app.test_client(), token)
    assert answer.status_code == 429
    assert answer.get_json()["error"]["code"] == "too_many_requests"


def test_analyses_are_rate_limited_per_account(app, make_user, session, token_for):
    make_user("ana", role=Role.RESEARCHER)
    token = token_for(session.scalar(select(User).where(User.username == "ana")))
    client = app.test_client()
    body = {
        "title": "An analysis of a dataset that is not there",
        "kind": "aggregate",
        "datasets": [{"slug": "no-such-dataset", "version": 1}],
        "measure": "RR",
    }
    for _ in range(2):
        assert client.post("/api/v1/analyses", headers=bearer(token), json=body).status_code < 429
    answer = client.post("/api/v1/analyses", headers=bearer(token), json=body)
    assert answer.status_code == 429
    assert answer.get_json()["error"]["code"] == "too_many_requests"


def test_a_member_cannot_fill_the_disk_beyond_their_storage(app, rita: DatasetActions, session):
    rows = b"".join(b"%d,treatment,%d,1\n" % (n, 40 + n % 40) for n in range(18_000))
    big = b"patient_id,arm,age,outcome\n" + rows
    assert 350_000 < len(big) < 500_000
    for number in range(2):
        upload = rita.upload(big, f"part{number}.csv", title=f"Trial part {number}")
        assert rita.follow_job(upload)["state"] == "finished"

    page = rita.upload(big, "part3.csv", title="One part too many")
    assert page.status_code == 413
    text = page.get_data(as_text=True)
    assert "would take your uploads past the 1 MB each member may store" in text
    assert "One part too many" in text, "the form keeps what the member typed"
    assert incoming_files(app) == []
    assert session.scalar(select(func.count()).select_from(DatasetVersion)) == 2


def test_a_full_queue_keeps_the_corrected_data_dictionary_on_its_page(
    client, rita: DatasetActions, session
):
    assert rita.follow_job(rita.upload())["state"] == "finished"
    before = session.scalar(select(DatasetVersion)).schema
    queue_jobs(session, "rita", 3)
    url = "/datasets/aspirin-after-stroke/versions/1/schema"
    form = {"csrf_token": csrf_token(client, url), "field-2-unit": "years of age"}
    page = client.post(url, data=form)
    assert page.status_code == 429
    text = page.get_data(as_text=True)
    assert "You have 3 jobs waiting or running" in text
    assert 'value="years of age"' in text, "the member's correction is still on the page"
    session.expire_all()
    assert session.scalar(select(DatasetVersion)).schema == before
