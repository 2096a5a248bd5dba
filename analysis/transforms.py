"""From the scale a measure is pooled on back to the scale people read, as metafor's
``predict(res, transf=...)`` does: ``exp`` for the ratio measures, ``transf.ilogit`` for
log odds (PLO), ``transf.ztor`` for Fisher's z (ZCOR) and ``transf.iarcsin`` for the
arcsine square root (PAS).  The other measures (PR, COR, the differences) are pooled on
the scale they are read on and have no back-transformation."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import numpy as np
from scipy.special import expit

from .vocabulary import RATIO_MEASURES, Measure


def _iarcsin(x: Any) -> Any:
    # metafor's transf.iarcsin clamps to [0, pi/2] first: outside it sin^2 would fold
    # back and a bound below 0 would read as a positive proportion
    return np.sin(np.clip(x, 0.0, math.pi / 2)) ** 2


def _arcsin(p: Any) -> Any:
    return np.arcsin(np.sqrt(np.clip(p, 0.0, 1.0)))


_INVERSE: dict[str, tuple[str, Callable[[Any], Any], Callable[[Any], Any], str]] = {
    str(m): ("exp", np.exp, np.log, "") for m in RATIO_MEASURES
}
_INVERSE.update(
    {
        Measure.PLO: ("ilogit", expit, lambda p: np.log(p / (1 - p)), "proportion"),
        Measure.ZCOR: ("ztor", np.tanh, np.arctanh, "correlation"),
        Measure.PAS: ("iarcsin", _iarcsin, _arcsin, "proportion"),
    }
)
BACK_TRANSFORMS = MappingProxyType({m: v[0] for m, v in _INVERSE.items()})
"""The measures that are back-transformed, with metafor's name of the function."""


def back_transform_name(measure: str) -> str | None:
    """metafor's name of the function (``exp``, ``ilogit``, ``ztor``, ``iarcsin``)."""
    return BACK_TRANSFORMS.get(str(measure))


def natural_scale(measure: str) -> str | None:
    """What a back-transformed value is, in words ("proportion", "correlation"), or None
    when the measure has no back-transformation; "" for a ratio (named by its label)."""
    entry = _INVERSE.get(str(measure))
    return None if entry is None else entry[3]


def back_transform(measure: str, value: float | None) -> float | None:
    """One value on the natural scale (None for a missing value, or a measure pooled on
    the scale it is read on)."""
    entry = _INVERSE.get(str(measure))
    if entry is None or value is None or not math.isfinite(value):
        return None
    return float(entry[1](value))


def back_transform_array(measure: str, values: Any) -> np.ndarray:
    """Elementwise; the values unchanged for a measure with no back-transformation."""
    entry = _INVERSE.get(str(measure))
    x = np.asarray(values, dtype=float)
    return x if entry is None else np.asarray(entry[1](x), dtype=float)


def forward_transform_array(measure: str, values: Any) -> np.ndarray:
    """The inverse: natural values onto the pooled scale (for placing axis ticks)."""
    entry = _INVERSE.get(str(measure))
    x = np.asarray(values, dtype=float)
    return x if entry is None else np.asarray(entry[2](x), dtype=float)
