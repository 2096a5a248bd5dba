"""A player's solution: checked and scored on the server, stored once per
player and layout, flagged when layouts arrive faster than anyone plays.

Submitting is the busiest write: after BEGIN it is one prebuilt query reading
the puzzle with what deciding needs, one INSERT ... ON CONFLICT DO NOTHING
RETURNING, and the caller's commit. Both statements are Core statements run on
the session's connection, and the rows they read or write are attached to the
session as loaded (portal.db.attach_loaded): the ORM's handling of them cost
more Python than everything else a submission does.

Services take a session and never commit.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Text, bindparam, cast, func, select
from sqlalchemy.orm import Session

from games.checking import SolutionError, check_solution
from games.puzzles import strip_common_gaps
from portal.db import attach_loaded, utcnow
from portal.errors import Conflict, NotFound, ServiceError
from portal.play import badges
from portal.play.hints import net_points
from portal.play.models import NICKNAME_MAX, Puzzle, PuzzleHint, Solution
from portal.play.puzzles import Rules, difficulty_stars, rules_from_text, rules_of, viewable
from portal.play.retirement import RETIRE_AFTER_SOLUTIONS, retire_if_exhausted
from portal.play.splicing import update_research
from portal.upsert import insert

NICKNAME_PATTERN = re.compile(r"^[\w .'-]{2,32}$")


@dataclass(frozen=True)
class Player:
    key: str  # "user:<id>" or "guest:<token>"
    nickname: str
    user_id: int | None = None


def clean_nickname(value: Any) -> str:
    name = " ".join(str(value or "").split())
    if not NICKNAME_PATTERN.match(name):
        raise ServiceError(
            f"A nickname is 2 to {NICKNAME_MAX} letters, digits, spaces or . ' - _",
            field="nickname",
        )
    return name


def points_for(score: float, par: float, difficulty: float) -> int:
    """100 x difficulty (the puzzle's calibrated stars) for beating par, half
    that for equalling it."""
    if score > par + 1e-9:
        return round(100 * difficulty)
    if abs(score - par) <= 1e-9:
        return round(50 * difficulty)
    return 0


def layout_hash(rows: list[str]) -> str:
    """The same alignment gives the same hash whatever all-gap columns it has."""
    canonical = "\n".join(strip_common_gaps(rows))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class Submitted:
    solution: Solution
    created: bool
    score: float
    par: float
    points: int
    badges: list[str] = field(default_factory=list)

    @property
    def beats_par(self) -> bool:
        return self.score > self.par + 1e-9

    @property
    def reaches_par(self) -> bool:
        return self.score >= self.par - 1e-9

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.solution.id,
            "score": self.score,
            "par": self.par,
            "beats_par": self.beats_par,
            "reaches_par": self.reaches_par,
            "points": self.points,
            "duplicate": not self.created,
            "nickname": self.solution.nickname,
            "flagged": self.solution.flagged,
            "hints": self.solution.hints,
            "badges": [{"code": code, "title": badges.title(code)} for code in self.badges],
        }


#: More than FLAG_BURST[0] new layouts of one puzzle from one player within
#: FLAG_BURST[1] is faster than anyone solves by hand: a script trying layouts.
FLAG_BURST = (12, timedelta(minutes=1))


@dataclass(frozen=True)
class PuzzleState:
    """What deciding on a new solution needs to know, read in one query."""

    recent: int  # this player's layouts of this puzzle within FLAG_BURST[1]
    solutions: int  # distinct layouts of this puzzle so far
    best: float | None  # the best score so far
    hints: int = 0  # hints this player took on this puzzle (each costs points)


def _state_columns() -> tuple:
    # Built once: submissions are the busiest write, and building a statement
    # costs more Python than running it.
    of_puzzle = Solution.puzzle_id == bindparam("puzzle_id")
    recent = (
        select(func.count(Solution.id))
        .where(
            of_puzzle,
            Solution.player_key == bindparam("player_key"),
            Solution.created_at >= bindparam("since"),
        )
        .scalar_subquery()
    )
    solutions = select(func.count(Solution.id)).where(of_puzzle).scalar_subquery()
    best = select(func.max(Solution.score)).where(of_puzzle).scalar_subquery()
    hints = (
        select(func.count(PuzzleHint.id))
        .where(
            PuzzleHint.puzzle_id == bindparam("puzzle_id"),
            PuzzleHint.player_key == bindparam("player_key"),
        )
        .scalar_subquery()
    )
    return recent, solutions, best, hints


_STATE_COLUMNS = _state_columns()
_STATE = select(*_STATE_COLUMNS)
# Only the columns a submission reads: the board's names, start, par layout and
# source fields are JSON documents a submission never looks at, and decoding them
# costs more than the rest of the row; a rarer path that asks for one loads it then.
# The sequences and scheme come as their JSON text, which finds their decoded rules
# (rules_from_text) without decoding them. The row is read as plain columns and
# attached as the puzzle (portal.db.attach_loaded): the ORM's loading of one
# instance cost more than the query.
_PUZZLE_COLUMNS = (
    "id",
    "alignment_id",
    "level",
    "width",
    "start_score",
    "par",
    "active",
    "retired_at",
)
_PUZZLES = Puzzle.__table__.c
_PUZZLE_AND_STATE = select(
    *(_PUZZLES[name] for name in _PUZZLE_COLUMNS),
    cast(_PUZZLES.sequences, Text),
    cast(_PUZZLES.scheme, Text),
    *_STATE_COLUMNS,
).where(_PUZZLES.id == bindparam("puzzle_id"))


def _state_parameters(puzzle_id: int, player_key: str) -> dict[str, Any]:
    return {"puzzle_id": puzzle_id, "player_key": player_key, "since": utcnow() - FLAG_BURST[1]}


def _state_of(row: Any) -> PuzzleState:
    recent, solutions, best, hints = row[-4:]
    return PuzzleState(recent, solutions, None if best is None else float(best), int(hints or 0))


@functools.cache
def _insert_solution_for(dialect: str) -> Any:
    # Built once per kind of database, like _STATE: the values come as parameters.
    return (
        insert(dialect, Solution.__table__)
        .on_conflict_do_nothing(index_elements=["puzzle_id", "player_key", "layout_hash"])
        .returning(Solution.id)
    )


def _insert_solution(session: Session) -> Any:
    return _insert_solution_for(session.get_bind().dialect.name)


def _points(session: Session, puzzle: Puzzle, score: float, hints: int) -> int:
    # Below par a solution earns nothing whatever the stars, and most solutions
    # are below par: the stars need the puzzle's players' record, a query over
    # all its solutions, so it is read only when the points depend on it.
    if points_for(score, puzzle.par, 1) == 0:
        return 0
    # The stars read the start and par layouts and the scheme, left out of the
    # submission's query: all in one statement, not one each.
    session.refresh(puzzle, ["start", "par_layout", "scheme"])
    level = difficulty_stars(session, puzzle)
    return net_points(points_for(score, puzzle.par, level), level, hints)


def puzzle_for_submission(
    session: Session, puzzle_id: int, player_key: str
) -> tuple[Puzzle, PuzzleState, Rules]:
    """The puzzle, what ``submit`` needs to know about it for the player
    ``player_key``, and its rules, in one round trip."""
    parameters = _state_parameters(puzzle_id, player_key)
    # A Core statement on the connection does not autoflush as an ORM query would:
    # anything pending (a hint taken in the same unit of work) must count.
    session.flush()
    row = session.connection().execute(_PUZZLE_AND_STATE, parameters).first()
    if row is None:
        raise NotFound(f"There is no puzzle {puzzle_id}.")
    columns = dict(zip(_PUZZLE_COLUMNS, row, strict=False))
    puzzle = viewable(attach_loaded(session, Puzzle, columns), puzzle_id)
    sequences, scheme = row[len(_PUZZLE_COLUMNS) : len(_PUZZLE_COLUMNS) + 2]
    return puzzle, _state_of(row), rules_from_text(sequences, scheme)


def submit(
    session: Session,
    puzzle: Puzzle,
    rows: Any,
    player: Player,
    *,
    retire_after: int = RETIRE_AFTER_SOLUTIONS,
    state: PuzzleState | None = None,
    rules: Rules | None = None,
) -> Submitted:
    """Checks and scores ``rows`` and stores them once per player and layout;
    the puzzle retires at its ``retire_after``-th distinct layout. ``state``
    and ``rules`` come from ``puzzle_for_submission`` when the caller loaded
    the puzzle so."""
    if puzzle.retired_at is not None:
        raise Conflict(
            "This puzzle is retired: its best solution is already in the research"
            " alignment. Try another puzzle.",
            code="retired",
        )
    if rules is None:
        rules = rules_of(puzzle)
    try:
        rows = check_solution(rules.sequences, rows, max_width=puzzle.width)
    except SolutionError as error:
        if error.row is None:
            raise ServiceError(str(error), "rows") from None
        raise ServiceError(str(error), "rows", row=error.row, column=error.column) from None
    score = rules.score(rows)
    digest = layout_hash(rows)
    if state is None:
        state = _state_of(session.execute(_STATE, _state_parameters(puzzle.id, player.key)).one())
    points = _points(session, puzzle, score, state.hints)
    values = {
        "puzzle_id": puzzle.id,
        "user_id": player.user_id,
        "player_key": player.key,
        "nickname": player.nickname,
        "layout_hash": digest,
        "rows": rows,
        "score": score,
        "points": points,
        "submissions": 1,
        "hints": state.hints,
        "flagged": state.recent >= FLAG_BURST[0],
        "created_at": utcnow(),
    }
    # The unique (puzzle, player, layout) constraint settles two identical
    # submissions racing: the second INSERT does nothing and counts as a repeat.
    session.flush()  # as puzzle_for_submission: the INSERT must follow what is pending
    new_id = session.connection().execute(_insert_solution(session), values).scalar()
    if new_id is not None:
        # Every column was written just now, so the row is known without reading it back.
        solution = attach_loaded(session, Solution, {"id": new_id, **values})
        earned = [] if solution.flagged else badges.after_solution(session, solution, puzzle)
        if not retire_if_exhausted(session, puzzle, retire_after, solutions=state.solutions + 1):
            update_research(session, puzzle, solution, state.best)
        return Submitted(solution, True, score, puzzle.par, points, earned)
    existing = session.scalar(
        select(Solution).where(
            Solution.puzzle_id == puzzle.id,
            Solution.player_key == player.key,
            Solution.layout_hash == digest,
        )
    )
    if existing is None:  # the puzzle went (and its solutions with it) in between
        raise NotFound(f"There is no puzzle {puzzle.id}.")
    existing.submissions += 1
    session.flush()
    return Submitted(existing, False, existing.score, puzzle.par, existing.points)
