"""Hints: one block worth moving on the player's own board, for a price.

The hint is computed here, on the server (the solver searches from the layout
the player sends), and each hint shown is stored; the player's next solution
of that puzzle counts them and loses HINT_COST x its stars (calibrated difficulty) points per hint,
so a score earned with help says so.

Services take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from games.checking import SolutionError, check_solution
from games.hints import suggest
from portal.errors import Conflict, ServiceError
from portal.play.models import Puzzle, PuzzleHint
from portal.play.puzzles import difficulty_stars, flanks_of_puzzle, scheme_of

#: Points a hint costs, per star of the puzzle's difficulty (reaching par earns 50).
HINT_COST = 20
#: Seconds the solver may search for one hint.
HINT_SEARCH_SECONDS = 0.3


def cost(difficulty: float) -> int:
    return round(HINT_COST * difficulty)


def net_points(points: int, difficulty: float, hints: int) -> int:
    """Points for a solution after the hints taken on its puzzle (never below zero)."""
    return max(0, points - hints * cost(difficulty))


def taken(session: Session, puzzle_id: int, player_key: str) -> int:
    return int(
        session.scalar(
            select(func.count(PuzzleHint.id)).where(
                PuzzleHint.puzzle_id == puzzle_id, PuzzleHint.player_key == player_key
            )
        )
        or 0
    )


@dataclass(frozen=True)
class GivenHint:
    row: int | None
    block: int | None
    from_column: int | None
    to_column: int | None
    tail: bool
    cost: int
    hints: int  # hints this player has taken on this puzzle, this one included
    message: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _shown_rows(shown: Any, n_rows: int) -> list[int]:
    if shown is None:
        return list(range(n_rows))
    if (
        not isinstance(shown, list)
        or not all(isinstance(r, int) and not isinstance(r, bool) for r in shown)
        or len(set(shown)) != len(shown)
        or len(shown) < 2
        or not all(0 <= r < n_rows for r in shown)
    ):
        raise ServiceError(
            f"shown lists at least two different row numbers from 0 to {n_rows - 1}.", "shown"
        )
    return sorted(shown)


def give(
    session: Session,
    puzzle: Puzzle,
    rows: Any,
    shown: Any,
    player_key: str,
    user_id: int | None = None,
) -> GivenHint:
    """A hint for ``rows`` (the whole board as the player has it), looking only at
    the rows numbered in ``shown`` (0-based: the rows the board shows so far; all
    when None).  A hint that finds nothing to improve is free and not stored."""
    if puzzle.retired_at is not None:
        raise Conflict("This puzzle is retired: it gives no hints.", code="retired")
    try:
        rows = check_solution(puzzle.sequences, rows, max_width=puzzle.width)
    except SolutionError as error:
        if error.row is None:
            raise ServiceError(str(error), "rows") from None
        raise ServiceError(str(error), "rows", row=error.row, column=error.column) from None
    shown = _shown_rows(shown, len(rows))
    found = suggest(
        [rows[r] for r in shown],
        scheme_of(puzzle),
        time_limit=HINT_SEARCH_SECONDS,
        flanks=flanks_of_puzzle(puzzle).subset(shown),
    )
    before = taken(session, puzzle.id, player_key)
    if found is None:
        return GivenHint(
            None,
            None,
            None,
            None,
            False,
            0,
            before,
            "No single move helps here that the computer can find: this board may be"
            " as good as it gets. No points were taken.",
        )
    row = shown[found.row]
    session.add(PuzzleHint(puzzle_id=puzzle.id, player_key=player_key, user_id=user_id))
    session.flush()
    price = cost(difficulty_stars(session, puzzle))
    direction = "right" if found.to_column > found.from_column else "left"
    steps = abs(found.to_column - found.from_column)
    what = "with every block after it" if found.tail else "alone"
    return GivenHint(
        row,
        found.block,
        found.from_column,
        found.to_column,
        found.tail,
        price,
        before + 1,
        f"Try moving block {found.block + 1} of row {row + 1} {steps} column"
        f"{'' if steps == 1 else 's'} {direction} ({what}). This hint costs {price} points"
        " from this puzzle's reward.",
    )
