"""The whole game loop on a real alignment: perturb it, cut puzzles where it
looks wrong, let the solver play each puzzle, splice the solutions back, and
report accuracy against the untouched alignment before and after.

    .venv/bin/python benchmarks/game_loop.py [--file il6.nucl.fasta] [--kind dna]
                                             [--perturb 12] [--seed 1] [--json]

The reference is the alignment in games/data (taken as the truth); the
estimate is that alignment with ``--perturb`` random game moves applied (each
slides a residue, or a residue and everything to its right, within a
25-column stretch of one row).  SP is the share of the reference's aligned
residue pairs the estimate keeps; TC the share of its columns (with two or
more residues) kept whole; "score" the sum-of-pairs score under the puzzle
scheme.  Nothing here is a test: it prints what happened.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from games.accuracy import compare  # noqa: E402
from games.puzzles import (  # noqa: E402
    cut_puzzles,
    layout,
    move,
    positions,
    read_source,
    residues,
    scheme_for,
    source_from_rows,
)
from games.scoring import score_alignment, warmup  # noqa: E402
from games.splice import Candidate, apply_solutions  # noqa: E402


def perturb(rows: list[str], count: int, rng: random.Random) -> list[str]:
    """``count`` random moves, each inside a 25-column stretch of one row."""
    rows = list(rows)
    width = len(rows[0])
    done = 0
    while done < count:
        r = rng.randrange(len(rows))
        start = rng.randrange(0, width - 25)
        piece = rows[r][start : start + 25]
        cols = positions(piece)
        if len(cols) < 2:
            continue
        k = rng.randrange(len(cols))
        moved = move(cols, k, rng.choice([-3, -2, -1, 1, 2, 3]), 25, tail=rng.random() < 0.5)
        if moved is None:
            continue
        rows[r] = rows[r][:start] + layout(residues(piece), moved, 25) + rows[r][start + 25 :]
        done += 1
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default="il6.nucl.fasta")
    parser.add_argument("--kind", choices=["dna", "protein"], default=None)
    parser.add_argument("--perturb", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--puzzles", type=int, default=12)
    parser.add_argument("--time-limit", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    kind = args.kind or ("dna" if "nucl" in args.file else "protein")
    scheme = scheme_for(kind)
    warmup()
    reference = read_source(ROOT / "games" / "data" / args.file)
    rng = random.Random(args.seed)
    estimate_rows = perturb(reference.rows, args.perturb, rng)
    estimate = source_from_rows(reference.names, estimate_rows)

    started = time.perf_counter()
    puzzles = cut_puzzles(
        estimate, scheme, limit=args.puzzles, time_limit=args.time_limit, seed=args.seed
    )
    cut_seconds = time.perf_counter() - started
    candidates = [
        Candidate(
            p.source_start,
            p.source_end,
            p.source_rows,
            p.par_layout,
            label=f"{p.source_start + 1}-{p.source_end}",
        )
        for p in puzzles
    ]
    started = time.perf_counter()
    report = apply_solutions(estimate.rows, candidates, scheme)
    splice_seconds = time.perf_counter() - started

    before = compare(estimate.rows, reference.rows)
    after = compare(report.rows, reference.rows)
    result = {
        "file": args.file,
        "kind": kind,
        "perturbations": args.perturb,
        "seed": args.seed,
        "reference_score": score_alignment(reference.rows, scheme),
        "puzzles": len(puzzles),
        "spliced": len(report.changes),
        "rejected": len(report.rejected),
        "before": {
            "score": report.before,
            "sp": before.sp,
            "modeler": before.modeler,
            "tc": before.tc,
        },
        "after": {"score": report.after, "sp": after.sp, "modeler": after.modeler, "tc": after.tc},
        "seconds": {"cut_and_solve": round(cut_seconds, 2), "splice": round(splice_seconds, 3)},
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"{args.file} ({kind}): {len(reference.rows)} rows x {reference.width} columns;"
        f" {args.perturb} random moves (seed {args.seed})"
    )
    print(f"reference score {result['reference_score']:g}")
    print(
        f"puzzles cut and solved: {len(puzzles)} in {cut_seconds:.2f} s;"
        f" spliced {len(report.changes)}, rejected {len(report.rejected)}"
    )
    for label, acc, score in (("before", before, report.before), ("after", after, report.after)):
        print(
            f"{label:>6}: score {score:8g}  SP {acc.sp:.4f}  modeler {acc.modeler:.4f}"
            f"  TC {acc.tc:.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
