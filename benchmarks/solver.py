"""The par solver's speed: layouts evaluated per second on a 7 x 43 protein board.

    .venv/bin/python benchmarks/solver.py [--repeat 5] [--evaluations 20000]
        [--context-only]

Three contenders, run in turn in each repeat (interleaved, so the machine's
drift falls on all alike), medians printed with the ratio to the solver:

* the solver (``games.puzzles.solve``): moves generated and scored inside numba,
  re-scoring only the pairs of the moved row;
* the same search with every candidate rendered as strings, encoded and scored
  whole by ``score_batch`` (how a solver built on the public scorer works; it
  must reach the same layout and score, which is checked);
* ``score_batch`` alone on ready-made codes of the same shape: the ceiling of
  any search that scores whole layouts.

Then a board with fixed context rows (8 rows of a Pkinase window, the other
rows of the Pfam seed as context; the seed comes with ``apt-get install
hmmer-examples``, else the case is skipped): the solver scoring a move against
the context rows' column tables (games/_profile.py) and row by row, interleaved
likewise; both must find the same par.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from unittest import mock  # noqa: E402

from games import puzzles  # noqa: E402
from games.encoding import encode_batch  # noqa: E402
from games.flanks import Flanks, cut_window  # noqa: E402
from games.puzzles import (  # noqa: E402
    layout,
    move,
    pick_rows,
    positions,
    puzzle_protein,
    read_source,
    residues,
    scheme_for,
    solve,
    strip_common_gaps,
)
from games.scoring import score_alignment, score_batch, warmup  # noqa: E402


def board(rows: int = 7, columns: int = 43) -> list[str]:
    source = read_source(ROOT / "games" / "data" / "il6.prot.fasta")
    window = [row[60 : 60 + columns - 4] for row in source.rows]
    picked = strip_common_gaps([window[i] for i in pick_rows(window, rows)])
    return [row + "-" * (columns - len(row)) for row in picked]


PKINASE = Path("/usr/share/doc/hmmer/examples/tutorial/Pkinase.sto")


def context_board(rows: int = 8, start: int = 40, columns: int = 40) -> tuple[list[str], Flanks]:
    """``rows`` rows of a window of the Pkinase seed, the others as fixed context."""
    source = read_source(PKINASE, "stockholm")
    window = [row[start : start + columns] for row in source.rows]
    chosen = sorted(pick_rows(window, rows))
    board, flanks = cut_window(source.rows, start, start + columns, chosen)
    extra = max(2, len(board[0]) * 15 // 100)
    return [row + "-" * extra for row in board], flanks


def row_by_row_solve(rows, scheme, n, flanks):
    with mock.patch.object(puzzles._profile, "exact_scale", return_value=False):
        return solve(rows, scheme, time_limit=1e9, max_evaluations=n, flanks=flanks)


def context_case(repeat: int, n: int) -> None:
    if not PKINASE.exists():
        print(f"(no {PKINASE}: the case with context rows is skipped)")
        return
    scheme = scheme_for("protein")
    rows, flanks = context_board()
    fast = solve(rows, scheme, time_limit=1e9, max_evaluations=n, flanks=flanks)
    slow = row_by_row_solve(rows, scheme, n, flanks)
    assert fast == slow, "the column tables and row by row differ"
    rates: dict[str, list[float]] = {"column tables": [], "row by row": []}
    for _ in range(repeat):
        start = time.perf_counter()
        done = solve(rows, scheme, time_limit=1e9, max_evaluations=n, flanks=flanks).evaluations
        rates["column tables"].append(done / (time.perf_counter() - start))
        start = time.perf_counter()
        done = row_by_row_solve(rows, scheme, n, flanks).evaluations
        rates["row by row"].append(done / (time.perf_counter() - start))
    median = {name: statistics.median(r) for name, r in rates.items()}
    print(
        f"par solver on a {len(rows)} x {len(rows[0])} Pkinase board with"
        f" {len(flanks.context)} context rows, {n:,} evaluations; medians of {repeat}"
        " interleaved repeats"
    )
    for name, rate in median.items():
        ratio = median["column tables"] / rate
        suffix = "" if name == "column tables" else f"   column tables are {ratio:.1f}x this"
        print(f"  {name:18s} {rate:12,.0f} layouts/s{suffix}")


def whole_layout_solve(rows: list[str], scheme, max_evaluations: int, seed: int = 0):
    """The same iterated local search, each candidate scored whole by score_batch."""
    width = len(rows[0])
    sequences = [residues(r) for r in rows]
    rng = random.Random(seed)
    current = [positions(r) for r in rows]
    current_score = score_alignment(rows, scheme)
    best, best_score = [list(c) for c in current], current_score
    evaluations = 0
    deltas = (-3, -2, -1, 1, 2, 3)

    def render(cols):
        return [layout(s, c, width) for s, c in zip(sequences, cols, strict=True)]

    while evaluations < max_evaluations:
        candidates = [
            (r, new)
            for r, row_cols in enumerate(current)
            for k in range(len(row_cols))
            for delta in deltas
            for tail in (False, True)
            if (new := move(row_cols, k, delta, width, tail=tail)) is not None
        ]
        if not candidates:
            break
        batch = []
        for r, new in candidates:
            trial = list(current)
            trial[r] = new
            batch.append(render(trial))
        scores = score_batch(encode_batch(batch, scheme), scheme)
        evaluations += len(candidates)
        top = int(np.argmax(scores))
        if scores[top] > current_score + 1e-9:
            r, new = candidates[top]
            current = list(current)
            current[r] = new
            current_score = float(scores[top])
            if current_score > best_score + 1e-9:
                best, best_score = [list(c) for c in current], current_score
            continue
        current = [list(c) for c in best]
        for _ in range(rng.randint(1, 3)):
            r = rng.randrange(len(current))
            k = rng.randrange(len(current[r]))
            moved = move(current[r], k, rng.choice(deltas), width, tail=rng.random() < 0.5)
            if moved is not None:
                current[r] = moved
        current_score = score_alignment(render(current), scheme)
        evaluations += 1
    return render(best), best_score, evaluations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--evaluations", type=int, default=20_000)
    parser.add_argument("--context-only", action="store_true")
    args = parser.parse_args()
    warmup()
    if args.context_only:
        context_case(args.repeat, args.evaluations)
        return
    scheme = puzzle_protein()
    rows = board()
    n = args.evaluations
    fast = solve(rows, scheme, time_limit=1e9, max_evaluations=n)
    slow = whole_layout_solve(rows, scheme, n)
    assert (fast.rows, fast.score, fast.evaluations) == slow, "the two searches differ"
    codes = encode_batch([rows] * 2000, scheme)

    rates: dict[str, list[float]] = {"solver": [], "whole layouts": [], "score_batch only": []}
    for _ in range(args.repeat):
        start = time.perf_counter()
        done = solve(rows, scheme, time_limit=1e9, max_evaluations=n).evaluations
        rates["solver"].append(done / (time.perf_counter() - start))
        start = time.perf_counter()
        done = whole_layout_solve(rows, scheme, n)[2]
        rates["whole layouts"].append(done / (time.perf_counter() - start))
        start = time.perf_counter()
        for _ in range(5):
            score_batch(codes, scheme)
        rates["score_batch only"].append(5 * len(codes) / (time.perf_counter() - start))
    median = {name: statistics.median(r) for name, r in rates.items()}
    print(
        f"par solver on a {len(rows)} x {len(rows[0])} protein board, {n:,} evaluations; "
        f"medians of {args.repeat} interleaved repeats"
    )
    for name, rate in median.items():
        ratio = median["solver"] / rate
        suffix = "" if name == "solver" else f"   solver is {ratio:.1f}x this"
        print(f"  {name:18s} {rate:12,.0f} layouts/s{suffix}")
    context_case(args.repeat, args.evaluations)


if __name__ == "__main__":
    main()
