"""The sensitivity analyses and publication-bias tools a run stores beside its pooled
estimate; one that cannot be computed says why instead of failing the run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..effect_sizes import EffectSizes
from ..errors import AnalysisInputError, ConvergenceError
from ..results import MetaAnalysisResult
from ..vocabulary import Method
from .spec import RunSpec, _test


def _sensitivity(
    spec: RunSpec,
    effects: EffectSizes,
    pooled: MetaAnalysisResult,
    order: np.ndarray | None,
    groups: np.ndarray | None,
) -> dict[str, Any]:
    """Leave-one-out, cumulative (given an order), subgroups (given groups) and Egger's
    test; one that cannot be computed says why instead of failing the run."""
    from ..diagnostics import all_coordinates
    from ..influence import influence_diagnostics
    from ..publication_bias import egger_test
    from ..sensitivity import cumulative, leave_one_out
    from ..subgroups import subgroup_analysis

    method, test, level = spec.method, _test(spec), spec.level
    out: dict[str, Any] = {}
    try:
        out["leave_one_out"] = leave_one_out(effects, method, test=test, level=level).to_dict()
    except AnalysisInputError as error:
        out["leave_one_out"] = {"unavailable": error.reason}
    if order is not None:
        try:
            out["cumulative"] = cumulative(effects, order, method, test=test, level=level).to_dict()
        except AnalysisInputError as error:
            out["cumulative"] = {"unavailable": error.reason}
    if groups is not None:
        # subgroups of an MH or Peto analysis are pooled by inverse variance, without HK
        iv = method.is_inverse_variance
        try:
            out["subgroups"] = subgroup_analysis(
                effects,
                list(groups),
                method if iv else Method.FE,
                test=test if iv else None,
                level=level,
            ).to_dict()
        except (AnalysisInputError, TypeError) as error:
            out["subgroups"] = {"unavailable": str(getattr(error, "reason", error))}
    if pooled.k >= 3:
        try:
            out["egger"] = egger_test(effects, method, test=test, level=level).to_dict()
        except (AnalysisInputError, ConvergenceError) as error:
            out["egger"] = {"unavailable": getattr(error, "reason", str(error))}
    else:
        out["egger"] = {
            "unavailable": f"Egger's test needs at least 3 studies (this analysis has {pooled.k})."
        }
    out.update(_publication_bias(effects, method, test, level, pooled.k))
    out["diagnostics"] = all_coordinates(pooled)
    if not method.is_inverse_variance:
        out["influence"] = {
            "unavailable": "Influence diagnostics are defined for inverse-variance models "
            f"(FE or a random-effects method), not {method.value}."
        }
    else:
        try:
            out["influence"] = influence_diagnostics(
                effects, method, test=test, level=level
            ).to_dict()
        except (AnalysisInputError, ConvergenceError) as error:
            out["influence"] = {"unavailable": getattr(error, "reason", str(error))}
    return out


def _publication_bias(
    effects: EffectSizes, method: Method, test: str | None, level: float, k: int
) -> dict[str, Any]:
    """Trim and fill (L0, side as metafor chooses), the rank correlation test and the
    three fail-safe Ns, each saying why where it cannot be computed."""
    from ..publication_bias import FSN_TYPES, fail_safe_n, rank_correlation_test, trim_and_fill

    out: dict[str, Any] = {}
    tools: dict[str, Callable[[], Any]] = {
        "trimfill": lambda: trim_and_fill(effects, method, level=level, test=test).to_dict(),
        "ranktest": lambda: rank_correlation_test(effects).to_dict(),
        "fsn": lambda: {t.lower(): fail_safe_n(effects, t).to_dict() for t in FSN_TYPES},
    }
    for name, compute in tools.items():
        if k < 3:
            out[name] = {
                "unavailable": f"Publication-bias tools need at least 3 studies (this "
                f"analysis has {k})."
            }
            continue
        try:
            out[name] = compute()
        except (AnalysisInputError, ConvergenceError) as error:
            out[name] = {"unavailable": getattr(error, "reason", str(error))}
    return out
