"""A member proposes a community, a site admin opens it, its founder appoints a
moderator: in a real browser, each page at desktop and phone width."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal import create_app, db
from portal.accounts.models import Role
from portal.accounts.services import register_user

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"
WIDTHS = (1280, 390)


@pytest.fixture
def accounts(live_server, tmp_path) -> None:
    """Accounts in the live server's database, written as an operator would."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATA_DIR": str(tmp_path / "data"),
        }
    )
    with app.app_context(), db.new_session() as session:
        for name, role in (("fred", Role.MEMBER), ("ada", Role.ADMIN), ("mia", Role.MEMBER)):
            register_user(
                session,
                username=name,
                email=f"{name}@example.org",
                password=PASSWORD,
                role=role,
                confirmed=True,
            )
        session.commit()
    with app.app_context():
        db.engine().dispose()


def fits(page, name: str, shots: Path) -> None:
    """The page has no sideways scrolling at desktop or phone width."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow}px too wide at {width}px"
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def log_in(page, server: str, name: str) -> None:
    page.context.clear_cookies()
    page.goto(server + "/login")
    page.get_by_label("Username or e-mail").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert f"Logged in as {name}." in page.locator(".flashes").inner_text()


def test_propose_approve_and_appoint(page, live_server, accounts, tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    log_in(page, live_server, "fred")
    page.goto(live_server + "/communities/")
    page.get_by_role("link", name="Propose a community").click()
    fits(page, "propose", shots)
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
    fits(page, "proposed", shots)

    log_in(page, live_server, "ada")
    page.goto(live_server + "/communities/")
    page.get_by_role("link", name="Proposals waiting (1)").click()
    fits(page, "proposals", shots)
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Decide on Living with lupus").click()
    assert "Its founder has been told" in page.locator(".flashes").inner_text()

    log_in(page, live_server, "mia")
    page.goto(live_server + "/communities/")
    page.get_by_role("link", name="Living with lupus").click()
    page.get_by_role("button", name="Join this community").click()
    assert "You joined Living with lupus." in page.locator(".flashes").inner_text()

    log_in(page, live_server, "fred")
    page.goto(live_server + "/notifications/")
    assert "was approved: you are its first moderator" in page.content()
    page.goto(live_server + "/communities/living-with-lupus")
    fits(page, "community", shots)
    page.get_by_role("link", name="Settings").click()
    fits(page, "settings", shots)
    page.get_by_label("Member", exact=True).select_option(label="mia")
    page.get_by_role("button", name="Appoint as moderator").click()
    assert "mia is now a moderator" in page.locator(".flashes").inner_text()
    page.goto(live_server + "/communities/living-with-lupus/rules")
    assert "No dosing advice." in page.content()
    fits(page, "rules", shots)
    page.goto(live_server + "/communities/living-with-lupus/moderation-log")
    log = page.locator("table").inner_text()
    assert "Moderator appointed" in log and "mia" not in log
    fits(page, "moderation-log", shots)
