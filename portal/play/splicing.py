"""Putting players' best solutions back into the research alignment they were
cut from, with credit.

Services take a session and never commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from games.export import check_same_sequences
from games.puzzles import scheme_for
from games.splice import Candidate, apply_solutions
from portal.play import badges
from portal.play.models import AlignmentChange, AlignmentSource, Puzzle, Solution
from portal.play.retirement import retire_finished


def update_research(
    session: Session, puzzle: Puzzle, solution: Solution, best_before: float | None
) -> None:
    """A new best solution of a puzzle is spliced in at once (so its player
    is credited and the puzzle can retire without waiting for a researcher);
    a solution that equals the best may complete the consensus that retires
    the puzzle. ``best_before`` is the puzzle's best score before ``solution``."""
    alignment = puzzle.alignment
    if alignment is None or solution.score <= puzzle.start_score + 1e-9:
        return
    if best_before is None or solution.score > best_before + 1e-9:
        splice_best(session, alignment)
        return
    if solution.score < best_before - 1e-9:
        return  # below the best: it cannot change who reached the best
    spliced = set(
        session.scalars(
            select(AlignmentChange.solution_id).where(
                AlignmentChange.alignment_id == alignment.id,
                AlignmentChange.solution_id.is_not(None),
            )
        )
    )
    retire_finished(session, alignment, {s for s in spliced if s is not None}, only=puzzle)


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
    original = alignment.original_rows
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
    alignment.rows = list(report.rows)
    session.flush()
    for change in changes:
        solution = session.get(Solution, change.solution_id)
        if solution is not None and solution.user_id is not None:
            badges.award(session, solution.user_id, "contributor", solution.puzzle_id)
    retire_finished(
        session,
        alignment,
        {change.solution_id for change in changes if change.solution_id is not None},
    )
    return changes
