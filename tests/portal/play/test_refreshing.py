"""`portal puzzles refresh-context`: puzzles cut before puzzles kept their
window's fixed rows get them, and then their gains are the alignment's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from games.flanks import score_window
from games.puzzles import cut_puzzles, make_puzzle, read_source, scheme_for
from games.scoring import score_alignment
from games.splice import splice
from portal.play import cutting
from portal.play.models import Puzzle, Solution
from portal.play.puzzles import flanks_of_puzzle, scheme_of

DATA = Path(__file__).resolve().parents[3] / "games" / "data"


def _old_puzzles(session):
    """IL-6 with puzzles cut as before: each board of three rows laid on its own
    (columns where only other rows have letters dropped), without the other
    rows; those without flanks either, as puzzles were cut before flanks."""
    source = read_source(DATA / "il6.nucl.fasta")
    scheme = scheme_for("dna")
    windows = cut_puzzles(source, scheme, level="beginner", limit=6, time_limit=5.0)
    games = [
        make_puzzle(source, w.source_start, w.source_end, scheme, rows=[0, 2, 4], context=False)
        for w in windows
    ]
    alignment, puzzles = cutting.store_alignment(
        session,
        source,
        {"beginner": [g for g in games if g]},
        kind="dna",
        slug="il6-old",
        title="IL-6",
    )
    for puzzle in puzzles:
        puzzle.scheme = {k: v for k, v in puzzle.scheme.items() if k not in ("flanks", "edges")}
        puzzle.start_score = score_alignment(puzzle.start, scheme)
        puzzle.par = max(puzzle.start_score, score_alignment(puzzle.par_layout, scheme))
    for puzzle in puzzles:
        session.add(
            Solution(
                puzzle_id=puzzle.id,
                player_key="guest:zed",
                nickname="Zed",
                layout_hash=f"h{puzzle.id}",
                rows=puzzle.par_layout,
                score=puzzle.par,
                points=50,
            )
        )
    session.commit()
    return alignment, [p.id for p in puzzles]


def _snapshot(session, ids):
    session.expire_all()
    out = {}
    for pid in ids:
        p = session.get(Puzzle, pid)
        solutions = session.scalars(select(Solution).where(Solution.puzzle_id == pid))
        out[pid] = (
            dict(p.scheme),
            list(p.start),
            list(p.sequences),
            p.start_score,
            p.par,
            list(p.par_layout),
            [(s.score, s.points) for s in solutions],
        )
    return out


def test_refresh_gives_old_puzzles_their_fixed_rows_and_is_idempotent(runner, session):
    alignment, ids = _old_puzzles(session)
    original = list(alignment.original_rows)
    before = _snapshot(session, ids)
    dry = runner.invoke(args=["puzzles", "refresh-context", "il6-old", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would refresh" in dry.output
    assert _snapshot(session, ids) == before

    result = runner.invoke(args=["puzzles", "refresh-context", "il6-old"])
    assert result.exit_code == 0, result.output
    after = _snapshot(session, ids)
    refreshed = 0
    scheme = scheme_for("dna")
    for pid in ids:
        puzzle = session.get(Puzzle, pid)
        kept_board = splice(
            original, puzzle.source_start, puzzle.source_end, puzzle.source_rows, puzzle.start
        )
        if kept_board != original:
            assert after[pid] == before[pid], "a board that needs re-cutting is left alone"
            assert f"#{pid}: needs re-cut" in result.output
            continue
        refreshed += 1
        # The puzzle's own rows and board never change; the context is added.
        assert after[pid][1:3] == before[pid][1:3]
        flanks = flanks_of_puzzle(puzzle)
        assert flanks.context, "rows 2, 4, 6 and 7 have letters in the window"
        # Scores follow the new rule, and a gain on the board is the alignment's.
        assert puzzle.start_score == score_window(puzzle.start, scheme_of(puzzle), flanks)
        assert puzzle.par >= puzzle.start_score
        whole = score_alignment(original, scheme)
        for layout in (puzzle.par_layout, before[pid][5]):
            spliced = splice(
                original, puzzle.source_start, puzzle.source_end, puzzle.source_rows, layout
            )
            gain = score_window(layout, scheme_of(puzzle), flanks) - puzzle.start_score
            assert abs(gain - (score_alignment(spliced, scheme) - whole)) < 1e-6
        ((score, points),) = after[pid][6]
        assert score == score_window(before[pid][5], scheme_of(puzzle), flanks)
        assert points == 50  # points earned stay
    assert 1 <= refreshed < len(ids), result.output  # both kinds are met

    again = runner.invoke(args=["puzzles", "refresh-context"])
    assert again.exit_code == 0, again.output
    assert "Refreshed 0 puzzles" in again.output
    assert _snapshot(session, ids) == after
    missing = runner.invoke(args=["puzzles", "refresh-context", "nope"])
    assert missing.exit_code == 1 and "No alignment called 'nope'" in missing.output
