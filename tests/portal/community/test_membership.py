"""Joining and leaving communities."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.community import services
from portal.community.models import Community, Membership
from portal.errors import ServiceError
from tests.portal.conftest import csrf_token


@pytest.fixture
def community_slug(session) -> str:
    services.create_community(
        session, slug="colon-cancer", name="Colon cancer", condition="Colon cancer"
    )
    session.commit()
    return "colon-cancer"


def memberships(session) -> int:
    return session.scalar(select(func.count()).select_from(Membership))


def test_join_and_leave(client, auth, make_user, session, community_slug):
    make_user("alice")
    auth.login("alice")
    page = f"/communities/{community_slug}"
    token = csrf_token(client, page)
    assert client.post(f"{page}/join", data={"csrf_token": token}).status_code == 303
    assert client.post(f"{page}/join", data={"csrf_token": token}).status_code == 303
    assert memberships(session) == 1, "joining twice keeps one membership"
    assert "1 member" in client.get(page).get_data(as_text=True)
    assert "Colon cancer" in client.get("/u/alice").get_data(as_text=True)
    # the page's Leave button asks first; only the answer to the question leaves
    assert f'href="{page}/leave"' in client.get(page).get_data(as_text=True)
    asked = client.get(f"{page}/leave").get_data(as_text=True)
    assert "Leave Colon cancer?" in asked and "Yes, leave Colon cancer" in asked
    assert memberships(session) == 1
    assert client.post(f"{page}/leave", data={"csrf_token": token}).status_code == 303
    assert memberships(session) == 0
    assert client.get(f"{page}/leave").status_code == 303, "nothing to leave"


def test_visitors_must_log_in_to_join(client, community_slug, session):
    response = client.post(f"/communities/{community_slug}/join")
    assert response.status_code in (302, 400)
    assert memberships(session) == 0


def test_the_database_refuses_a_second_membership(session, make_user, community_slug):
    user_id = make_user("alice")
    community = session.scalar(select(Community))
    session.add(Membership(user_id=user_id, community_id=community.id))
    session.commit()
    session.add(Membership(user_id=user_id, community_id=community.id))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_unknown_community_is_404(client):
    assert client.get("/communities/nowhere").status_code == 404


@pytest.mark.parametrize("slug", ["Bad Slug", "-x", "a--b", "x" * 65])
def test_community_addresses_are_checked(session, slug):
    with pytest.raises(ServiceError):
        services.create_community(session, slug=slug, name="n", condition="c")
