"""An outsider sends NUL characters (``%00``) in addresses, queries, forms and JSON.

PostgreSQL refuses a NUL in any text it stores or compares, so each one used to be a
server error. Every one must be a 400 that says where the NUL was, and nothing stored.
"""

from __future__ import annotations

import io
import json
import re

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.community.questions.models import Question
from portal.data.models import Dataset
from tests.portal.api.conftest import bearer
from tests.portal.community.conftest import form_data, pico
from tests.portal.conftest import csrf_token
from tests.portal.data.conftest import GOOD_CSV


def anonymous_get_paths(app) -> list[str]:
    """Every GET route, its variable parts filled with text holding a NUL."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "a%00b", rule.rule)
        if path == rule.rule:
            path = path.rstrip("/") + "/%00"
        paths.append(path)
    return sorted(set(paths))


def assert_refused(response, field: str) -> None:
    assert response.status_code == 400, (response.request.path, response.status_code)
    text = response.get_data(as_text=True)
    assert "NUL" in text, text[:300]
    if response.is_json:
        assert response.get_json()["error"]["field"] == field


def test_a_nul_in_any_address_is_a_400(app, client):
    paths = anonymous_get_paths(app)
    assert len(paths) > 40
    for path in paths:
        response = client.get(path, headers={"Accept": "application/json"})
        assert_refused(response, "path")


def test_a_nul_in_any_query_is_a_400_naming_the_parameter(app, client, community):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments:
            continue
        response = client.get(rule.rule + "?q=cancer%00&page=1")
        assert_refused(response, "q")
    for url in ("/api/v1/datasets?q=%00", "/api/v1/questions?community=colon%00cancer"):
        assert_refused(client.get(url), "q" if "q=" in url else "community")
    assert_refused(client.get("/communities/colon-cancer?sort=%00"), "sort")


def test_a_nul_in_a_form_field_is_a_400_and_nothing_is_stored(client, session):
    token = csrf_token(client, "/register")
    response = client.post(
        "/register",
        data={
            "csrf_token": token,
            "username": "nul\x00user",
            "email": "nul@example.org",
            "password": "a long enough passphrase",
            "confirm": "a long enough passphrase",
        },
    )
    assert_refused(response, "username")
    assert "username" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_nul_in_json_is_a_400_naming_the_field(client, community, person, token_for, session):
    token = token_for(person("sam", member_of=(community,)))
    body = form_data(pico("Does treatment\x00 improve survival in colon cancer?"))
    response = client.post(
        "/api/v1/communities/colon-cancer/questions", headers=bearer(token), json=body
    )
    assert_refused(response, "title")
    nested = client.post(
        "/api/v1/communities/colon-cancer/questions",
        headers=bearer(token),
        json={**form_data(pico()), "tags": ["ok", "bad\x00"]},
    )
    assert_refused(nested, "tags[1]")
    # JSON in UTF-16 or UTF-32 (which the parser accepts) holds NUL bytes in every
    # character: it is read value by value like any other, not judged by its bytes.
    # So is UTF-8 after a byte-order mark, and a NUL in a key.
    in_key = {**form_data(pico()), "tags": [], "bad\x00key": 1}
    for data, field in [
        (json.dumps(body).encode("utf-16"), "title"),
        (json.dumps(body).encode("utf-32"), "title"),
        (json.dumps(body).encode("utf-8-sig"), "title"),
        (json.dumps(in_key).encode(), "bad\x00key"),
    ]:
        wide = client.post(
            "/api/v1/communities/colon-cancer/questions",
            headers={**bearer(token), "Content-Type": "application/json"},
            data=data,
        )
        assert_refused(wide, field)
    assert session.scalar(select(func.count()).select_from(Question)) == 0


def test_a_nul_in_upload_metadata_is_a_400_naming_the_field(client, make_user, token_for, session):
    from portal.accounts.models import Role

    make_user("rita", role=Role.RESEARCHER)
    token = token_for(session.scalar(select(User).where(User.username == "rita")))
    metadata = {
        "title": "Aspirin after stroke",
        "description": "A small trial.",
        "licence": "CC-BY-4.0",
        "level": "participant",
        "conditions": ["Stroke\x00"],
    }
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(token),
        data={"metadata": json.dumps(metadata), "file": (io.BytesIO(GOOD_CSV), "trial.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["field"].startswith("metadata.conditions") and "NUL" in error["message"]
    form = client.post(
        "/api/v1/datasets",
        headers=bearer(token),
        data={"metadata": "{}", "file": (io.BytesIO(GOOD_CSV), "tri\x00al.csv")},
        content_type="multipart/form-data",
    )
    assert_refused(form, "file")
    assert session.scalar(select(func.count()).select_from(Dataset)) == 0
