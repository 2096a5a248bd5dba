"""A member proposes a community, a site admin opens it, its founder appoints a
moderator: in a real browser, each page at desktop and phone width."""

from __future__ import annotations

import pytest

from portal.accounts.models import Role
from tests.browser.journeys import at_both_widths, switch_to

pytestmark = pytest.mark.browser


@pytest.fixture
def founders(accounts) -> None:
    """Fred proposes, Ada (a site admin) decides, Mia joins and is appointed."""
    for name, role in (("fred", Role.MEMBER), ("ada", Role.ADMIN), ("mia", Role.MEMBER)):
        accounts(name, role)


def test_propose_approve_and_appoint(page, live_server, founders, tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    switch_to(page, live_server, "fred")
    page.goto(live_server + "/communities/")
    page.get_by_role("link", name="Propose a community").click()
    at_both_widths(page, shots, "propose")
    page.get_by_label("Name of the community").fill("Living with lupus")
    page.get_by_label("Condition", exact=True).fill("Systemic lupus erythematosus")
    page.get_by_label("Condition code (optional)").fill("M32 9")
    page.get_by_label("What the community is for").fill("People with lupus and their carers.")
    page.get_by_label("Rules (optional)").fill("Be kind.\n\n* No dosing advice.")
    page.get_by_role("button", name="Propose this community").click()
    # A code of the wrong shape is refused next to its field; the rest stays typed.
    assert "is not an ICD-10 code" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Rules (optional)").input_value() == "Be kind.\n\n* No dosing advice."
    page.get_by_label("Condition code (optional)").fill("M32.9")
    page.get_by_role("button", name="Propose this community").click()
    assert "is proposed" in page.locator(".flashes").inner_text()
    assert "only its founder and site admins see this page" in page.content()
    at_both_widths(page, shots, "proposed")

    switch_to(page, live_server, "ada")
    page.goto(live_server + "/communities/")
    page.get_by_role("link", name="Proposals waiting (1)").click()
    at_both_widths(page, shots, "proposals")
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Decide on Living with lupus").click()
    assert "Its founder has been told" in page.locator(".flashes").inner_text()

    switch_to(page, live_server, "mia")
    page.goto(live_server + "/communities/")
    page.get_by_role("link", name="Living with lupus").click()
    page.get_by_role("button", name="Join this community").click()
    assert "You joined Living with lupus." in page.locator(".flashes").inner_text()

    switch_to(page, live_server, "fred")
    page.goto(live_server + "/notifications/")
    assert "was approved: you are its first moderator" in page.content()
    page.goto(live_server + "/communities/living-with-lupus")
    at_both_widths(page, shots, "community")
    page.get_by_role("link", name="Settings").click()
    at_both_widths(page, shots, "settings")
    page.get_by_label("Member", exact=True).select_option(label="mia")
    page.get_by_role("button", name="Appoint as moderator").click()
    assert "mia is now a moderator" in page.locator(".flashes").inner_text()
    page.goto(live_server + "/communities/living-with-lupus/rules")
    assert "No dosing advice." in page.content()
    at_both_widths(page, shots, "rules")
    page.goto(live_server + "/communities/living-with-lupus/moderation-log")
    log = page.locator("table").inner_text()
    assert "Moderator appointed" in log and "mia" not in log
    at_both_widths(page, shots, "moderation-log")
