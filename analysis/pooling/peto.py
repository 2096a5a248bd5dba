"""Peto's one-step pooled odds ratio (``metafor::rma.peto``).

Q is Peto's own statistic; its degrees of freedom count the tables whose
``escalc`` Peto log odds ratio is finite, as metafor counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._distributions import chi2_sf
from ..effect_sizes import peto_log_odds_ratios
from ..errors import AnalysisInputError
from ..results import MetaAnalysisResult
from ._common import binary_tables, fixed_effect_result, normalise_level, study_rows


def peto(
    ai: ArrayLike,
    n1i: ArrayLike,
    ci: ArrayLike,
    n2i: ArrayLike,
    *,
    labels: Sequence[Any] | None = None,
    level: float = 0.95,
) -> MetaAnalysisResult:
    """Peto's one-step pooled log odds ratio (``rma.peto``)."""
    level = normalise_level(level)
    counts, names = binary_tables(ai, n1i, ci, n2i, labels)
    a, b, c, d = counts["ai"], counts["bi"], counts["ci"], counts["di"]
    n1, n2 = a + b, c + d
    n = n1 + n2
    xt, yt = a + c, b + d
    expected = xt * n1 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(n > 1, xt * yt * (n1 / n) * (n2 / n) / (n - 1), 0.0)
    total_var = var.sum()
    if total_var == 0:
        raise AnalysisInputError(
            "one of the two outcomes never occurred in any study; Peto's method cannot be used",
            field="ai",
        )
    beta = float(np.sum(a - expected) / total_var)
    se = float(np.sqrt(1 / total_var))
    positive = var > 0
    q = max(
        0.0,
        float(
            np.sum((a - expected)[positive] ** 2 / var[positive])
            - np.sum(a - expected) ** 2 / total_var
        ),
    )
    yi, vi = peto_log_odds_ratios(a, b, c, d)
    k_q = int(np.isfinite(yi).sum())
    if int(positive.sum()) > 1:
        q_df = k_q - 1
        q_p = float(chi2_sf(q, q_df))
        i2 = 0.0 if q <= 0 else max(0.0, 100 * (q - q_df) / q)
        h2 = q / q_df
    else:
        q_p, i2, h2, q_df = 1.0, 0.0, 1.0, 0
    z = beta / se
    return fixed_effect_result(
        measure="OR",
        method="PETO",
        level=level,
        k=len(a),
        beta=beta,
        se=se,
        z=z,
        heterogeneity=(q, q_p, i2, h2, q_df),
        study_table=study_rows(
            names,
            yi,
            vi,
            100 * var / total_var,
            positive,
            level,
            {"ai": a, "bi": b, "ci": c, "di": d},
        ),
        options={"method": "PETO", "level": level},
        extra={"k_q": k_q},
    )
