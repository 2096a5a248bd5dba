"""Putting players' solutions back into the research alignment they were cut
from, with credit: per window, the consensus of the near-best solutions when
it beats the best single one, else the best single one.

Services take a session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from games.consensus import Consensus, Played, build_consensus, vote_shares
from games.export import check_same_sequences
from games.puzzles import scheme_for
from games.splice import Candidate, apply_solutions
from portal.community.notifications.models import LINK_MAX, MESSAGE_MAX, Notification
from portal.db import utcnow
from portal.play import badges
from portal.play.models import (
    AlignmentChange,
    AlignmentCredit,
    AlignmentSource,
    Puzzle,
    Solution,
    WindowConsensus,
)
from portal.play.puzzles import flanks_of_puzzle, scheme_of
from portal.play.retirement import retire_finished

#: Where a player reads what their solutions changed (the notice links there).
HISTORY_PATH = "/play/history"


def margin_for(best: float, worst: float) -> float:
    """How far below the best a solution may score and still vote: a tenth of
    the spread of the scores that beat the start, at least 1 (as
    ``games.consensus.build_consensus`` chooses by default)."""
    return max(1.0, (best - worst) / 10)


def update_research(
    session: Session, puzzle: Puzzle, solution: Solution, best_before: float | None
) -> None:
    """Splices again when ``solution`` can change what goes into the research
    alignment: a new best at once (so its player is credited and the puzzle can
    retire without waiting for a researcher), and a solution near the best
    because it may join the consensus. ``best_before`` is the puzzle's best
    score before ``solution``."""
    # The score first: most solutions do not beat the start, and reading the
    # alignment would be a query for each of them.
    if solution.score <= puzzle.start_score + 1e-9 or puzzle.alignment_id is None:
        return
    alignment = puzzle.alignment
    if alignment is None:
        return
    if best_before is not None:
        # The margin can be no wider than this, since every voter beats the start.
        widest = margin_for(best_before, puzzle.start_score)
        if solution.score < best_before - widest - 1e-9:
            return
    splice_best(session, alignment)


@dataclass
class _Window:
    puzzle: Puzzle
    best: Solution
    voters: list[Solution]  # one per player, the solutions kept by the consensus
    consensus: Consensus
    shares: list[float]  # per voter, of the votes the consensus layout received


def _voters(session: Session, puzzle: Puzzle) -> tuple[Solution, list[Solution], float] | None:
    """The puzzle's best solution, each player's best solution within the
    margin of it (one vote per player, however many layouts they sent), and
    the margin."""
    best_score, worst_score = session.execute(
        select(func.max(Solution.score), func.min(Solution.score)).where(
            Solution.puzzle_id == puzzle.id, Solution.score > puzzle.start_score + 1e-9
        )
    ).one()
    if best_score is None:
        return None
    margin = margin_for(float(best_score), float(worst_score))
    near = list(
        session.scalars(
            select(Solution)
            .where(
                Solution.puzzle_id == puzzle.id,
                Solution.score > puzzle.start_score + 1e-9,
                Solution.score >= best_score - margin - 1e-9,
            )
            .order_by(Solution.score.desc(), Solution.created_at, Solution.id)
        )
    )
    best = near[0]
    # A player's simplest layout among their best-scoring ones speaks for them.
    ranked = sorted(
        near, key=lambda s: (-s.score, Played(s.rows, s.score).gaps, s.created_at, s.id)
    )
    voters: dict[str, Solution] = {}
    for solution in ranked:
        voters.setdefault(solution.player_key, solution)
    return best, list(voters.values()), margin


def window_of(session: Session, puzzle: Puzzle) -> _Window | None:
    """The consensus of ``puzzle``'s near-best solutions, with who voted and
    their shares; None while no solution beats the start."""
    found = _voters(session, puzzle)
    if found is None:
        return None
    best, voters, margin = found
    by_id = {s.id: s for s in voters}
    consensus = build_consensus(
        [Played(s.rows, s.score, player=s.id) for s in voters],
        scheme_of(puzzle),
        flanks_of_puzzle(puzzle),
        margin=margin,
    )
    kept = [by_id[played.player] for played in consensus.kept]  # type: ignore[index]
    return _Window(puzzle, best, kept, consensus, vote_shares(consensus.rows, consensus.kept))


def _credited(session: Session, alignment: AlignmentSource) -> set[tuple[int | None, int | None]]:
    """(puzzle, user) pairs credited in the alignment now."""
    return {
        (puzzle_id, user_id)
        for puzzle_id, user_id in session.execute(
            select(AlignmentChange.puzzle_id, AlignmentCredit.user_id)
            .join(AlignmentCredit, AlignmentCredit.change_id == AlignmentChange.id)
            .where(
                AlignmentChange.alignment_id == alignment.id,
                AlignmentCredit.user_id.is_not(None),
            )
        )
    }


def splice_best(session: Session, alignment: AlignmentSource) -> list[AlignmentChange]:
    """Rebuilds the alignment from its original rows with each puzzle's
    consensus (when it beats the best single solution) or best solution
    spliced in wherever that raises the whole alignment's score, records which
    columns changed and credits every player whose solution voted, with their
    share of the votes; players newly credited get a notice.

    Starting from the original every time keeps the puzzles' column numbers
    valid and makes the result depend only on the solutions stored."""
    # Two requests splicing one alignment at once would both replace its
    # change records; the row lock (PostgreSQL; SQLite has one writer anyway)
    # makes the second wait and then rebuild from the first one's result.
    session.scalar(
        select(AlignmentSource.id).where(AlignmentSource.id == alignment.id).with_for_update()
    )
    scheme = scheme_for(alignment.kind)
    windows: dict[int, _Window] = {}
    candidates = []
    for puzzle in alignment.puzzles:
        window = window_of(session, puzzle)
        if window is None:
            continue
        windows[puzzle.id] = window
        where = (puzzle.source_start, puzzle.source_end, puzzle.source_rows)
        if window.consensus.beats_best:
            candidates.append(
                Candidate(*where, window.consensus.rows, label=("consensus", puzzle.id))
            )
        candidates.append(Candidate(*where, window.best.rows, label=("best", puzzle.id)))
    original = alignment.original_rows
    report = apply_solutions(original, candidates, scheme)
    check_same_sequences(original, report.rows)  # never store an alignment with lost residues

    before = _credited(session, alignment)
    for old in session.scalars(
        select(AlignmentChange).where(AlignmentChange.alignment_id == alignment.id)
    ):
        session.delete(old)
    for old_window in session.scalars(
        select(WindowConsensus).where(WindowConsensus.alignment_id == alignment.id)
    ):
        session.delete(old_window)
    session.flush()

    now = utcnow()
    changes = []
    for change in report.changes:
        method, puzzle_id = change.label
        window = windows[puzzle_id]
        record = AlignmentChange(
            alignment_id=alignment.id,
            puzzle_id=puzzle_id,
            method=method,
            start_column=change.start,
            end_column=change.end,
            new_end_column=change.new_end,
            score_before=change.before,
            score_after=change.after,
            created_at=now,
        )
        if method == "consensus":
            record.kept = len(window.voters)
            record.credits = [
                _credit(solution, share, now)
                for solution, share in zip(window.voters, window.shares, strict=True)
            ]
        else:
            record.solution_id, record.kept = window.best.id, 1
            record.credits = [_credit(window.best, 1.0, now)]
        changes.append(record)
    session.add_all(changes)
    session.add_all(
        WindowConsensus(
            puzzle_id=puzzle_id,
            alignment_id=alignment.id,
            rows=list(window.consensus.rows),
            score=window.consensus.score,
            best_score=window.best.score,
            kept=len(window.voters),
            agreement=list(window.consensus.agreement),
            updated_at=now,
        )
        for puzzle_id, window in windows.items()
    )
    alignment.rows = list(report.rows)
    session.flush()

    for record in changes:
        for credit in record.credits:
            if credit.user_id is None:
                continue
            badges.award(session, credit.user_id, "contributor", record.puzzle_id)
            if (record.puzzle_id, credit.user_id) not in before:
                _notify(session, alignment, record, credit)
    # A window's best solution counts as used whichever of it or the consensus
    # went in, so the puzzle retires once enough players reach it.
    used = {windows[record.puzzle_id].best.id for record in changes if record.puzzle_id}
    used |= {c.solution_id for r in changes for c in r.credits if c.solution_id is not None}
    retire_finished(session, alignment, used)
    return changes


def _credit(solution: Solution, share: float, now: datetime) -> AlignmentCredit:
    return AlignmentCredit(
        solution_id=solution.id,
        user_id=solution.user_id,
        player_key=solution.player_key,
        nickname=solution.nickname,
        share=share,
        created_at=now,
    )


def in_words(change: AlignmentChange) -> str:
    """How a change used the players' solutions, for the player credited."""
    if change.method == "consensus":
        return f"your solution was one of {change.kept} in the players' consensus"
    return "your solution was the best one and was used as it is"


