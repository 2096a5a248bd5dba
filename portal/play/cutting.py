"""Puzzles cut from research alignments: importing an alignment, and cutting
new puzzles where every puzzle of a level has retired.

Services take a session and never commit; the request, command or job commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from games.puzzles import Puzzle as GamePuzzle
from games.puzzles import Source as GameSource
from games.puzzles import cut_puzzles, puzzle_params, read_source, scheme_for
from games.scheme import ScoringScheme
from portal.play.models import AlignmentSource, Puzzle


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
        scheme=puzzle_params(scheme, game.flanks, game.edges),
        names=game.names,
        sequences=game.sequences,
        start=game.start,
        width=game.width,
        start_score=game.start_score,
        par=game.par,
        par_layout=game.par_layout,
        difficulty=game.difficulty,
        source_start=game.source_start,
        source_end=game.source_end,
        source_rows=game.source_rows,
    )


def cut_levels(
    game_source: GameSource,
    kind: str,
    levels: dict[str, int],
    *,
    time_limit: float = 1.0,
    badness: Any = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, list[GamePuzzle]]:
    """Up to ``levels[name]`` puzzles at each level named, from the windows
    ``badness`` (one value per column; by default the gaps and
    non-conservation) marks least trustworthy. Touches no database."""
    scheme = scheme_for(kind)
    cuts = {}
    for name, count in levels.items():
        if progress is not None:
            progress(name)
        # Each level cuts its own windows; those of different levels may
        # overlap, and splicing keeps only one of two overlapping solutions.
        cuts[name] = cut_puzzles(
            game_source, scheme, level=name, limit=count, time_limit=time_limit, badness=badness
        )
    return cuts


def store_alignment(
    session: Session,
    game_source: GameSource,
    cuts: dict[str, list[GamePuzzle]],
    *,
    kind: str,
    slug: str,
    title: str,
    licence: str = "",
    source: str = "",
) -> tuple[AlignmentSource, list[Puzzle]]:
    """Records the alignment and the puzzles cut from it."""
    scheme = scheme_for(kind)
    alignment = AlignmentSource(
        slug=slug,
        title=title,
        kind=kind,
        licence=licence,
        source=source,
        names=game_source.names,
        rows=game_source.rows,
        original_rows=list(game_source.rows),
    )
    session.add(alignment)
    puzzles = [
        _puzzle_row(
            game,
            kind,
            scheme,
            f"{title}, columns {game.source_start + 1}-{game.source_end}",
            alignment,
        )
        for games in cuts.values()
        for game in games
    ]
    session.add_all(puzzles)
    session.flush()
    return alignment, puzzles


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
    game_source = read_source(path, fmt)
    cuts = cut_levels(game_source, kind, levels or {level: limit}, time_limit=time_limit)
    return store_alignment(
        session,
        game_source,
        cuts,
        kind=kind,
        slug=slug,
        title=title,
        licence=licence,
        source=source,
    )


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
    return CutPlan(alignment.kind, GameSource(alignment.names, alignment.original_rows), done)


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
