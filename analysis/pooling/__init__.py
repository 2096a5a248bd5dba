"""Pooling: inverse-variance fixed/random effects, Mantel-Haenszel and Peto.

One estimator per module, as metafor has one function per model:

* :mod:`~analysis.pooling.uni`: inverse variance, FE, DL, REML, PM and Hartung-Knapp
  (``rma.uni``);
* :mod:`~analysis.pooling.regression`: meta-regression (``rma.uni`` with ``mods``);
* :mod:`~analysis.pooling.mh`: Mantel-Haenszel of 2x2 tables (``rma.mh``);
* :mod:`~analysis.pooling.mh_rates`: Mantel-Haenszel of person-time (``rma.mh`` IRR, IRD);
* :mod:`~analysis.pooling.peto`: Peto's one-step odds ratio (``rma.peto``).

:func:`pool` applies any of the methods to an :class:`~analysis.effect_sizes.EffectSizes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..effect_sizes import BINARY_MEASURES, RATE_MEASURES, EffectSizes
from ..errors import AnalysisInputError
from ..results import MetaAnalysisResult
from ._common import normalise_level, resolve_test
from .mh import mantel_haenszel
from .mh_rates import mantel_haenszel_rates
from .peto import peto
from .regression import meta_regression
from .uni import IV_METHODS, METHODS, meta_analysis

__all__ = [
    "IV_METHODS",
    "METHODS",
    "mantel_haenszel",
    "mantel_haenszel_rates",
    "meta_analysis",
    "meta_regression",
    "normalise_level",
    "peto",
    "pool",
    "resolve_test",
    "with_options",
]


def pool(
    effects: EffectSizes,
    method: str = "REML",
    *,
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    test: str | None = None,
) -> MetaAnalysisResult:
    """Pool an :class:`EffectSizes` with any method (FE; the tau^2 estimators DL, REML,
    PM, ML, HE, SJ, EB, HS, HSK; MH, PETO); ``test`` as :func:`meta_analysis`.

    MH and PETO use the uncorrected 2x2 tables kept in ``effects.counts`` (MH also the
    events and person-time of IRR and IRD).
    The result's options record the effect-size options, so the run can be
    repeated.
    """
    method = method.upper()
    if method not in METHODS:
        raise AnalysisInputError(
            f"unknown method {method!r}; expected one of {', '.join(METHODS)}", field="method"
        )
    if method not in IV_METHODS:
        if hk or test == "knha":
            raise AnalysisInputError(
                f"the Hartung-Knapp adjustment applies to inverse-variance models, not {method}",
                field="hk",
            )
        if test not in (None, "z"):
            raise AnalysisInputError(
                f"{method} reports z tests; t tests apply to inverse-variance models",
                field="test",
            )
        c = effects.counts
        if method == "MH" and c is not None and effects.measure in RATE_MEASURES:
            rates = mantel_haenszel_rates(
                c["x1i"],
                c["t1i"],
                c["x2i"],
                c["t2i"],
                effects.measure,
                labels=effects.labels,
                level=level,
            )
            return _with_effect_options(rates, effects)
        if c is None or effects.measure not in BINARY_MEASURES:
            raise AnalysisInputError(
                f"{method} needs 2x2 tables (measure OR, RR or RD"
                + (", or IRR or IRD for MH" if method == "MH" else "")
                + f"), got measure {effects.measure}",
                field="method",
            )
        if method == "PETO" and effects.measure != "OR":
            raise AnalysisInputError(
                f"Peto's method estimates odds ratios; use measure OR (got {effects.measure})",
                field="measure",
            )
        if method == "MH":
            result = mantel_haenszel(
                c["ai"],
                c["n1i"],
                c["ci"],
                c["n2i"],
                effects.measure,
                labels=effects.labels,
                level=level,
            )
        else:
            result = peto(c["ai"], c["n1i"], c["ci"], c["n2i"], labels=effects.labels, level=level)
        return _with_effect_options(result, effects)
    data = effects.counts if effects.counts is not None else effects.summaries
    if data is not None:
        data = {
            n: v
            for n, v in data.items()
            if n
            in (
                *("ai", "bi", "ci", "di", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
                *("ri", "ni", "xi", "x1i", "t1i", "x2i", "t2i"),
            )
        }
    result = meta_analysis(
        effects.yi,
        effects.vi,
        method=method,
        hk=hk,
        level=level,
        labels=effects.labels,
        measure=effects.measure,
        control=control,
        study_data=data,
        notes=effects.notes,
        test=test,
    )
    return _with_effect_options(result, effects)


def _with_effect_options(result: MetaAnalysisResult, effects: EffectSizes) -> MetaAnalysisResult:
    return with_options(result, effect_sizes={"measure": effects.measure, **effects.options})


def with_options(result: MetaAnalysisResult, **options: Any) -> MetaAnalysisResult:
    """A copy of ``result`` whose recorded options also contain ``options``."""
    return replace(result, options={**result.options, **options})
