"""Steps the browser journeys share: accounts in the live server's database, logging in,
sharing a table, building an aggregate analysis, and checking a page at desktop and
phone widths. A journey imports the ``accounts`` and ``live_session`` fixtures by name
from here."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import create_app, db
from portal.accounts.models import Role
from portal.accounts.services import register_user
from portal.community import services as community_services
from portal.community.models import Community
from portal.db import utcnow
from tests.portal.reanalysis.conftest import NAMED_CSV

PASSWORD = "a long and unusual passphrase"


def portal_app(tmp_path: Path):
    """An app on the live server's database and files, to reach them from a test."""
    return create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATA_DIR": str(tmp_path / "data"),
        }
    )


@pytest.fixture
def live_session(live_server, tmp_path) -> Iterator[Callable[[], AbstractContextManager[Session]]]:
    """Open a session on the live server's database, to write what a journey starts
    from as an operator would (``with live_session() as session: ...; session.commit()``)."""
    app = portal_app(tmp_path)

    @contextmanager
    def open_session() -> Iterator[Session]:
        with app.app_context(), db.new_session() as session:
            yield session

    yield open_session
    with app.app_context():
        db.engine().dispose()


@pytest.fixture
def accounts(live_session):
    """Make accounts (and memberships) in the live server's database."""

    def make(
        username: str,
        role: Role = Role.MEMBER,
        community: str | None = None,
        *,
        display_name: str = "",
    ) -> None:
        with live_session() as session:
            user = register_user(
                session,
                username=username,
                email=f"{username}@example.org",
                password=PASSWORD,
                display_name=display_name,
                role=role,
                confirmed=True,
            )
            # Old enough to be trusted with posting (new accounts are rate-limited).
            user.created_at = utcnow() - timedelta(days=30)
            if community:
                found = session.scalar(
                    select(Community).where(Community.slug == community)
                ) or community_services.create_community(
                    session, slug=community, name="Colon cancer", condition="Colon cancer"
                )
                community_services.join(session, found, user)
            session.commit()

    return make


def log_in(page, live_server: str, username: str) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert f"Logged in as {username}." in page.locator(".flashes").inner_text()


def switch_to(page, live_server: str, username: str) -> None:
    """Log in as ``username`` whoever was logged in before."""
    page.context.clear_cookies()
    log_in(page, live_server, username)


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def assert_fits_the_screen(page) -> None:
    """Nothing makes the page scroll sideways (a wide table scrolls inside its box)."""
    wider = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            return [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > width + 1
                             && !e.closest('.table-scroll'))
                .filter(e => getComputedStyle(e).position !== 'fixed')
                .slice(0, 5)
                .map(e => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`);
        }"""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, (page.url, wider)


def shot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def at_both_widths(page, tmp_path: Path, name: str) -> None:
    """A screenshot at 1280 px and at 390 px, and nothing scrolls sideways on the phone."""
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, tmp_path, f"{name}-1280")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits_the_screen(page)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shot(page, tmp_path, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def upload(page, live_server: str, path: Path, title: str) -> str:
    """Share the aggregate table at ``path`` and publish it; returns the dataset's slug."""
    page.goto(live_server + "/datasets/new")
    page.locator("#file").set_input_files(str(path))
    page.locator("#title").fill(title)
    page.locator("#description").fill("Trials of BCG vaccine against tuberculosis.")
    page.locator("#level").select_option("aggregate")
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r".*/datasets/[a-z0-9-]+(\?.*)?$"), timeout=60_000)
    publish(page, 1)
    return page.url.split("/datasets/")[1].split("?")[0]


def publish(page, number: int) -> None:
    """Through the last step: publishing cannot be undone, so it asks once more."""
    page.get_by_role("link", name=f"Publish version {number}").click()
    page.wait_for_url(re.compile(rf".*/versions/{number}/publish$"))
    page.get_by_label(re.compile("publishing cannot be undone")).check()
    page.get_by_role("button", name=f"Publish version {number} for good").click()
    page.wait_for_url(re.compile(rf".*/datasets/[a-z0-9-]+\?version={number}$"))


def upload_bcg(
    page,
    live_server: str,
    tmp_path: Path,
    title: str,
    *,
    text: str = NAMED_CSV,
    filename: str = "bcg.csv",
) -> str:
    """Write the BCG trials (``text``, by default with named columns) to a file, share
    and publish it as ``title``; returns the dataset's slug."""
    path = tmp_path / filename
    path.write_text(text)
    return upload(page, live_server, path, title)


def start_aggregate_analysis(page, live_server: str, dataset: str, title: str) -> None:
    """Open the builder of an aggregate analysis called ``title`` on version 1 of the
    dataset called ``dataset``, and go on to the mapping step."""
    page.goto(live_server + "/analyses/new?kind=aggregate")
    page.locator("#title").fill(title)
    page.get_by_label(re.compile(f"{re.escape(dataset)}, version 1")).check()
    page.get_by_role("button", name="Next: map the variables").click()


def start_bcg_analysis(
    page,
    live_server: str,
    tmp_path: Path,
    username: str,
    dataset: str,
    title: str,
    *,
    text: str = NAMED_CSV,
    filename: str = "bcg.csv",
) -> str:
    """Log in as ``username``, share the BCG trials (``text``) as ``dataset`` and open
    an aggregate analysis of them called ``title`` at its mapping step; returns the
    dataset's slug."""
    log_in(page, live_server, username)
    slug = upload_bcg(page, live_server, tmp_path, dataset, text=text, filename=filename)
    start_aggregate_analysis(page, live_server, dataset, title)
    return slug


def run_by_risk_ratio(page) -> None:
    """From the mapping step: on to the method, choose the risk ratio, run, and wait
    for the analysis' page."""
    page.get_by_role("button", name=re.compile("^Next")).click()
    page.locator("#measure-RR").check()
    page.get_by_role("button", name="Run the analysis").click()
    page.wait_for_url(re.compile(r".*/analyses/\d+$"), timeout=120_000)
