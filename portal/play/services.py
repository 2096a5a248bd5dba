"""Importing alignments as puzzles, checking and storing solutions, leaderboards.

Services take a session and never commit; the request or command commits.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session, load_only, make_transient_to_detached

from games.checking import SolutionError, check_solution
from games.export import check_same_sequences
from games.puzzles import (
    Puzzle as GamePuzzle,
)
from games.puzzles import (
    Source as GameSource,
)
from games.puzzles import (
    cut_puzzles,
    describe_scheme,
    read_source,
    scheme_for,
    scheme_from_params,
    scheme_to_params,
    solve,
    strip_common_gaps,
)
from games.scheme import ScoringScheme
from games.scoring import score_alignment
from games.splice import Candidate, apply_solutions
from portal.db import utcnow
from portal.errors import Conflict, NotFound, ServiceError
from portal.play import badges
from portal.play.models import (
    NICKNAME_MAX,
    AlignmentChange,
    AlignmentSource,
    Puzzle,
    Solution,
)
from portal.upsert import insert

#: The tutorial: three short DNA rows, each out of place by a different move.
TUTORIAL_TITLE = "Tutorial: line up the blocks"
TUTORIAL_NAMES = ["first", "second", "third"]
TUTORIAL_START = [
    "ACGTTGCA---",
    "--ACGTTGCA-",
    "ACGGCA-----",
]
#: Set by hand: the score after the page's first move (sliding the second row
#: two columns left).  The best layout (after the second move) scores 10, so a
#: beginner who makes both moves beats par.
TUTORIAL_PAR = 8.0

PERIODS = {"today": timedelta(days=1), "week": timedelta(days=7), "all": None}
NICKNAME_PATTERN = re.compile(r"^[\w .'-]{2,32}$")


@dataclass(frozen=True)
class Player:
    key: str  # "user:<id>" or "guest:<token>"
    nickname: str
    user_id: int | None = None


@functools.lru_cache(maxsize=64)
def _scheme(scheme_json: str) -> ScoringScheme:
    return scheme_from_params(json.loads(scheme_json))


def scheme_of(puzzle: Puzzle) -> ScoringScheme:
    return _scheme(puzzle.scheme_json)


def scheme_words(puzzle: Puzzle) -> str:
    return describe_scheme(puzzle.scheme_params)


def clean_nickname(value: Any) -> str:
    name = " ".join(str(value or "").split())
    if not NICKNAME_PATTERN.match(name):
        raise ServiceError(
            f"A nickname is 2 to {NICKNAME_MAX} letters, digits, spaces or . ' - _",
            field="nickname",
        )
    return name


# -- puzzles --------------------------------------------------------------------


def _puzzle_row(
    game: GamePuzzle,
    kind: str,
    scheme: ScoringScheme,
    title: str,
    alignment: AlignmentSource | None,
) -> Puzzle:
    return Puzzle(
        alignment=alignment,
        title=title,
        kind=kind,
        level=game.level,
        scheme_json=json.dumps(scheme_to_params(scheme)),
        names_json=json.dumps(game.names),
        sequences_json=json.dumps(game.sequences),
        start_json=json.dumps(game.start),
        width=game.width,
        start_score=game.start_score,
        par=game.par,
        par_json=json.dumps(game.par_layout),
        difficulty=game.difficulty,
        source_start=game.source_start,
        source_end=game.source_end,
        source_rows_json=json.dumps(game.source_rows),
    )


def import_alignment(
    session: Session,
    path: str | Path,
    *,
    fmt: str = "fasta",
    kind: str,
    slug: str,
    title: str,
    licence: str = "",
    source: str = "",
    level: str = "beginner",
    limit: int = 6,
    time_limit: float = 1.0,
    levels: dict[str, int] | None = None,
) -> tuple[AlignmentSource, list[Puzzle]]:
    """Records the alignment in ``path`` and the puzzles cut from it: up to
    ``limit`` at ``level``, or up to ``levels[name]`` at each level named.
    Importing a slug that exists already changes nothing and returns it."""
    existing = session.scalar(select(AlignmentSource).where(AlignmentSource.slug == slug))
    if existing is not None:
        return existing, list(existing.puzzles)
    scheme = scheme_for(kind)
    game_source = read_source(path, fmt)
    alignment = AlignmentSource(
        slug=slug,
        title=title,
        kind=kind,
        licence=licence,
        source=source,
        names_json=json.dumps(game_source.names),
        rows_json=json.dumps(game_source.rows),
        original_json=json.dumps(game_source.rows),
    )
    session.add(alignment)
    puzzles = []
    for name, count in (levels or {level: limit}).items():
        # Each level cuts its own windows; those of different levels may
        # overlap, and splicing keeps only one of two overlapping solutions.
        for game in cut_puzzles(
            game_source, scheme, level=name, limit=count, time_limit=time_limit
        ):
            label = f"{title}, columns {game.source_start + 1}-{game.source_end}"
            puzzles.append(_puzzle_row(game, kind, scheme, label, alignment))
    session.add_all(puzzles)
    session.flush()
    return alignment, puzzles


def _retired_levels(session: Session, alignment_id: int) -> dict[str, list[Puzzle]]:
    """The puzzles of each level of which every puzzle has retired."""
    by_level: dict[str, list[Puzzle]] = {}
    for puzzle in session.scalars(select(Puzzle).where(Puzzle.alignment_id == alignment_id)):
        by_level.setdefault(puzzle.level, []).append(puzzle)
    return {
        level: puzzles
        for level, puzzles in by_level.items()
        if all(puzzle.retired_at is not None for puzzle in puzzles)
    }


@dataclass(frozen=True)
class CutPlan:
    """What re-cutting an alignment needs, read from the database, so that the
    solving (seconds of CPU) can run with no transaction open."""

    kind: str
    source: GameSource
    #: For each level whose puzzles have all retired, the windows it used.
    done: dict[str, list[tuple[int, int]]]


def plan_cuts(session: Session, alignment: AlignmentSource) -> CutPlan:
    done = {
        level: [(p.source_start, p.source_end) for p in puzzles]
        for level, puzzles in _retired_levels(session, alignment.id).items()
    }
    return CutPlan(
        alignment.kind, GameSource(alignment.names, json.loads(alignment.original_json)), done
    )


def solve_cuts(
    plan: CutPlan, *, per_level: int = 1, time_limit: float = 0.5, max_tries: int | None = None
) -> dict[str, list[GamePuzzle]]:
    """New puzzles in windows the retired ones of their level did not cover,
    from the original rows: splicing rebuilds from the original, so every
    puzzle's columns are numbered in it. Bounded: at most ``max_tries``
    windows (cut_puzzles' default: 24) per level, each for at most
    ``time_limit`` seconds."""
    scheme = scheme_for(plan.kind)
    return {
        level: cut_puzzles(
            plan.source,
            scheme,
            level=level,
            limit=per_level,
            time_limit=time_limit,
            max_tries=max_tries,
            seed=len(windows),
            avoid=windows,
        )
        for level, windows in plan.done.items()
    }


def store_cuts(
    session: Session, alignment: AlignmentSource, cuts: dict[str, list[GamePuzzle]]
) -> list[Puzzle]:
    """Stores the new puzzles of each level that still has none on offer."""
    if not any(cuts.values()):
        return []
    # Another process may have re-cut since the plan was read: decide again
    # holding the alignment's row. A no-op UPDATE locks it on PostgreSQL (as
    # splice_best's SELECT FOR UPDATE does) and takes SQLite's write lock,
    # which a SELECT would not; the unique window constraint is the last word.
    session.execute(
        update(AlignmentSource)
        .where(AlignmentSource.id == alignment.id)
        .values(id=AlignmentSource.id)
    )
    still_retired = _retired_levels(session, alignment.id)
    scheme = scheme_for(alignment.kind)
    new = [
        _puzzle_row(
            game,
            alignment.kind,
            scheme,
            f"{alignment.title}, columns {game.source_start + 1}-{game.source_end}",
            alignment,
        )
        for level, games in cuts.items()
        if level in still_retired
        for game in games
    ]
    session.add_all(new)
    session.flush()
    return new


def replenish(session: Session, alignment: AlignmentSource, **limits: Any) -> list[Puzzle]:
    """New puzzles for each level of ``alignment`` whose puzzles have all
    retired (a puzzle hidden by hand still counts), so play does not run dry
    while the alignment has windows worth improving. ``limits`` go to
    ``solve_cuts``. The periodic task runs the three steps itself, closing the
    transaction while it solves."""
    return store_cuts(session, alignment, solve_cuts(plan_cuts(session, alignment), **limits))


def ensure_tutorial(session: Session) -> Puzzle:
    existing = session.scalar(select(Puzzle).where(Puzzle.level == "tutorial"))
    if existing is not None:
        return existing
    scheme = scheme_for("dna")
    solved = solve(TUTORIAL_START, scheme, time_limit=0.5, max_evaluations=3_000)
    puzzle = Puzzle(
        alignment=None,
        title=TUTORIAL_TITLE,
        kind="dna",
        level="tutorial",
        scheme_json=json.dumps(scheme_to_params(scheme)),
        names_json=json.dumps(TUTORIAL_NAMES),
        sequences_json=json.dumps([row.replace("-", "") for row in TUTORIAL_START]),
        start_json=json.dumps(TUTORIAL_START),
        width=len(TUTORIAL_START[0]),
        start_score=score_alignment(TUTORIAL_START, scheme),
        par=TUTORIAL_PAR,
        par_json=json.dumps(solved.rows),
        difficulty=1.0,
    )
    session.add(puzzle)
    session.flush()
    return puzzle


@dataclass(frozen=True)
class PuzzleSummary:
    """What a list of puzzles shows: plain values, so a list can outlive its session."""

    id: int
    title: str
    kind: str
    level: str
    rows: int
    par: float
    difficulty: float


def visible_puzzles(session: Session) -> list[PuzzleSummary]:
    """The offered puzzles, tutorial first, then by difficulty."""
    puzzles = session.scalars(
        select(Puzzle)
        .options(
            load_only(
                Puzzle.title,
                Puzzle.kind,
                Puzzle.level,
                Puzzle.par,
                Puzzle.difficulty,
                Puzzle.names_json,
            )
        )
        .where(Puzzle.active.is_(True))
        .order_by((Puzzle.level != "tutorial"), Puzzle.difficulty, Puzzle.id)
    )
    return [
        PuzzleSummary(p.id, p.title, p.kind, p.level, len(p.names), p.par, p.difficulty)
        for p in puzzles
    ]


def get_puzzle(session: Session, puzzle_id: int) -> Puzzle:
    """An offered or retired puzzle (retired ones stay viewable)."""
    return _viewable(session.get(Puzzle, puzzle_id), puzzle_id)


def _viewable(puzzle: Puzzle | None, puzzle_id: int) -> Puzzle:
    if puzzle is None or (not puzzle.active and puzzle.retired_at is None):
        raise NotFound(f"There is no puzzle {puzzle_id}.")
    return puzzle


def page_data(puzzle: Puzzle) -> dict[str, Any]:
    """What the play page's script needs: rows, board, scheme, par."""
    return {
        "id": puzzle.id,
        "title": puzzle.title,
        "kind": puzzle.kind,
        "level": puzzle.level,
        "names": puzzle.names,
        "sequences": puzzle.sequences,
        "start": puzzle.start,
        "width": puzzle.width,
        "par": puzzle.par,
        "start_score": puzzle.start_score,
        "difficulty": puzzle.difficulty,
        "scheme": puzzle.scheme_params,
        "retired": puzzle.retired_at is not None,
    }


# -- solutions ------------------------------------------------------------------


def points_for(score: float, par: float, difficulty: float) -> int:
    """100 x difficulty for beating par, half that for equalling it."""
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
            "badges": [{"code": code, "title": badges.title(code)} for code in self.badges],
        }


