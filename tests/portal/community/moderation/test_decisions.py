"""A moderator decides on flagged content with its context: every decision is audited
with its community, and its author is told why, on the site and by e-mail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.audit import AuditEvent
from portal.community import services
from portal.community.moderation import decisions, history
from portal.community.moderation import services as moderation
from portal.community.moderation.models import ContentFlag, ModerationDecision
from portal.community.notifications.models import Notification
from portal.community.threads import services as threads
from portal.community.threads.models import Comment
from portal.errors import Forbidden
from tests.portal.community.conftest import SLUG, count, question_url, reload
from tests.portal.conftest import body_of, csrf_token

QUEUE = f"/communities/{SLUG}/moderation/"


@pytest.fixture
def scene(community, person, question, session):
    """Sam's comment, flagged by Ann with a note; Moira moderates the community."""
    sam = question.author
    ann = person("ann", member_of=(community,))
    moira = person("moira", moderator_of=(community,))
    comment = threads.add(session, question, sam, "Buy cheap pills at example dot com")
    session.commit()
    moderation.flag(session, ann, comment, reason="spam", note="Same advert in three threads")
    session.commit()
    return sam, ann, moira, comment


def decide_via_web(client, comment, **fields):
    token = csrf_token(client, QUEUE)
    data = {"csrf_token": token, "category": "spam", "reason": "Advertising.", **fields}
    return client.post(f"{QUEUE}comment/{comment.id}/decide", data=data)


def test_the_queue_shows_the_flag_note_its_flagger_the_author_and_their_history(
    scene, login, session, question
):
    sam, _ann, moira, comment = scene
    older = threads.add(session, question, sam, "Earlier spam")
    session.commit()
    decisions.decide(session, moira, older, "warn", reason="Earlier advert.", category="spam")
    session.commit()
    page = login("moira").get(QUEUE).get_data(as_text=True)
    assert "Same advert in three threads" in page and "ann" in page
    assert "Buy cheap pills" in page and sam.name in page
    assert "account 30 days old" in page
    assert "1 earlier decision" in page and "1 warning" in page
    assert "Earlier advert." in page


def test_the_queue_counts_posts_flags_hid_here_after_their_author_left(
    scene, login, session, question, community, person
):
    """No decision names this community, and Sam no longer belongs to it: what was
    hidden here still counts for the moderator deciding on his next flagged post."""
    sam, _ann, moira, comment = scene
    flaggers = [person(f"flagger{n}", member_of=(community,)) for n in range(3)]
    earlier = threads.add(session, question, sam, "The same advert, earlier")
    session.commit()
    for flagger in flaggers:
        moderation.flag(session, flagger, earlier, reason="spam")
    session.commit()
    assert reload(session, Comment, earlier.id).hidden
    services.leave(session, community, sam)
    session.commit()
    seen = history.author_history(session, sam, moira, community_id=community.id, exclude=comment)
    assert seen.hidden_items == 1
    page = " ".join(login("moira").get(QUEUE).get_data(as_text=True).split())
    assert "1 other post of theirs hidden by moderators here" in page


@pytest.mark.parametrize(
    ("decision", "audit_action", "hidden"),
    [
        ("hide", "moderation.hidden", True),
        ("keep", "moderation.kept", False),
        ("warn", "moderation.warned", True),
    ],
)
def test_each_decision_is_audited_with_its_community_and_the_author_is_told(
    scene, login, session, mailbox, community, decision, audit_action, hidden
):
    sam, _ann, moira, comment = scene
    response = decide_via_web(login("moira"), comment, decision=decision)
    assert response.status_code == 303
    assert reload(session, Comment, comment.id).hidden is hidden
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == audit_action)).all()
    assert event.actor_id == moira.id and event.subject == f"comment:{comment.id}"
    assert event.details["community_id"] == community.id
    assert event.details["reason"] == "Advertising." and event.details["user_id"] == sam.id
    assert count(session, ContentFlag, ContentFlag.resolved_at.is_(None)) == 0
    [notice] = session.scalars(select(Notification).where(Notification.user_id == sam.id)).all()
    assert "Advertising." in notice.message and notice.link.startswith("/appeals/")
    mail = mailbox.last(sam.email)
    assert "Advertising." in body_of(mail) and "Spam or advertising" in body_of(mail)


