"""A researcher imports the unaligned coding sequences of a real family
(interleukin-6, gaps taken out of the scikit-bio alignment) on a wide screen and
on a phone: a file with a repeated name is refused on the form with the line
named and everything typed kept; the good file goes through a job whose page
follows it, and the alignment's page shows the puzzles cut from it. A player
solves one, the researcher splices it in and downloads the improved alignment
and the report, in which the player is credited."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from Bio import Align

from portal.accounts.models import Role
from portal.play.models import Puzzle
from tests.browser.conftest import screenshot
from tests.browser.journeys import log_in, no_sideways_scroll
from tests.games.support import DATA

pytestmark = pytest.mark.browser

TITLE = "Interleukin-6 coding sequences"
DESCRIPTION = "Seven vertebrates, from the scikit-bio test data."


def unaligned_family(tmp_path) -> tuple[str, dict[str, str]]:
    text = (DATA / "il6.nucl.fasta").read_text().replace("-", "")
    path = tmp_path / "il6-genes.fa"
    path.write_text(text)
    residues: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith(">"):
            name = line[1:].split()[0]
            residues[name] = ""
        else:
            residues[name] += line.strip()
    return str(path), residues


@pytest.mark.parametrize("width", [1280, 390])
def test_a_researcher_imports_a_family_and_downloads_what_players_improved(
    page, live_server, accounts, live_session, tmp_path, width
):
    accounts("iris", Role.RESEARCHER)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "iris")

    page.goto(live_server + "/play/alignments/")
    page.get_by_role("link", name="Import sequences for players to improve").click()
    page.wait_for_load_state()
    assert page.locator("#aligner").input_value() == "famsa"
    no_sideways_scroll(page)

    # A repeated name: refused on the form, the line named, nothing typed lost.
    twice = tmp_path / "twice.fa"
    twice.write_text(">human\nACGTACGT\n>mouse\nACGAACGT\n>human\nACGTTCGT\n")
    page.locator("#file").set_input_files(str(twice))
    page.locator("#title").fill(TITLE)
    page.locator("#description").fill(DESCRIPTION)
    page.get_by_role("button", name="Align and make puzzles").click()
    page.wait_for_load_state()
    error = page.locator("#fasta-error").inner_text()
    assert "twice.fa: line 5: the name 'human' is used twice (first on line 1)" in error
    assert page.locator("#title").input_value() == TITLE
    assert page.locator("#description").input_value() == DESCRIPTION
    assert ">human\nACGTACGT" in page.locator("#fasta").input_value()
    no_sideways_scroll(page)
    screenshot(page, f"import-refused-{width}")

    # The real family: the job's page follows it to the alignment's page.
    path, residues = unaligned_family(tmp_path)
    page.locator("#fasta").fill("")
    page.locator("#file").set_input_files(path)
    page.get_by_role("button", name="Align and make puzzles").click()
    page.wait_for_url(
        re.compile(r".*/play/alignments/interleukin-6-coding-sequences$"), timeout=120_000
    )
    assert page.get_by_role("heading", name=TITLE).is_visible()
    assert DESCRIPTION in page.content() and "aligned with FAMSA" in page.content()
    links = page.locator("#puzzle-report a[href^='/play/']")
    assert links.count() >= 1, "the puzzles cut from the alignment are listed"
    puzzle_id = int(links.first.get_attribute("href").rsplit("/", 1)[1])
    no_sideways_scroll(page)
    screenshot(page, f"import-puzzles-{width}")

    # A guest player, in a browser context of their own, opens the puzzle and
    # sends the solver's layout.
    with live_session() as session:
        layout = list(session.get(Puzzle, puzzle_id).par_layout)
    guest = page.context.browser.new_context(viewport={"width": width, "height": 900})
    try:
        player = guest.new_page()
        player.goto(f"{live_server}/play/{puzzle_id}")
        status = player.evaluate(
            """async ([id, rows]) => {
                const csrf = document.querySelector('[data-csrf]').dataset.csrf;
                const answer = await fetch(`/api/v1/puzzles/${id}/solutions`, {
                    method: 'POST',
                    headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
                    body: JSON.stringify({rows: rows, nickname: 'Bea'}),
                });
                return answer.status;
            }""",
            [puzzle_id, layout],
        )
    finally:
        guest.close()
    assert status == 201

    page.reload()
    page.get_by_role("button", name="Splice the best solutions in now").click()
    page.wait_for_load_state()
    assert "Bea" in page.locator("#credits").inner_text()
    no_sideways_scroll(page)

    with page.expect_download() as info:
        page.locator("#downloads a", has_text="Fasta").first.click()
    improved = Align.read(io.StringIO(Path(info.value.path()).read_text()), "fasta")
    assert {
        record.id: improved[i].replace("-", "") for i, record in enumerate(improved.sequences)
    } == residues

    with page.expect_download() as info:
        page.locator("#report-csv").click()
    lines = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))
    credited = next(line for line in lines if int(line["puzzle_id"]) == puzzle_id)
    assert credited["credited_players"] == "Bea" and credited["status"] == "spliced in"

    with page.expect_download() as info:
        page.locator("#report-json").click()
    report = json.loads(Path(info.value.path()).read_text())
    assert report["score_after"] > report["score_before"]
    assert report["credits"][0]["player"] == "Bea"
    screenshot(page, f"import-spliced-{width}")