def _notice(alignment: AlignmentSource, change: AlignmentChange) -> str:
    return (
        f"Your solution of puzzle #{change.puzzle_id} now improves the research alignment"
        f" '{alignment.title}' (columns {change.start_column + 1}-{change.end_column},"
        f" score {change.score_before:g} → {change.score_after:g}): {in_words(change)}."
    )[:MESSAGE_MAX]


def _notify(
    session: Session, alignment: AlignmentSource, change: AlignmentChange, credit: AlignmentCredit
) -> None:
    session.add(
        Notification(
            user_id=credit.user_id,
            message=_notice(alignment, change),
            link=HISTORY_PATH[:LINK_MAX],
            created_at=utcnow(),
        )
    )


def guest_notices(session: Session, player_key: str, after: datetime | None) -> list[str]:
    """The notices an account would have had for the credits of guest ``player_key``
    since ``after``: a guest has no notifications, only the token in their cookie, so
    these are shown on their next visit. One per puzzle, newest first, at most ten."""
    rows = session.execute(
        select(AlignmentSource, AlignmentChange)
        .join(AlignmentChange, AlignmentChange.alignment_id == AlignmentSource.id)
        .join(AlignmentCredit, AlignmentCredit.change_id == AlignmentChange.id)
        .where(
            AlignmentCredit.player_key == player_key,
            AlignmentCredit.user_id.is_(None),
            *([AlignmentCredit.created_at > after] if after is not None else []),
        )
        .order_by(AlignmentCredit.created_at.desc(), AlignmentCredit.id.desc())
    ).all()
    notices: dict[int | None, str] = {}
    for alignment, change in rows:
        notices.setdefault(change.puzzle_id, _notice(alignment, change))
    return list(notices.values())[:10]
