"""Attack: someone reads a health community's public moderation log beside what they see
elsewhere (a post that disappears, "the account is currently suspended" appearing in
another community's queue, an appeal's outcome) and so learns who is a member there, or
who was sanctioned there.

The public log therefore says only how many decisions of each kind were taken in each
week that is over, and under which of the fixed categories: no free text, no time finer
than the week, no appeal outcome, no warning or sanction told apart from a removal, and
nothing at all about the week in progress, so that watching the page dates nothing. The
community's own moderators read the full log."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from portal.accounts.models import Role, User
from portal.audit import AuditEvent
from portal.community import services
from portal.community.governance import log, public_log
from portal.community.moderation import appeals, decisions
from portal.community.moderation import services as moderation
from portal.community.threads import services as threads
from portal.db import utcnow

QUEUE = "/communities/colon-cancer/moderation/"
LOG = "/communities/tuberculosis/moderation-log"
REASONS = (
    "Names a clinic and a dose: personal health information.",
    "Second warning for posting clinic details.",
    "Third time: suspended while we talk to them.",
)
APPEAL = "I only named my own clinic."
RESPONSE = "Fair enough: it was your own clinic."
#: What would tie an entry to a decision about someone: its words, or its kind of outcome.
TELLING = (
    *REASONS,
    APPEAL,
    RESPONSE,
    "Warned",
    "warned",
    "Suspended",
    "suspended",
    "Banned",
    "banned",
    "overturned",
    "Overturned",
    "upheld",
    "Upheld",
    "accepted",
)
DATE = re.compile(
    r"\b(\d{1,2}) (January|February|March|April|May|June|July|August|September|"
    r"October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4})"
)


def last_week(now: datetime | None = None) -> datetime:
    """Wednesday noon of the week before this one: a week that is over."""
    now = (now or utcnow()) - public_log.SETTLED  # a week shows a day after it ends
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday - timedelta(days=5, hours=12)


def age_events(session, community_id: int, when: datetime) -> None:
    """Move a community's audit events to ``when``, a second apart in their order."""
    events = session.scalars(
        AuditEvent.__table__.select()
        .with_only_columns(AuditEvent.id)
        .where(AuditEvent.details["community_id"].as_integer() == community_id)
        .order_by(AuditEvent.id)
    ).all()
    for n, event_id in enumerate(events):
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.id == event_id)
            .values(created_at=when + timedelta(seconds=n))
        )
    session.commit()


def log_body(page: str) -> str:
    """The page between the heading and the end of the content, without the community's
    name: what would differ from one community's log to another's."""
    start = page.index("<h1>")
    return page[start : page.index("</main>", start)] if "</main>" in page else page[start:]


def assert_untellable(page: str, who: str) -> None:
    for words in TELLING:
        assert words not in page, f"{words!r} shows to {who}"
    assert not re.search(r"\b\d{1,2}:\d{2}\b", page), f"a time of day shows to {who}"
    for day, month, year in DATE.findall(page):
        shown = datetime.strptime(f"{day} {month[:3]} {year}", "%d %b %Y")
        assert shown.weekday() == 0, f"{day} {month} {year} is not the start of a week ({who})"


@pytest.fixture
def scene(session, community, other_community, person, propose):
    """Sam keeps his tuberculosis membership private. Simone (a site moderator who
    moderates tuberculosis) hid his question, warned him over a post and suspended him
    over a comment; he appealed the warning and an admin overturned it."""
    sam = person("sam", member_of=(community, other_community))
    person("moira", moderator_of=(community,))
    person("tess", member_of=(other_community,))
    simone = person("simone", role=Role.MODERATOR, moderator_of=(other_community,))
    root = person("root", role=Role.ADMIN)
    question = propose(other_community, sam, "Does pyrazinamide shorten latent tuberculosis?")
    comment = threads.add(session, question, sam, "My clinic gives me isoniazid.")
    other = threads.add(session, question, sam, "Six months of rifampicin.")
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
            (question, other, comment), ("hide", "warn", "suspend"), REASONS, strict=True
        )
    )
    session.commit()
    appeal = appeals.appeal(session, sam, warn, text=APPEAL)
    session.commit()
    appeals.decide_appeal(session, root, appeal, overturn=True, response=RESPONSE)
    session.commit()
    return sam, simone


@pytest.mark.parametrize("viewer", [None, "tess", "moira", "sam"])
def test_no_reader_but_its_moderators_can_tie_an_entry_to_a_decision(
    scene, session, other_community, client, login, viewer
):
    """A visitor, a member, another community's moderator and the author himself read
    counts per week and category, and nothing that names a decision."""
    age_events(session, other_community.id, last_week())
    reader = client if viewer is None else login(viewer)
    page = reader.get(LOG).get_data(as_text=True)
    assert_untellable(page, viewer or "a visitor")
    words = " ".join(page.split())
    # Moderation still shows: what was done, how often and why, in plain words.
    assert "Removed by a moderator: 3" in words
    assert "Personal health information about someone: 3" in words
    assert "Appeals decided: 1" in words and "Appeals made: 1" in words
    assert "Week of " in words and "What moderators do here" in words


