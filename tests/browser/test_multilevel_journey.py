"""A three-level model built in the builder in a real browser: several grant-award effects
per study, the study and effect columns chosen with the mapping, the model chosen with the
method, then the results page with its two variance components in plain words, at 1280 px
and 390 px without sideways scrolling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portal.accounts.models import Role
from tests.browser.journeys import (
    at_both_widths,
    log_in,
    start_aggregate_analysis,
    upload,
)

pytestmark = pytest.mark.browser

DATA = Path(__file__).parents[1] / "analysis" / "reference" / "multilevel_runs_data.csv"


def test_a_three_level_model_is_built_and_its_levels_explained(
    page, live_server, accounts, tmp_path
):
    accounts("mira", Role.RESEARCHER)
    log_in(page, live_server, "mira")
    upload(page, live_server, DATA, "Grant awards by gender")

    start_aggregate_analysis(
        page,
        live_server,
        "Grant awards by gender",
        "Are women's grant applications less often funded?",
    )
    for role, column in {"ai": "waward", "n1i": "wtotal", "ci": "maward", "n2i": "mtotal"}.items():
        page.locator(f"#col_{role}").select_option(column)
    page.locator("#study").select_option("study")
    page.locator("#effect_id").select_option("obs")
    at_both_widths(page, tmp_path, "multilevel-mapping")
    page.get_by_role("button", name=re.compile("^Next")).click()

    page.locator("#measure-OR").check()
    page.locator("#method-DL").check()
    page.locator("#multilevel").check()
    page.get_by_role("button", name="Run the analysis").click()
    # a refused choice says where, and keeps what was chosen
    assert "fitted by REML" in page.locator("#method-error").inner_text()
    assert page.locator("#multilevel").is_checked()
    page.locator("#method-REML").check()
    at_both_widths(page, tmp_path, "multilevel-method")
    page.get_by_role("button", name="Run the analysis").click()
    page.wait_for_url(re.compile(r".*/analyses/\d+$"), timeout=180_000)

    section = page.locator("#multilevel")
    section.wait_for()
    text = section.inner_text()
    assert "66 effects in 21 studies" in text
    assert "How much the studies' true effects differ from one study to another" in text
    assert "62% comes from differences between studies" in text
    assert page.locator("#prediction-words").is_visible()
    at_both_widths(page, tmp_path, "multilevel-results")
    formula = section.locator("details")
    assert not formula.locator("p").is_visible()
    formula.locator("summary").click()
    assert "rma.mv" in formula.inner_text()
