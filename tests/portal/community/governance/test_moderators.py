"""Site admins and a community's moderators appoint moderators from its members and
remove them; every change is in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.audit import AuditEvent
from portal.community import services
from portal.community.governance import moderators
from portal.errors import Conflict, Forbidden, NotFound
from tests.portal.community.governance.conftest import post


def settings_url(community) -> str:
    return f"/communities/{community.slug}/settings"


def test_a_moderator_appoints_a_member_from_the_settings_page(session, community, person, login):
    person("moe", moderator_of=(community,))
    mia = person("mia", member_of=(community,))
    person("otto")  # not a member: not offered
    moe = login("moe")
    page = moe.get(settings_url(community)).get_data(as_text=True)
    assert ">mia<" in page and "otto" not in page
    response = post(
        moe,
        f"/communities/{community.slug}/moderators",
        {"user": str(mia.id)},
        token_from=settings_url(community),
    )
    assert response.status_code == 303
    session.expire_all()
    assert services.membership(session, community, mia).role == "moderator"
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "community.moderator_appointed")
    )
    assert event.details == {
        "community_id": community.id,
        "actor_role": "community moderator",
    }
    assert event.subject == f"user:{mia.id}"
    # The new moderator sees the settings page now.
    assert login("mia").get(settings_url(community)).status_code == 200


def test_only_members_can_be_appointed_and_only_by_moderators_or_admins(
    session, community, other_community, person, login
):
    moe = person("moe", moderator_of=(community,))
    mia = person("mia", member_of=(community,))
    otto = person("otto", member_of=(other_community,))
    other_moderator = person("olga", moderator_of=(other_community,))
    with pytest.raises(NotFound):
        moderators.appoint(session, moe, community, otto.id)
    session.rollback()
    for refused in (mia, other_moderator, person("rita", role=Role.MODERATOR)):
        with pytest.raises(Forbidden):
            moderators.appoint(session, refused, community, mia.id)
        session.rollback()
    assert login("mia").get(settings_url(community)).status_code == 403
    response = post(
        login("mia"),
        f"/communities/{community.slug}/moderators",
        {"user": str(mia.id)},
        token_from="/account",
    )
    assert response.status_code == 403
    admin = person("ada", role=Role.ADMIN)
    moderators.appoint(session, admin, community, mia.id)
    session.commit()
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "community.moderator_appointed")
    )
    assert event.details["actor_role"] == "site admin"


def test_moderators_are_removed_but_never_the_last_one_by_a_moderator(
    session, community, person, login
):
    moe = person("moe", moderator_of=(community,))
    mia = person("mia", moderator_of=(community,))
    response = post(
        login("moe"),
        f"/communities/{community.slug}/moderators/{mia.id}/remove",
        {},
        token_from=settings_url(community),
    )
    assert response.status_code == 303
    session.expire_all()
    assert services.membership(session, community, mia).role == "member"
    assert (
        session.scalar(
            select(AuditEvent).where(AuditEvent.action == "community.moderator_removed")
        ).subject
        == f"user:{mia.id}"
    )
    with pytest.raises(Conflict, match="last moderator"):
        moderators.remove(session, moe, community, moe.id)
    session.rollback()
    with pytest.raises(Conflict, match="not a moderator"):
        moderators.remove(session, moe, community, mia.id)
    session.rollback()
    admin = person("ada", role=Role.ADMIN)
    moderators.remove(session, admin, community, moe.id)
    session.commit()
    assert moderators.moderators_of(session, community) == []
