"""Benchmarks for the meta-analysis core.

1. Random-effects meta-analysis of 10,000 simulated studies: our REML (and DL,
   PM) against statsmodels' ``combine_effects`` on the same input, timed in
   the same run.  statsmodels has no REML estimator, so REML is compared with
   its iterated Paule-Mandel ("iterated") and DerSimonian-Laird ("chi2") fits.
2. Two-stage participant-level pooling of 1,000,000 rows across 50 studies
   (continuous and binary outcomes): harmonisation of differently coded
   datasets, per-study estimates, REML pooling; the pooling stage is compared
   with ``combine_effects`` on the same per-study estimates.

Run:  python benchmarks/meta.py [--quick]
Times are the best of ``--repeat`` runs (wall clock, one process).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.meta_analysis import combine_effects

from analysis.effect_sizes import effect_sizes_from_estimates
from analysis.heterogeneity import (
    design,
    resolve_control,
    tau2_confint,
    tau2_reml,
)
from analysis.heterogeneity.estimators import _fisher_scoring_general, _fisher_scoring_intercept
from analysis.ipd import DatasetMapping, Harmonisation, two_stage
from analysis.pooling import meta_analysis, pool


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return best, value


def simulate_studies(k: int, seed: int = 20240401) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.005, 0.5, k)
    yi = rng.normal(-0.3, np.sqrt(0.1 + vi))
    return yi, vi


def simulate_participants(n_rows: int, n_studies: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """50 datasets, alternating between two arm/event codings."""
    rng = np.random.default_rng(seed)
    sizes = rng.multinomial(n_rows, np.full(n_studies, 1 / n_studies))
    frames = {}
    for s, n in enumerate(sizes):
        treat = rng.integers(0, 2, n)
        effect = rng.normal(1.0, 0.3)
        score = 50 + effect * treat + rng.normal(0, 8, n)
        p = 1 / (1 + np.exp(-(-1.0 - 0.4 * treat + rng.normal(0, 0.2))))
        event = rng.random(n) < p
        if s % 2 == 0:
            frames[f"S{s:02d}"] = pd.DataFrame(
                {
                    "arm": np.where(treat == 1, "Active", "Placebo"),
                    "score": score,
                    "dead": np.where(event, "yes", "no"),
                }
            )
        else:
            frames[f"S{s:02d}"] = pd.DataFrame(
                {"group": np.where(treat == 1, 1, 2), "outcome": score, "status": event.astype(int)}
            )
    return frames


def mappings(frames: dict[str, pd.DataFrame]) -> dict[str, DatasetMapping]:
    out = {}
    for i, name in enumerate(frames):
        if i % 2 == 0:
            out[name] = DatasetMapping(
                arm="arm",
                treatment="Active",
                control="Placebo",
                outcome="score",
                event="dead",
                event_values="yes",
                non_event_values="no",
            )
        else:
            out[name] = DatasetMapping(
                arm="group", treatment=1, control=2, outcome="outcome", event="status"
            )
    return out


def row(label: str, ours: float, theirs: float | None = None) -> str:
    line = f"  {label:<52} {ours * 1000:10.2f} ms"
    if theirs is not None:
        line += (
            f"   statsmodels {theirs * 1000:9.2f} ms   ratio ours/statsmodels {ours / theirs:6.2f}"
        )
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke test)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    k = 1_000 if args.quick else 10_000
    n_rows = 100_000 if args.quick else 1_000_000
    n_studies = 50

    print(f"1. Random-effects meta-analysis of k = {k:,} simulated studies")
    yi, vi = simulate_studies(k)
    t_reml, reml = best_of(lambda: meta_analysis(yi, vi, method="REML"), args.repeat)
    t_dl, dl = best_of(lambda: meta_analysis(yi, vi, method="DL"), args.repeat)
    t_pm, pm = best_of(lambda: meta_analysis(yi, vi, method="PM"), args.repeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' iterated PM may warn on convergence
        t_sm_pm, sm_pm = best_of(lambda: combine_effects(yi, vi, method_re="iterated"), args.repeat)
        t_sm_dl, sm_dl = best_of(lambda: combine_effects(yi, vi, method_re="chi2"), args.repeat)
    print(row("REML (ours) vs combine_effects iterated PM", t_reml, t_sm_pm))
    print(row("PM   (ours) vs combine_effects iterated PM", t_pm, t_sm_pm))
    print(row("DL   (ours) vs combine_effects DL", t_dl, t_sm_dl))
    # the tau^2 estimators alone (what combine_effects computes), and the vectorised
    # intercept-only Fisher scoring against the general k x p reference it replaced
    ymc, con = yi - yi.mean(), resolve_control(None)
    t_fast, fast = best_of(
        lambda: _fisher_scoring_intercept("REML", ymc, vi, con, 1.0), args.repeat
    )
    t_general, general = best_of(
        lambda: _fisher_scoring_general("REML", ymc, vi, design(k), con, 1.0), args.repeat
    )
    t_tau_reml, _ = best_of(lambda: tau2_reml(yi, vi), args.repeat)
    t_ci, ci = best_of(lambda: tau2_confint(yi, vi, tau2=reml.tau2), args.repeat)
    print(row("tau2 only: REML (ours) vs combine_effects iterated PM", t_tau_reml, t_sm_pm))
    print(row("REML Fisher scoring: vectorised intercept-only", t_fast))
    print(row("REML Fisher scoring: general k x p reference", t_general))
    print(
        f"  speed-up {t_general / t_fast:.1f}x, |difference in tau2| "
        f"{abs(fast[0] - general[0]):.1e} (tolerance 1e-10)"
    )
    print(row("Q-profile CI of tau2, I2, H2", t_ci))
    print(f"  tau2 95% CI [{ci.tau2_low:.5f}, {ci.tau2_high:.5f}]")
    print(
        f"  tau2: REML {reml.tau2:.6f} ({reml.extra['tau2_iterations']} iterations), "
        f"PM {pm.tau2:.6f} (statsmodels {sm_pm.tau2:.6f}), "
        f"DL {dl.tau2:.6f} (statsmodels {sm_dl.tau2:.6f})"
    )

    print(f"\n2. Two-stage IPD pooling: {n_rows:,} participant rows across {n_studies} studies")
    frames = simulate_participants(n_rows, n_studies)
    for outcome_type, measure in (("continuous", "MD"), ("binary", "OR")):
        h = Harmonisation(outcome_type, mappings(frames))
        t_harm, data = best_of(lambda h=h: h.apply(frames), args.repeat)
        t_two, result = best_of(
            lambda data=data, measure=measure: two_stage(data, measure, "REML"), args.repeat
        )
        es = result.effects
        t_pool, _ = best_of(lambda es=es: pool(es, "REML"), args.repeat)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_sm, _ = best_of(
                lambda es=es: combine_effects(es.yi, es.vi, method_re="iterated"), args.repeat
            )
        print(f"  {outcome_type} outcome ({measure}):")
        print(row("harmonise 50 differently coded datasets", t_harm))
        print(row("two-stage (per-study estimates + REML pooling)", t_two))
        print(row("pooling stage alone, REML vs combine_effects PM", t_pool, t_sm))
        print(row("total: harmonise + two-stage", t_harm + t_two))
        print(
            f"    pooled {measure}: {result.pooled.estimate:.4f} "
            f"[{result.pooled.ci_low:.4f}, {result.pooled.ci_high:.4f}], "
            f"tau2 {result.pooled.tau2:.5f}"
        )
    check = effect_sizes_from_estimates(yi[:5], vi[:5])
    assert pool(check).k == 5


if __name__ == "__main__":
    main()
