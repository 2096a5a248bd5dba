"""A guest plays the tutorial with the keyboard and with the mouse, beats par,
submits, finds their name on the leaderboard; the browser's live score equals
the server's on random moves (DNA and protein puzzles)."""

from __future__ import annotations

import json
import random

import pytest

from games.puzzles import score_layout
from portal.play.cutting import import_alignment
from portal.play.models import Puzzle
from portal.play.tutorial import ensure_tutorial
from tests.browser.conftest import screenshot
from tests.games.support import DATA

pytestmark = pytest.mark.browser


@pytest.fixture
def puzzles(live_session):
    """The tutorial and one protein puzzle in the live server's database."""
    with live_session() as session:
        tutorial = ensure_tutorial(session)
        _, proteins = import_alignment(
            session, DATA / "tp53.prot.fasta", kind="protein", slug="tp53", title="p53", limit=1
        )
        session.commit()
        ids = {"tutorial": tutorial.id, "protein": proteins[0].id}
        # The stored params: scheme and, for a window of an alignment, its flanks.
        schemes = {name: dict(session.get(Puzzle, pid).scheme) for name, pid in ids.items()}
    return ids, schemes


def live(page) -> tuple[float, list[str]]:
    # The board's script sets these once it has drawn the board: on a loaded machine
    # the test can ask before it has.
    page.wait_for_function("() => document.getElementById('play').hasAttribute('data-score')")
    board = page.locator("#play")
    return float(board.get_attribute("data-score")), json.loads(board.get_attribute("data-rows"))


def submit(page) -> float:
    before = page.locator("#play").get_attribute("data-answers") or "0"
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_function(
        "b => (document.getElementById('play').getAttribute('data-answers') || '0') !== b",
        arg=before,
    )
    return float(page.locator("#play").get_attribute("data-server-score"))


def drag(page, row: int, block: int, columns: int, shift: bool = False) -> None:
    box = page.locator(f'.block[data-row="{row}"][data-block="{block}"]').bounding_box()
    cell = float(page.locator("#play").get_attribute("data-cell"))  # fitted to the screen
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    if shift:
        page.keyboard.down("Shift")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + columns * cell / 2, y, steps=4)
    page.mouse.move(x + columns * cell, y, steps=4)
    page.mouse.up()
    if shift:
        page.keyboard.up("Shift")


def test_tutorial_with_keyboard_and_mouse(page, live_server, puzzles):
    ids, schemes = puzzles
    page.goto(live_server + "/play/")
    page.get_by_role("textbox", name="Nickname").fill("Keyboard Kim")
    page.get_by_role("button", name="Save").click()
    page.locator(".puzzle-cards").get_by_role("link", name="Tutorial: line up the blocks").click()
    assert page.locator("#par").inner_text() == "8"
    assert live(page)[0] == -10
    screenshot(page, "play-tutorial-start")

    # Keyboard: the second row's last block two columns left (pushing the rest) ...
    page.locator("#board").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    assert live(page) == (8, ["ACGTTGCA---", "ACGTTGCA---", "ACGGCA-----"])
    assert "reached par" in page.locator("#verdict").inner_text()
    # ... then the third row's fourth block and everything after it two columns right.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("Control+Shift+ArrowRight")
    assert live(page) == (10, ["ACGTTGCA---", "ACGTTGCA---", "ACG--GCA---"])
    assert "You beat par" in page.locator("#verdict").inner_text()
    # Undo and redo.
    page.keyboard.press("u")
    assert live(page) == (0, ["ACGTTGCA---", "ACGTTGCA---", "ACG-GCA----"])
    page.keyboard.press("y")
    assert live(page)[0] == 10
    screenshot(page, "play-tutorial-beaten")

    assert submit(page) == 10
    assert "You beat par: 100 points" in page.locator("#server-result").inner_text()
    # The puzzle's leaderboard updates on the page, without a reload.
    page.wait_for_function(
        "() => document.getElementById('play').getAttribute('data-leaderboard-refreshes')"
    )
    assert "Keyboard Kim" in page.locator("#puzzle-leaderboard").inner_text()
    page.goto(live_server + "/play/")
    assert "Keyboard Kim" in page.locator("#overall-leaderboard").inner_text()
    screenshot(page, "play-leaderboard")

    # Mouse: the same two moves by dragging.
    page.locator(".puzzle-cards").get_by_role("link", name="Tutorial: line up the blocks").click()
    page.get_by_role("button", name="Reset").click()
    assert live(page)[0] == -10
    drag(page, row=1, block=7, columns=-2)
    assert live(page) == (8, ["ACGTTGCA---", "ACGTTGCA---", "ACGGCA-----"])
    drag(page, row=2, block=3, columns=2, shift=True)
    assert live(page) == (10, ["ACGTTGCA---", "ACGTTGCA---", "ACG--GCA---"])
    page.get_by_role("button", name="Undo").click()
    assert live(page)[0] == 8
    page.get_by_role("button", name="Redo").click()
    assert submit(page) == 10
    assert "sent this layout before" in page.locator("#server-result").inner_text()


