"""Arrow's boolean results as numpy masks, and the regular-expression test that
the type checks fall back on."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def bool_mask(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Arrow boolean result as a numpy bool array (nulls count as False)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def matches(arr: pa.Array, pattern: str) -> np.ndarray:
    """Which cells match ``pattern`` (a null cell does not)."""
    return bool_mask(pc.match_substring_regex(arr, pattern=pattern))