#: More than FLAG_BURST[0] new layouts of one puzzle from one player within
#: FLAG_BURST[1] is faster than anyone solves by hand: a script trying layouts.
FLAG_BURST = (12, timedelta(minutes=1))

#: A puzzle whose spliced best score this many players reached is done: more
#: play would only find the same layout again.
RETIRE_CONSENSUS = 3
#: A puzzle with this many distinct solutions is retired whatever they scored
#: (the portal passes its PUZZLE_RETIRE_AFTER setting).
RETIRE_AFTER_SOLUTIONS = 200


@dataclass(frozen=True)
class PuzzleState:
    """What deciding on a new solution needs to know, read in one query."""

    recent: int  # this player's layouts of this puzzle within FLAG_BURST[1]
    solutions: int  # distinct layouts of this puzzle so far
    best: float | None  # the best score so far


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
    return recent, solutions, best


_STATE_COLUMNS = _state_columns()
_STATE = select(*_STATE_COLUMNS)
_PUZZLE_AND_STATE = select(Puzzle, *_STATE_COLUMNS).where(Puzzle.id == bindparam("puzzle_id"))


def _state_parameters(puzzle_id: int, player_key: str) -> dict[str, Any]:
    return {"puzzle_id": puzzle_id, "player_key": player_key, "since": utcnow() - FLAG_BURST[1]}


