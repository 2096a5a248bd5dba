from __future__ import annotations

import io
import re

import pytest

from portal.accounts.models import Role
from tests.portal.conftest import csrf_token

GOOD_CSV = (
    b"patient_id,arm,age,outcome\n"
    b"1,treatment,54,1\n"
    b"2,control,61,0\n"
    b"3,treatment,47,0\n"
    b"4,control,70,1\n"
)

METADATA = {
    "title": "Aspirin after stroke",
    "description": "A small participant-level trial, invented for the tests.",
    "licence": "CC-BY-4.0",
    "level": "participant",
    "study_design": "randomised-controlled-trial",
    "conditions": "Stroke; Atrial fibrillation",
    "interventions": "Aspirin",
    "comparator": "Placebo",
    "outcomes": "Recurrent stroke",
    "n_participants": "4",
    "registry_ids": "NCT01234567",
    "citation": "",
    "doi": "",
    "contact": "trialist@example.org",
    "keywords": "stroke; antiplatelet",
}


class DatasetActions:
    def __init__(self, client) -> None:
        self.client = client

    def upload(self, content: bytes = GOOD_CSV, filename: str = "trial.csv", **overrides):
        data = {
            **METADATA,
            **overrides,
            "csrf_token": csrf_token(self.client, "/datasets/new"),
            "file": (io.BytesIO(content), filename),
        }
        return self.client.post("/datasets/new", data=data, content_type="multipart/form-data")

    def upload_version(self, slug: str, content: bytes, note: str = "More rows."):
        url = f"/datasets/{slug}/versions/new"
        data = {
            "csrf_token": csrf_token(self.client, url),
            "change_note": note,
            "file": (io.BytesIO(content), "trial-v2.csv"),
        }
        return self.client.post(url, data=data, content_type="multipart/form-data")

    def follow_job(self, response) -> dict:
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        job_url = response.headers["Location"]
        assert re.match(r"^/jobs/[0-9a-f]{32}$", job_url), job_url
        return self.client.get("/api/v1" + job_url).get_json()

    def publish(self, slug: str, number: int):
        token = csrf_token(self.client, f"/datasets/{slug}?version={number}")
        return self.client.post(
            f"/datasets/{slug}/versions/{number}/publish", data={"csrf_token": token}
        )


@pytest.fixture
def researcher(make_user, auth):
    make_user("rita", role=Role.RESEARCHER)
    auth.login("rita")
    return "rita"


@pytest.fixture
def data_actions(client) -> DatasetActions:
    return DatasetActions(client)
