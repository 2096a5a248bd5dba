"""The main journeys in a real browser: share and publish a dataset, run an analysis
and see its forest plot, propose a question, discuss it and support it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import create_app, db
from portal.accounts.models import Role, User
from portal.accounts.services import register_user
from portal.community import services as community_services
from portal.db import utcnow
from tests.browser.conftest import screenshot
from tests.portal.reanalysis.conftest import BCG_CSV

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"


@pytest.fixture
def accounts(live_server, tmp_path):
    """Make accounts (and memberships) in the live server's database."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATA_DIR": str(tmp_path / "data"),
        }
    )

    def make(username: str, role: Role = Role.MEMBER, community: str | None = None) -> None:
        with app.app_context():
            session = db.new_session()
            user = register_user(
                session,
                username=username,
                email=f"{username}@example.org",
                password=PASSWORD,
                role=role,
                confirmed=True,
            )
            # Old enough to be trusted with posting (new accounts are rate-limited).
            user.created_at = utcnow() - timedelta(days=30)
            if community:
                found = community_services.create_community(
                    session, slug=community, name="Colon cancer", condition="Colon cancer"
                )
                community_services.join(
                    session, found, session.scalar(select(User).where(User.username == username))
                )
            session.commit()
            session.close()

    yield make
    with app.app_context():
        db.engine().dispose()


def log_in(page, live_server: str, username: str) -> None:
    page.goto(live_server + "/login")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert f"Logged in as {username}." in page.locator(".flashes").inner_text()


def share_and_publish(page, live_server: str, tmp_path: Path, title: str) -> str:
    data = tmp_path / "bcg.csv"
    data.write_text(BCG_CSV)
    page.goto(live_server + "/datasets/new")
    page.locator("#file").set_input_files(str(data))
    page.locator("#title").fill(title)
    page.locator("#description").fill("Thirteen trials of BCG vaccine against tuberculosis.")
    page.locator("#level").select_option("aggregate")
    page.get_by_role("button", name="Upload and check").click()
    # The job page follows the check and moves on to the dataset when it ends.
    page.wait_for_url(re.compile(r".*/datasets/[a-z0-9-]+(\?.*)?$"), timeout=60_000)
    page.get_by_role("link", name="Publish version 1").click()
    page.get_by_label(re.compile("publishing cannot be undone")).check()
    page.get_by_role("button", name="Publish version 1 for good").click()
    page.wait_for_load_state()
    assert "draft, visible only to you" not in page.content()
    return page.url.split("/datasets/")[1].split("?")[0]


def test_a_researcher_uploads_a_dataset_and_publishes_it(page, live_server, accounts, tmp_path):
    accounts("rita", Role.RESEARCHER)
    log_in(page, live_server, "rita")
    slug = share_and_publish(page, live_server, tmp_path, "BCG trials")
    assert "published" in page.locator("main").inner_text()
    screenshot(page, "datasets-published")
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{live_server}/datasets/{slug}")
    assert page.get_by_role("heading", name="BCG trials").is_visible()


def test_an_analysis_is_built_run_and_shows_its_forest_plot(page, live_server, accounts, tmp_path):
    accounts("rita", Role.RESEARCHER)
    log_in(page, live_server, "rita")
    share_and_publish(page, live_server, tmp_path, "BCG trials")
    page.goto(live_server + "/analyses/new?kind=aggregate")
    page.locator("#title").fill("BCG against tuberculosis")
    page.get_by_label(re.compile("BCG trials, version 1")).check()
    page.get_by_role("button", name="Next: map the variables").click()
    for role, column in {
        "study": "Study",
        "year": "Year",
        "col_ai": "BCGTB",
        "col_n1i": "BCGVacc",
        "col_ci": "NoVaccTB",
        "col_n2i": "NoVacc",
    }.items():
        page.locator(f"#{role}").select_option(column)
    page.get_by_role("button", name=re.compile("^Next")).click()
    page.locator("#measure-RR").check()
    page.locator("#method-REML").check()
    page.get_by_role("button", name="Run the analysis").click()
    page.wait_for_url(re.compile(r".*/analyses/\d+$"), timeout=120_000)
    forest = page.get_by_role("img", name=re.compile("Forest plot of 13 studies"))
    forest.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", forest.element_handle())
    screenshot(page, "analysis-forest-plot")
    analysis_url = page.url
    # on a phone, the results and the dataset they came from fit the screen's width
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (analysis_url, f"{live_server}/datasets/"):
        page.goto(url)
        assert_fits_the_screen(page)
    page.get_by_role("link", name="BCG trials").first.click()
    page.wait_for_load_state()
    assert_fits_the_screen(page)
    screenshot(page, "dataset-phone")
    page.goto(analysis_url)
    screenshot(page, "analysis-phone")


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


def test_a_member_proposes_a_question_comments_and_supports_it(page, live_server, accounts):
    accounts("sam", community="colon-cancer")
    log_in(page, live_server, "sam")
    page.goto(live_server + "/communities/colon-cancer/questions/new")
    page.locator("#title").fill(
        "Does adjuvant chemotherapy improve survival in stage III colon cancer?"
    )
    page.locator("#population").fill("Adults after surgery for stage III colon cancer")
    page.locator("#intervention").fill("Levamisole plus fluorouracil for one year")
    page.locator("#comparator").fill("Observation")
    page.locator("#outcome").fill("Overall survival at five years")
    page.locator("#rationale").fill("Patients want to know whether a year of it is worth it.")
    page.get_by_role("button", name="Propose this question").click()
    page.wait_for_url(re.compile(r".*/questions/\d+$"))
    assert page.get_by_role("heading", name=re.compile("adjuvant chemotherapy")).is_visible()

    page.locator("form.comment-form textarea[name=body]").fill(
        "Five-year survival is what my family asked about."
    )
    page.get_by_role("button", name="Post comment").click()
    assert "Comment posted." in page.locator(".flashes").inner_text()
    assert page.get_by_text("Five-year survival is what my family asked about.").is_visible()

    page.get_by_role("button", name="Support this question").click()
    assert page.get_by_role("button", name="Withdraw my support").is_visible()
    screenshot(page, "question-proposed-discussed-supported")