def _state_of(row: Any) -> PuzzleState:
    recent, solutions, best = row[-3:]
    return PuzzleState(recent, solutions, None if best is None else float(best))


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


def puzzle_for_submission(
    session: Session, puzzle_id: int, player_key: str
) -> tuple[Puzzle, PuzzleState]:
    """The puzzle and what ``submit`` needs to know about it for the player
    ``player_key``, in one round trip."""
    row = session.execute(_PUZZLE_AND_STATE, _state_parameters(puzzle_id, player_key)).first()
    puzzle = _viewable(row[0] if row is not None else None, puzzle_id)
    return puzzle, _state_of(row)


def submit(
    session: Session,
    puzzle: Puzzle,
    rows: Any,
    player: Player,
    *,
    retire_after: int = RETIRE_AFTER_SOLUTIONS,
    state: PuzzleState | None = None,
) -> Submitted:
    """Checks and scores ``rows`` and stores them once per player and layout;
    the puzzle retires at its ``retire_after``-th distinct layout. ``state``
    comes from ``puzzle_for_submission`` when the caller loaded the puzzle so."""
    if puzzle.retired_at is not None:
        raise Conflict(
            "This puzzle is retired: its best solution is already in the research"
            " alignment. Try another puzzle.",
            code="retired",
        )
    try:
        rows = check_solution(puzzle.sequences, rows, max_width=puzzle.width)
    except SolutionError as error:
        where = {"row": error.row, "column": error.column} if error.row is not None else {}
        raise ServiceError(str(error), "rows", **where) from None
    score = score_alignment(rows, scheme_of(puzzle))
    digest = layout_hash(rows)
    points = points_for(score, puzzle.par, puzzle.difficulty)
    if state is None:
        state = _state_of(session.execute(_STATE, _state_parameters(puzzle.id, player.key)).one())
    values = {
        "puzzle_id": puzzle.id,
        "user_id": player.user_id,
        "player_key": player.key,
        "nickname": player.nickname,
        "layout_hash": digest,
        "rows_json": json.dumps(rows),
        "score": score,
        "points": points,
        "submissions": 1,
        "flagged": state.recent >= FLAG_BURST[0],
        "created_at": utcnow(),
    }
    # The unique (puzzle, player, layout) constraint settles two identical
    # submissions racing: the second INSERT does nothing and counts as a repeat.
    new_id = session.execute(_insert_solution(session), values).scalar()
    if new_id is not None:
        # Every column was written just now, so the row is known without reading it back.
        solution = Solution(id=new_id, **values)
        make_transient_to_detached(solution)
        session.add(solution)
        earned = [] if solution.flagged else badges.after_solution(session, solution, puzzle)
        if not retire_if_exhausted(session, puzzle, retire_after, solutions=state.solutions + 1):
            _update_research(session, puzzle, solution, state.best)
        return Submitted(solution, True, score, puzzle.par, points, earned)
    existing = session.scalar(
        select(Solution).where(
            Solution.puzzle_id == puzzle.id,
            Solution.player_key == player.key,
            Solution.layout_hash == digest,
        )
    )
    existing.submissions += 1
    session.flush()
    return Submitted(existing, False, existing.score, puzzle.par, existing.points)


