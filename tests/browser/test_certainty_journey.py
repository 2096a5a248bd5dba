"""The certainty of evidence in a real browser: a finished analysis drafts it in plain
words, its owner changes a rating (refused without a reason, kept with one), at desktop
and phone widths."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Role
from tests.browser.journeys import (
    at_both_widths,
    run_by_risk_ratio,
    start_bcg_analysis,
)

pytestmark = pytest.mark.browser


def test_the_owner_rates_the_certainty_of_a_finished_analysis(
    page, live_server, accounts, tmp_path
):
    accounts("rita", Role.RESEARCHER)
    start_bcg_analysis(page, live_server, tmp_path, "rita", "BCG named", "BCG, how sure")
    run_by_risk_ratio(page)

    section = page.locator("#certainty")
    section.wait_for()
    assert "How sure can we be?" in section.inner_text()
    overall = page.locator("#certainty-overall").inner_text()
    assert "have not been assessed yet" in overall
    assert page.locator("#certainty-risk_of_bias").inner_text().count("not assessed") >= 1
    at_both_widths(page, tmp_path, "certainty-drafted")

    # no reason: refused, the choice kept and the problem shown
    page.locator("#rating_indirectness").select_option("serious")
    page.locator("#reason_indirectness").fill("")
    page.get_by_role("button", name="Save the ratings").click()
    problem = page.locator("#certainty-problem")
    problem.wait_for()
    assert "Say why indirectness is rated serious." in problem.inner_text()
    assert page.locator("#rating_indirectness").input_value() == "serious"
    at_both_widths(page, tmp_path, "certainty-refused")

    reason = "Trials in the 1940s used other vaccine strains."
    page.locator("#reason_indirectness").fill(reason)
    page.get_by_role("button", name="Save the ratings").click()
    page.wait_for_url(re.compile(r".*/analyses/\d+#certainty$"))
    row = page.locator("#certainty-indirectness").inner_text()
    assert "serious" in row and reason in row and "Set by rita" in row
    assert "Certainty of evidence updated: Indirectness." in page.locator("body").inner_text()
    at_both_widths(page, tmp_path, "certainty-rated")
