"""My work: a researcher's drafts, failed uploads and analyses, reachable without their
addresses, and a failed upload tried again with everything typed kept."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.data.models import Dataset
from portal.jobs.models import Job, JobState
from portal.reanalysis.models import AnalysisRun, RunStatus
from tests.portal.reanalysis.conftest import BCG_CSV, Sharing

METADATA = {
    "title": "Survival after adjuvant chemotherapy",
    "description": "Participant data of a colon cancer trial.",
    "licence": "CC-BY-4.0",
    "level": "participant",
    "conditions": ["Colon cancer"],
    "interventions": ["Levamisole", "Fluorouracil"],
    "outcomes": ["Death"],
    "citation": "Moertel CG et al. 1990.",
}


def _failed_upload(session, owner_id: int) -> Job:
    job = Job(
        id="f" * 32,
        kind="dataset.ingest",
        state=JobState.FAILED,
        owner_id=owner_id,
        error="The file is not a table: it looks like a PNG image.",
        payload={"filename": "trial.csv", "user_id": owner_id, "metadata": METADATA},
    )
    session.add(job)
    session.commit()
    return job


def test_my_work_lists_drafts_failed_uploads_and_analyses(client, auth, make_user, session):
    sharing = Sharing(client, auth, make_user)
    published = sharing.share("BCG vaccine trials", BCG_CSV)
    draft = sharing.share("Interim data, not yet checked", BCG_CSV, publish=False)
    make_user("rosa", role=Role.RESEARCHER)  # another researcher sees none of it
    owner_id = session.scalar(select(User.id).where(User.username == "rita"))
    job = _failed_upload(session, owner_id)
    session.add(
        AnalysisRun(
            owner_id=owner_id,
            title="Pooled risk ratio that failed",
            kind="aggregate",
            status=RunStatus.FAILED,
            error="Study 3: the control arm is empty.",
        )
    )
    session.commit()

    auth.login("rita")
    page = client.get("/my-work").get_data(as_text=True)
    words = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert (
        "3 things need you: 1 draft to publish or fix, 1 upload to try again, "
        "1 analysis that failed." in words
    )
    assert f'href="/datasets/{draft}">Interim data, not yet checked</a>' in page
    assert "Survival after adjuvant chemotherapy" in page and "looks like a PNG" in page
    assert "Pooled risk ratio that failed" in page and "control arm is empty" in page
    published_part = page.split('id="published-heading"')[1]
    assert f'href="/datasets/{published}"' in published_part
    assert 'href="/my-work"' in client.get("/").get_data(as_text=True), "in the header"

    retry = client.get(f"/datasets/new?from_job={job.id}").get_data(as_text=True)
    assert 'value="Survival after adjuvant chemotherapy"' in retry
    assert "Participant data of a colon cancer trial." in retry
    assert 'value="Levamisole; Fluorouracil"' in retry
    auth.logout()

    auth.login("rosa")
    assert "Survival after adjuvant" not in client.get("/my-work").get_data(as_text=True)
    other = client.get(f"/datasets/new?from_job={job.id}")
    assert "Survival after adjuvant" not in other.get_data(as_text=True)


def test_my_work_needs_an_account(client):
    response = client.get("/my-work")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_failed_job_page_speaks_plain_words_and_offers_the_way_back(
    client, auth, make_user, session
):
    owner_id = make_user("rita", role=Role.RESEARCHER)
    job = _failed_upload(session, owner_id)
    auth.login("rita")
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    failed = "The upload of “Survival after adjuvant chemotherapy” did not go through"
    assert f"<title>{failed}" in page and "dataset.ingest" not in page
    assert f">{failed}</h1>" in page and "looks like a PNG" in page
    # What was typed is on the page, and the way back fills it in again.
    kept = page.split('id="kept-heading"')[1]
    for typed in (
        "Participant data of a colon cancer trial.",
        "CC-BY-4.0",
        "Levamisole; Fluorouracil",
        "Moertel CG et al. 1990.",
        "individual participants",
    ):
        assert typed in kept, typed
    assert f'href="/datasets/new?from_job={job.id}">Upload a new file for the same draft' in page
    assert 'href="/my-work">Back to my work' in page
    form = client.get(f"/datasets/new?from_job={job.id}").get_data(as_text=True)
    assert "It failed because: The file is not a table" in form and "(it was trial.csv)" in form
    assert 'value="Survival after adjuvant chemotherapy"' in form
    assert '<option selected value="participant">' in form


def test_a_failed_new_version_keeps_its_change_note(client, auth, make_user, session):
    sharing = Sharing(client, auth, make_user)
    slug = sharing.share("BCG vaccine trials", BCG_CSV, publish=False)
    dataset_id = session.scalar(select(Dataset.id).where(Dataset.slug == slug))
    owner_id = session.scalar(select(User.id).where(User.username == "rita"))
    job = Job(
        id="e" * 32,
        kind="dataset.ingest",
        state=JobState.FAILED,
        owner_id=owner_id,
        error="'bcg.csv' contains NUL bytes at line 9; it is not a text table.",
        payload={
            "filename": "bcg.csv",
            "dataset_id": dataset_id,
            "change_note": "Two trials added.",
        },
    )
    session.add(job)
    session.commit()
    auth.login("rita")
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    retry = f"/datasets/{slug}/versions/new?from_job={job.id}"
    assert f'href="{retry}">Upload a new file with the same change note' in page
    form = client.get(retry).get_data(as_text=True)
    assert "Two trials added.</textarea>" in form and "NUL bytes at line 9" in form
    auth.logout()
    make_user("rosa", role=Role.RESEARCHER)
    auth.login("rosa")
    assert "Two trials added." not in client.get(f"/jobs/{job.id}").get_data(as_text=True)
