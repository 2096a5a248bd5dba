"""A new player follows the path to the easiest real puzzle (easiest by the
calibrated difficulty, not by size), plays it to par with the mouse as rows join
the board one at a time, and sees the puzzle's leaderboard update without a
reload; a second player does the same by touch on a 390 px phone, whose page
never scrolls sideways, and takes a hint."""

from __future__ import annotations

import json

import pytest

from games.puzzles import positions
from portal.play.cutting import import_alignment
from portal.play.models import Puzzle
from portal.play.puzzles import stage_layouts, visible_puzzles
from portal.play.tutorial import ensure_tutorial
from tests.browser.conftest import CHROMIUM_ARGS, screenshot
from tests.games.support import DATA

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def easiest(live_session) -> dict:
    """The tutorial and a few real puzzles; the easiest real one by calibration."""
    with live_session() as session:
        ensure_tutorial(session)
        import_alignment(
            session, DATA / "tp53.prot.fasta", kind="protein", slug="tp53", title="p53", limit=3
        )
        session.commit()
        first = next(p for p in visible_puzzles(session) if p.level != "tutorial")
        puzzle = session.get(Puzzle, first.id)
        found = {
            "id": puzzle.id,
            "title": first.plain_title,
            "start": puzzle.start,
            "par_layout": puzzle.par_layout,
            "par": puzzle.par,
            "stages": stage_layouts(puzzle),
        }
    return found


def single_moves(start: str, target: str) -> list[tuple[int, int]]:
    """(block, columns) drags that take a row from ``start`` to ``target`` without
    pushing: blocks going right from the right end, then those going left from
    the left end, so that none meets another on its way."""
    here, there = positions(start), positions(target)
    right = [(k, there[k] - here[k]) for k in reversed(range(len(here))) if there[k] > here[k]]
    left = [(k, there[k] - here[k]) for k in range(len(here)) if there[k] < here[k]]
    return right + left


def centre_on(page, row: int, block: int) -> dict:
    """Scrolls the board's own box (not the page) to the block; its box."""
    page.evaluate(
        """([r, k]) => {
            const board = document.getElementById('board');
            const el = board.querySelector(`.block[data-row="${r}"][data-block="${k}"]`);
            const from = board.getBoundingClientRect().left;
            board.scrollLeft += el.getBoundingClientRect().left - from - board.clientWidth / 2;
        }""",
        [row, block],
    )
    return page.locator(f'.block[data-row="{row}"][data-block="{block}"]').bounding_box()


def mouse_drag(page, row: int, block: int, columns: int, cell: float) -> None:
    box = centre_on(page, row, block)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + columns * cell / 2, y, steps=3)
    page.mouse.move(x + columns * cell, y, steps=3)
    page.mouse.up()


def touch_drag(page, cdp, row: int, block: int, columns: int, cell: float) -> None:
    box = centre_on(page, row, block)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 5):
        point = {"x": x + columns * cell * step / 4, "y": y}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def board_state(page) -> dict:
    root = page.locator("#play")
    return {
        "score": float(root.get_attribute("data-score")),
        "stage": float(root.get_attribute("data-stage-score")),
        "shown": int(root.get_attribute("data-shown")),
        "rows": json.loads(root.get_attribute("data-rows")),
        "columns": json.loads(root.get_attribute("data-column-scores")),
        "cell": float(root.get_attribute("data-cell")),
    }


def play_to_par(page, puzzle: dict, drag) -> None:
    """Each stage's rows into that stage's layout, as the board shows them; the
    last stage is the whole board at par."""
    seen = [board_state(page)["shown"]]
    for rows, par, layout in puzzle["stages"]:
        shown = len(rows)
        if board_state(page)["shown"] > shown:
            continue  # already past this stage
        assert board_state(page)["shown"] == shown
        for r, target in zip(rows, layout, strict=True):
            for block, columns in single_moves(board_state(page)["rows"][r], target):
                drag(page, r, block, columns, board_state(page)["cell"])
            assert board_state(page)["rows"][r] == target, f"row {r} of stage {shown}"
        state = board_state(page)
        # Par for these rows brings in the next row (the last stage is the whole board).
        assert state["shown"] > shown or state["score"] >= par - 1e-9
        # The breakdown under the board adds up to the score of the rows shown.
        assert abs(sum(state["columns"]) - state["stage"]) < 1e-6
        seen.append(state["shown"])
    assert seen[0] in (2, 3) and seen[-1] == len(puzzle["start"])
    assert seen == sorted(seen) and len(set(seen)) > 1  # rows joined as stages were reached
    assert board_state(page)["score"] == puzzle["par"]


def submit_and_see_leaderboard(page, nickname: str) -> None:
    assert not page.locator("#next-link").is_visible()  # offered once par is recorded
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_function("() => document.getElementById('play').getAttribute('data-answers')")
    assert "reached par" in page.locator("#server-result").inner_text()
    page.wait_for_function(
        "() => document.getElementById('play').getAttribute('data-leaderboard-refreshes')"
    )
    assert nickname in page.locator("#puzzle-leaderboard").inner_text()
    assert page.locator("#next-link").is_visible()


