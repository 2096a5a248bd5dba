"""A newcomer registers, logs out, logs in and joins a community, in a real browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"


def test_register_log_out_and_log_in(page, live_server):
    page.goto(live_server + "/")
    page.get_by_role("link", name="Join").click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("E-mail address").fill("newcomer@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    assert "Welcome, newcomer!" in page.locator(".flashes").inner_text()
    screenshot(page, "accounts-registered")

    page.get_by_role("button", name="Log out").click()
    assert page.get_by_role("link", name="Log in").is_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username or e-mail").fill("newcomer@example.org")
    page.get_by_label("Password").fill("wrong password entirely")
    page.get_by_role("button", name="Log in").click()
    assert "Wrong username/e-mail or password." in page.get_by_role("alert").inner_text()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert "Logged in as newcomer." in page.locator(".flashes").inner_text()
    screenshot(page, "accounts-logged-in")


def test_keyboard_users_can_skip_to_the_content(page, live_server):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
