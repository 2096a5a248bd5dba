"""One proportion per study (``xi`` events of ``ni``), as ``metafor::escalc`` computes
its effect:

* ``PR``  raw proportion, ``vi = p(1-p)/ni``
* ``PLO`` log odds, ``vi = 1/(ni p (1-p))``
* ``PAS`` arcsine square root, ``yi = asin(sqrt(p))``, ``vi = 1/(4 ni)``

The continuity correction follows escalc: ``add=1/2, to="only0"`` adds 1/2 to the
events and the non-events of a study with a zero among them (PR, PLO); PAS adds
nothing by default, as escalc (its variance needs no correction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..vocabulary import Measure
from ._common import (
    PROPORTION_MEASURES,
    EffectSizes,
    _arrays,
    _check_arms,
    _check_correction,
    _check_measure,
    _require_estimable,
    _zero_mask,
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
    _check_arms(
        arrays,
        (("xi", "ni", "study"),),
        names,
        total_problem=_sample_size_problem,
        events_within="sample size",
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


def _sample_size_problem(name: str, value: float, arm: str) -> str | None:
    if value <= 0:
        return (
            f"the study is empty ({name}={value:g}): with no participants it has no "
            "proportion (an effect computed after the continuity correction would "
            "come from the added 0.5 alone); correct the count or leave the study out"
        )
    return None
