"""One correlation per study (``ri`` of ``ni`` participants), as ``metafor::escalc``
computes its effect:

* ``COR``  raw correlation, ``vi = (1 - ri^2)^2 / (ni - 1)``
* ``ZCOR`` Fisher's z, ``yi = atanh(ri)``, ``vi = 1 / (ni - 3)``
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..errors import AnalysisInputError
from ..vocabulary import Measure
from ._common import (
    CORRELATION_MEASURES,
    EffectSizes,
    _arrays,
    _check_measure,
    _require_estimable,
)


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
