"""Egger's regression test for funnel-plot asymmetry (``metafor::regtest``).

Default, as metafor's ``regtest``: ``model="rma"`` with the standard error as
predictor, i.e. the meta-regression ``yi = b0 + b1 * sei`` fitted with the
same tau^2 estimator and test (z, or t under Hartung-Knapp) as the main
analysis; the test is on ``b1`` and ``b0`` is the "limit estimate" (the
effect as ``sei -> 0``).  For MH/Peto analyses, regtest uses a fixed-effect
model (their tau^2 is 0).

``model="lm"`` is the classic Egger et al. (1997) test: weighted least
squares of ``yi`` on ``sei`` with weights ``1/vi`` and a multiplicative
dispersion parameter; t test with k-2 df.  This is algebraically the test
of the intercept in the regression of ``yi/sei`` on ``1/sei``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from .effect_sizes import EffectSizes
from .errors import AnalysisInputError
from .pooling import meta_regression, normalise_level
from .provenance import json_object, software_versions


@dataclass(frozen=True)
class EggerResult:
    model: str
    method: str
    statistic: float
    statistic_name: str
    df: int | None
    pvalue: float
    slope: float
    slope_se: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float
    k: int
    level: float
    software: dict[str, str] = field(default_factory=software_versions)

    def to_dict(self) -> dict[str, Any]:
        return json_object(
            {
                "schema": "analysis.egger/1",
                **{
                    name: getattr(self, name)
                    for name in (
                        "model",
                        "method",
                        "statistic",
                        "statistic_name",
                        "df",
                        "pvalue",
                        "slope",
                        "slope_se",
                        "limit_estimate",
                        "limit_ci_low",
                        "limit_ci_high",
                        "k",
                        "level",
                        "software",
                    )
                },
            }
        )


def egger_test(
    effects: EffectSizes,
    method: str = "REML",
    *,
    model: str = "rma",
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    test: str | None = None,
) -> EggerResult:
    """Regression test for funnel-plot asymmetry on the studies with usable estimates."""
    level = normalise_level(level)
    keep = effects.included
    y = effects.yi[keep]
    v = effects.vi[keep]
    sei = np.sqrt(v)
    k = len(y)
    if k < 3:
        raise AnalysisInputError(f"Egger's test needs at least 3 studies (got {k})", field="k")
    if np.ptp(sei) == 0:
        raise AnalysisInputError(
            "Egger's test needs studies with different standard errors", field="vi"
        )
    method = method.upper()
    if model == "rma":
        fit_method = "FE" if method in ("MH", "PETO") else method
        fit = meta_regression(
            y,
            v,
            sei,
            names=["sei"],
            method=fit_method,
            hk=hk,
            level=level,
            control=control,
            test=test,
        )
        return EggerResult(
            model="rma",
            method=fit_method,
            statistic=fit.statistic[1],
            statistic_name="t" if fit.df is not None else "z",
            df=fit.df,
            pvalue=fit.pvalue[1],
            slope=fit.coefficients[1],
            slope_se=fit.se[1],
            limit_estimate=fit.coefficients[0],
            limit_ci_low=fit.ci_low[0],
            limit_ci_high=fit.ci_high[0],
            k=k,
            level=level,
        )
    if model == "lm":
        X = np.column_stack([np.ones(k), sei])
        w = 1 / v
        xtw = X.T * w
        inv = np.linalg.inv(xtw @ X)
        beta = inv @ (xtw @ y)
        resid = y - X @ beta
        df = k - 2
        sigma2 = float(np.dot(w, resid**2)) / df
        se = np.sqrt(np.diag(inv) * sigma2)
        t = beta / se
        crit = float(stats.t.isf((1 - level) / 2, df))
        return EggerResult(
            model="lm",
            method="WLS",
            statistic=float(t[1]),
            statistic_name="t",
            df=df,
            pvalue=float(2 * stats.t.sf(abs(t[1]), df)),
            slope=float(beta[1]),
            slope_se=float(se[1]),
            limit_estimate=float(beta[0]),
            limit_ci_low=float(beta[0] - crit * se[0]),
            limit_ci_high=float(beta[0] + crit * se[0]),
            k=k,
            level=level,
        )
    raise AnalysisInputError(f"unknown model {model!r}; expected 'rma' or 'lm'", field="model")
