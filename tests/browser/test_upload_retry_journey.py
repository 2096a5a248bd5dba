"""A bad upload never loses what was typed, in a real browser, on a wide screen and a
phone: a picture renamed .csv is refused on the form with every field still filled; a
file that fails later in its check shows on My work and is uploaded again, corrected,
with the details filled in for the member."""

from __future__ import annotations

import re

import pytest

from portal.accounts.models import Role
from tests.browser.journeys import log_in, no_sideways_scroll
from tests.portal.reanalysis.conftest import BCG_CSV

pytestmark = pytest.mark.browser

TYPED = {
    "#title": "Rectal indomethacin after ERCP",
    "#description": "Participant data of a trial of indomethacin, typed once.",
    "#conditions": "Pancreatitis; Gallstones",
    "#interventions": "Indomethacin",
    "#comparator": "Placebo",
    "#outcomes": "Post-ERCP pancreatitis",
    "#n_participants": "602",
    "#registry_ids": "NCT00820612",
    "#citation": "Elmunzer BJ et al. N Engl J Med 2012.",
    "#contact": "trialist@example.org",
    "#keywords": "ERCP; NSAID",
}


def assert_typed_kept(page) -> None:
    for selector, value in TYPED.items():
        assert page.locator(selector).input_value() == value, selector
    assert page.locator("#level").input_value() == "aggregate"
    assert page.locator("#licence").input_value() == "CC0-1.0"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_failed_upload_is_tried_again_with_everything_typed_kept(
    page, live_server, accounts, tmp_path, width
):
    accounts("iris", Role.RESEARCHER)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "iris")

    # A picture renamed .csv: refused at once, on the form, with the reason.
    picture = tmp_path / "trial.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(4000))
    page.goto(live_server + "/datasets/new")
    page.locator("#file").set_input_files(str(picture))
    for selector, value in TYPED.items():
        page.locator(selector).fill(value)
    page.locator("#level").select_option("aggregate")
    page.locator("#licence").select_option("CC0-1.0")
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_load_state()
    assert "/datasets/new" in page.url
    error = page.locator("#file-error")
    assert "PNG" in error.inner_text() and "not a table" in error.inner_text()
    assert_typed_kept(page)
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"refused-{width}.png"), full_page=True)

    # A table whose first bytes pass the quick look, with a NUL byte far down: the
    # upload is accepted, and its check fails in the job.
    late = tmp_path / "late.csv"
    late.write_bytes(b"study,events,total\n" + b"A,1,10\n" * 20_000 + b"B,\x00,10\n")
    page.locator("#file").set_input_files(str(late))
    page.get_by_role("button", name="Upload and check").click()
    failed = page.get_by_role(
        "heading", name="The upload of “Rectal indomethacin after ERCP” did not go through"
    )
    failed.wait_for(timeout=60_000)
    assert "NUL bytes" in page.locator(".job-error").inner_text()
    kept = page.locator(".kept-details")
    assert kept.is_visible()
    assert "Participant data of a trial of indomethacin, typed once." in kept.inner_text()
    assert "Pancreatitis; Gallstones" in kept.inner_text()
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"failed-{width}.png"), full_page=True)

    # My work lists it, and the way back fills in every field again.
    page.goto(live_server + "/my-work")
    failed_uploads = page.locator("section[aria-labelledby=failed-heading]")
    assert "Rectal indomethacin after ERCP" in failed_uploads.inner_text()
    assert "NUL bytes" in failed_uploads.inner_text()
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"my-work-{width}.png"), full_page=True)
    failed_uploads.get_by_role("link", name="Upload a new file for the same draft").click()
    page.wait_for_load_state()
    assert "/datasets/new?from_job=" in page.url
    assert "late.csv" in page.locator(".notice").inner_text()
    assert_typed_kept(page)
    no_sideways_scroll(page)

    # The corrected file goes through, with the details typed once.
    good = tmp_path / "bcg.csv"
    good.write_text(BCG_CSV)
    page.locator("#file").set_input_files(str(good))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r".*/datasets/[a-z0-9-]+(\?.*)?$"), timeout=60_000)
    assert page.get_by_role("heading", name="Rectal indomethacin after ERCP").is_visible()
    assert "Participant data of a trial of indomethacin, typed once." in page.content()
    assert "NCT00820612" in page.content()
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / f"draft-{width}.png"), full_page=True)
