"""The meta-regression's permutation test (1,000 random permutations, REML) against its
anchor, statsmodels' weighted least squares refitted on the same 1,000 permutations
(a fit with tau^2 known, so the least a refit can cost).

    .venv/bin/python benchmarks/permutest.py [--k 40] [--iterations 1000] [--repeat 5]

Each repeat runs both in turn (interleaved); the medians are printed with the ratio of
the permutation test to the anchor measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import statsmodels.api as sm  # noqa: E402

from analysis.heterogeneity import design  # noqa: E402
from analysis.moderators import permutation_test  # noqa: E402


def simulate(k: int, seed: int = 20261207) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(10, 60, k)
    vi = rng.uniform(0.01, 0.4, k)
    return rng.normal(0.3 - 0.02 * x, np.sqrt(0.05 + vi)), vi, x


def anchor(y: np.ndarray, v: np.ndarray, X: np.ndarray, iterations: int) -> None:
    rng = np.random.default_rng(1)
    for _ in range(iterations):
        sm.WLS(y, X[rng.permutation(len(y))], weights=1 / (v + 0.05)).fit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=40)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    y, v, x = simulate(args.k)
    X = design(args.k, x)
    times: dict[str, list[float]] = {"permutest": [], "anchor": []}
    for _ in range(args.repeat):
        start = time.perf_counter()
        permutation_test(
            y, v, X, method="REML", test="z", level=0.95, iterations=args.iterations, seed=2
        )
        times["permutest"].append(time.perf_counter() - start)
        start = time.perf_counter()
        anchor(y, v, X, args.iterations)
        times["anchor"].append(time.perf_counter() - start)
    ours, base = statistics.median(times["permutest"]), statistics.median(times["anchor"])
    print(f"permutest, k = {args.k}, {args.iterations} permutations, REML: {ours:.3f} s")
    print(f"anchor (statsmodels WLS refits):                     {base:.3f} s")
    print(f"ratio to anchor: {ours / base:.2f}")


if __name__ == "__main__":
    main()