# -- improving the source alignment --------------------------------------------


def _update_research(
    session: Session, puzzle: Puzzle, solution: Solution, best_before: float | None
) -> None:
    """A new best solution of a puzzle is spliced in at once (so its player
    is credited and the puzzle can retire without waiting for a researcher);
    a solution that equals the best may complete the consensus that retires
    the puzzle. ``best_before`` is the puzzle's best score before ``solution``."""
    if puzzle.alignment_id is None or solution.score <= puzzle.start_score + 1e-9:
        return
    if best_before is None or solution.score > best_before + 1e-9:
        splice_best(session, puzzle.alignment)
        return
    if solution.score < best_before - 1e-9:
        return  # below the best: it cannot change who reached the best
    spliced = set(
        session.scalars(
            select(AlignmentChange.solution_id).where(
                AlignmentChange.alignment_id == puzzle.alignment_id
            )
        )
    )
    retire_finished(session, puzzle.alignment, spliced, only=puzzle)


def splice_best(session: Session, alignment: AlignmentSource) -> list[AlignmentChange]:
    """Rebuilds the alignment from its original rows with the best solution
    of each of its puzzles spliced in wherever that raises the whole
    alignment's score, and records which solution changed which columns.

    Starting from the original every time keeps the puzzles' column numbers
    valid and makes the result depend only on the solutions stored."""
    # Two requests splicing one alignment at once would both replace its
    # change records; the row lock (PostgreSQL; SQLite has one writer anyway)
    # makes the second wait and then rebuild from the first one's result.
    session.scalar(
        select(AlignmentSource.id).where(AlignmentSource.id == alignment.id).with_for_update()
    )
    scheme = scheme_for(alignment.kind)
    candidates = []
    for puzzle in alignment.puzzles:
        best = session.scalar(
            select(Solution)
            .where(Solution.puzzle_id == puzzle.id, Solution.score > puzzle.start_score)
            .order_by(Solution.score.desc(), Solution.created_at, Solution.id)
            .limit(1)
        )
        if best is not None:
            candidates.append(
                Candidate(
                    puzzle.source_start,
                    puzzle.source_end,
                    puzzle.source_rows,
                    best.rows,
                    label=best.id,
                )
            )
    original = json.loads(alignment.original_json)
    report = apply_solutions(original, candidates, scheme)
    for old in session.scalars(
        select(AlignmentChange).where(AlignmentChange.alignment_id == alignment.id)
    ):
        session.delete(old)
    changes = [
        AlignmentChange(
            alignment_id=alignment.id,
            solution_id=change.label,
            start_column=change.start,
            end_column=change.end,
            new_end_column=change.new_end,
            score_before=change.before,
            score_after=change.after,
        )
        for change in report.changes
    ]
    session.add_all(changes)
    check_same_sequences(original, report.rows)  # never store an alignment with lost residues
    alignment.rows_json = json.dumps(report.rows)
    session.flush()
    for change in changes:
        solution = session.get(Solution, change.solution_id)
        if solution is not None and solution.user_id is not None:
            badges.award(session, solution.user_id, "contributor", solution.puzzle_id)
    retire_finished(session, alignment, {change.solution_id for change in changes})
    return changes


