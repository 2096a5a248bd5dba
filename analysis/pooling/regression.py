"""Meta-regression ``yi ~ 1 + mods`` (``rma(yi, vi, mods=...)``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._distributions import chi2_sf, f_sf
from ..errors import AnalysisInputError
from ..heterogeneity import design, resolve_control
from ..results import MetaRegressionResult
from ._common import normalise_level
from .uni import fit_inverse_variance


def omnibus_test(beta: np.ndarray, vb: np.ndarray, df: int | None) -> tuple[float, float]:
    """metafor's QM for every coefficient but the intercept, and its p-value: a chi^2
    Wald statistic on m df, or (``df`` given: t and Hartung-Knapp tests) the same divided
    by m and referred to F(m, df); NaN when the coefficients' covariance is singular."""
    b = beta[1:]
    m = len(b)
    if not m:
        return 0.0, 1.0
    try:
        qm = float(b @ np.linalg.solve(vb[1:, 1:], b))
    except np.linalg.LinAlgError:
        # a singular covariance (a Hartung-Knapp scale of 0 when the model fits every
        # study exactly): metafor's QM is NA
        return float("nan"), float("nan")
    if df is None:
        return qm, float(chi2_sf(qm, m))
    return qm / m, float(f_sf(qm / m, m, df))


def meta_regression(
    yi: ArrayLike,
    vi: ArrayLike,
    mods: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    method: str = "REML",
    hk: bool = False,
    level: float = 0.95,
    control: Mapping[str, Any] | None = None,
    test: str | None = None,
) -> MetaRegressionResult:
    """Meta-regression ``yi ~ 1 + mods`` (``rma(yi, vi, mods=...)``).

    The omnibus QM test of the moderators is a chi^2 Wald test, or an F test
    on (m, k-p) degrees of freedom under Hartung-Knapp or the t test, as in metafor.
    """
    level = normalise_level(level)
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    X = design(len(y), mods)
    k, p = X.shape
    if np.linalg.matrix_rank(X) < p:
        raise AnalysisInputError(
            "moderators are collinear (model matrix not of full rank)", field="mods"
        )
    if names is None:
        names = [f"mod{j}" for j in range(1, p)]
    names = ["intercept", *names]
    fit = fit_inverse_variance(y, v, X, method, hk, level, control, test)
    m = p - 1
    qm, qm_p = omnibus_test(fit["beta"], fit["vb"], fit["df"])
    het = fit["het"]
    return MetaRegressionResult(
        names=tuple(names),
        coefficients=tuple(map(float, fit["beta"])),
        se=tuple(map(float, fit["se"])),
        statistic=tuple(map(float, fit["stat"])),
        pvalue=tuple(map(float, fit["pval"])),
        ci_low=tuple(map(float, fit["ci_low"])),
        ci_high=tuple(map(float, fit["ci_high"])),
        df=fit["df"],
        method=method.upper(),
        test=fit["test"],
        level=level,
        k=k,
        tau2=fit["tau"].tau2,
        tau2_se=fit["tau"].se,
        i2=het.i2,
        h2=het.h2,
        qe=het.q,
        qe_df=het.q_df,
        qe_pvalue=het.q_pvalue,
        qm=qm,
        qm_df=m,
        qm_pvalue=qm_p,
        options={
            "method": method.upper(),
            "hk": fit["test"] == "knha",
            "level": level,
            **({"test": "t"} if fit["test"] == "t" else {}),
            "control": resolve_control(control),
        },
    )
