"""Attacks on the privacy of community membership, which tells of a health condition:
an outsider (a visitor, another member, an employer searching a name) reads profiles
and member lists and must not learn who belongs to a community the member did not
choose to show."""

from __future__ import annotations

from flask.testing import FlaskClient

from portal.community import services
from tests.portal.community.conftest import SLUG
from tests.portal.conftest import AuthActions, csrf_token

PAGE = f"/communities/{SLUG}"


def logged_in(app, username: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def join(client: FlaskClient, *, show: bool = False):
    data = {"csrf_token": csrf_token(client, PAGE)}
    if show:
        data["visible"] = "y"
    return client.post(f"{PAGE}/join", data=data)


def test_joining_tells_nobody_else_by_default(app, community, person):
    person("alice")
    person("otto")
    person("moira", moderator_of=(community,))
    assert join(logged_in(app, "alice")).status_code == 303

    for looking in (app.test_client(), logged_in(app, "otto")):
        profile = looking.get("/u/alice").get_data(as_text=True)
        assert "Colon cancer" not in profile
        assert "/u/alice" not in looking.get(PAGE).get_data(as_text=True)
    # The community's moderators see whom they moderate.
    moderator = logged_in(app, "moira")
    assert 'href="/u/alice"' in moderator.get(PAGE).get_data(as_text=True)
    assert "Colon cancer" in moderator.get("/u/alice").get_data(as_text=True)
    # And the member sees it, marked as private.
    own = logged_in(app, "alice").get("/u/alice").get_data(as_text=True)
    assert "Colon cancer" in own and "others do not see this" in own


def test_a_member_who_chooses_to_show_it_is_listed(app, community, person):
    person("alice")
    assert join(logged_in(app, "alice"), show=True).status_code == 303
    visitor = app.test_client()
    assert "Colon cancer" in visitor.get("/u/alice").get_data(as_text=True)
    assert 'href="/u/alice"' in visitor.get(PAGE).get_data(as_text=True)


def test_a_shown_membership_can_be_hidden_again_from_the_account_page(
    app, community, other_community, person, session
):
    alice = person("alice", member_of=(community, other_community))
    services.set_visible(session, alice, {community.id, other_community.id})
    session.commit()
    client = logged_in(app, "alice")
    token = csrf_token(client, "/account")
    response = client.post(
        "/account/memberships",
        data={"csrf_token": token, "memberships-visible": str(other_community.id)},
    )
    assert response.status_code == 303
    profile = app.test_client().get("/u/alice").get_data(as_text=True)
    assert "Colon cancer" not in profile and "Tuberculosis" in profile
    client.post("/account/memberships", data={"csrf_token": token})
    assert "Tuberculosis" not in app.test_client().get("/u/alice").get_data(as_text=True)


def test_a_forged_choice_cannot_touch_another_community(
    app, community, other_community, person, session
):
    """Alice is not in Tuberculosis: naming it in the form is refused, and nothing of
    hers changes."""
    alice = person("alice", member_of=(community,))
    services.set_visible(session, alice, {community.id})
    session.commit()
    client = logged_in(app, "alice")
    response = client.post(
        "/account/memberships",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "memberships-visible": str(other_community.id),
        },
    )
    assert response.status_code == 400
    profile = app.test_client().get("/u/alice").get_data(as_text=True)
    assert "Colon cancer" in profile and "Tuberculosis" not in profile