def test_a_new_player_follows_the_path_and_plays_the_easiest_puzzle_to_par(
    page, live_server, easiest
):
    page.goto(live_server + "/play/")
    page.get_by_role("textbox", name="Nickname").fill("Mouse Mo")
    page.get_by_role("button", name="Save").click()
    assert page.locator("#next-puzzle").inner_text() == "Start with the tutorial"
    steps = page.locator(".path-step a")
    assert steps.nth(1).inner_text() == easiest["title"]
    assert page.locator("#daily-puzzle").is_visible()
    steps.nth(1).click()
    assert board_state(page)["shown"] < len(easiest["start"])
    play_to_par(page, easiest, mouse_drag)
    screenshot(page, "play-path-easy-at-par")
    submit_and_see_leaderboard(page, "Mouse Mo")


def test_a_player_on_a_phone_plays_by_touch_without_sideways_scrolling(
    chromium_path, live_server, easiest
):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            page.goto(live_server + "/play/")
            page.get_by_role("textbox", name="Nickname").fill("Thumb Tia")
            page.get_by_role("button", name="Save").click()
            page.goto(f"{live_server}/play/{easiest['id']}")
            no_sideways = "() => document.documentElement.scrollWidth <= window.innerWidth"
            assert page.evaluate(no_sideways)
            assert board_state(page)["cell"] >= 24  # large enough for a finger
            # A hint points at a block on the player's own board.
            page.get_by_role("button", name="Hint", exact=False).tap()
            page.wait_for_function(
                "() => document.getElementById('play').getAttribute('data-hint-answers')"
            )
            assert "costs" in page.locator("#hint-text").inner_text()
            assert page.locator(".block.hinted").count() == 1
            cdp = context.new_cdp_session(page)
            play_to_par(
                page,
                easiest,
                lambda p, r, k, columns, cell: touch_drag(p, cdp, r, k, columns, cell),
            )
            assert page.evaluate(no_sideways)
            assert page.evaluate("() => window.scrollX") == 0
            screenshot(page, "play-phone-at-par")
            submit_and_see_leaderboard(page, "Thumb Tia")
            assert "Mouse Mo" not in page.locator("#puzzle-leaderboard").inner_text()
            assert "You took 1 hint" in page.locator("#server-result").inner_text()
        finally:
            context.close()
            browser.close()
        assert errors == []


@pytest.fixture
def with_context(live_session) -> dict:
    """A puzzle of three of IL6's seven rows: the other four are its fixed context."""
    from games.puzzles import make_puzzle, read_source, scheme_for
    from portal.play.cutting import _puzzle_row

    scheme = scheme_for("dna")
    game = make_puzzle(
        read_source(DATA / "il6.nucl.fasta"), 60, 85, scheme, rows=[0, 2, 4], evaluations=2_000
    )
    assert game is not None and game.flanks is not None and game.flanks.context
    with live_session() as session:
        puzzle = _puzzle_row(game, "dna", scheme, "IL6, columns 61-85", None)
        session.add(puzzle)
        session.commit()
        found = {
            "id": puzzle.id,
            "context": len(game.flanks.context),
            "start_score": game.start_score,
        }
    return found


def test_the_board_shows_its_flanks_and_the_other_rows_greyed_and_scores_them_as_the_server(
    page, live_server, with_context
):
    page.goto(f"{live_server}/play/{with_context['id']}")
    assert page.locator(".context-row").count() == with_context["context"]
    # The fixed rows fold away and back; the score counts them either way.
    toggle = page.locator("#context-toggle")
    assert toggle.inner_text() == f"Hide the {with_context['context']} fixed rows"
    toggle.click()
    assert page.locator(".context-row").count() == 0
    assert board_state(page)["score"] == with_context["start_score"]
    toggle.click()
    assert page.locator(".context-row").count() == with_context["context"]
    assert page.locator(".edge-left .fixed-block").count() > 0
    assert page.locator(".edge-right .fixed-block").count() > 0
    assert "grey rows under yours" in page.locator("#scheme-words").inner_text()
    assert board_state(page)["score"] == with_context["start_score"]
    before = board_state(page)["rows"]
    # A grey block does not move.
    fixed = page.locator(".context-row .fixed-block").first.bounding_box()
    page.mouse.move(fixed["x"] + 5, fixed["y"] + 5)
    page.mouse.down()
    page.mouse.move(fixed["x"] + 80, fixed["y"] + 5, steps=4)
    page.mouse.up()
    assert board_state(page)["rows"] == before
    # A move of a puzzle row changes its pairs with the grey rows too, as the server scores them.
    row = int(page.locator(".block").first.get_attribute("data-row"))
    last = len(json.loads(page.locator("#play").get_attribute("data-puzzle"))["sequences"][row]) - 1
    mouse_drag(page, row, last, 1, board_state(page)["cell"])
    state = board_state(page)
    assert state["rows"] != before
    # The breakdown under the board counts the pairs with the grey rows too.
    assert abs(sum(state["columns"]) - state["stage"]) < 1e-6
    page.get_by_role("textbox", name="Nickname").first.fill("Grey Gus")
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_function("() => document.getElementById('play').getAttribute('data-answers')")
    root = page.locator("#play")
    assert float(root.get_attribute("data-server-score")) == board_state(page)["score"]
    screenshot(page, "play-context-rows")
