"""What splicing by consensus costs: one rebuild of a research alignment with
each window's consensus, beside splicing each window's best solution alone.

    .venv/bin/python benchmarks/splice_consensus.py [--puzzles 8] [--players 20] [--repeat 5]

The IL-6 nucleotide alignment is cut into puzzles; in each, simulated players
(the par solver with their own seed and a small budget) send solutions. Each
repeat then runs, in turn (interleaved, so the machine's drift falls on both):

* ``splice_best``: what a submission near the best now triggers: per window,
  the near-best solutions read from the database, their consensus built and
  scored, the splice, the credits and each window's agreement written;
* the anchor: ``games.splice.apply_solutions`` with each window's best
  solution alone (the splice itself, without the database or the consensus).

Medians are printed with the ratio to the anchor.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from games.puzzles import scheme_for, solve  # noqa: E402
from games.splice import Candidate, apply_solutions  # noqa: E402
from portal import create_app, db  # noqa: E402
from portal.migrate import upgrade  # noqa: E402
from portal.play import splicing  # noqa: E402
from portal.play.cutting import import_alignment  # noqa: E402
from portal.play.models import Solution  # noqa: E402
from portal.play.puzzles import flanks_of_puzzle, scheme_of, score_of  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--puzzles", type=int, default=8)
    parser.add_argument("--players", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "DATA_DIR": str(folder / "data"),
        }
    )
    with app.app_context():
        upgrade(app, "head")
        session = db.new_session()
        alignment, puzzles = import_alignment(
            session,
            ROOT / "games" / "data" / "il6.nucl.fasta",
            kind="dna",
            slug="il6",
            title="IL-6",
            limit=args.puzzles,
        )
        best: dict[int, Solution] = {}
        for puzzle in puzzles:
            for p in range(args.players):
                solved = solve(
                    puzzle.start,
                    scheme_of(puzzle),
                    flanks=flanks_of_puzzle(puzzle),
                    seed=p,
                    max_evaluations=300 + 100 * p,
                    time_limit=2.0,
                )
                rows = list(solved.rows)
                solution = Solution(
                    puzzle_id=puzzle.id,
                    player_key=f"guest:{p}",
                    nickname=f"player{p}",
                    layout_hash=f"{puzzle.id}-{p}",
                    rows=rows,
                    score=score_of(puzzle, rows),
                )
                session.add(solution)
                if puzzle.id not in best or solution.score > best[puzzle.id].score:
                    best[puzzle.id] = solution
        session.flush()
        scheme = scheme_for(alignment.kind)
        candidates = [
            Candidate(p.source_start, p.source_end, p.source_rows, best[p.id].rows)
            for p in puzzles
            if best[p.id].score > p.start_score + 1e-9
        ]
        timings: dict[str, list[float]] = {"consensus splice": [], "anchor": []}
        used = 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            changes = splicing.splice_best(session, alignment)
            timings["consensus splice"].append(time.perf_counter() - started)
            used = sum(change.method == "consensus" for change in changes)
            started = time.perf_counter()
            apply_solutions(alignment.original_rows, candidates, scheme)
            timings["anchor"].append(time.perf_counter() - started)
        session.rollback()
        session.close()
    anchor = statistics.median(timings["anchor"])
    print(
        f"{len(puzzles)} windows x {args.players} players of a"
        f" {len(alignment.names)} x {len(alignment.original_rows[0])} alignment;"
        f" consensus spliced in {used} window(s)"
    )
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:>18}: {median * 1000:8.1f} ms  ({median / anchor:5.1f}x the anchor)")


if __name__ == "__main__":
    main()
