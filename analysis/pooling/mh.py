"""Mantel-Haenszel pooling of 2x2 tables (``metafor::rma.mh``).

OR, RR and RD on the uncorrected tables, with the Robins-Breslow-Greenland
variance for OR, the Greenland-Robins variance for RR and the
Sato-Greenland-Robins variance for RD.  The heterogeneity Q uses the per-study
``escalc`` outcomes (continuity correction 1/2 for tables with a zero cell;
tables with no events or only events in both arms are left out of Q), exactly
as metafor does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._distributions import chi2_sf
from ..effect_sizes import BINARY_MEASURES
from ..effect_sizes.binary import _binary_outcomes
from ..errors import AnalysisInputError
from ..results import MetaAnalysisResult
from ._common import binary_tables, normalise_level
from ._mh_common import mantel_haenszel_result


def mantel_haenszel(
    ai: ArrayLike,
    n1i: ArrayLike,
    ci: ArrayLike,
    n2i: ArrayLike,
    measure: str = "OR",
    *,
    labels: Sequence[Any] | None = None,
    level: float = 0.95,
    correct: bool = True,
) -> MetaAnalysisResult:
    """Mantel-Haenszel pooled OR, RR or RD (``rma.mh``) from uncorrected 2x2 tables.

    ``correct`` applies the continuity correction to the Cochran-Mantel-
    Haenszel test reported in ``extra`` (OR only), as metafor's ``correct``.
    """
    level = normalise_level(level)
    measure = measure.upper()
    if measure not in BINARY_MEASURES:
        raise AnalysisInputError(
            f"Mantel-Haenszel needs a binary measure ({', '.join(BINARY_MEASURES)}), "
            f"got {measure!r}",
            field="measure",
        )
    counts, names = binary_tables(ai, n1i, ci, n2i, labels)
    a, b, c, d = counts["ai"], counts["bi"], counts["ci"], counts["di"]
    n1, n2 = a + b, c + d
    n = n1 + n2
    extra: dict[str, Any] = {}
    if measure == "OR":
        r_i = a * d / n
        s_i = b * c / n
        r, s = r_i.sum(), s_i.sum()
        if r == 0 or s == 0:
            raise AnalysisInputError(
                "Mantel-Haenszel odds ratio is undefined: "
                + (
                    "no study has events in the treatment arm and non-events in the control arm"
                    if r == 0
                    else "no study has non-events in the treatment arm and events in the "
                    "control arm"
                ),
                field="ai" if r == 0 else "ci",
            )
        beta = float(np.log(r / s))
        p_i = (a + d) / n
        q_i = (b + c) / n
        # Robins, Breslow & Greenland (1986)
        se = float(
            np.sqrt(
                0.5
                * (
                    np.sum(p_i * r_i) / r**2
                    + np.sum(p_i * s_i + q_i * r_i) / (r * s)
                    + np.sum(q_i * s_i) / s**2
                )
            )
        )
        weights = b * c / n
        extra.update(_cmh_and_breslow_day(a, b, c, d, np.exp(beta), correct))
    elif measure == "RR":
        if a.sum() == 0 or c.sum() == 0:
            arm = "treatment" if a.sum() == 0 else "control"
            raise AnalysisInputError(
                f"Mantel-Haenszel risk ratio is undefined: no events in the {arm} arm of any study",
                field="ai" if a.sum() == 0 else "ci",
            )
        r = np.sum(a * (n2 / n))
        s = np.sum(c * (n1 / n))
        beta = float(np.log(r / s))
        se = float(np.sqrt(np.sum((n1 / n) * (n2 / n) * (a + c) - (a / n) * c) / (r * s)))
        weights = c * n1 / n
    else:
        denom = np.sum(n1 * (n2 / n))
        beta = float(np.sum(a * (n2 / n) - c * (n1 / n)) / denom)
        # Sato, Greenland & Robins (1989)
        se = float(
            np.sqrt(
                (
                    beta
                    * np.sum(
                        c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + (n1 / n) * (n2 / n) * (n2 - n1) / 2
                    )
                    + np.sum(a * (n2 - c) / n + c * (n1 - a) / n) / 2
                )
                / denom**2
            )
        )
        weights = n1 * n2 / n

    yi, vi, _, double = _binary_outcomes(a, b, c, d, measure, add=0.5, to="only0")
    return mantel_haenszel_result(
        measure=measure,
        level=level,
        beta=beta,
        se=se,
        weights=weights,
        labels=names,
        yi=np.where(double, np.nan, yi),
        vi=np.where(double, np.nan, vi),
        # a zero-weight table can still add to the MH numerator; only tables
        # with no events (or only events) in both arms carry no information
        included=~double,
        data={"ai": a, "bi": b, "ci": c, "di": d},
        correct=correct,
        no_events="No events (or only events)",
        left_out="table(s) with no events (or only events) in both arms",
        extra=extra,
    )


def _cmh_and_breslow_day(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, psi: float, correct: bool
) -> dict[str, Any]:
    """Cochran and Cochran-Mantel-Haenszel tests of no association, and the
    Breslow-Day / Tarone tests of a common odds ratio (``rma.mh`` CO, MH, BD, TA)."""
    n1, n2 = a + b, c + d
    n = n1 + n2
    xt, yt = a + c, b + d
    cc = 0.5 if correct else 0.0
    num = (abs(np.sum(a - (n1 / n) * xt)) - cc) ** 2
    cochran = float(num / np.sum((n1 / n) * (n2 / n) * (xt * (yt / n))))
    cmh = float(num / np.sum((n1 / n) * (n2 / n) * (xt * (yt / (n - 1)))))
    if psi == 1:
        n11 = (n1 / n) * xt
    else:
        big_a = psi * (n1 + xt) + (n2 - xt)
        big_b = np.sqrt(big_a**2 - 4 * n1 * xt * psi * (psi - 1))
        n11 = (big_a - big_b) / (2 * (psi - 1))
    pos = (n11 > 0) & (xt > 0) & (yt > 0)
    k_pos = int(pos.sum())
    n11 = n11[pos]
    n12 = n1[pos] - n11
    n21 = xt[pos] - n11
    n22 = n11 - n1[pos] - xt[pos] + n[pos]
    # variance of the cell count under the common odds ratio
    var = 1 / (1 / n11 + 1 / n12 + 1 / n21 + 1 / n22)
    bd = max(0.0, float(np.sum((a[pos] - n11) ** 2 / var)))
    ta = max(0.0, bd - float(np.sum(a[pos] - n11) ** 2 / np.sum(var)))
    return {
        "cochran": cochran,
        "cochran_pvalue": float(chi2_sf(cochran, 1)),
        "cmh": cmh,
        "cmh_pvalue": float(chi2_sf(cmh, 1)),
        "breslow_day": bd,
        "breslow_day_pvalue": float(chi2_sf(bd, k_pos - 1)) if k_pos > 1 else None,
        "tarone": ta,
        "tarone_pvalue": float(chi2_sf(ta, k_pos - 1)) if k_pos > 1 else None,
    }
