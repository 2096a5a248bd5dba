"""Site admins (and operators) archive a community: it leaves the lists, its pages stay
readable, and it takes nothing new."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.community import services
from portal.community.governance import founding
from portal.community.models import CommunityStatus
from portal.community.questions import services as questions
from portal.community.threads import services as threads
from portal.errors import Conflict, Forbidden
from tests.portal.community.conftest import pico
from tests.portal.community.governance.conftest import post


def test_an_admin_archives_a_community_that_stays_readable(
    session, community, question, admin, person, login, client
):
    moe = person("moe", moderator_of=(community,))
    with pytest.raises(Forbidden):
        founding.archive(session, moe, community)
    session.rollback()
    settings = f"/communities/{community.slug}/settings"
    response = post(
        login("ada"),
        f"/communities/{community.slug}/archive",
        {"reason": "Merged with a wider community."},
        token_from=settings,
    )
    assert response.status_code == 303
    session.expire_all()
    assert community.status == CommunityStatus.ARCHIVED and community.archived_at
    assert community.name not in client.get("/communities/").get_data(as_text=True)
    assert community.slug not in {
        item["slug"] for item in client.get("/api/v1/communities").get_json()["items"]
    }
    page = client.get(f"/communities/{community.slug}").get_data(as_text=True)
    assert "archived" in page and "Join this community" not in page
    assert client.get(f"/communities/{community.slug}/questions/{question.id}").status_code == 200
    log = login("ada").get(f"/communities/{community.slug}/moderation-log").get_data(as_text=True)
    assert "Community archived" in log and "Merged with a wider community." in log
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "community.archived"))
    assert event.details["actor_role"] == "site admin"


def test_an_archived_community_takes_nothing_new(session, community, question, person):
    mia = person("mia", member_of=(community,))
    otto = person("otto")
    community.status = CommunityStatus.ARCHIVED.value
    session.commit()
    for attempt in (
        lambda: services.join(session, community, otto),
        lambda: questions.propose(session, community, mia, pico("Another question here?")),
        lambda: threads.add(session, question, mia, "Still here?"),
    ):
        with pytest.raises(Conflict, match="archived"):
            attempt()
        session.rollback()
    with pytest.raises(Conflict, match="Only an active community"):
        founding.archive(session, None, community)
    session.rollback()
