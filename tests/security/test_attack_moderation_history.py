"""Attack: a moderator of one community reads, in its queue, what moderators did to an
author in another community whose membership the author keeps private, and so learns
the author's condition. Only an anonymous, banded count may cross the line."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.admin import services as admin
from portal.community import services
from portal.community.moderation import appeals, decisions, history
from portal.community.moderation import services as moderation
from portal.community.moderation.models import ModerationDecision
from portal.community.support import services as support
from portal.community.threads import services as threads

QUEUE = "/communities/colon-cancer/moderation/"
SECRET_TITLE = "Does pyrazinamide shorten treatment for latent tuberculosis?"
SECRET_COMMENT = "My clinic at St Barts gives me isoniazid."
SECRET_POST = "Six months of rifampicin and I still cough."
SECRET_POST_TITLE = "Still coughing on rifampicin"
SECRET_REASONS = (
    "Names a clinic and a dose: personal health information.",
    "Second warning for posting clinic details.",
    "Third time: suspended while we talk to them.",
)
SECRET_APPEAL = "I only named my own clinic."
SECRET_WORDS = (
    "Tuberculosis",
    "tuberculosis",
    SECRET_TITLE,
    SECRET_COMMENT,
    SECRET_POST,
    SECRET_POST_TITLE,
)
SECRETS = (*SECRET_WORDS, *SECRET_REASONS, SECRET_APPEAL)


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaks through {where}"


def elsewhere_line(page: str) -> str:
    found = re.search(r'<p class="small elsewhere">([^<]*)</p>', page)
    assert found, page
    return " ".join(found.group(1).split())


def history_of(page: str, name: str) -> str:
    """The history box shown for ``name``'s flagged content."""
    start = page.index(f"{name}'s history:")
    return page[start : page.index("</details>", start)]


@pytest.fixture
def scene(session, community, other_community, person, propose):
    """Sam shows his colon-cancer membership and keeps tuberculosis private, where
    moderators hid three of his posts, warned and suspended him, and he appealed. Bob
    has no history anywhere. Both have a comment flagged in colon cancer, whose
    moderator is Moira."""
    sam = person("sam", member_of=(community, other_community))
    bob = person("bob", member_of=(community,))
    ann = person("ann", member_of=(community,))
    moira = person("moira", moderator_of=(community,))
    simone = person("simone", role=Role.MODERATOR, moderator_of=(other_community,))
    services.set_visible(session, sam, {community.id})
    services.set_visible(session, bob, {community.id})
    public = propose(community, ann, "Is aspirin after colon surgery worth it?")
    flagged = {
        author.username: threads.add(session, public, author, f"Cheap pills from {author.name}")
        for author in (sam, bob)
    }
    secret_question = propose(other_community, sam, SECRET_TITLE)
    secret_comment = threads.add(session, secret_question, sam, SECRET_COMMENT)
    secret_post = support.start_thread(
        session,
        other_community,
        sam,
        kind="story",
        title=SECRET_POST_TITLE,
        body=SECRET_POST,
        anonymous=True,
    )
    session.commit()
    for comment in flagged.values():
        moderation.flag(session, ann, comment, reason="spam")
    session.commit()
    hide, warn, suspend = (
        decisions.decide(
            session,
            simone,
            target,
            action,
            reason=reason,
            category="personal_health_information",
            days=3 if action == "suspend" else None,
        )
        for target, action, reason in zip(
            (secret_question, secret_post, secret_comment),
            ("hide", "warn", "suspend"),
            SECRET_REASONS,
            strict=True,
        )
    )
    session.commit()
    appeals.appeal(session, sam, warn, text=SECRET_APPEAL)
    session.commit()
    return sam, bob, moira, simone


def test_the_queue_tells_another_communitys_moderator_nothing_of_where(scene, login, mailbox):
    sam, _bob, moira, _simone = scene
    client = login("moira")
    page = client.get(QUEUE).get_data(as_text=True)
    assert "Cheap pills from sam" in page
    assert_no_secret(page, "the moderation queue")
    box = " ".join(history_of(page, "sam").split())
    assert "0 earlier decisions" in box and "No earlier decisions you may see." in box
    # Account-wide and anonymous: the band, and the suspension (the account is
    # restricted everywhere, so every moderator must know).
    assert elsewhere_line(box) == (
        "In communities where you may not see their membership: between 3 and 9 posts "
        "hidden by moderators in the last 90 days, and 1 account suspension or ban."
    )
    assert "Your account is suspended until" in box
    for path in (
        "/communities/colon-cancer",
        "/communities/colon-cancer/moderation-log",
        "/appeals/queue",
        "/notifications/",
        f"/u/{sam.username}",
    ):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        assert_no_secret(response.get_data(as_text=True), path)
    for message in mailbox.messages(moira.email):
        assert_no_secret(message.as_string(), "mail to the moderator")


