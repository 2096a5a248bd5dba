"""Two-arm tables of means, standard deviations and sizes, as ``metafor::escalc``
computes their effects:

* ``MD``  raw mean difference, ``vi = sd1i^2/n1i + sd2i^2/n2i`` (escalc default,
  not assuming equal variances); ``vtype="HO"`` uses the pooled SD instead.
* ``SMD`` Hedges' g: ``yi = c(m) * (m1i - m2i) / sdpi`` with the exact
  small-sample correction ``c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))``,
  ``m = n1i + n2i - 2`` (computed on the log scale, as metafor's
  ``.cmicalc``), and by default metafor's ``vtype="LS"`` variance
  ``vi = 1/n1i + 1/n2i + yi^2 / (2 (n1i + n2i))``.  ``vtype="LS2"``
  (Borenstein) and ``vtype="UB"`` (unbiased) are also available.
* ``ROM`` log ratio of means, ``vi = sd1i^2/(n1i m1i^2) + sd2i^2/(n2i m2i^2)``
  (escalc ``vtype="LS"``); the two means must have the same sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from ..errors import AnalysisInputError
from ..validation import as_float_array, check_lengths, default_labels
from ._common import CONTINUOUS_MEASURES, EffectSizes


def hedges_correction(m: ArrayLike) -> np.ndarray:
    """Exact small-sample correction ``c(m)`` of Hedges (1981) used by metafor."""
    m = np.asarray(m, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.exp(gammaln(m / 2) - np.log(np.sqrt(m / 2)) - gammaln((m - 1) / 2))
    return np.where(m <= 1, np.nan, out)


def continuous_effect_sizes(
    m1i: ArrayLike,
    sd1i: ArrayLike,
    n1i: ArrayLike,
    m2i: ArrayLike,
    sd2i: ArrayLike,
    n2i: ArrayLike,
    measure: str = "SMD",
    *,
    labels: Sequence[Any] | None = None,
    vtype: str = "LS",
) -> EffectSizes:
    """Mean differences or Hedges' g (escalc equivalent); arm 1 is treatment."""
    measure = measure.upper()
    if measure not in CONTINUOUS_MEASURES:
        raise AnalysisInputError(
            f"unknown continuous measure {measure!r}; expected one of "
            f"{', '.join(CONTINUOUS_MEASURES)}",
            field="measure",
        )
    allowed_vtypes = {"MD": ("LS", "UB", "HO"), "SMD": ("LS", "LS2", "UB"), "ROM": ("LS",)}[measure]
    if vtype not in allowed_vtypes:
        raise AnalysisInputError(
            f"vtype {vtype!r} not available for {measure}; "
            f"expected one of {', '.join(allowed_vtypes)}",
            field="vtype",
        )
    raw_labels = None if labels is None else [str(x) for x in labels]
    arrays = {
        "m1i": as_float_array(m1i, "m1i", raw_labels),
        "sd1i": as_float_array(sd1i, "sd1i", raw_labels),
        "n1i": as_float_array(n1i, "n1i", raw_labels),
        "m2i": as_float_array(m2i, "m2i", raw_labels),
        "sd2i": as_float_array(sd2i, "sd2i", raw_labels),
        "n2i": as_float_array(n2i, "n2i", raw_labels),
    }
    k = check_lengths(arrays, raw_labels)
    names = default_labels(k, raw_labels)
    m1, s1, n1 = arrays["m1i"], arrays["sd1i"], arrays["n1i"]
    m2, s2, n2 = arrays["m2i"], arrays["sd2i"], arrays["n2i"]

    for i, study in enumerate(names):
        for name, value in (("sd1i", s1[i]), ("sd2i", s2[i])):
            if value < 0:
                raise AnalysisInputError(
                    f"standard deviation is negative ({value:g})", study=study, field=name
                )
        for name, value, arm in (("n1i", n1[i], "treatment"), ("n2i", n2[i], "control")):
            if value <= 0:
                raise AnalysisInputError(
                    f"the {arm} arm is empty or negative ({name}={value:g})",
                    study=study,
                    field=name,
                )

    ni = n1 + n2
    mi = ni - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        sdpi = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / mi)

    if measure == "ROM":
        yi, vi = _ratio_of_means(m1, s1, n1, m2, s2, n2, names)
    elif measure == "MD":
        yi = m1 - m2
        vi = sdpi**2 * (1 / n1 + 1 / n2) if vtype == "HO" else s1**2 / n1 + s2**2 / n2
        for i, study in enumerate(names):
            if not vi[i] > 0:
                raise AnalysisInputError(
                    "sampling variance is zero (both standard deviations are 0)",
                    study=study,
                    field="sd1i",
                )
    else:
        for i, study in enumerate(names):
            if mi[i] <= 1:
                raise AnalysisInputError(
                    f"Hedges' g needs n1i + n2i > 3 (got {ni[i]:g})", study=study, field="n1i"
                )
            if not sdpi[i] > 0:
                raise AnalysisInputError(
                    "pooled standard deviation is zero; SMD is undefined", study=study, field="sd1i"
                )
        cmi = hedges_correction(mi)
        di = (m1 - m2) / sdpi
        yi = cmi * di
        if vtype == "LS":
            vi = 1 / n1 + 1 / n2 + yi**2 / (2 * ni)
        elif vtype == "LS2":
            vi = cmi**2 * (1 / n1 + 1 / n2 + di**2 / (2 * ni))
        else:  # UB
            vi = 1 / n1 + 1 / n2 + (1 - (mi - 2) / (mi * cmi**2)) * yi**2

    return EffectSizes(
        measure=measure,
        yi=np.asarray(yi, dtype=float),
        vi=np.asarray(vi, dtype=float),
        labels=tuple(names),
        corrected=np.zeros(k, dtype=bool),
        options={"vtype": vtype},
        summaries={"m1i": m1, "sd1i": s1, "n1i": n1, "m2i": m2, "sd2i": s2, "n2i": n2},
    )


def _ratio_of_means(
    m1: np.ndarray,
    s1: np.ndarray,
    n1: np.ndarray,
    m2: np.ndarray,
    s2: np.ndarray,
    n2: np.ndarray,
    names: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    for i, study in enumerate(names):
        if not m1[i] * m2[i] > 0:
            raise AnalysisInputError(
                f"a ratio of means needs two means of the same sign, neither zero "
                f"(m1i={m1[i]:g}, m2i={m2[i]:g})",
                study=study,
                field="m1i" if m1[i] == 0 or m2[i] != 0 else "m2i",
            )
    yi = np.log(m1 / m2)
    vi = s1**2 / (n1 * m1**2) + s2**2 / (n2 * m2**2)
    for i, study in enumerate(names):
        if not (np.isfinite(vi[i]) and vi[i] > 0):
            raise AnalysisInputError(
                "sampling variance is zero or not finite (both standard deviations are 0, "
                "or a mean is too close to 0)",
                study=study,
                field="sd1i",
            )
    return yi, vi
