from __future__ import annotations

import html
import io
import re

import pytest

from portal.accounts.models import Role
from tests.portal.fixtures import CSRF_PATTERN, csrf_token

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

    def confirm(self, slug: str, number: int, keys: list[str] | None = None):
        """Tick the findings waiting for a person on the version page (all of them
        unless ``keys`` are given) and confirm them."""
        page = self.client.get(f"/datasets/{slug}?version={number}").get_data(as_text=True)
        if keys is None:
            keys = [html.unescape(k) for k in re.findall(r'name="findings" value="([^"]+)"', page)]
        token = CSRF_PATTERN.search(page)
        assert token, "no form on the version page"
        return self.client.post(
            f"/datasets/{slug}/versions/{number}/confirm",
            data={"csrf_token": token.group(1), "findings": keys},
        )

    def publish(self, slug: str, number: int, *, confirm: bool = True):
        """Publish a version, first confirming what waits for a person (as its owner
        would) unless ``confirm`` is off."""
        if confirm:
            self.confirm(slug, number)
        url = f"/datasets/{slug}/versions/{number}/publish"
        token = csrf_token(self.client, f"/datasets/{slug}?version={number}")
        return self.client.post(url, data={"csrf_token": token, "confirm": "y"})


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """These tests follow uploads and downloads of tiny files, whose few rows are all
    unique: the re-identification limits are tested in tests/security."""
    return {**app_config, "REID_MIN_K": 1, "REID_MAX_UNIQUE_SHARE": 1.0}


@pytest.fixture
def researcher(make_user, auth):
    make_user("rita", role=Role.RESEARCHER)
    auth.login("rita")
    return "rita"


@pytest.fixture
def data_actions(client) -> DatasetActions:
    return DatasetActions(client)
