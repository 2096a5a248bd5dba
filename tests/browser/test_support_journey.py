"""Peer support in a real browser: a member posts a story, others reply, say "this
helped" and follow; a post made as "a member" shows no name; the pages fit a desktop
and a phone without scrolling sideways."""

from __future__ import annotations

import pytest

from tests.browser.journeys import switch_to

pytestmark = pytest.mark.browser

SUPPORT = "/communities/colon-cancer/support/"


@pytest.fixture
def members(accounts) -> None:
    """Ana, Ben and Cleo, members of one community, in the live server's database."""
    for name in ("ana", "ben", "cleo"):
        accounts(name, community="colon-cancer", display_name=name.capitalize() + " Example")


def fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {width}px"


def test_members_share_reply_react_and_follow(page, live_server, members, tmp_path):
    switch_to(page, live_server, "ana")
    page.goto(live_server + SUPPORT)
    page.get_by_role("link", name="Write a post").click()
    page.get_by_label("My story").check()
    page.get_by_label("Title").fill("Back on my bike after surgery")
    page.get_by_label("Your post").fill("It took **four months**. The physiotherapist helped.")
    page.get_by_role("button", name="Post", exact=True).click()
    assert page.locator("h1").inner_text() == "Back on my bike after surgery"
    assert page.locator("strong", has_text="four months").count() == 1
    thread_url = page.url

    switch_to(page, live_server, "ben")
    page.goto(thread_url)
    page.get_by_role("button", name="This helped me").click()
    assert "1 member found this helpful" in page.locator("#post-1").inner_text()
    assert page.get_by_role("button", name="✓ This helped me").count() == 1
    page.get_by_role("button", name="Follow this thread").click()
    assert page.get_by_role("button", name="Stop following").count() == 1
    page.get_by_label("Your reply").fill("Same for me: walking first, then the bike.")
    page.get_by_label("Post as “a member”").check()
    page.get_by_role("button", name="Post reply").click()
    reply = page.locator("#replies article")
    assert "a member (you)" in reply.inner_text()
    page.screenshot(path=str(tmp_path / "thread-1280.png"), full_page=True)

    switch_to(page, live_server, "cleo")
    page.goto(thread_url)
    reply_text = page.locator("#replies article").inner_text()
    assert "a member" in reply_text and "Ben" not in reply_text
    assert "Ben Example" not in page.content() and "/u/ben" not in page.content()
    page.get_by_role("button", name="This helped me").first.click()
    assert "2 members found this helpful" in page.locator("#post-1").inner_text()

    switch_to(page, live_server, "ana")
    page.goto(live_server + "/notifications/")
    page.get_by_role("link", name="New reply in “Back on my bike after surgery”").click()
    assert page.url.startswith(thread_url)
    page.goto(live_server + "/whats-new/")
    assert "Back on my bike after surgery" in page.locator("main").inner_text()

    for url in (SUPPORT, thread_url, SUPPORT + "new", "/whats-new/", "/notifications/"):
        page.goto(url if url.startswith("http") else live_server + url)
        for width in (1280, 390):
            fits(page, width)
    page.screenshot(path=str(tmp_path / "whats-new-390.png"), full_page=True)


def test_an_anonymous_story_shows_as_a_member_in_the_list(page, live_server, members):
    switch_to(page, live_server, "ben")
    page.goto(live_server + SUPPORT + "new")
    page.get_by_label("What helped me").check()
    page.get_by_label("Title").fill("Ginger for the nausea")
    page.get_by_label("Your post").fill("Ginger tea, small sips, every hour.")
    page.get_by_label("Post as “a member”").check()
    page.get_by_role("button", name="Post", exact=True).click()

    switch_to(page, live_server, "cleo")
    page.goto(live_server + SUPPORT + "?kind=helped")
    row = page.locator(".support-row", has_text="Ginger for the nausea")
    assert "by a member" in row.inner_text()
    assert "Ben" not in page.content() and "/u/ben" not in page.content()
    page.set_viewport_size({"width": 390, "height": 900})
    fits(page, 390)
