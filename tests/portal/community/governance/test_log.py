"""The full moderation log, for a community's moderators: what was decided, why, when and
by which role, read from the audit log; never the hidden content, its author, who
flagged it or whom an appointment named. Everyone else reads weekly counts
(test_public_log.py)."""

from __future__ import annotations

from portal import audit
from portal.accounts.models import Role
from portal.community.governance import founding, moderators
from portal.community.governance.log import community_log
from portal.community.moderation import services as moderation
from tests.portal.community.conftest import pico


def test_the_log_lists_decisions_in_this_community_only(
    session, community, other_community, person, propose, client, login
):
    moe = person("moe", moderator_of=(community,))
    author = person("secret-author", member_of=(community, other_community))
    flaggers = [person(f"flagger{n}", member_of=(community,)) for n in range(3)]
    mia = person("mia", member_of=(community,))
    admin = person("ada", role=Role.ADMIN)
    question = propose(community, author, "A question with private words in it?")
    for flagger in flaggers:
        moderation.flag(session, flagger, question, reason="spam")
    session.commit()
    moderation.hide(session, moe, question, reason="Advertising a clinic.")
    session.commit()
    moderation.restore(session, moe, question, reason="It was a real question.")
    moderators.appoint(session, moe, community, mia.id)
    session.commit()
    elsewhere = propose(other_community, author, pico().title)
    moderation.hide(session, admin, elsewhere, reason="Off topic there.")
    session.commit()

    entries = community_log(session, community.id)
    assert [(e.action, e.kind, e.by) for e in entries] == [
        ("Moderator appointed", "member", "community moderator"),
        ("Restored", "question", "community moderator"),
        ("Hidden", "question", "community moderator"),
        ("Hidden until a moderator looks at it", "question", "automatic"),
    ]
    assert entries[2].reason == "Advertising a clinic."
    assert entries[3].reason == "3 members flagged it."
    log = f"/communities/{community.slug}/moderation-log"
    text = login("moe").get(log).get_data(as_text=True)
    assert "Advertising a clinic." in text and "It was a real question." in text
    for secret in ("private words", "secret-author", "flagger", "mia", "Off topic there."):
        assert secret not in text
    public = client.get(log)
    assert public.status_code == 200
    assert "Advertising a clinic." not in public.get_data(as_text=True)


def test_events_without_a_role_name_the_role_of_their_actor(session, community, person):
    admin = person("ada", role=Role.ADMIN)
    audit.record(
        session,
        "moderation.hidden",
        actor_id=admin.id,
        subject="comment:7",
        community_id=community.id,
        reason="Rude.",
    )
    session.commit()
    [entry] = community_log(session, community.id)
    assert (entry.kind, entry.action, entry.by, entry.reason) == (
        "comment",
        "Hidden",
        "site admin",
        "Rude.",
    )


def test_founding_decisions_stay_out_of_the_public_log(session, person):
    founder = person("fred")
    admin = person("ada", role=Role.ADMIN)
    proposal = founding.propose(
        session,
        founder,
        founding.Proposal(name="Lupus", condition="Lupus", description="For lupus."),
    )
    founding.approve(session, admin, proposal)
    session.commit()
    assert [e.action for e in community_log(session, proposal.id)] == ["Community opened"]


def test_an_account_sanction_says_what_it_did_to_the_account(session, community, person):
    """Only the community's moderators read this log: they see its members anyway."""
    site_moderator = person("simone", role=Role.MODERATOR, moderator_of=(community,))
    for action in ("moderation.suspended", "moderation.banned"):
        audit.record(
            session,
            action,
            actor_id=site_moderator.id,
            subject="comment:7",
            community_id=community.id,
            reason="Again.",
        )
    session.commit()
    assert [e.action for e in community_log(session, community.id)] == [
        "Hidden, and the author's account banned",
        "Hidden, and the author's account suspended",
    ]
