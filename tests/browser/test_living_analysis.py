"""A living analysis in a real browser: the builder pre-fills the mapping, a failed run
is edited into a good one, a newer published version is announced, run and compared,
at desktop and phone widths."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Role
from tests.browser.journeys import (
    at_both_widths,
    publish,
    run_by_risk_ratio,
    start_bcg_analysis,
)
from tests.portal.reanalysis.conftest import NAMED_CSV

pytestmark = pytest.mark.browser

V1_CSV = "".join(NAMED_CSV.splitlines(keepends=True)[:-1])


def test_a_failed_analysis_is_edited_into_a_good_run_that_lives_on_newer_data(
    page, live_server, accounts, tmp_path
):
    accounts("rita", Role.RESEARCHER)
    # the builder recognises the columns; swapping two of them makes the run fail
    slug = start_bcg_analysis(
        page,
        live_server,
        tmp_path,
        "rita",
        "BCG named",
        "BCG, kept up to date",
        text=V1_CSV,
        filename="bcg-v1.csv",
    )
    assert page.locator("#mapping-suggested").is_visible()
    assert page.locator("#col_ai").input_value() == "events_treat"
    assert page.locator("#col_n2i").input_value() == "n_ctrl"
    page.locator("#col_n2i").select_option("")
    page.get_by_role("button", name=re.compile("^Next")).click()
    assert "Choose the column for Total, control" in page.locator("#col_n2i-error").inner_text()
    assert page.locator("#col_ai").input_value() == "events_treat"  # kept
    at_both_widths(page, tmp_path, "mapping-refused")
    page.locator("#col_n2i").select_option("n_ctrl")
    page.locator("#col_ai").select_option("n_treat")
    page.locator("#col_n1i").select_option("events_treat")
    run_by_risk_ratio(page)
    failure = page.locator("#failure")
    failure.wait_for()
    assert "This analysis could not be computed" in failure.inner_text()
    assert "Events exceed the arm total" in failure.inner_text()
    at_both_widths(page, tmp_path, "analysis-failed")

    # edit it into a new run: the builder opens with the failed run's choices
    page.get_by_role("button", name="Edit and run again").first.click()
    page.wait_for_url(re.compile(r".*/analyses/\d+/map$"))
    assert page.locator("#col_ai").input_value() == "n_treat"
    page.locator("#col_ai").select_option("events_treat")
    page.locator("#col_n1i").select_option("n_treat")
    page.get_by_role("button", name=re.compile("^Next")).click()
    assert page.locator("#measure-RR").is_checked()
    page.get_by_role("button", name="Run the analysis").click()
    page.wait_for_url(re.compile(r".*/analyses/\d+$"), timeout=120_000)
    page.get_by_role("heading", name="Pooled estimate").wait_for()
    good_url = page.url
    assert "made from" in page.locator("main").inner_text()
    page.get_by_role("button", name="Follow").click()
    assert "You follow this analysis" in page.locator("main").inner_text()

    # a second version is published: the analysis says so and runs on it
    page.goto(f"{live_server}/datasets/{slug}/versions/new")
    second = tmp_path / "bcg-v2.csv"
    second.write_text(NAMED_CSV)
    page.locator("#file").set_input_files(str(second))
    page.locator("#change_note").fill("The thirteenth trial.")
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r".*/datasets/[a-z0-9-]+(\?.*)?$"), timeout=60_000)
    publish(page, 2)
    page.goto(good_url)
    notice = page.locator("#newer-data")
    assert re.search(
        r"Dataset BCG named has a newer version \(v2, published \d\d \w{3} \d{4}\)",
        notice.inner_text(),
    )
    at_both_widths(page, tmp_path, "analysis-newer-data")
    page.get_by_role("button", name="Run on the new version").click()
    page.wait_for_url(re.compile(r".*/analyses/\d+$"), timeout=120_000)
    changes = page.locator("#changes")
    changes.wait_for()
    text = changes.inner_text()
    assert "BCG named: version 1 → version 2." in text
    assert re.search(r"Number of studies \(k\)\s+12\s+13\s+\+1", text)
    assert "Pooled estimate" in text and "Between-study variance" in text
    at_both_widths(page, tmp_path, "analysis-changes")
    page.set_viewport_size({"width": 390, "height": 844})
    # on a phone the table of changes fits whole: no column hides behind a scroll
    assert page.evaluate(
        "() => { const t = document.querySelector('#changes table');"
        " return t.scrollWidth <= t.parentElement.clientWidth; }"
    )
    assert page.url != good_url
