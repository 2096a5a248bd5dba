"""Smaller findings an outside tester made: each is tried as they tried it."""

from __future__ import annotations

from sqlalchemy import select

from portal.data.models import DatasetVersion
from tests.portal.api.conftest import bearer
from tests.portal.conftest import csrf_token
from tests.portal.reanalysis.conftest import Sharing


def test_a_header_only_csv_cannot_be_published(client, auth, make_user, session, token_for):
    sharing = Sharing(client, auth, make_user)
    slug = sharing.share("Only a header", "study,events,total\n", publish=False)
    version = session.scalar(select(DatasetVersion))
    assert version.row_count == 0

    auth.login("rita")
    page = client.get(f"/datasets/{slug}?version=1").get_data(as_text=True)
    assert "no rows of data" in page
    sharing.actions.publish(slug, 1)
    session.expire_all()
    assert session.get(DatasetVersion, version.id).published_at is None

    from portal.accounts.models import User

    token = token_for(session.scalar(select(User).where(User.username == "rita")))
    response = client.post(f"/api/v1/datasets/{slug}/versions/1/publish", headers=bearer(token))
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "not_publishable" and "no rows of data" in error["message"]
    session.expire_all()
    assert session.get(DatasetVersion, version.id).published_at is None
    auth.logout()
    assert client.get(f"/datasets/{slug}").status_code == 404  # still a private draft


def test_the_nickname_form_sends_back_only_to_a_puzzle(client):
    for given, expected in [
        ("abc", "/play/"),
        ("//evil.example/", "/play/"),
        ("https://evil.example/", "/play/"),
        ("-3", "/play/"),
        ("99999999999999999999", "/play/"),
        ("7", "/play/7"),
        ("", "/play/"),
    ]:
        response = client.post(
            "/play/nickname",
            data={
                "csrf_token": csrf_token(client, "/play/"),
                "nickname": "Rosalind",
                "next_puzzle": given,
            },
        )
        assert response.status_code == 302, (given, response.status_code)
        assert response.headers["Location"] == expected, given
