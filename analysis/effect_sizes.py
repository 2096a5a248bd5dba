"""Per-study effect sizes and sampling variances, as ``metafor::escalc`` computes them.

Binary outcomes (``ai`` events of ``n1i`` in the treatment arm, ``ci`` of
``n2i`` in the control arm):

* ``OR``  log odds ratio, ``vi = 1/ai + 1/bi + 1/ci + 1/di``
* ``RR``  log risk ratio, ``vi = 1/ai - 1/n1i + 1/ci - 1/n2i``
* ``RD``  risk difference, ``vi = p1(1-p1)/n1i + p2(1-p2)/n2i`` (escalc ``vtype="LS"``)

Continuity correction (escalc defaults ``add=1/2, to="only0", drop00=FALSE``):
when *any* of the four cells of a study is zero, ``add`` is added to all four
cells of that study (for OR, RR *and* RD) before computing ``yi`` and ``vi``.
Studies with no events (or only events) in both arms are kept, with the
correction applied, exactly as ``escalc``/``rma`` keep them; pass
``drop00=True`` to drop them instead.  The Mantel-Haenszel and Peto methods
(``analysis.pooling``) work on the uncorrected tables and handle such studies
natively, as ``rma.mh``/``rma.peto`` do.

Continuous outcomes (means, SDs and sizes of both arms):

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

One correlation per study (``ri`` of ``ni`` participants):

* ``COR``  raw correlation, ``vi = (1 - ri^2)^2 / (ni - 1)``
* ``ZCOR`` Fisher's z, ``yi = atanh(ri)``, ``vi = 1 / (ni - 3)``

One proportion per study (``xi`` events of ``ni``):

* ``PR``  raw proportion, ``vi = p(1-p)/ni``
* ``PLO`` log odds, ``vi = 1/(ni p (1-p))``
* ``PAS`` arcsine square root, ``yi = asin(sqrt(p))``, ``vi = 1/(4 ni)``

Events over person-time in two arms (``x1i`` events in ``t1i``, ``x2i`` in ``t2i``):

* ``IRR`` log incidence rate ratio, ``vi = 1/x1i + 1/x2i``
* ``IRD`` incidence rate difference, ``vi = x1i/t1i^2 + x2i/t2i^2``

The continuity correction follows escalc: ``add=1/2, to="only0"`` adds 1/2 to
the events and the non-events of a proportion with a zero among them (PR, PLO),
or to both event counts of a rate table with a zero event count (IRR, IRD);
PAS adds nothing by default, as escalc (its variance needs no correction).

An empty arm or study (a total or person-time of 0) is refused for every
measure: escalc still returns an effect after the correction, but that number
would come from the added 1/2 alone, not from anything the study observed.

Time-to-event outcomes: log hazard ratio per study from a Cox model on
participant-level data (statsmodels ``PHReg``, Efron ties as in R's
``survival::coxph``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.special import gammaln

from .errors import AnalysisInputError
from .provenance import json_object
from .validation import (
    as_float_array,
    check_lengths,
    default_labels,
    numeric_column,
    study_labels,
)
from .vocabulary import RATIO_MEASURES, Measure, StudyTable

BINARY_MEASURES = StudyTable.COUNTS.measures
CONTINUOUS_MEASURES = StudyTable.SUMMARIES.measures
BINARY_ROLES = StudyTable.COUNTS.roles
CONTINUOUS_ROLES = StudyTable.SUMMARIES.roles
CORRELATION_MEASURES = StudyTable.CORRELATIONS.measures
PROPORTION_MEASURES = StudyTable.PROPORTIONS.measures
RATE_MEASURES = StudyTable.RATES.measures

_CORRECTION_TARGETS = ("only0", "all", "if0all", "none")


@dataclass(frozen=True, eq=False)
class EffectSizes:
    """Observed outcomes ``yi`` and sampling variances ``vi`` of ``k`` studies.

    Ratio measures (OR, RR, HR) are on the log scale, as in metafor.
    ``yi``/``vi`` are NaN for studies excluded at this stage (``drop00=True``).
    ``counts`` keeps the uncorrected 2x2 tables of binary data so that the
    Mantel-Haenszel and Peto methods can be applied to the same object.
    """

    measure: str
    yi: np.ndarray
    vi: np.ndarray
    labels: tuple[str, ...]
    corrected: np.ndarray
    options: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, np.ndarray] | None = None
    summaries: dict[str, np.ndarray] | None = None
    notes: tuple[str, ...] = ()

    @property
    def k(self) -> int:
        return len(self.yi)

    def __len__(self) -> int:
        return self.k

    @property
    def sei(self) -> np.ndarray:
        return np.asarray(np.sqrt(self.vi), dtype=float)

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    @property
    def included(self) -> np.ndarray:
        """Studies with a usable estimate (not dropped at this stage)."""
        return np.asarray(np.isfinite(self.yi) & np.isfinite(self.vi), dtype=bool)

    def subset(self, index: ArrayLike) -> EffectSizes:
        """The same effect sizes restricted to ``index`` (positions or boolean mask)."""
        idx = np.arange(self.k)[np.asarray(index)]
        return EffectSizes(
            measure=self.measure,
            yi=self.yi[idx],
            vi=self.vi[idx],
            labels=tuple(self.labels[i] for i in idx),
            corrected=self.corrected[idx],
            options=dict(self.options),
            counts=None if self.counts is None else {n: a[idx] for n, a in self.counts.items()},
            summaries=None
            if self.summaries is None
            else {n: a[idx] for n, a in self.summaries.items()},
            notes=self.notes,
        )

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "study": list(self.labels),
                "yi": self.yi,
                "vi": self.vi,
                "sei": self.sei,
                "corrected": self.corrected,
            }
        )
        for source in (self.counts, self.summaries):
            if source:
                for name, values in source.items():
                    frame[name] = values
        return frame

    def to_dict(self) -> dict[str, Any]:
        studies = []
        for i, label in enumerate(self.labels):
            row: dict[str, Any] = {
                "study": label,
                "yi": self.yi[i],
                "vi": self.vi[i],
                "sei": float(np.sqrt(self.vi[i])) if np.isfinite(self.vi[i]) else None,
                "corrected": bool(self.corrected[i]),
                "included": bool(self.included[i]),
            }
            for source in (self.counts, self.summaries):
                if source:
                    row.update({name: values[i] for name, values in source.items()})
            studies.append(row)
        return json_object(
            {
                "measure": self.measure,
                "scale": "log" if self.is_ratio else "identity",
                "k": self.k,
                "options": self.options,
                "notes": list(self.notes),
                "studies": studies,
            }
        )


# ---------------------------------------------------------------------------
# binary outcomes


def binary_effect_sizes(
    ai: ArrayLike,
    n1i: ArrayLike,
    ci: ArrayLike,
    n2i: ArrayLike,
    measure: str = "OR",
    *,
    labels: Sequence[Any] | None = None,
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = False,
) -> EffectSizes:
    """Log odds ratios, log risk ratios or risk differences (escalc equivalent).

    ``ai``/``ci`` are event counts and ``n1i``/``n2i`` arm totals of the
    treatment and control arm.  See the module docstring for the continuity
    correction.
    """
    measure = measure.upper()
    if measure not in BINARY_MEASURES:
        raise AnalysisInputError(
            f"unknown binary measure {measure!r}; expected one of {', '.join(BINARY_MEASURES)}",
            field="measure",
        )
    if to not in _CORRECTION_TARGETS:
        raise AnalysisInputError(
            f"unknown continuity-correction target {to!r}; expected one of "
            f"{', '.join(_CORRECTION_TARGETS)}",
            field="to",
        )
    if not np.isfinite(add) or add < 0:
        raise AnalysisInputError("continuity correction must be a non-negative number", field="add")

    raw_labels = None if labels is None else [str(x) for x in labels]
    arrays = {
        "ai": as_float_array(ai, "ai", raw_labels),
        "n1i": as_float_array(n1i, "n1i", raw_labels),
        "ci": as_float_array(ci, "ci", raw_labels),
        "n2i": as_float_array(n2i, "n2i", raw_labels),
    }
    k = check_lengths(arrays, raw_labels)
    names = default_labels(k, raw_labels)
    a, n1, c, n2 = arrays["ai"], arrays["n1i"], arrays["ci"], arrays["n2i"]
    _check_binary(a, n1, c, n2, names)

    b = n1 - a
    d = n2 - c
    counts = {"ai": a.copy(), "bi": b, "ci": c.copy(), "di": d, "n1i": n1.copy(), "n2i": n2.copy()}

    yi, vi, corrected, double = _binary_outcomes(a, b, c, d, measure, add=add, to=to)

    notes = []
    if drop00 and double.any():
        yi[double] = np.nan
        vi[double] = np.nan
        notes.append(
            f"{int(double.sum())} study(ies) with no events (or only events) in both arms "
            "dropped (drop00=True)."
        )
    elif double.any():
        notes.append(
            f"{int(double.sum())} study(ies) with no events (or only events) in both arms kept "
            f"with {add:g} added to every cell (metafor escalc default drop00=FALSE)."
        )
    if corrected.any() and add > 0:
        notes.append(
            f"Continuity correction {add:g} added to all cells of {int(corrected.sum())} "
            f"study(ies) (to={to!r})."
        )

    for i in range(k):
        if np.isfinite(yi[i]) and np.isfinite(vi[i]) and vi[i] > 0:
            continue
        if drop00 and double[i]:
            continue
        zero = [n for n, v in (("ai", a[i]), ("bi", b[i]), ("ci", c[i]), ("di", d[i])) if v == 0]
        field_name = zero[0] if zero else "ai"
        raise AnalysisInputError(
            f"{measure} is not estimable from this 2x2 table (ai={a[i]:g}, n1i={n1[i]:g}, "
            f"ci={c[i]:g}, n2i={n2[i]:g}) without a continuity correction (to={to!r}, add={add:g})",
            study=names[i],
            field=field_name,
        )

    return EffectSizes(
        measure=measure,
        yi=yi,
        vi=vi,
        labels=tuple(names),
        corrected=corrected,
        options={"add": add, "to": to, "drop00": drop00, "vtype": "LS"},
        counts=counts,
        notes=tuple(notes),
    )


def _check_binary(
    a: np.ndarray, n1: np.ndarray, c: np.ndarray, n2: np.ndarray, names: Sequence[str]
) -> None:
    for i, study in enumerate(names):
        for name, value in (("ai", a[i]), ("ci", c[i])):
            if value < 0:
                raise AnalysisInputError(
                    f"event count is negative ({value:g})", study=study, field=name
                )
        for name, value, arm in (("n1i", n1[i], "treatment"), ("n2i", n2[i], "control")):
            if value < 0:
                raise AnalysisInputError(
                    f"arm size is negative ({value:g})", study=study, field=name
                )
            if value == 0:
                # metafor's escalc still returns an effect here, made of the 0.5 added
                # to every cell and nothing the study observed; a published number
                # must not be, so the study is refused with the reason
                raise AnalysisInputError(
                    f"the {arm} arm is empty ({name}=0): with no participants it compares "
                    "nothing (an effect computed after the continuity correction would "
                    "come from the added 0.5 alone); correct the count or leave the "
                    "study out",
                    study=study,
                    field=name,
                )
        if a[i] > n1[i]:
            raise AnalysisInputError(
                f"events exceed the arm total (ai={a[i]:g} > n1i={n1[i]:g})",
                study=study,
                field="ai",
            )
        if c[i] > n2[i]:
            raise AnalysisInputError(
                f"events exceed the arm total (ci={c[i]:g} > n2i={n2[i]:g})",
                study=study,
                field="ci",
            )


def _binary_outcomes(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, measure: str, *, add: float, to: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """yi, vi, which studies were corrected, and which are double-zero tables."""
    double = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    corrected = _correction_mask(a, b, c, d, to=to, add=add)
    inc = np.where(corrected, add, 0.0)
    a, b, c, d = a + inc, b + inc, c + inc, d + inc
    n1 = a + b
    n2 = c + d
    p1 = a / n1
    p2 = c / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        else:  # RD
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    return yi, vi, corrected.astype(bool), double


def _correction_mask(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, *, to: str, add: float
) -> np.ndarray:
    """Which studies get ``add`` in every cell (escalc's ``to`` argument)."""
    any_zero = np.asarray((a == 0) | (b == 0) | (c == 0) | (d == 0), dtype=bool)
    if add == 0 or to == "none":
        return np.zeros(a.shape, dtype=bool)
    if to == "all":
        return np.ones(a.shape, dtype=bool)
    if to == "if0all":
        return np.full(a.shape, bool(any_zero.any()))
    return any_zero


def peto_log_odds_ratios(
    ai: np.ndarray,
    bi: np.ndarray,
    ci: np.ndarray,
    di: np.ndarray,
    *,
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Peto's one-step log odds ratio per study (escalc ``measure="PETO"``)."""
    double = ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))
    inc = np.where(_correction_mask(ai, bi, ci, di, to=to, add=add), add, 0.0)
    a, b, c, d = ai + inc, bi + inc, ci + inc, di + inc
    n1, n2 = a + b, c + d
    n = n1 + n2
    xt, yt = a + c, b + d
    expected = xt * n1 / n
    var = xt * yt * (n1 / n) * (n2 / n) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = (a - expected) / var
        vi = 1 / var
    bad = ~np.isfinite(yi) | ~np.isfinite(vi)
    if drop00:
        bad |= double
    yi = np.where(bad, np.nan, yi)
    vi = np.where(bad, np.nan, vi)
    return yi, vi


