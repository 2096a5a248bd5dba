"""What Mantel-Haenszel pooling of 2x2 tables and of person-time share (``rma.mh``): Q
from the per-study ``escalc`` outcomes, the fixed-effect I^2 and H^2, and the result."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._distributions import chi2_sf
from ..results import MetaAnalysisResult
from ._common import fixed_effect_result, study_rows

#: How rma.mh computes the per-study outcomes behind Q and the study rows.
Q_CONTINUITY_CORRECTION = {"add": 0.5, "to": "only0", "drop00": True}


def fixed_heterogeneity(q: float, k_q: int) -> tuple[float, float, float, int]:
    """Q p-value, I^2 and H^2 of rma.mh/rma.peto (fixed-effect definitions)."""
    if k_q <= 1:
        return 1.0, 0.0, 1.0, 0
    df = k_q - 1
    i2 = 0.0 if q <= 0 else max(0.0, 100 * (q - df) / q)
    return float(chi2_sf(q, df)), i2, q / df, df


def mantel_haenszel_result(
    *,
    measure: str,
    level: float,
    beta: float,
    se: float,
    weights: np.ndarray,
    labels: Sequence[str],
    yi: np.ndarray,
    vi: np.ndarray,
    included: np.ndarray,
    data: Mapping[str, np.ndarray],
    correct: bool,
    no_events: str,
    left_out: str,
    extra: Mapping[str, Any],
) -> MetaAnalysisResult:
    """The result of rma.mh from its pooled ``beta``, ``se`` and per-study MH ``weights``.

    ``yi``, ``vi`` are the escalc outcomes (1/2 added to a study with a zero count) and
    ``included`` the studies that carry information; Q sums the included finite outcomes
    around ``beta``, as metafor does.  ``no_events`` and ``left_out`` say in the notes
    what a study without information is for this kind of table.
    """
    keep_q = included & np.isfinite(yi) & np.isfinite(vi)
    k_q = int(keep_q.sum())
    q = max(0.0, float(np.sum((yi[keep_q] - beta) ** 2 / vi[keep_q]))) if k_q > 1 else 0.0
    q_p, i2, h2, q_df = fixed_heterogeneity(q, k_q)
    notes = []
    if se == 0:
        notes.append(f"{no_events} in any study: the standard error is 0 and no test is possible.")
        z = math.nan
    else:
        z = beta / se
    dropped = int((~included).sum())
    if dropped:
        notes.append(
            f"{dropped} {left_out} contribute nothing to the estimate and are left out of Q."
        )
    total_w = float(weights.sum())
    return fixed_effect_result(
        measure=measure,
        method="MH",
        level=level,
        k=len(yi),
        beta=beta,
        se=se,
        z=z,
        heterogeneity=(q, q_p, i2, h2, q_df),
        study_table=study_rows(
            labels,
            yi,
            vi,
            100 * weights / total_w if total_w > 0 else np.zeros(len(yi)),
            included,
            level,
            data,
        ),
        options={
            "method": "MH",
            "level": level,
            "correct": correct,
            "q_continuity_correction": dict(Q_CONTINUITY_CORRECTION),
        },
        notes=tuple(notes),
        extra={**extra, "k_q": k_q},
    )
