"""An outsider calls the API with a revoked, a made-up or no token, and with the wrong
method: each answer must say so (401 with ``WWW-Authenticate``, 405 with ``Allow``)
rather than quietly serving the call as anonymous or as a malformed form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.tokens import ApiToken
from tests.portal.api.conftest import bearer
from tests.portal.community.conftest import form_data, pico
from tests.portal.conftest import AuthActions, csrf_token

READS = ["/api/v1/datasets", "/api/v1/communities", "/api/v1/questions", "/api/v1/puzzles"]


def assert_invalid_token(response) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)[:300]
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_a_revoked_token_is_refused_even_on_public_reads(
    client, community, person, token_for, session
):
    sam = person("sam", member_of=(community,))
    plain = token_for(sam)
    assert client.get(READS[0], headers=bearer(plain)).status_code == 200
    # Revoked on the account page, as its owner would.
    pages = client.application.test_client()
    AuthActions(pages).login("sam")
    token_id = session.scalar(select(ApiToken.id))
    revoked = pages.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(pages, "/account")}
    )
    assert revoked.status_code in (302, 303)
    for url in READS:
        assert_invalid_token(client.get(url, headers=bearer(plain)))
    assert_invalid_token(
        client.post("/api/v1/communities/colon-cancer/join", headers=bearer(plain))
    )


@pytest.mark.parametrize("plain", ["orp_made-up-token", "not-even-our-format", "x" * 500])
def test_a_made_up_token_is_refused(client, plain):
    for url in READS:
        assert_invalid_token(client.get(url, headers=bearer(plain)))


def test_writes_without_any_credentials_are_401(client, community):
    for url, body in [
        ("/api/v1/communities/colon-cancer/join", None),
        ("/api/v1/communities/colon-cancer/questions", form_data(pico())),
        ("/api/v1/analyses", {}),
    ]:
        response = client.post(url, json=body)
        assert response.status_code == 401, (url, response.get_json())
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_browser_session_writes_still_need_the_csrf_token(client, community, person):
    person("sam", member_of=())
    AuthActions(client).login("sam")
    url = "/api/v1/communities/colon-cancer/join"
    refused = client.post(url)
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    token = csrf_token(client, "/account")
    assert client.post(url, headers={"X-CSRFToken": token}).status_code == 200


def test_a_wrong_method_is_405_with_allow_for_pages_and_api(client):
    for url, method in [
        ("/api/v1/datasets", "delete"),
        ("/api/v1/communities", "post"),
        ("/login", "delete"),
        ("/datasets/", "put"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 405, url
        allowed = {m.strip() for m in response.headers["Allow"].split(",")}
        assert "GET" in allowed and method.upper() not in allowed, (url, allowed)
        if url.startswith("/api/"):
            assert response.get_json()["error"]["code"] == "method_not_allowed"