def test_no_api_answer_carries_the_other_communitys_decisions(scene, login, token_for):
    _sam, _bob, moira, _simone = scene
    client = login("moira")
    headers = {"Authorization": f"Bearer {token_for(moira)}"}
    for path in (
        "/api/v1/communities/colon-cancer",
        "/api/v1/communities/colon-cancer/threads",
        "/api/v1/questions?community=colon-cancer",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        assert_no_secret(response.get_data(as_text=True), path)
    # The other community's own pages are public, but no answer anywhere carries what
    # its moderators decided about whom.
    for path in ("/api/v1/communities", "/api/v1/questions"):
        text = client.get(path, headers=headers).get_data(as_text=True)
        for secret in (*SECRET_REASONS, SECRET_APPEAL, SECRET_COMMENT, SECRET_POST):
            assert secret not in text, path


def test_below_the_floor_a_history_elsewhere_reads_as_none(
    session, community, other_community, person, propose
):
    """One hidden post elsewhere must not tell sam from bob, who has none."""
    sam = person("sam", member_of=(community, other_community))
    bob = person("bob", member_of=(community,))
    moira = person("moira", moderator_of=(community,))
    simone = person("simone", moderator_of=(other_community,))
    services.set_visible(session, sam, {community.id})
    secret = propose(other_community, sam, SECRET_TITLE)
    decisions.decide(session, simone, secret, "hide", reason=SECRET_REASONS[0])
    session.commit()
    seen = {user.username: history.author_history(session, user, moira) for user in (sam, bob)}
    assert seen["sam"].hidden_elsewhere == seen["bob"].hidden_elsewhere == "fewer than 3"
    assert seen["sam"].decisions == seen["bob"].decisions == []
    assert seen["sam"].warnings == seen["sam"].hidden_items == seen["sam"].appeals == 0
    assert [history.band(n) for n in (0, 1, 2, 3, 9, 10, 400)] == [
        "fewer than 3",
        "fewer than 3",
        "fewer than 3",
        "between 3 and 9",
        "between 3 and 9",
        "10 or more",
        "10 or more",
    ]


def test_a_shown_membership_shows_its_decisions_in_full(
    scene, session, other_community, community, login
):
    sam, _bob, _moira, _simone = scene
    services.set_visible(session, sam, {community.id, other_community.id})
    session.commit()
    box = " ".join(history_of(login("moira").get(QUEUE).get_data(as_text=True), "sam").split())
    assert "3 earlier decisions" in box and "in Tuberculosis" in box
    assert all(reason in box for reason in SECRET_REASONS)
    assert "1 appeal made against these." in box
    assert "fewer than 3 posts hidden" in box and "suspension" not in elsewhere_line(box)


def test_moderating_both_shows_both(scene, session, other_community, login, person):
    _sam, _bob, moira, _simone = scene
    services.join(session, other_community, moira, role="moderator")
    session.commit()
    box = history_of(login("moira").get(QUEUE).get_data(as_text=True), "sam")
    assert all(reason in box for reason in SECRET_REASONS)


def test_this_communitys_and_the_admins_decisions_show(
    scene, session, community, person, login, propose
):
    _sam, bob, moira, _simone = scene
    root = person("root", role=Role.ADMIN)
    earlier = threads.add(
        session, propose(community, bob, "Does fibre prevent recurrence?"), bob, "Old advert"
    )
    session.commit()
    decisions.decide(session, moira, earlier, "warn", reason="Earlier advert here.")
    admin.suspend(session, root, bob, days=2, reason="Site-wide spam.")
    session.commit()
    box = " ".join(history_of(login("moira").get(QUEUE).get_data(as_text=True), "bob").split())
    assert "2 earlier decisions, 2 warnings or sanctions, 1 other item hidden" in box
    assert "in Colon cancer: Hide it and warn the author" in box and "Earlier advert here." in box
    assert "by a site admin, on the account" in box and "Site-wide spam." in box
    assert elsewhere_line(box).endswith(
        "fewer than 3 posts hidden by moderators in the last 90 days."
    )


def test_a_decision_undone_on_appeal_is_not_held_against_them(scene, session, person):
    sam, _bob, moira, _simone = scene
    root = person("root", role=Role.ADMIN)
    suspension = session.scalar(
        select(ModerationDecision).where(ModerationDecision.action == "suspend")
    )
    appeal = appeals.appeal(session, sam, suspension, text="It was my own clinic.")
    session.commit()
    appeals.decide_appeal(session, root, appeal, overturn=True, response="Fair: undone.")
    session.commit()
    seen = history.author_history(session, sam, moira)
    assert seen.sanctions_elsewhere == 0 and seen.restriction is None
    assert seen.hidden_elsewhere == "fewer than 3"  # the hide and the warning are left