@pytest.mark.parametrize("which", ["tutorial", "protein"])
def test_live_score_equals_the_servers_on_random_moves(page, live_server, puzzles, which):
    ids, schemes = puzzles
    page.goto(live_server + "/play/")
    page.get_by_role("textbox", name="Nickname").fill("Random Rui")
    page.get_by_role("button", name="Save").click()
    page.goto(f"{live_server}/play/{ids[which]}")
    page.locator("#board").focus()
    rng = random.Random(6 if which == "tutorial" else 7)
    rows_count = len(live(page)[1])
    # The protein window's edge gaps continue into its flanks: the page must count them.
    assert ("flanks" in schemes[which]) == (which == "protein")
    for step in range(60):
        key = rng.choice(
            [
                "ArrowUp",
                "ArrowDown",
                "ArrowLeft",
                "ArrowRight",
                "Shift+ArrowLeft",
                "Shift+ArrowRight",
                "Control+Shift+ArrowLeft",
                "Control+Shift+ArrowRight",
                "Shift+ArrowRight",
                "Shift+ArrowLeft",
            ]
        )
        page.keyboard.press(key)
        value, rows = live(page)
        assert len(rows) == rows_count
        assert value == score_layout(rows, schemes[which]), f"step {step}: {rows}"
        if step % 15 == 14:
            assert submit(page) == value
    if which == "protein":
        page.locator("#safe-colours").check()
        screenshot(page, "play-protein-safe-colours")


def test_a_visitor_finds_the_research_alignment_and_downloads_it(
    page, live_server, puzzles, tmp_path
):
    """From the play page to the alignment's report and its improved FASTA,
    which still holds every sequence's residues."""
    from Bio import Align

    from games.puzzles import read_source, residues

    ids, _schemes = puzzles
    page.goto(live_server + "/play/")
    page.get_by_role("link", name="Research alignments").click()
    page.get_by_role("link", name="p53").click()
    assert page.locator("#puzzle-report tbody tr").count() >= 1
    assert page.locator("#score-before").inner_text() == page.locator("#score-after").inner_text()
    screenshot(page, "play-research-alignment")
    with page.expect_download() as info:
        page.locator("#downloads li").first.get_by_role("link", name="Stockholm").click()
    path = tmp_path / "improved.sto"
    info.value.save_as(path)
    parsed = Align.read(str(path), "stockholm")
    original = read_source(DATA / "tp53.prot.fasta", "fasta")
    assert [residues(parsed[i]) for i in range(len(original.rows))] == [
        residues(row) for row in original.rows
    ]


def test_a_researcher_reads_how_strongly_players_agree(page, live_server, live_session):
    """Three players' solutions voted on a window: the page shows a bar per
    column with the plain words, and the numbers open behind a disclosure."""
    from portal.play import splicing
    from tests.portal.play.test_consensus_splicing import FIX, add_solution, make_window

    with live_session() as session:
        alignment, puzzle = make_window(session)
        for name, rows in FIX.items():
            add_solution(session, puzzle, name, rows)
        splicing.splice_best(session, alignment)
        session.commit()
    page.goto(live_server + "/play/alignments/slipped")
    strip = page.locator("#agreement svg.agreement-strip")
    assert strip.is_visible()
    assert strip.locator("rect").count() == 8  # one bar per column holding letters
    words = page.locator(f"#agreement-words-{puzzle.id}").inner_text()
    assert words.startswith("3 players' solutions near the best voted.")
    table = page.locator("#agreement table")
    assert not table.is_visible()
    page.get_by_text("Agreement per column, in numbers").click()
    assert table.is_visible() and table.locator("tbody tr").count() == 9
    assert page.locator("#credits tbody tr").count() == 3
    screenshot(page, "play-research-agreement")
