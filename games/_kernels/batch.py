"""Many same-shaped alignments scored in parallel.  Private."""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

from games._jitcache import keyed_on

from . import bits, driver, gap_bitsets, gap_sweep, substitution, tiles
from .driver import make_scratch, score_one

U8 = NDArray[np.uint8]
F64 = NDArray[np.float64]

# The driver is compiled into this kernel, and with it everything it calls.
_KEY = keyed_on(bits, driver, gap_bitsets, gap_sweep, substitution, tiles)


@_KEY
@njit(cache=True, nogil=True, parallel=True)
def score_batch_codes(
    solutions: U8,
    table: F64,
    weights: F64,
    gaps: F64,
    symmetric_gaps: bool,
    symmetric_table: bool,
    unit_weights: bool,
    n_chunks: int,
    out: F64,
) -> None:
    """Scores ``solutions[b]`` into ``out[b]``.  Chunks of the batch run in
    parallel, each with its own scratch arrays and its own slice of ``out``; a
    solution is always scored serially, so results do not depend on threads.
    (``n_chunks`` comes from the caller: numba.get_num_threads() here would
    make the function uncachable.)"""
    n_batch, n_rows, n_cols = solutions.shape
    if n_batch == 0:
        return
    n_chunks = max(1, min(n_chunks, n_batch))
    size = table.shape[0]
    for chunk in prange(n_chunks):
        lo = chunk * n_batch // n_chunks
        hi = (chunk + 1) * n_batch // n_chunks
        scratch = make_scratch(n_rows, n_cols, size, symmetric_gaps, 0)
        for b in range(lo, hi):
            out[b] = score_one(
                solutions[b],
                table,
                weights,
                gaps,
                symmetric_gaps,
                symmetric_table,
                unit_weights,
                scratch,
            )
