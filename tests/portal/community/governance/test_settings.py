"""A community's moderators choose who proposes questions, its stakeholder groups,
whether membership shows by default, and its rules; the existing pages honour them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.audit import AuditEvent
from portal.community import services
from portal.community.governance import choices
from portal.community.models import Community
from portal.community.questions import services as questions
from portal.community.questions.models import Question
from portal.community.rounds import services as rounds
from portal.errors import Forbidden, ServiceError
from portal.treatments import aggregates
from tests.portal.community.conftest import form_data, pico
from tests.portal.community.governance.conftest import post

SITE = aggregates.Floor(k=5, trusted_after=timedelta(days=7))


def settings_url(community: Community) -> str:
    return f"/communities/{community.slug}/settings"


def form(community: Community, **changes) -> dict:
    data = {
        "question_proposers": community.question_proposers,
        "stakeholders": community.stakeholder_groups,
        "min_reporters": "" if community.min_reporters is None else str(community.min_reporters),
        "description": community.description or "For people with colon cancer.",
        "audience": community.audience,
        "rules": community.rules,
    }
    if community.membership_visible_default:
        data["membership_visible_default"] = "y"
    data.update(changes)
    return data


def save(client, community: Community, **changes):
    return post(
        client, settings_url(community), form(community, **changes), settings_url(community)
    )


def test_only_moderators_and_admins_open_the_settings(community, person, login, client):
    person("moe", moderator_of=(community,))
    person("mia", member_of=(community,))
    person("ada", role=Role.ADMIN)
    assert client.get(settings_url(community)).status_code == 302  # to the login page
    assert login("mia").get(settings_url(community)).status_code == 403
    assert login("moe").get(settings_url(community)).status_code == 200
    assert "Archive" in login("ada").get(settings_url(community)).get_data(as_text=True)
    assert "Archive" not in login("moe").get(settings_url(community)).get_data(as_text=True)


def test_moderators_only_questions_are_refused_to_members(session, community, person, login):
    moe = person("moe", moderator_of=(community,))
    mia = person("mia", member_of=(community,))
    response = save(login("moe"), community, question_proposers="moderators", rules="Be *kind*.")
    assert response.status_code == 303
    session.expire_all()
    assert community.question_proposers == "moderators"
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "community.settings_changed")
    )
    assert {"question_proposers", "rules"} <= set(event.details["changed"])
    assert event.details["community_id"] == community.id
    member = login("mia")
    refused = member.get(f"/communities/{community.slug}/questions/new", follow_redirects=True)
    assert "only its moderators propose questions" in refused.get_data(as_text=True)
    posted = post(
        member,
        f"/communities/{community.slug}/questions/new",
        form_data(pico()),
        token_from="/account",
    )
    assert posted.status_code == 303
    assert session.scalar(select(func.count()).select_from(Question)) == 0
    with pytest.raises(Forbidden, match="only its moderators"):
        questions.propose(session, community, mia, pico())
    session.rollback()
    assert questions.propose(session, community, moe, pico()).id
    session.commit()
    rules = login("mia").get(f"/communities/{community.slug}/rules").get_data(as_text=True)
    assert "<em>kind</em>" in rules and "moe" in rules


def test_trusted_only_refuses_new_accounts_and_lets_established_ones(session, community, person):
    community.question_proposers = "trusted"
    session.commit()
    newcomer = person("newt", member_of=(community,), new=True)
    old = person("olive", member_of=(community,))
    with pytest.raises(Forbidden, match="past the new-account limits"):
        questions.propose(session, community, newcomer, pico())
    session.rollback()
    assert questions.propose(session, community, old, pico()).author_id == old.id


def test_stakeholder_groups_limit_who_takes_part_in_rounds(
    session, community, person, login, propose
):
    moe = person("moe", moderator_of=(community,))
    mia = person("mia", member_of=(community,))
    save(login("moe"), community, stakeholders=["patient", "carer"])
    session.expire_all()
    assert community.stakeholder_groups == ["patient", "carer"]
    asked = [propose(community, mia, f"Question {n} about colon cancer?").id for n in (1, 2)]
    round_ = rounds.open_round(
        session, community, moe, title="Which first?", description="", question_ids=asked
    )
    session.commit()
    page = login("mia").get(f"/communities/{community.slug}/rounds/{round_.id}")
    text = page.get_data(as_text=True)
    assert "a patient or a carer?" in text and 'value="clinician"' not in text
    with pytest.raises(ServiceError, match="a patient or a carer"):
        rounds.take_part(session, round_, mia, "clinician")
    session.rollback()
    refused = save(login("moe"), community, stakeholders=[])
    assert refused.status_code == 400
    assert "at least one" in refused.get_data(as_text=True)


def visible_box(page: str) -> str:
    """The join form's checkbox, as the page has it."""
    match = re.search(r'<input[^>]*id="visible"[^>]*>', page)
    assert match, "no join form"
    return match.group(0)


def test_membership_shows_by_default_when_the_moderators_say_so(session, community, person, login):
    person("moe", moderator_of=(community,))
    person("mia")
    page = login("mia").get(f"/communities/{community.slug}").get_data(as_text=True)
    assert "checked" not in visible_box(page)
    assert save(login("moe"), community, membership_visible_default="y").status_code == 303
    session.expire_all()
    assert community.membership_visible_default
    page = login("mia").get(f"/communities/{community.slug}").get_data(as_text=True)
    assert "checked" in visible_box(page)


def test_an_archived_community_keeps_its_settings(session, community, person):
    moe = person("moe", moderator_of=(community,))
    community.status = "archived"
    session.commit()
    with pytest.raises(ServiceError, match="archived"):
        choices.update(session, moe, community, choices.current(community), floor=SITE)
    session.rollback()


def test_a_settings_change_needs_its_moderator(session, community, person):
    mia = person("mia", member_of=(community,))
    with pytest.raises(Forbidden):
        choices.update(session, mia, community, choices.current(community), floor=SITE)
    session.rollback()
    assert services.membership(session, community, mia).role == "member"
