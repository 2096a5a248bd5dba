"""A newcomer registers, confirms the address, logs in, in a real browser."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"


def wait_for_mail(folder: Path) -> list[Path]:
    for _ in range(600):
        found = list(folder.glob("*.eml"))
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no mail in {folder} after 30 s")


def test_register_confirm_and_log_in(page, live_server, tmp_path):
    page.goto(live_server + "/")
    page.get_by_role("link", name="Join").click()
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("E-mail address").fill("newcomer@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    assert "open the link in it to confirm" in page.locator(".flashes").inner_text()
    screenshot(page, "accounts-registered")

    # The embedded default writes mail as files in the instance folder, from the mail
    # thread (the page does not wait for it).
    [sent] = wait_for_mail(tmp_path / "instance" / "mail")
    message = message_from_bytes(sent.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",)).get_content()
    link = next(word for word in body.split() if word.startswith(live_server + "/confirm/"))
    page.goto(link)
    assert "your e-mail address is confirmed" in page.locator(".flashes").inner_text()

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
