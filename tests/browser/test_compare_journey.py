"""In a real browser: a researcher uploads a trial and a corrected version, compares
them cell by cell, downloads the changes, and publishes through the confirmation."""

from __future__ import annotations

import csv
import io
import re

import pytest

from portal.accounts.models import Role
from tests.browser.journeys import log_in

pytestmark = pytest.mark.browser

HEADER = "patient_id,arm,age,sex,postcode,time,status\n"


def rows(times: dict[str, int] | None = None, drop: tuple[str, ...] = ()) -> str:
    lines = []
    for i in range(1, 31):
        pid = f"P{i:03d}"
        if pid in drop:
            continue
        time = (times or {}).get(pid, 100 + i)
        arm = "treatment" if i % 2 else "control"
        # Groups of five on age, sex and postcode, but for one participant whose
        # postcode is theirs alone.
        postcode = "ZZ1" if i == 30 else f"AB{i % 2}"
        sex = "F" if i % 2 else "M"
        lines.append(f"{pid},{arm},{40 + i % 3},{sex},{postcode},{time},{i % 2}")
    return HEADER + "\n".join(lines) + "\n"


CORRECTED = {"P003": 140, "P009": 150, "P012": 160, "P021": 170, "P027": 180}


def fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, (page.url, width, overflow)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), page.url


def upload_first(page, live_server: str, path) -> None:
    page.goto(live_server + "/datasets/new")
    page.locator("#file").set_input_files(str(path))
    page.locator("#title").fill("Survival after surgery")
    page.locator("#description").fill("Invented participants for a browser test.")
    page.locator("#level").select_option("participant")
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url(re.compile(r".*/datasets/[a-z0-9-]+\?version=1$"), timeout=60_000)


def test_compare_two_versions_download_the_changes_and_publish(
    page, live_server, accounts, tmp_path
):
    accounts("rita", Role.RESEARCHER)
    accounts("cora", Role.ADMIN)
    log_in(page, live_server, "rita")
    first, second = tmp_path / "v1.csv", tmp_path / "v2.csv"
    first.write_text(rows())
    second.write_text(rows(CORRECTED, drop=("P005", "P006")))
    upload_first(page, live_server, first)
    slug = page.url.split("/datasets/")[1].split("?")[0]

    page.get_by_role("link", name="Upload a new version").click()
    page.locator("#file").set_input_files(str(second))
    page.locator("#change_note").fill("Five survival times corrected; two withdrawals.")
    page.get_by_role("button", name=re.compile("Upload")).click()
    page.wait_for_url(re.compile(r".*/datasets/[a-z0-9-]+\?version=2$"), timeout=60_000)

    page.get_by_role("link", name="Compare version 1 with version 2 cell by cell").click()
    page.wait_for_url(re.compile(r".*/compare\?from=1&to=2$"))
    main = page.locator("main")
    assert "5 rows changed (5 cells)" in main.inner_text()
    assert "2 rows removed" in main.inner_text()
    table = page.locator("table.changed-cells")
    for pid, time in CORRECTED.items():
        row = table.locator("tr", has_text=pid)
        assert row.locator("ins").inner_text() == str(time)
    page.screenshot(path=str(tmp_path / "compare-wide.png"), full_page=True)
    for width in (1280, 390):
        fits(page, width)
    page.screenshot(path=str(tmp_path / "compare-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download all changes (CSV)").first.click()
    download = download_info.value
    assert download.suggested_filename == f"{slug}-v1-to-v2-changes.csv"
    lines = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8"))))
    assert ["P003", "changed", "time", "103", "140"] in lines
    assert sum(1 for line in lines if line[1] == "changed") == 5
    assert ["P005", "row removed", "", "", ""] in lines

    # What the screening left for a person is confirmed; a curator accepts the risk.
    page.goto(f"{live_server}/datasets/{slug}?version=2")
    if page.locator("input[name=findings]").count():
        for box in page.locator("input[name=findings]").all():
            box.check()
        page.get_by_role("button", name="Confirm the ticked findings").click()
    page.get_by_role("link", name="Publish version 2").click()
    text = page.locator("main").inner_text()
    assert "Not publishable yet" in text and "curator" in text
    assert page.get_by_role("button", name=re.compile("for good")).count() == 0
    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, "cora")
    page.goto(f"{live_server}/datasets/{slug}?version=2")
    page.get_by_label("Why this risk is acceptable").fill("Invented participants.")
    page.get_by_role("button", name="Accept the risk as curator").click()
    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, "rita")

    page.goto(f"{live_server}/datasets/{slug}?version=2")
    page.get_by_role("link", name="Publish version 2").click()
    page.wait_for_url(re.compile(r".*/versions/2/publish$"))
    text = page.locator("main").inner_text()
    assert "Publishing cannot be undone" in text
    assert "28" in page.locator("dl.facts").inner_text()
    warning = page.locator("#reid-result").inner_text()
    assert "Warning: 1 participant can be singled out by age + sex + postcode" in warning
    assert "smallest group of participants sharing the same age + sex + postcode has 1 person" in (
        warning
    )
    assert "Curator cora accepted this risk" in warning
    for width in (1280, 390):
        fits(page, width)
    page.screenshot(path=str(tmp_path / "publish-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Publish version 2 for good").click()
    assert "confirm that version 2 may become public" in page.locator("main").inner_text()
    page.get_by_label(re.compile("publishing cannot be undone")).check()
    page.get_by_role("button", name="Publish version 2 for good").click()
    page.wait_for_url(re.compile(r".*/datasets/[a-z0-9-]+\?version=2$"))
    assert "Version 2 is published." in page.locator(".flashes").inner_text()
