"""Leave-one-out on k = 1,000 studies: the batched fits against fitting one subset at a
time, with this project's own single fit and with statsmodels' ``combine_effects``.

    .venv/bin/python benchmarks/sensitivity.py [--k 1000] [--repeat 5]

Each repeat runs every contender once, in turn (interleaved, so the machine's
drift falls on all alike); the medians are printed with each one's ratio to the
batch measured in the same run. statsmodels has no REML, so its DerSimonian-Laird
fit ("chi2") is the anchor for both models; the one-at-a-time loop of our own fit
also computes each subset's Q-profile interval, which the leave-one-out table does
not show, so it is timed only at DL (where it costs least) and REML.
Before timing, the batch is checked against the loops: every estimate must agree.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from statsmodels.stats.meta_analysis import combine_effects  # noqa: E402

from analysis.effect_sizes import effect_sizes_from_estimates  # noqa: E402
from analysis.pooling import pool  # noqa: E402
from analysis.sensitivity import leave_one_out  # noqa: E402


def simulate(k: int, seed: int = 20261207) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.005, 0.5, k)
    return rng.normal(-0.3, np.sqrt(0.1 + vi)), vi


def loop_ours(es: Any, method: str) -> np.ndarray:
    keep = np.ones(es.k, dtype=bool)
    out = np.empty(es.k)
    for i in range(es.k):
        keep[i] = False
        out[i] = pool(es.subset(keep), method).estimate
        keep[i] = True
    return out


def loop_statsmodels(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = np.empty(len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(len(y)):
            res = combine_effects(np.delete(y, i), np.delete(v, i), method_re="chi2")
            out[i] = res.mean_effect_re
    return out


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    y, v = simulate(args.k)
    es = effect_sizes_from_estimates(y, v)

    for method in ("DL", "REML"):
        batch = leave_one_out(es, method).column("estimate")
        np.testing.assert_allclose(batch, loop_ours(es, method), rtol=1e-9)
    np.testing.assert_allclose(
        leave_one_out(es, "DL").column("estimate"), loop_statsmodels(y, v), rtol=1e-9
    )

    contenders: dict[str, Callable[[], Any]] = {
        "batch DL": lambda: leave_one_out(es, "DL"),
        "batch REML": lambda: leave_one_out(es, "REML"),
        "one at a time, ours, DL": lambda: loop_ours(es, "DL"),
        "one at a time, ours, REML": lambda: loop_ours(es, "REML"),
        "one at a time, statsmodels DL": lambda: loop_statsmodels(y, v),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.repeat):
        for name, fn in contenders.items():
            times[name].append(timed(fn))
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"leave-one-out, k = {args.k}: medians of {args.repeat} interleaved repeats")
    for name, t in median.items():
        anchor = "batch REML" if "REML" in name else "batch DL"
        ratio = "" if name.startswith("batch") else f"  {t / median[anchor]:7.1f}x the batch"
        print(f"  {name:32s} {t * 1000:9.1f} ms{ratio}")
    print(
        f"  statsmodels' DL loop / batch REML: "
        f"{median['one at a time, statsmodels DL'] / median['batch REML']:.1f}x"
    )


if __name__ == "__main__":
    main()