# -- retiring puzzles -----------------------------------------------------------


def retire(puzzle: Puzzle, reason: str) -> None:
    if puzzle.retired_at is None:
        puzzle.active, puzzle.retired_at, puzzle.retired_reason = False, utcnow(), reason[:200]


def retire_if_exhausted(
    session: Session,
    puzzle: Puzzle,
    limit: int = RETIRE_AFTER_SOLUTIONS,
    *,
    solutions: int | None = None,
) -> bool:
    """Retires ``puzzle`` once it has ``limit`` distinct solutions
    (``solutions``, when the caller has just counted them)."""
    if puzzle.level == "tutorial" or puzzle.retired_at is not None:
        return False
    count = (
        solutions
        if solutions is not None
        else session.scalar(select(func.count(Solution.id)).where(Solution.puzzle_id == puzzle.id))
    )
    if count >= limit:
        retire(puzzle, f"{count} solutions received")
        session.flush()
        return True
    return False


def retire_finished(
    session: Session,
    alignment: AlignmentSource,
    spliced: set[int],
    consensus: int = RETIRE_CONSENSUS,
    *,
    only: Puzzle | None = None,
) -> list[Puzzle]:
    """Retires the puzzles of ``alignment`` (or just ``only``) whose best
    solution is among ``spliced`` and whose best score ``consensus`` players
    have reached."""
    retired = []
    for puzzle in [only] if only is not None else alignment.puzzles:
        if puzzle.retired_at is not None:
            continue
        best = session.scalar(
            select(Solution)
            .where(Solution.puzzle_id == puzzle.id)
            .order_by(Solution.score.desc(), Solution.created_at, Solution.id)
            .limit(1)
        )
        if best is None or best.id not in spliced:
            continue
        players = session.scalar(
            select(func.count(func.distinct(Solution.player_key))).where(
                Solution.puzzle_id == puzzle.id, Solution.score >= best.score - 1e-9
            )
        )
        if players >= consensus:
            retire(puzzle, f"best score {best.score:g} spliced in and reached by {players} players")
            retired.append(puzzle)
    session.flush()
    return retired