# ---------------------------------------------------------------------------
# continuous outcomes


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


# ---------------------------------------------------------------------------
# one correlation, one proportion, or rates over person-time


def _arrays(
    values: Mapping[str, ArrayLike], labels: Sequence[Any] | None
) -> tuple[dict[str, np.ndarray], list[str]]:
    raw_labels = None if labels is None else [str(x) for x in labels]
    arrays = {name: as_float_array(v, name, raw_labels) for name, v in values.items()}
    k = check_lengths(arrays, raw_labels)
    return arrays, default_labels(k, raw_labels)


def _check_measure(measure: str, offered: Sequence[str], what: str) -> str:
    measure = measure.upper()
    if measure not in offered:
        raise AnalysisInputError(
            f"unknown {what} measure {measure!r}; expected one of {', '.join(offered)}",
            field="measure",
        )
    return measure


def _check_correction(add: float, to: str) -> None:
    if to not in _CORRECTION_TARGETS:
        raise AnalysisInputError(
            f"unknown continuity-correction target {to!r}; expected one of "
            f"{', '.join(_CORRECTION_TARGETS)}",
            field="to",
        )
    if not np.isfinite(add) or add < 0:
        raise AnalysisInputError("continuity correction must be a non-negative number", field="add")


def _zero_mask(any_zero: np.ndarray, *, to: str, add: float) -> np.ndarray:
    """Which studies get ``add`` (escalc's ``to``), given which have a zero cell."""
    if add == 0 or to == "none":
        return np.zeros(any_zero.shape, dtype=bool)
    if to == "all":
        return np.ones(any_zero.shape, dtype=bool)
    if to == "if0all":
        return np.full(any_zero.shape, bool(any_zero.any()))
    return any_zero.copy()


