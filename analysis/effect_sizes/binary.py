"""Two-arm tables of events (``ai`` events of ``n1i`` in the treatment arm, ``ci`` of
``n2i`` in the control arm), as ``metafor::escalc`` computes their effects:

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
natively, as ``rma.mh``/``rma.peto`` do; Peto's one-step log odds ratio per study
is here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import AnalysisInputError
from ._common import (
    BINARY_MEASURES,
    Arm,
    EffectSizes,
    _arrays,
    _check_arms,
    _check_correction,
    _check_measure,
    _zero_mask,
)

BINARY_ARMS: tuple[Arm, ...] = (("ai", "n1i", "treatment"), ("ci", "n2i", "control"))


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
    measure = _check_measure(measure, BINARY_MEASURES, "binary")
    _check_correction(add, to)
    arrays, names = _arrays({"ai": ai, "n1i": n1i, "ci": ci, "n2i": n2i}, labels)
    k = len(names)
    a, n1, c, n2 = arrays["ai"], arrays["n1i"], arrays["ci"], arrays["n2i"]
    _check_arms(
        arrays, BINARY_ARMS, names, total_problem=_arm_size_problem, events_within="arm total"
    )

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


def _arm_size_problem(name: str, value: float, arm: str) -> str | None:
    if value < 0:
        return f"arm size is negative ({value:g})"
    if value == 0:
        # metafor's escalc still returns an effect here, made of the 0.5 added
        # to every cell and nothing the study observed; a published number
        # must not be, so the study is refused with the reason
        return (
            f"the {arm} arm is empty ({name}=0): with no participants it compares "
            "nothing (an effect computed after the continuity correction would "
            "come from the added 0.5 alone); correct the count or leave the "
            "study out"
        )
    return None


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
    return _zero_mask((a == 0) | (b == 0) | (c == 0) | (d == 0), to=to, add=add)


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
