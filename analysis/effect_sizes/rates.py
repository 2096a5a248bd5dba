"""Events over person-time in two arms (``x1i`` events in ``t1i``, ``x2i`` in ``t2i``),
as ``metafor::escalc`` computes their effects:

* ``IRR`` log incidence rate ratio, ``vi = 1/x1i + 1/x2i``
* ``IRD`` incidence rate difference, ``vi = x1i/t1i^2 + x2i/t2i^2``

The continuity correction follows escalc: ``add=1/2, to="only0"`` adds 1/2 to both
event counts of a study with a zero event count.  The arms are checked as a
binary table's are (:func:`~analysis.effect_sizes._common._check_arms`), with
person-time in place of the arm's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..vocabulary import Measure
from ._common import (
    RATE_MEASURES,
    Arm,
    EffectSizes,
    _arrays,
    _check_arms,
    _check_correction,
    _check_measure,
    _require_estimable,
    _zero_mask,
)

RATE_ARMS: tuple[Arm, ...] = (("x1i", "t1i", "treatment"), ("x2i", "t2i", "control"))


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
    _check_arms(arrays, RATE_ARMS, names, total_problem=_person_time_problem, events_within=None)
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


def _person_time_problem(name: str, value: float, arm: str) -> str | None:
    if not value > 0:
        return (
            f"the {arm} arm has no person-time ({name}={value:g}): with no time at "
            "risk it has no rate (an effect computed after the continuity correction "
            "would come from the added 0.5 alone); correct it or leave the study out"
        )
    return None


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
