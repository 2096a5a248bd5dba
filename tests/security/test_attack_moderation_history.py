"""Attack: a moderator of one community reads, in its queue, what moderators did to an
author in another community whose membership the author keeps private, and so learns
the author's condition. Only "the account is currently suspended (or banned)" may cross
the line: no community, count or time, since the other community's public moderation log
is dated, and a count's change or a suspension's end would point at its entry."""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.admin import services as admin
from portal.community import services
from portal.community.moderation import appeals, decisions, history
from portal.community.moderation import services as moderation
from portal.community.moderation.models import ModerationDecision
from portal.community.questions.models import Question
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


def restriction_line(box: str) -> str | None:
    found = re.search(r'<p class="notice small">([^<]*)</p>', box)
    return " ".join(found.group(1).split()) if found else None


def log_actions(page: str) -> list[str]:
    """The Action column of a community's moderation log, top to bottom."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [
        html.unescape(re.findall(r"<td>([^<]*)</td>", row)[2]) for row in body.split("<tr>")[1:]
    ]


def end_of_suspension(session, user: User) -> datetime:
    until = session.get(User, user.id).suspended_until
    assert until is not None
    return until


def words_of(until: datetime) -> tuple[str, ...]:
    """Every way the page could give a suspension's end away."""
    return (
        until.strftime("%d %B %Y, %H:%M UTC"),
        until.strftime("%d %B %Y"),
        until.strftime("%H:%M"),
    )


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


def test_the_queue_tells_another_communitys_moderator_nothing_of_where(
    scene, session, login, mailbox
):
    sam, _bob, moira, _simone = scene
    client = login("moira")
    page = client.get(QUEUE).get_data(as_text=True)
    assert "Cheap pills from sam" in page
    assert_no_secret(page, "the moderation queue")
    box = " ".join(history_of(page, "sam").split())
    assert "0 earlier decisions" in box and "No earlier decisions you may see." in box
    # The account is restricted everywhere, so every moderator must know; but not until
    # when (its start plus 3 days is the tuberculosis log's "Hidden" entry), nor how many
    # times, nor how much of theirs was hidden there.
    assert restriction_line(box) == "The account is currently suspended."
    for words in words_of(end_of_suspension(session, sam)):
        assert words not in box, words
    assert "until" not in box and "posts hidden" not in box and "suspension or ban" not in box
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


def test_the_public_log_does_not_date_an_account_sanction(
    scene, other_community, person, client, login
):
    """Anyone reads the tuberculosis log: a dated "Suspended" or "Banned" there, set
    against the account's restriction seen from colon cancer, would name sam. It counts
    by weeks that are over (tests/security/test_attack_moderation_log.py)."""
    log = f"/communities/{other_community.slug}/moderation-log"
    public = client.get(log).get_data(as_text=True)
    assert "<tbody>" not in public
    assert "Suspended" not in public and "Banned" not in public
    # Its own moderators, who see its members anyway, read the whole entry.
    moderators = login("simone").get(log).get_data(as_text=True)
    assert log_actions(moderators) == [
        "Appealed",
        "Hidden, and the author's account suspended",
        "Warned",
        "Hidden",
    ]
    # A member who does not moderate reads the public log.
    person("tess", member_of=(other_community,))
    tess = login("tess").get(log).get_data(as_text=True)
    assert "Suspended" not in tess and "<tbody>" not in tess


