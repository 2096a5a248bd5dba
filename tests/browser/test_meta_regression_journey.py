"""A meta-regression built in the builder in a real browser: moderators chosen with the
mapping, t tests, a permutation test and a prediction chosen with the method, then the
results page with its plain words, the bubble plot, the subgroup forest plot and the
influence table, at 1280 px and 390 px without sideways scrolling."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Role
from tests.browser.journeys import (
    at_both_widths,
    start_bcg_analysis,
)

pytestmark = pytest.mark.browser


def test_a_meta_regression_is_built_and_its_bubble_plot_shown(
    page, live_server, accounts, tmp_path
):
    accounts("mira", Role.RESEARCHER)
    start_bcg_analysis(
        page,
        live_server,
        tmp_path,
        "mira",
        "BCG with latitude",
        "Does latitude explain the BCG trials?",
    )
    page.get_by_label("Latitude", exact=True).check()
    page.get_by_label("Allocation", exact=True).check()
    page.get_by_label("Allocation holds categories").check()
    page.locator("#subgroup").select_option("Allocation")
    at_both_widths(page, tmp_path, "metareg-mapping")
    page.get_by_role("button", name=re.compile("^Next")).click()

    page.locator("#measure-RR").check()
    page.locator("#method-REML").check()
    page.locator("#test-t").check()
    page.locator("#permutations").fill("abc")
    page.get_by_role("button", name="Run the analysis").click()
    # a refused choice says where, and keeps what was typed
    assert "permutations must be a whole number" in page.locator("#permutations-error").inner_text()
    assert page.locator("#test-t").is_checked()
    page.locator("#permutations").fill("200")
    page.locator("#seed").fill("11")
    page.locator("#predict").fill("Latitude = 20\nLatitude = 50; Allocation = random")
    at_both_widths(page, tmp_path, "metareg-method")
    page.get_by_role("button", name="Run the analysis").click()
    page.wait_for_url(re.compile(r".*/analyses/\d+$"), timeout=180_000)

    section = page.locator("#meta-regression")
    section.wait_for()
    text = section.inner_text()
    assert "Test of moderators: F =" in text
    assert "Taken together, the moderators (Latitude, Allocation)" in text
    assert "Each one-unit increase in Latitude multiplies the ratio by" in text
    assert "200 random reorderings, seed 11" in text
    assert page.locator("#metareg-predictions tbody tr").count() == 2
    bubble = page.locator("#bubble-plot")
    bubble.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('#bubble-plot');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    assert "t tests" in page.locator("main").inner_text()
    assert page.locator("#subgroup-forest").is_visible()
    assert page.locator("#influence-table tbody tr").count() == 13
    assert page.locator("#tau2-words").is_visible()
    at_both_widths(page, tmp_path, "metareg-results")

    # the formulas wait behind a disclosure
    formula = section.locator("details")
    assert not formula.locator("p").is_visible()
    formula.locator("summary").click()
    assert "R² = max(0" in formula.inner_text()