def test_an_edit_keeps_the_original_for_the_audit(scene, login, session, community):
    sam, _ann, _moira, comment = scene
    decide_via_web(
        login("moira"), comment, decision="edit", new_text="[link removed by a moderator]"
    )
    edited = reload(session, Comment, comment.id)
    assert edited.body == "[link removed by a moderator]" and not edited.hidden
    record = session.scalar(select(ModerationDecision))
    assert record.original_text == "Buy cheap pills at example dot com"
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "moderation.edited"))
    assert event.details["decision_id"] == record.id
    # The public log reads the details: the removed words are not put there.
    assert "cheap pills" not in str(event.details)


def test_readers_see_the_outcome_and_kept_content_reads_normally(
    scene, login, session, client, question
):
    _sam, _ann, _moira, comment = scene
    assert "Hidden while a moderator reviews it." not in client.get(question_url(question)).text
    decide_via_web(login("moira"), comment, decision="hide")
    page = client.get(question_url(question)).get_data(as_text=True)
    assert "Removed by a moderator: Spam or advertising." in page
    assert "Hidden while a moderator reviews it." not in page and "cheap pills" not in page
    decide_via_web(login("moira"), comment, decision="keep", category="other")
    page = client.get(question_url(question)).get_data(as_text=True)
    assert "cheap pills" in page and "Removed by a moderator" not in page


def test_a_community_moderator_alone_cannot_suspend_or_ban(scene, session):
    _sam, _ann, moira, comment = scene
    for decision in ("suspend", "ban"):
        with pytest.raises(Forbidden, match="site moderators"):
            decisions.decide(session, moira, comment, decision, reason="x", days=3)
        session.rollback()
    assert reload(session, User, comment.author_id).suspended_until is None


def test_a_site_moderator_suspends_from_the_queue_and_the_mail_says_until_when(
    scene, login, session, mailbox, community
):
    sam, _ann, moira, comment = scene
    moira.role = Role.MODERATOR.value
    session.commit()
    decide_via_web(login("moira"), comment, decision="suspend", days="3")
    sam = reload(session, User, sam.id)
    assert sam.suspended_until is not None
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.suspended"))
    assert event.details["community_id"] == community.id and event.actor_id == moira.id
    assert "you can sign in and read" in body_of(mailbox.last(sam.email))


def test_a_bad_decision_changes_nothing_and_says_why(scene, login, session):
    _sam, _ann, _moira, comment = scene
    client = login("moira")
    response = decide_via_web(client, comment, decision="edit", new_text="")
    assert response.status_code == 303
    assert "Write the text as it should read" in client.get(QUEUE).get_data(as_text=True)
    assert reload(session, Comment, comment.id).body.startswith("Buy cheap")
    assert count(session, ModerationDecision) == 0
    assert count(session, ContentFlag, ContentFlag.resolved_at.is_(None)) == 1


def test_a_suspension_from_the_queue_stops_a_remembered_token_at_once(
    app, scene, login, session, client, question
):
    """A token its process resolved a moment ago is remembered for a second; a
    suspension decided in that process must not let it write in that second."""
    from portal.accounts.tokens import create_token
    from portal.api.auth import TOKEN_CACHE
    from tests.portal.api.conftest import bearer
    from tests.portal.conftest import Clock

    app.extensions[TOKEN_CACHE].clock = Clock()  # the second does not pass meanwhile
    sam, _ann, moira, comment = scene
    moira.role = Role.MODERATOR.value
    _token, plain = create_token(session, sam, name="game", scope="write")
    session.commit()
    url = f"/api/v1/questions/{question.id}/comments"
    moderator = login("moira")  # (signing in forgets every remembered token: first)
    assert client.get("/api/v1/questions", headers=bearer(plain)).status_code == 200  # remembered
    decide_via_web(moderator, comment, decision="suspend", days="3")
    refused = client.post(url, headers=bearer(plain), json={"body": "Still here?"})
    assert refused.status_code == 403, refused.get_json()
