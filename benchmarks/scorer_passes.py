"""Times the passes of the scorer kernel apart, on the random protein
alignments of benchmarks/scorer.py: the tile transpose, the dense
substitution pass and the unit-weight gap sweep, called tile by tile as the
driver calls them, next to the whole kernel in the same rounds.

    .venv/bin/python benchmarks/scorer_passes.py

Figures are ns per cell, medians over the rounds, CPU time of this thread.
A gap-free copy of the 400x2000 alignment shows what the gap sweep costs
without any switch between letters and gaps.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from scorer import protein_alignment  # noqa: E402

from games._kernels import driver, gap_sweep, substitution, tiles  # noqa: E402
from games.encoding import compile_scheme, encode_rows  # noqa: E402
from games.scheme import ScoringScheme  # noqa: E402
from games.scoring import _score_codes  # noqa: E402

SCHEME = ScoringScheme.preset("blastp")
clock = time.thread_time


def passes(codes: np.ndarray) -> dict[str, float]:
    """Seconds in each pass, for blastp (dense substitutions, unit weights)."""
    compiled = compile_scheme(SCHEME)
    n_rows, n_cols = codes.shape
    weights = np.ones(n_rows)
    scratch = driver.make_scratch(n_rows, n_cols, compiled.table.shape[0], True, 0)
    tile, lanes = scratch[0], scratch[1]
    last, hist, prefix, movers, previous = (
        scratch[9],
        scratch[10],
        scratch[11],
        scratch[12],
        scratch[14],
    )
    tile_counts, totals = scratch[19], scratch[20]
    gap_sweep.gaps_symmetric_start(weights, last, hist, prefix)
    last[:] = 0
    previous[:] = 0
    columns = tile.view(np.uint8)
    spent = {"transpose": 0.0, "substitution": 0.0, "gaps": 0.0}
    for first in range(0, n_cols, tile.shape[0]):
        n = min(tile.shape[0], n_cols - first)
        start = clock()
        tiles.transpose(codes, first, n, tile)
        transposed = clock()
        substitution.substitution_dense(columns, n, compiled.table, lanes, tile_counts, totals)
        substituted = clock()
        gap_sweep.gaps_unit_columns(
            tile, n, first, compiled.gaps, last, previous, hist, prefix, movers
        )
        spent["transpose"] += transposed - start
        spent["substitution"] += substituted - transposed
        spent["gaps"] += clock() - substituted
    return spent


def report(label: str, codes: np.ndarray, repeat: int) -> None:
    times: dict[str, list[float]] = {"transpose": [], "substitution": [], "gaps": [], "whole": []}
    passes(codes)
    _score_codes(codes, SCHEME)
    for _ in range(repeat):
        for name, seconds in passes(codes).items():
            times[name].append(seconds)
        start = clock()
        _score_codes(codes, SCHEME)
        times["whole"].append(clock() - start)
    cells = codes.size
    line = "   ".join(
        f"{name} {statistics.median(values) / cells * 1e9:5.2f}" for name, values in times.items()
    )
    print(f"{label:<22} {line}   ns/cell")


def main() -> None:
    numba.set_num_threads(1)
    rng = np.random.default_rng(7)
    for n_rows, n_cols in [(400, 2000), (1000, 10_000)]:
        rows = protein_alignment(rng, n_rows, n_cols)
        codes = encode_rows([row.tobytes().decode("ascii") for row in rows], SCHEME)
        report(f"protein {n_rows}x{n_cols}", codes, 9 if n_rows == 400 else 5)
        if n_rows == 400:
            rows[rows == ord("-")] = ord("A")
            codes = encode_rows([row.tobytes().decode("ascii") for row in rows], SCHEME)
            report("  same, gap-free", codes, 9)


if __name__ == "__main__":
    main()