def _require_estimable(
    yi: np.ndarray, vi: np.ndarray, names: Sequence[str], field_name: str, why: str
) -> None:
    for i, study in enumerate(names):
        if not (np.isfinite(yi[i]) and np.isfinite(vi[i]) and vi[i] > 0):
            raise AnalysisInputError(why, study=study, field=field_name)


def correlation_effect_sizes(
    ri: ArrayLike,
    ni: ArrayLike,
    measure: str = "ZCOR",
    *,
    labels: Sequence[Any] | None = None,
) -> EffectSizes:
    """Raw correlations (COR) or Fisher's z (ZCOR), escalc equivalent."""
    measure = _check_measure(measure, CORRELATION_MEASURES, "correlation")
    arrays, names = _arrays({"ri": ri, "ni": ni}, labels)
    r, n = arrays["ri"], arrays["ni"]
    smallest = 4 if measure == "ZCOR" else 2
    for i, study in enumerate(names):
        if not -1 <= r[i] <= 1:
            raise AnalysisInputError(
                f"a correlation lies between -1 and 1 (got {r[i]:g})", study=study, field="ri"
            )
        if n[i] < smallest:
            raise AnalysisInputError(
                f"{Measure(measure).label} needs a sample size of at least {smallest} "
                f"(got {n[i]:g})",
                study=study,
                field="ni",
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "COR":
            yi = r.copy()
            vi = (1 - r**2) ** 2 / (n - 1)
        else:
            yi = np.arctanh(r)
            vi = 1 / (n - 3)
    _require_estimable(
        yi, vi, names, "ri", "a correlation of exactly -1 or 1 has no sampling variance"
    )
    return EffectSizes(
        measure=measure,
        yi=np.asarray(yi, dtype=float),
        vi=np.asarray(vi, dtype=float),
        labels=tuple(names),
        corrected=np.zeros(len(names), dtype=bool),
        options={"vtype": "LS"},
        summaries={"ri": r, "ni": n},
    )


def proportion_effect_sizes(
    xi: ArrayLike,
    ni: ArrayLike,
    measure: str = "PLO",
    *,
    labels: Sequence[Any] | None = None,
    add: float | None = None,
    to: str = "only0",
) -> EffectSizes:
    """Single-arm proportions: raw (PR), log odds (PLO) or arcsine (PAS), escalc
    equivalent.  ``add`` defaults to escalc's: 1/2, or 0 for PAS."""
    measure = _check_measure(measure, PROPORTION_MEASURES, "proportion")
    add = (0.0 if measure == "PAS" else 0.5) if add is None else float(add)
    _check_correction(add, to)
    arrays, names = _arrays({"xi": xi, "ni": ni}, labels)
    x, n = arrays["xi"], arrays["ni"]
    for i, study in enumerate(names):
        if x[i] < 0:
            raise AnalysisInputError(f"event count is negative ({x[i]:g})", study=study, field="xi")
        if n[i] <= 0:
            raise AnalysisInputError(
                f"the study is empty (ni={n[i]:g}): with no participants it has no "
                "proportion (an effect computed after the continuity correction would "
                "come from the added 0.5 alone); correct the count or leave the study out",
                study=study,
                field="ni",
            )
        if x[i] > n[i]:
            raise AnalysisInputError(
                f"events exceed the sample size (xi={x[i]:g} > ni={n[i]:g})",
                study=study,
                field="xi",
            )
    m = n - x
    corrected = _zero_mask((x == 0) | (m == 0), to=to, add=add)
    inc = np.where(corrected, add, 0.0)
    xc, mc = x + inc, m + inc
    nc = xc + mc
    p = xc / nc
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "PR":
            yi = p.copy()
            vi = p * (1 - p) / nc
        elif measure == "PLO":
            yi = np.log(p / (1 - p))
            vi = 1 / (nc * p * (1 - p))
        else:
            yi = np.arcsin(np.sqrt(p))
            vi = 1 / (4 * nc)
    _require_estimable(
        yi,
        vi,
        names,
        "xi",
        f"{Measure(measure).label} is not estimable when no participant or every "
        f"participant has the event, without a continuity correction (to={to!r}, add={add:g})",
    )
    notes = []
    if corrected.any():
        notes.append(
            f"Continuity correction {add:g} added to the events and non-events of "
            f"{int(corrected.sum())} study(ies) (to={to!r})."
        )
    return EffectSizes(
        measure=measure,
        yi=np.asarray(yi, dtype=float),
        vi=np.asarray(vi, dtype=float),
        labels=tuple(names),
        corrected=corrected,
        options={"add": add, "to": to, "vtype": "LS"},
        summaries={"xi": x, "ni": n},
        notes=tuple(notes),
    )


def rate_effect_sizes(
    x1i: ArrayLike,
    t1i: ArrayLike,
    x2i: ArrayLike,
    t2i: ArrayLike,
    measure: str = "IRR",
    *,
    labels: Sequence[Any] | None = None,
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = False,
) -> EffectSizes:
    """Log incidence rate ratios (IRR) or rate differences (IRD) from events and
    person-time in two arms, escalc equivalent; arm 1 is treatment."""
    measure = _check_measure(measure, RATE_MEASURES, "incidence rate")
    _check_correction(add, to)
    arrays, names = _arrays({"x1i": x1i, "t1i": t1i, "x2i": x2i, "t2i": t2i}, labels)
    x1, t1, x2, t2 = arrays["x1i"], arrays["t1i"], arrays["x2i"], arrays["t2i"]
    _check_rates(x1, t1, x2, t2, names)
    double = (x1 == 0) & (x2 == 0)
    corrected = _zero_mask((x1 == 0) | (x2 == 0), to=to, add=add)
    yi, vi = _rate_outcomes(x1, t1, x2, t2, measure, np.where(corrected, add, 0.0))
    notes = []
    if drop00 and double.any():
        yi[double] = np.nan
        vi[double] = np.nan
        notes.append(
            f"{int(double.sum())} study(ies) with no events in either arm dropped (drop00=True)."
        )
    if corrected.any():
        notes.append(
            f"Continuity correction {add:g} added to both event counts of "
            f"{int(corrected.sum())} study(ies) (to={to!r})."
        )
    keep = ~(drop00 & double)
    _require_estimable(
        np.where(keep, yi, 0.0),
        np.where(keep, vi, 1.0),
        names,
        "x1i",
        f"{Measure(measure).label} is not estimable with no events in an arm, without a "
        f"continuity correction (to={to!r}, add={add:g})",
    )
    return EffectSizes(
        measure=measure,
        yi=yi,
        vi=vi,
        labels=tuple(names),
        corrected=corrected,
        options={"add": add, "to": to, "drop00": drop00, "vtype": "LS"},
        counts={"x1i": x1.copy(), "t1i": t1.copy(), "x2i": x2.copy(), "t2i": t2.copy()},
        notes=tuple(notes),
    )


def _check_rates(
    x1: np.ndarray, t1: np.ndarray, x2: np.ndarray, t2: np.ndarray, names: Sequence[str]
) -> None:
    for i, study in enumerate(names):
        for name, value in (("x1i", x1[i]), ("x2i", x2[i])):
            if value < 0:
                raise AnalysisInputError(
                    f"event count is negative ({value:g})", study=study, field=name
                )
        for name, value, arm in (("t1i", t1[i], "treatment"), ("t2i", t2[i], "control")):
            if not value > 0:
                raise AnalysisInputError(
                    f"the {arm} arm has no person-time ({name}={value:g}): with no time at "
                    "risk it has no rate (an effect computed after the continuity correction "
                    "would come from the added 0.5 alone); correct it or leave the study out",
                    study=study,
                    field=name,
                )


def _rate_outcomes(
    x1: np.ndarray, t1: np.ndarray, x2: np.ndarray, t2: np.ndarray, measure: str, inc: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    a, c = x1 + inc, x2 + inc
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "IRR":
            yi = np.log(a / t1) - np.log(c / t2)
            vi = 1 / a + 1 / c
        else:
            yi = a / t1 - c / t2
            vi = a / t1**2 + c / t2**2
    return np.asarray(yi, dtype=float), np.asarray(vi, dtype=float)


# ---------------------------------------------------------------------------
# tables


def required_roles(measure: str) -> tuple[str, ...]:
    """The columns of a study-level table that ``measure`` is computed from."""
    measure = measure.upper()
    for table in StudyTable:
        if measure in table.measures:
            return table.roles
    raise AnalysisInputError(
        f"unknown measure {measure!r}; expected one of "
        f"{', '.join(m for t in StudyTable for m in t.measures)}",
        field="measure",
    )


def effect_sizes_from_table(
    frame: pd.DataFrame,
    measure: str,
    columns: Mapping[str, str],
    *,
    study: str | None = None,
    **options: Any,
) -> EffectSizes:
    """Effect sizes from a study-level table whose columns are named in ``columns``.

    ``columns`` maps roles (``ai, n1i, ci, n2i``; ``m1i, sd1i, n1i, m2i, sd2i,
    n2i``; ``ri, ni``; ``xi, ni``; or ``x1i, t1i, x2i, t2i``) to column names.
    Rows are labelled by ``study`` or, if not given, by their 1-based row number.
    """
    roles = required_roles(measure)
    missing = [r for r in roles if r not in columns]
    if missing:
        raise AnalysisInputError(f"no column given for {', '.join(missing)}", field=missing[0])
    labels = study_labels(frame, study)
    values = {role: numeric_column(frame, columns[role], labels, role=role) for role in roles}
    measure = measure.upper()
    try:
        if measure in BINARY_MEASURES:
            return binary_effect_sizes(
                values["ai"],
                values["n1i"],
                values["ci"],
                values["n2i"],
                measure,
                labels=labels,
                **options,
            )
        if measure in CORRELATION_MEASURES:
            return correlation_effect_sizes(
                values["ri"], values["ni"], measure, labels=labels, **options
            )
        if measure in PROPORTION_MEASURES:
            return proportion_effect_sizes(
                values["xi"], values["ni"], measure, labels=labels, **options
            )
        if measure in RATE_MEASURES:
            return rate_effect_sizes(
                values["x1i"],
                values["t1i"],
                values["x2i"],
                values["t2i"],
                measure,
                labels=labels,
                **options,
            )
        return continuous_effect_sizes(
            values["m1i"],
            values["sd1i"],
            values["n1i"],
            values["m2i"],
            values["sd2i"],
            values["n2i"],
            measure,
            labels=labels,
            **options,
        )
    except AnalysisInputError as exc:
        # say which CSV column the role came from, so the cell can be found
        column = columns.get(exc.field or "")
        if column is not None and column != exc.field:
            raise AnalysisInputError(
                exc.reason, study=exc.study, field=f"{exc.field} ({column})"
            ) from None
        raise


def effect_sizes_from_estimates(
    yi: ArrayLike, vi: ArrayLike, *, measure: str = "GEN", labels: Sequence[Any] | None = None
) -> EffectSizes:
    """Wrap already computed estimates (ratio measures on the log scale)."""
    raw_labels = None if labels is None else [str(x) for x in labels]
    y = as_float_array(yi, "yi", raw_labels)
    v = as_float_array(vi, "vi", raw_labels)
    k = check_lengths({"yi": y, "vi": v}, raw_labels)
    names = default_labels(k, raw_labels)
    for i, study in enumerate(names):
        if v[i] <= 0:
            raise AnalysisInputError(
                f"sampling variance must be positive (got {v[i]:g})", study=study, field="vi"
            )
    return EffectSizes(
        measure=measure.upper(), yi=y, vi=v, labels=tuple(names), corrected=np.zeros(k, dtype=bool)
    )


# ---------------------------------------------------------------------------
# time-to-event outcomes


def cox_log_hazard_ratio(
    time: ArrayLike,
    event: ArrayLike,
    treatment: ArrayLike,
    covariates: ArrayLike | None = None,
    *,
    ties: str = "efron",
    study: str | None = None,
) -> tuple[float, float]:
    """Log hazard ratio of treatment (1) vs control (0) and its variance from a Cox model.

    Ties are handled with Efron's method by default, matching R's ``coxph``.
    """
    from statsmodels.duration.hazard_regression import PHReg

    from ._modelfit import fitting

    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    z = np.asarray(treatment, dtype=float)
    if ties not in ("efron", "breslow"):
        raise AnalysisInputError(f"unknown ties method {ties!r}", field="ties")
    for arm, label in ((1.0, "treatment"), (0.0, "control")):
        in_arm = z == arm
        if not in_arm.any():
            raise AnalysisInputError(f"the {label} arm is empty", study=study, field="arm")
        if e[in_arm].sum() == 0:
            raise AnalysisInputError(
                f"no events in the {label} arm; the hazard ratio is not estimable",
                study=study,
                field="event",
            )
    exog = z[:, None] if covariates is None else np.column_stack([z, np.asarray(covariates, float)])
    with fitting(study, "Cox model", "time"):
        fit = PHReg(t, exog, status=e, ties=ties).fit()
        beta = float(fit.params[0])
        var = float(fit.cov_params()[0, 0])
    if not (np.isfinite(beta) and np.isfinite(var) and var > 0):
        raise AnalysisInputError(
            "Cox model gave a non-finite hazard ratio", study=study, field="time"
        )
    return beta, var


def hazard_ratio_effect_sizes(
    frame: pd.DataFrame,
    *,
    study: str,
    time: str,
    event: str,
    treatment: str,
    covariates: Sequence[str] = (),
    ties: str = "efron",
) -> EffectSizes:
    """Per-study Cox log hazard ratios from participant-level data.

    ``treatment`` must be coded 1 (treatment) / 0 (control); use
    :class:`analysis.ipd.Harmonisation` to get there from raw codings.
    """
    labels: list[str] = []
    yi: list[float] = []
    vi: list[float] = []
    for label, part in frame.groupby(study, sort=False):
        name = str(label)
        cov = part[list(covariates)].to_numpy(float) if covariates else None
        beta, var = cox_log_hazard_ratio(
            part[time].to_numpy(),
            part[event].to_numpy(),
            part[treatment].to_numpy(),
            cov,
            ties=ties,
            study=name,
        )
        labels.append(name)
        yi.append(beta)
        vi.append(var)
    k = len(labels)
    return EffectSizes(
        measure="HR",
        yi=np.array(yi),
        vi=np.array(vi),
        labels=tuple(labels),
        corrected=np.zeros(k, dtype=bool),
        options={"ties": ties, "covariates": list(covariates)},
    )
