"""The datasets API with personal tokens: what a script does."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.accounts.tokens import ApiToken
from portal.data.models import Dataset
from portal.jobs.models import Job
from tests.portal.conftest import csrf_token
from tests.portal.data.conftest import GOOD_CSV

METADATA = {
    "title": "Scripted upload",
    "description": "Sent through the API.",
    "licence": "CC0-1.0",
    "conditions": ["Asthma"],
}


def new_token(client, scope: str = "write") -> str:
    response = client.post(
        "/account/tokens",
        data={"csrf_token": csrf_token(client, "/account"), "name": "script", "scope": scope},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return re.search(r'class="hash new-token">(orp_[^<]+)<', response.get_data(as_text=True))[1]


@pytest.fixture
def token(client, auth, make_user) -> str:
    make_user("rita", role=Role.RESEARCHER)
    auth.login("rita")
    plain = new_token(client)
    auth.logout()
    return plain


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def upload(client, token: str, metadata=METADATA, content: bytes = GOOD_CSV):
    return client.post(
        "/api/v1/datasets",
        headers=bearer(token),
        data={"metadata": json.dumps(metadata), "file": (io.BytesIO(content), "trial.csv")},
        content_type="multipart/form-data",
    )


def test_tokens_are_stored_hashed_and_shown_once(client, token, session):
    stored = session.scalar(select(ApiToken))
    assert token not in (stored.digest, stored.hint) and stored.hint == token[:8]
    assert len(stored.digest) == 64


def test_a_script_uploads_publishes_and_lists_a_dataset(client, auth, make_user, token):
    response = upload(client, token)
    assert response.status_code == 202, response.get_json()
    job = client.get(response.get_json()["links"]["job"], headers=bearer(token)).get_json()
    assert job["state"] == "finished" and job["result"]["dataset"] == "scripted-upload"
    version_url = "/api/v1/datasets/scripted-upload/versions/1"
    refused = client.post(f"{version_url}/publish", headers=bearer(token))
    assert refused.status_code == 409
    assert "column 'age' (age)" in refused.get_json()["error"]["message"]
    draft = client.get("/api/v1/datasets/scripted-upload", headers=bearer(token)).get_json()
    waiting = draft["versions"][0]["must_confirm"]
    assert [(f["key"], f["confirmed_by"]) for f in waiting] == [("age:3:age", None)]
    confirmed = client.post(
        f"{version_url}/confirmations", headers=bearer(token), json={"findings": ["age:3:age"]}
    ).get_json()
    assert confirmed["must_confirm"][0]["confirmed_by"] == "rita"
    # Four people, each unique by age: only a curator may let that out, saying why.
    risk = confirmed["reidentification_risk"]
    assert (risk["k"], risk["unique_share"], risk["within_limits"]) == (1, 1.0, False)
    assert client.post(f"{version_url}/publish", headers=bearer(token)).status_code == 409
    assert (
        client.post(
            f"{version_url}/risk-acceptance", headers=bearer(token), json={"reason": "mine"}
        ).status_code
        == 403
    )
    make_user("cora", role=Role.ADMIN)
    auth.login("cora")
    curator = new_token(client)
    auth.logout()
    accepted = client.post(
        f"{version_url}/risk-acceptance",
        headers=bearer(curator),
        json={"reason": "Invented rows for a demonstration; no real person."},
    ).get_json()
    assert accepted["reidentification_risk"]["accepted_by"] == "cora"
    # Publishing cannot be undone: the script must say it read what becomes public.
    unconfirmed = client.post(f"{version_url}/publish", headers=bearer(token))
    assert unconfirmed.status_code == 400
    error = unconfirmed.get_json()["error"]
    assert error["field"] == "confirm" and "cannot be undone" in error["message"]
    assert "4 participants can be singled out by age" in error["message"]
    assert accepted["reidentification_risk"]["in_plain_words"].startswith(
        "4 participants can be singled out by age"
    )
    published = client.post(f"{version_url}/publish", headers=bearer(token), json={"confirm": True})
    assert published.status_code == 200 and published.get_json()["published"] is True
    listing = client.get("/api/v1/datasets?q=scripted").get_json()
    assert [d["slug"] for d in listing["items"]] == ["scripted-upload"]
    detail = client.get("/api/v1/datasets/scripted-upload").get_json()
    assert detail["versions"][0]["rows"] == 4
    assert detail["versions"][0]["downloads"]["original"].endswith(
        "/datasets/scripted-upload/versions/1/download/original"
    )


def test_read_tokens_cannot_write(client, auth, make_user):
    make_user("rita", role=Role.RESEARCHER)
    auth.login("rita")
    read_only = new_token(client, "read")
    auth.logout()
    response = upload(client, read_only)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_revoked_and_unknown_tokens_are_refused(client, auth, token, session):
    assert upload(client, "orp_not-a-real-token").status_code == 401
    auth.login("rita")
    token_id = session.scalar(select(ApiToken.id))
    client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(client, "/account")}
    )
    auth.logout()
    response = upload(client, token)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.get_json() == {
        "error": {
            "code": "invalid_token",
            "field": None,
            "message": "This API token is unknown, revoked or expired, or its account is "
            "closed. Create a new token on your account page.",
        }
    }


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({**METADATA, "licence": "WTFPL"}, "metadata.licence"),
        ({**METADATA, "doi": "nope"}, "metadata.doi"),
        ({"title": "No licence"}, "metadata.description"),
    ],
)
def test_bad_metadata_names_the_field_and_writes_nothing(client, token, session, metadata, field):
    response = upload(client, token, metadata)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field
    assert session.scalar(select(func.count()).select_from(Dataset)) == 0


def test_a_file_that_is_not_a_table_is_refused_before_any_job(client, token, session):
    response = upload(client, token, content=b"\x00\x01\x02" * 1000)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_file" and error["field"] == "file"
    assert "binary" in error["message"].lower()
    assert session.scalar(select(func.count()).select_from(Dataset)) == 0
    assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_cookie_sessions_need_a_csrf_token_on_the_api(client, auth, make_user):
    make_user("rita", role=Role.RESEARCHER)
    auth.login("rita")
    response = client.post("/api/v1/datasets", data={"metadata": json.dumps(METADATA)})
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["error"]["message"]


def test_drafts_are_invisible_to_others_through_the_api(client, token):
    upload(client, token)
    assert client.get("/api/v1/datasets/scripted-upload").status_code == 404
    assert client.get("/api/v1/datasets").get_json()["items"] == []
    assert client.get("/api/v1/datasets/scripted-upload", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("query", ["page=0", "per_page=1000", "page=x"])
def test_bad_pagination_is_a_clear_400(client, query):
    response = client.get(f"/api/v1/datasets?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid"
