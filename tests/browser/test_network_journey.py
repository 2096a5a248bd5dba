"""A network meta-analysis in a real browser: three shared datasets of arms are built
into one network (a bad mapping first refused beside its field), and its page shows the
league table, the ranking, the network graph and the inconsistency checks at desktop and
phone widths."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Role
from tests.browser.journeys import at_both_widths, log_in, upload
from tests.portal.reanalysis.test_network import senn_parts

pytestmark = pytest.mark.browser


def test_three_datasets_are_built_into_a_network_whose_results_read_plainly(
    page, live_server, accounts, tmp_path
):
    accounts("rita", Role.RESEARCHER)
    log_in(page, live_server, "rita")
    for i, text in enumerate(senn_parts()):
        path = tmp_path / f"part{i + 1}.csv"
        path.write_text(text)
        upload(page, live_server, path, f"Diabetes trials, part {i + 1}")

    page.goto(live_server + "/analyses/new?kind=network")
    page.locator("#title").fill("Glucose-lowering drugs compared")
    for i in range(3):
        page.get_by_label(re.compile(rf"Diabetes trials, part {i + 1}, version 1")).check()
    page.get_by_role("button", name="Next: build the network").click()
    page.wait_for_url(re.compile(r".*/analyses/\d+/network$"))

    page.locator("#measure").select_option("MD")
    page.locator("#reference").fill("placebo")
    for i in range(3):
        page.locator(f"#d{i}_study").select_option("trial")
        page.locator(f"#d{i}_treatment").select_option("drug")
        page.locator(f"#d{i}_mean").select_option("mean_change")
        page.locator(f"#d{i}_n").select_option("patients")
    page.get_by_role("button", name="Run the network meta-analysis").click()
    assert "standard deviation" in page.locator("#d0_sd-error").inner_text()
    assert page.locator("#reference").input_value() == "placebo"  # kept
    assert page.locator("#d0_mean").input_value() == "mean_change"
    at_both_widths(page, tmp_path, "network-refused")
    for i in range(3):
        page.locator(f"#d{i}_sd").select_option("sd_change")
    page.get_by_role("button", name="Run the network meta-analysis").click()
    page.wait_for_url(re.compile(r".*/analyses/\d+$"), timeout=120_000)

    page.get_by_role("heading", name="League table").wait_for()
    league = page.locator("table.league-table")
    assert league.locator("thead th").count() == 11  # ten treatments and the corner
    assert page.locator("#ranking ol li").count() == 10
    assert "likely to be better than another treatment" in page.locator("#ranking").inner_text()
    graph = page.locator("#network-graph img")
    graph.wait_for()
    assert page.evaluate("(img) => img.complete && img.naturalWidth > 0", graph.element_handle())
    assert page.locator("#inconsistency").inner_text()
    assert "the designs agree" in page.locator("#interaction-test").inner_text()
    assert page.locator("#nodesplits li").count() == 15  # every pair some study compares
    page.locator("#how-computed summary").click()
    assert "back-calculated" in page.locator("#how-computed").inner_text()
    assert "Node-splitting" in page.locator("#how-computed").inner_text()
    at_both_widths(page, tmp_path, "network-results")
