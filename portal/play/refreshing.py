"""Fixed rows and flanks for puzzles cut before puzzles kept them.

A puzzle cut from a research alignment now keeps its window's flanks and the
alignment's other rows as fixed context (games/flanks.py), so a layout's gain
on the board is its gain on the whole alignment once spliced.  Puzzles cut
before that were scored on their own rows only, and their gains may not
transfer.  :func:`refresh_context` gives such a puzzle its context from the
alignment's original rows, without touching its rows or its board.

Adding the context changes what a layout scores (its pairs with the context
rows now count), so the puzzle's start score, its par and its solutions'
scores are recomputed by the new rule; points already earned stay.  The par
is the better of the old par layout and a fresh solver run from the start,
both scored by the new rule, so it is still the solver's best layout.

The context can only be laid when the board lays the puzzle's rows as the
alignment does (a board cut without context drops the columns where only the
other rows have letters): splicing the start back must give the alignment
unchanged.  A puzzle whose board does not is left as it is and reported; it
needs cutting again.

Services take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from games.flanks import cut_window, edge_text, score_window
from games.puzzles import solve
from games.splice import splice
from portal.play.models import AlignmentSource, Puzzle, Solution
from portal.play.puzzles import flanks_of_puzzle, scheme_of

#: Solver budget for the new par: what cutting gives a puzzle (deterministic).
PAR_EVALUATIONS = 6_000

CURRENT, REFRESHED, NEEDS_RECUT = "current", "refreshed", "needs re-cut"
STATUSES = (CURRENT, REFRESHED, NEEDS_RECUT)


@dataclass(frozen=True)
class Refreshed:
    puzzle_id: int
    status: str
    context_rows: int = 0
    start_score: tuple[float, float] | None = None  # before, after
    par: tuple[float, float] | None = None
    solutions: int = 0  # solutions rescored


def context_params(puzzle: Puzzle, alignment: AlignmentSource) -> dict[str, Any]:
    """``puzzle``'s scheme JSON with the flanks and edges its window has in
    ``alignment``'s original rows (which puzzles' columns are numbered in)."""
    rows = list(alignment.original_rows)
    chosen = list(puzzle.source_rows)
    start, end = puzzle.source_start, puzzle.source_end
    _board, flanks = cut_window(rows, start, end, chosen, context=True)
    others = list(flanks.order[len(chosen) :])
    left, right = edge_text(rows, start, end, chosen + others)
    params = {k: v for k, v in puzzle.scheme.items() if k not in ("flanks", "edges")}
    if not flanks.empty:
        params["flanks"] = flanks.to_params()
    # The same names as a freshly cut puzzle's (games.puzzles.make_puzzle).
    params["edges"] = {
        "left": left,
        "right": right,
        "names": [alignment.names[i] for i in others],
    }
    return params


def refresh_context(
    session: Session, puzzle: Puzzle, alignment: AlignmentSource, *, dry_run: bool = False
) -> Refreshed:
    """Gives ``puzzle`` of ``alignment`` its window's flanks and fixed rows if
    it lacks them; see the module's docstring."""
    rows = list(alignment.original_rows)
    params = context_params(puzzle, alignment)
    context_rows = len(params.get("flanks", {}).get("context", ()))
    if params == puzzle.scheme:
        return Refreshed(puzzle.id, CURRENT, context_rows)
    start, end, chosen = puzzle.source_start, puzzle.source_end, list(puzzle.source_rows)
    if splice(rows, start, end, chosen, puzzle.start) != rows:
        return Refreshed(puzzle.id, NEEDS_RECUT, context_rows)
    old_start, old_par = puzzle.start_score, puzzle.par
    if dry_run:
        return Refreshed(puzzle.id, REFRESHED, context_rows)
    puzzle.scheme = params
    scheme, flanks = scheme_of(puzzle), flanks_of_puzzle(puzzle)
    # The solver climbs from the start, so the par never falls below it.
    solved = solve(
        puzzle.start, scheme, flanks=flanks, max_evaluations=PAR_EVALUATIONS, time_limit=10.0
    )
    par_layout, par = list(solved.rows), solved.score
    old_layout = score_window(puzzle.par_layout, scheme, flanks)
    if old_layout >= par - 1e-9:
        par_layout, par = list(puzzle.par_layout), old_layout
    puzzle.start_score = score_window(puzzle.start, scheme, flanks)
    puzzle.par, puzzle.par_layout = par, par_layout
    solutions = list(session.scalars(select(Solution).where(Solution.puzzle_id == puzzle.id)))
    for solution in solutions:
        solution.score = score_window(solution.rows, scheme, flanks)
    session.flush()
    return Refreshed(
        puzzle.id,
        REFRESHED,
        context_rows,
        (old_start, puzzle.start_score),
        (old_par, puzzle.par),
        len(solutions),
    )


def refresh_alignments(
    session: Session, slug: str | None = None, *, dry_run: bool = False
) -> list[Refreshed]:
    """:func:`refresh_context` for every puzzle of the research alignment
    ``slug`` (of every research alignment when None)."""
    query = select(AlignmentSource).order_by(AlignmentSource.id)
    if slug is not None:
        query = query.where(AlignmentSource.slug == slug)
    done = []
    for alignment in session.scalars(query):
        for puzzle in sorted(alignment.puzzles, key=lambda p: p.id):
            done.append(refresh_context(session, puzzle, alignment, dry_run=dry_run))
    return done
