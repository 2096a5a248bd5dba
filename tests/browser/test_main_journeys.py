"""The main journeys in a real browser: share and publish a dataset, run an analysis
and see its forest plot, propose a question, discuss it and support it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.accounts.models import Role
from tests.browser.conftest import screenshot
from tests.browser.journeys import (
    assert_fits_the_screen,
    log_in,
    start_aggregate_analysis,
)
from tests.portal.reanalysis.conftest import BCG_CSV

pytestmark = pytest.mark.browser


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
    start_aggregate_analysis(page, live_server, "BCG trials", "BCG against tuberculosis")
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