def test_its_own_moderators_and_the_admins_read_the_whole_log(
    scene, session, other_community, login
):
    age_events(session, other_community.id, last_week())
    for who in ("simone", "root"):
        words = " ".join(html.unescape(login(who).get(LOG).get_data(as_text=True)).split())
        assert all(reason in words for reason in REASONS), who
        assert "Hidden, and the author's account suspended" in words, who
        assert "Appeal overturned" in words and RESPONSE in words, who
    entries = log.community_log(session, other_community.id)
    assert {e.by for e in entries if e.action == "Appealed"} == {"member"}


def test_the_moderators_log_is_kept_by_no_shared_cache(scene, session, other_community, login):
    """The full log quotes moderators' words, which may name a member's health: a proxy
    or a shared computer's browser must not keep it for the next reader."""
    age_events(session, other_community.id, last_week())
    assert login("simone").get(LOG).headers["Cache-Control"] == "private, no-store"


def test_a_sanctioned_moderator_reads_only_the_public_log(scene, session, other_community, login):
    """A moderator suspended for leaking members' details keeps the role until someone
    removes it, but not the reading of every decision."""
    age_events(session, other_community.id, last_week())
    session.execute(
        update(User)
        .where(User.username == "simone")
        .values(suspended_until=utcnow() + timedelta(days=3))
    )
    session.commit()
    page = html.unescape(login("simone").get(LOG).get_data(as_text=True))
    assert "Removed by a moderator" in page  # the weekly counts, as everyone reads them
    for words in (*REASONS, APPEAL, RESPONSE, "Appeal overturned"):
        assert words not in page


def test_watching_the_log_dates_nothing(
    session, community, other_community, person, propose, client, login
):
    """Moira moderates colon cancer, where Sam shows his membership: she reloads her queue
    and the tuberculosis log, and sees "the account is currently suspended" appear on Sam.
    The log does not move when it appears, so it cannot say that the suspension was
    decided there, nor when."""
    sam = person("sam", member_of=(community, other_community))
    ann = person("ann", member_of=(community,))
    person("moira", moderator_of=(community,))
    simone = person("simone", role=Role.MODERATOR, moderator_of=(other_community,))
    services.set_visible(session, sam, {community.id})
    flagged = threads.add(
        session, propose(community, ann, "Is aspirin after colon surgery worth it?"), sam, "Hi"
    )
    secret = propose(other_community, sam, "Does pyrazinamide shorten latent tuberculosis?")
    session.commit()
    moderation.flag(session, ann, flagged, reason="spam")
    session.commit()
    moira = login("moira")
    moira.get("/")  # reads the "Logged in" flash, which the first page after login shows
    watcher = client

    def restriction() -> bool:
        return "The account is currently suspended." in moira.get(QUEUE).get_data(as_text=True)

    # The content, not the page: its signed CSRF token changes with the second.
    before = log_body(watcher.get(LOG).get_data(as_text=True))
    before_moira = log_body(moira.get(LOG).get_data(as_text=True))
    assert not restriction()
    decisions.decide(session, simone, secret, "suspend", reason=REASONS[2], days=3)
    session.commit()
    assert restriction()
    assert log_body(watcher.get(LOG).get_data(as_text=True)) == before
    assert log_body(moira.get(LOG).get_data(as_text=True)) == before_moira


def test_a_suspension_reads_the_same_as_someone_elses_post_removed(
    session, community, other_community, person, propose, client
):
    """Two health communities, the same week: in one a site moderator suspended Sam over
    his question, in the other a moderator hid Bob's question under the same category.
    Once the week is over, their public logs read the same: nothing in either tells a
    sanction (which "currently suspended" shows elsewhere) from a plain removal."""
    sam = person("sam", member_of=(community, other_community))
    bob = person("bob", member_of=(community,))
    simone = person("simone", role=Role.MODERATOR, moderator_of=(other_community,))
    moira = person("moira", moderator_of=(community,))
    suspended = propose(other_community, sam, "Does pyrazinamide shorten latent tuberculosis?")
    hidden = propose(community, bob, "Is aspirin after colon surgery worth it?")
    decisions.decide(
        session, simone, suspended, "suspend", reason=REASONS[2], days=3, category="spam"
    )
    decisions.decide(session, moira, hidden, "hide", reason="Advert.", category="spam")
    session.commit()
    when = last_week()
    for place in (community, other_community):
        age_events(session, place.id, when)
    pages = [
        log_body(client.get(f"/communities/{place.slug}/moderation-log").get_data(as_text=True))
        .replace(place.name, "THE COMMUNITY")
        .replace(place.slug, "the-community")
        for place in (community, other_community)
    ]
    assert pages[0] == pages[1]
    assert "Removed by a moderator: 1" in " ".join(pages[0].split())


def test_a_week_in_progress_shows_nothing(scene, session, other_community, client):
    page = client.get(LOG).get_data(as_text=True)
    assert "Removed by a moderator" not in page
    assert_untellable(page, "a visitor")