# -- leaderboards ---------------------------------------------------------------


def _since(period: str) -> datetime | None:
    if period not in PERIODS:
        raise ServiceError(f"period is one of {', '.join(PERIODS)}", field="period")
    span = PERIODS[period]
    return utcnow() - span if span else None


@dataclass(frozen=True)
class Standing:
    rank: int
    nickname: str
    value: float
    solved_at: datetime | None = None


def puzzle_leaderboard(
    session: Session, puzzle: Puzzle, period: str = "all", limit: int = 20
) -> list[Standing]:
    """Each player's best score on ``puzzle``, best first; ties go to whoever
    reached the score first."""
    since = _since(period)
    filters = [Solution.puzzle_id == puzzle.id, Solution.flagged.is_(False)]
    if since is not None:
        filters.append(Solution.created_at >= since)
    best = (
        select(Solution.player_key, func.max(Solution.score).label("best"))
        .where(*filters)
        .group_by(Solution.player_key)
        .subquery()
    )
    statement = (
        select(
            Solution.player_key,
            func.max(Solution.nickname),
            best.c.best,
            func.min(Solution.created_at),
        )
        .join(best, (best.c.player_key == Solution.player_key) & (best.c.best == Solution.score))
        .where(*filters)
        .group_by(Solution.player_key, best.c.best)
        .order_by(best.c.best.desc(), func.min(Solution.created_at), Solution.player_key)
        .limit(limit)
    )
    return [
        Standing(rank, nickname, float(score), when)
        for rank, (_key, nickname, score, when) in enumerate(session.execute(statement), 1)
    ]


def overall_leaderboard(session: Session, period: str = "all", limit: int = 20) -> list[Standing]:
    """Points summed over puzzles, counting each player's best solution of each."""
    since = _since(period)
    filters = [Solution.points > 0, Solution.flagged.is_(False)]
    if since is not None:
        filters.append(Solution.created_at >= since)
    per_puzzle = (
        select(
            Solution.player_key,
            Solution.puzzle_id,
            func.max(Solution.points).label("points"),
            func.max(Solution.nickname).label("nickname"),
        )
        .where(*filters)
        .group_by(Solution.player_key, Solution.puzzle_id)
        .subquery()
    )
    statement = (
        select(
            per_puzzle.c.player_key,
            func.max(per_puzzle.c.nickname),
            func.sum(per_puzzle.c.points).label("total"),
        )
        .group_by(per_puzzle.c.player_key)
        .order_by(func.sum(per_puzzle.c.points).desc(), per_puzzle.c.player_key)
        .limit(limit)
    )
    return [
        Standing(rank, nickname, float(total))
        for rank, (_key, nickname, total) in enumerate(session.execute(statement), 1)
    ]


def history(session: Session, user_id: int, limit: int = 200) -> list[Solution]:
    return list(
        session.scalars(
            select(Solution)
            .where(Solution.user_id == user_id)
            .order_by(Solution.created_at.desc(), Solution.id.desc())
            .limit(limit)
        )
    )


def best_score(session: Session, puzzle: Puzzle, player_key: str) -> float | None:
    return session.scalar(
        select(func.max(Solution.score)).where(
            Solution.puzzle_id == puzzle.id, Solution.player_key == player_key
        )
    )
