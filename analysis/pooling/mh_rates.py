"""Mantel-Haenszel pooling of incidence rates over person-time (``metafor::rma.mh``
with ``measure="IRR"`` or ``"IRD"``).

The pooled rate ratio and its Greenland-Robins variance, or the pooled rate
difference with the variance of Rothman et al., from the uncorrected events and
person-time; for IRR the Mantel-Haenszel test of no association (continuity
corrected by default, as metafor's ``correct``).  The heterogeneity Q uses the
per-study ``escalc`` outcomes (1/2 added to both event counts of a study with a
zero count; studies without events in either arm left out of Q), as metafor does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._distributions import chi2_sf
from ..effect_sizes import RATE_MEASURES, rate_effect_sizes
from ..errors import AnalysisInputError
from ..results import MetaAnalysisResult
from ._common import normalise_level
from ._mh_common import mantel_haenszel_result


def mantel_haenszel_rates(
    x1i: ArrayLike,
    t1i: ArrayLike,
    x2i: ArrayLike,
    t2i: ArrayLike,
    measure: str = "IRR",
    *,
    labels: Sequence[Any] | None = None,
    level: float = 0.95,
    correct: bool = True,
) -> MetaAnalysisResult:
    """Mantel-Haenszel pooled incidence rate ratio or difference (``rma.mh``)."""
    level = normalise_level(level)
    measure = measure.upper()
    if measure not in RATE_MEASURES:
        raise AnalysisInputError(
            f"Mantel-Haenszel for person-time needs IRR or IRD, got {measure!r}",
            field="measure",
        )
    # the escalc outcomes of rma.mh (add 1/2 only0, drop00) give Q and the study rows,
    # and their validation names the study and column of a bad cell
    es = rate_effect_sizes(x1i, t1i, x2i, t2i, measure, labels=labels, drop00=True)
    assert es.counts is not None  # rate effect sizes always keep their counts
    x1, t1, x2, t2 = (es.counts[n] for n in ("x1i", "t1i", "x2i", "t2i"))
    tt = t1 + t2
    extra: dict[str, Any] = {}
    if measure == "IRR":
        if x1.sum() == 0 or x2.sum() == 0:
            arm = "treatment" if x1.sum() == 0 else "control"
            raise AnalysisInputError(
                f"Mantel-Haenszel rate ratio is undefined: no events in the {arm} arm of any study",
                field="x1i" if x1.sum() == 0 else "x2i",
            )
        r = float(np.sum(x1 * (t2 / tt)))
        s = float(np.sum(x2 * (t1 / tt)))
        beta = math.log(r / s)
        se = math.sqrt(float(np.sum((t1 / tt) * (t2 / tt) * (x1 + x2))) / (r * s))
        weights = x2 * t1 / tt
        xt = x1 + x2
        cc = 0.5 if correct else 0.0
        mh = (abs(float(np.sum(x1 - xt * (t1 / tt)))) - cc) ** 2 / float(
            np.sum(xt * (t1 / tt) * (t2 / tt))
        )
        extra.update(mh=mh, mh_pvalue=float(chi2_sf(mh, 1)))
    else:
        w = (t1 / tt) * t2
        beta = float(np.sum((x1 * t2 - x2 * t1) / tt) / np.sum(w))
        se = math.sqrt(float(np.sum(w**2 * (x1 / t1**2 + x2 / t2**2)))) / float(np.sum(w))
        weights = w
    return mantel_haenszel_result(
        measure=measure,
        level=level,
        beta=beta,
        se=se,
        weights=weights,
        labels=list(es.labels),
        yi=es.yi,
        vi=es.vi,
        included=np.isfinite(es.yi),
        data={"x1i": x1, "t1i": t1, "x2i": x2, "t2i": t2},
        correct=correct,
        no_events="No events",
        left_out="study(ies) with no events in either arm",
        extra=extra,
    )
