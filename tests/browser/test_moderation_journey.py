"""A flagged reply, from the flag to the admin's suspension, in a real browser: the
moderator sees the note and the author, hides it with a reason; the author reads the
reason and appeals; the admin finds the author through the audit log and suspends them.
Each page fits a desktop (1280 px) and a phone (390 px) without sideways scrolling."""

from __future__ import annotations

import pytest

from portal.accounts.models import Role
from portal.accounts.services import register_user
from portal.community import services as communities
from portal.community.questions import services as questions
from portal.community.threads import services as threads
from tests.browser.journeys import PASSWORD, at_both_widths, log_in
from tests.portal.community.conftest import pico

pytestmark = pytest.mark.browser

SLUG = "colon-cancer"


@pytest.fixture
def world(live_server, live_session):
    with live_session() as session:
        people = {}
        for name, role in [
            ("sam", Role.MEMBER),
            ("ann", Role.MEMBER),
            ("moira", Role.MEMBER),
            ("root", Role.ADMIN),
        ]:
            people[name] = register_user(
                session,
                username=name,
                email=f"{name}@example.org",
                password=PASSWORD,
                role=role,
                confirmed=True,
                check_strength=False,
            )
        community = communities.create_community(
            session, slug=SLUG, name="Colon cancer", condition="Colon cancer"
        )
        for name in ("sam", "ann"):
            communities.join(session, community, people[name])
        communities.join(session, community, people["moira"], role="moderator")
        question = questions.propose(session, community, people["ann"], pico())
        threads.add(
            session, question, people["sam"], "Cheap pills, no prescription, at pills.example"
        )
        session.commit()
        question_id = question.id
    return f"{live_server}/communities/{SLUG}/questions/{question_id}"


def log_out(page):
    page.get_by_role("button", name="Log out").click()


def test_flag_hide_appeal_and_suspend(page, live_server, world, tmp_path):
    question_url = world
    # Ann flags Sam's reply, with a note.
    log_in(page, live_server, "ann")
    page.goto(question_url)
    comment = page.locator("li.comment").filter(has_text="Cheap pills")
    comment.locator("summary", has_text="Flag").click()
    comment.get_by_label("Spam or advertising").check()
    comment.get_by_label("Anything a moderator should know?").fill("Links to a pill shop")
    comment.get_by_role("button", name="Send flag").click()
    at_both_widths(page, tmp_path, "question")
    log_out(page)

    # Moira sees the note, who flagged it and who wrote it, and hides it with a reason.
    log_in(page, live_server, "moira")
    page.goto(f"{live_server}/communities/{SLUG}/moderation/")
    item = page.locator(".queue-item").filter(has_text="Cheap pills")
    assert "ann: Spam or advertising — “Links to a pill shop”" in item.inner_text()
    assert "Written by sam" in item.inner_text()
    assert "sam's history: account 0 days old" in item.inner_text()
    at_both_widths(page, tmp_path, "queue")
    item.locator("summary", has_text="Decide").click()
    item.get_by_label("Decision").select_option("hide")
    item.get_by_label("What rule it is about").select_option("spam")
    item.get_by_label("Reason (the author is told it)").fill("Advertising a pill shop.")
    item.get_by_role("button", name="Apply the decision").click()
    assert "The author is told why" in page.locator(".flashes").inner_text()
    log_out(page)

    # A visitor sees the outcome.
    page.goto(question_url)
    assert (
        "Removed by a moderator: Spam or advertising." in page.locator("#discussion").inner_text()
    )

    # Sam reads the reason in his notices and appeals.
    log_in(page, live_server, "sam")
    page.goto(live_server + "/notifications/")
    notice = page.get_by_role("link", name="Advertising a pill shop.", exact=False)
    notice.click()
    assert "Advertising a pill shop." in page.locator("main").inner_text()
    page.locator("summary", has_text="Appeal this decision").click()
    page.get_by_label("Why should the decision change?").fill("It was a warning about that shop.")
    page.get_by_role("button", name="Send the appeal").click()
    assert "Your appeal is sent" in page.locator(".flashes").inner_text()
    assert "Appeal this decision" not in page.locator("main").inner_text(), "once only"
    at_both_widths(page, tmp_path, "appeals")
    log_out(page)

    # The admin finds Sam through the audit log and suspends him.
    log_in(page, live_server, "root")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Audit log", exact=True).click()
    page.get_by_label("Action (or its start").fill("moderation.hidden")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("table.audit tbody tr").filter(has_text="moderation.hidden")
    assert "moira" in row.inner_text()
    at_both_widths(page, tmp_path, "audit")
    row.get_by_role("link", name="sam").click()
    page.get_by_label("Suspend for (days)").fill("3")
    page.get_by_label("Reason for the suspension").fill("Repeated advertising.")
    page.get_by_role("button", name="Suspend").click()
    assert "sam is suspended until" in page.locator(".flashes").inner_text()
    at_both_widths(page, tmp_path, "admin-user")
    page.get_by_role("link", name="Users", exact=True).click()
    at_both_widths(page, tmp_path, "admin-users")
