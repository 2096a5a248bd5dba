"""A live portal in a thread and a real headless Chromium driven by Playwright.

Debian's chromium is used through ``executable_path``; Playwright's own browser
download is not available here. In CI a missing browser fails the run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from werkzeug.serving import make_server

from portal import create_app, db
from portal.migrate import alembic_config

# the shared journey steps assert too, and their failures should read as well as a test's
pytest.register_assert_rewrite("tests.browser.journeys")

# every journey may ask for these by name; imported once the rewrite is registered
from tests.browser.journeys import accounts, live_session  # noqa: E402

__all__ = ["accounts", "live_session"]

CHROMIUM = Path(os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is missing at {CHROMIUM}; .ci/run installs it.")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


def buffered(app):
    """The app, with each response read whole and closed before it is sent.

    Werkzeug's development server does not close a response whose connection
    the browser drops while the server drains the request (Chromium drops
    favicon requests when it navigates away), so a static file stayed open and
    its ResourceWarning failed whichever test was running. Responses here are
    small; reading them whole first leaves nothing open to leak."""

    def serve(environ, start_response):
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            if hasattr(response, "close"):
                response.close()

    return serve


@pytest.fixture
def live_server(tmp_path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATA_DIR": str(tmp_path / "data"),
        }
    )
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine().dispose()


def _expected(console_text: str) -> bool:
    # A form re-rendered with its errors answers 400; the browser logs that, but it
    # is the page working as designed, not a fault.
    return console_text.endswith("status of 400 (BAD REQUEST)")


@pytest.fixture
def page(chromium_path: Path, live_server: str, tmp_path) -> Iterator:
    """A page in a fresh browser. It asks for the live server so that the browser is
    closed before the server stops: a test that ends while a file is still loading
    must not see that load cut off (ERR_CONNECTION_RESET) and count it as a fault."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                errors.append(message.text)
                if message.type == "error" and not _expected(message.text)
                else None
            ),
        )
        yield page
        context.close()
        browser.close()
        assert errors == [], f"the browser reported errors: {errors}"


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
