"""What produced a result: software versions and JSON-safe conversion.

Stored runs must be re-runnable and auditable, so every result records the
versions of the numerical stack it was computed with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import metadata
from typing import Any

import numpy as np

ANALYSIS_VERSION = "1.0.0"
"""Version of the analysis core's numerical behaviour.

Bump when a change could alter any number a stored run reports.
"""


@lru_cache(maxsize=1)
def software_versions() -> dict[str, str]:
    """Versions of this package and the numerical libraries it relies on."""
    versions = {"analysis": ANALYSIS_VERSION}
    for dist in ("numpy", "scipy", "statsmodels", "pandas"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are hard deps
            versions[dist] = "unknown"
    return versions


def json_safe(value: Any) -> Any:
    """Convert numpy scalars/arrays and non-finite floats into plain JSON values.

    NaN and infinities become ``None`` because strict JSON has no encoding for
    them and consumers (browsers, jq) reject the non-standard tokens.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, Mapping):
        return json_object(value)
    if isinstance(value, Sequence):
        return [json_safe(v) for v in value]
    if hasattr(value, "to_dict"):
        return json_safe(value.to_dict())
    raise TypeError(f"cannot convert {type(value).__name__} to JSON")


def json_object(value: Mapping[Any, Any]) -> dict[str, Any]:
    """:func:`json_safe` of a mapping: a JSON object with text keys."""
    return {str(k): json_safe(v) for k, v in value.items()}
