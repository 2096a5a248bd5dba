"""Cell lengths of Arrow text read from the array's offsets, without a kernel call.

A lookup or a pattern costs tens of nanoseconds per cell however short the cell
is; the byte length of every cell is one subtraction of neighbouring offsets, so
cells too long to be what is looked for can be set aside first.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def byte_lengths(arr: pa.Array) -> np.ndarray | None:
    """Each cell's length in bytes; None unless ``arr`` is a plain string array."""
    if not isinstance(arr, pa.Array) or arr.type != pa.string():
        return None
    offsets_buf = arr.buffers()[1]
    if offsets_buf is None:
        return None
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    lengths: np.ndarray = np.diff(offsets)
    return lengths