def test_a_ban_elsewhere_shows_as_a_ban_and_nothing_more(
    scene, session, other_community, community, login, client, propose
):
    sam, _bob, _moira, simone = scene
    # Suspended, sam cannot post again: the ban is decided on his hidden question.
    again = session.scalar(select(Question).where(Question.community_id == other_community.id))
    decisions.decide(session, simone, again, "ban", reason="Fourth time.")
    session.commit()
    box = " ".join(history_of(login("moira").get(QUEUE).get_data(as_text=True), "sam").split())
    assert restriction_line(box) == "The account is currently banned."
    assert "Fourth time." not in box
    public = client.get(f"/communities/{other_community.slug}/moderation-log")
    assert "Banned" not in public.get_data(as_text=True)
    assert "Fourth time." not in public.get_data(as_text=True)
    text = login("simone").get(f"/communities/{other_community.slug}/moderation-log")
    assert log_actions(text.get_data(as_text=True))[0] == "Hidden, and the author's account banned"


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
def test_site_moderators_and_admins_see_when_a_suspension_ends(
    scene, session, community, person, login, role
):
    """They decide on accounts across communities, and on appeals against suspensions."""
    sam, _bob, _moira, _simone = scene
    person("steward", role=role, moderator_of=(community,))
    until = end_of_suspension(session, sam)
    box = " ".join(history_of(login("steward").get(QUEUE).get_data(as_text=True), "sam").split())
    assert restriction_line(box) == (
        f"The account is suspended until {until.strftime('%d %B %Y, %H:%M UTC')}."
    )


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


def test_posts_hidden_elsewhere_do_not_tell_one_author_from_another(
    session, community, other_community, person, propose
):
    """Sam had posts hidden in tuberculosis and Bob none anywhere: colon cancer's
    moderator reads the same of both, whatever the number (no count moves when a
    dated entry appears in tuberculosis' public log, nor 90 days after it)."""
    sam = person("sam", member_of=(community, other_community))
    bob = person("bob", member_of=(community,))
    moira = person("moira", moderator_of=(community,))
    simone = person("simone", moderator_of=(other_community,))
    services.set_visible(session, sam, {community.id})
    seen = []
    for n in range(4):
        secret = propose(other_community, sam, f"Is drug number {n} safe with latent tuberculosis?")
        decisions.decide(session, simone, secret, "hide", reason=SECRET_REASONS[0])
        session.commit()
        histories = [
            history.author_history(session, user, moira, community_id=community.id)
            for user in (sam, bob)
        ]
        seen.append(
            [
                (h.decisions, h.communities, h.warnings, h.hidden_items, h.appeals, h.restriction)
                for h in histories
            ]
        )
    assert all(sam_seen == bob_seen == ([], {}, 0, 0, 0, None) for sam_seen, bob_seen in seen)
    assert not hasattr(history, "ELSEWHERE_BANDS")


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
    # Moira may see the decision that suspended him, so she may know when it ends.
    until = end_of_suspension(session, sam).strftime("%d %B %Y, %H:%M UTC")
    assert restriction_line(box) == f"The account is suspended until {until}."


def test_moderating_both_shows_both(scene, session, other_community, login, person):
    sam, _bob, moira, _simone = scene
    services.join(session, other_community, moira, role="moderator")
    session.commit()
    box = " ".join(history_of(login("moira").get(QUEUE).get_data(as_text=True), "sam").split())
    assert all(reason in box for reason in SECRET_REASONS)
    until = end_of_suspension(session, sam).strftime("%d %B %Y, %H:%M UTC")
    assert restriction_line(box) == f"The account is suspended until {until}."


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
    # The admins' suspension belongs to no community: its end tells of no membership.
    until = end_of_suspension(session, bob).strftime("%d %B %Y, %H:%M UTC")
    assert restriction_line(box) == f"The account is suspended until {until}."


def test_a_decision_undone_on_appeal_is_not_held_against_them(scene, session, person, community):
    sam, _bob, moira, _simone = scene
    root = person("root", role=Role.ADMIN)
    suspension = session.scalar(
        select(ModerationDecision).where(ModerationDecision.action == "suspend")
    )
    appeal = appeals.appeal(session, sam, suspension, text="It was my own clinic.")
    session.commit()
    appeals.decide_appeal(session, root, appeal, overturn=True, response="Fair: undone.")
    session.commit()
    seen = history.author_history(session, sam, moira, community_id=community.id)
    assert seen.restriction is None
