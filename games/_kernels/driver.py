"""One alignment's score: the passes run over the alignment a tile of columns
at a time.  Private.

Each tile is transposed (``tiles.py``) into a buffer that stays in the
level-1 cache while the substitution pass (``substitution.py``) and the
column sweep of the gap pass (``gap_sweep.py``) read it; gaps with different
insertion and deletion scores are scored from the whole alignment afterwards
(``gap_bitsets.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from games._jitcache import keyed_on

from . import bits, gap_bitsets, gap_sweep, substitution, tiles
from .bits import ONE
from .gap_bitsets import gaps_directional
from .gap_sweep import (
    gaps_symmetric_columns,
    gaps_symmetric_end,
    gaps_symmetric_start,
    gaps_unit_columns,
)
from .substitution import (
    DENSE_MAX_CODES,
    DENSE_ROWS_PER_CODE,
    LANES,
    substitution_counts,
    substitution_dense,
    substitution_ordered,
    substitution_weighted,
    sums_exactly,
)
from .tiles import transpose

U8 = NDArray[np.uint8]
F64 = NDArray[np.float64]

# The passes are compiled into these kernels, and with them what they call.
_KEY = keyed_on(bits, gap_bitsets, gap_sweep, substitution, tiles)


@_KEY
@njit(cache=True, nogil=True)
def score_one(
    codes: U8,
    table: F64,
    weights: F64,
    gaps: F64,
    symmetric_gaps: bool,
    symmetric_table: bool,
    unit_weights: bool,
    scratch: tuple[Any, ...],
) -> float:
    (
        tile, counts_lanes, weight_lanes, square_lanes, letters, counts, wsum, wsq, present,
        last, hist, prefix, movers, mover_weights, previous, bits, after, column_weight, acc,
        tile_counts, totals,
    ) = scratch  # fmt: skip
    n_rows, n_cols = codes.shape
    size = table.shape[0]
    dense = (
        symmetric_table
        and unit_weights
        and tile_counts.shape[0] == size
        and n_rows >= DENSE_ROWS_PER_CODE * size
        and sums_exactly(table, n_rows, n_cols)
    )
    tile_cols = tile.shape[0]
    columns = tile.view(np.uint8)
    score = 0.0
    if symmetric_gaps:
        gaps_symmetric_start(weights, last, hist, prefix)
    if symmetric_gaps and unit_weights:
        # In the unit-weight sweep, last[i] is where row i's gap run starts.
        for i in range(last.shape[0]):
            last[i] = 0
        for g in range(previous.shape[0]):
            previous[g] = 0
    # A tile of columns at a time, transposed into a buffer that stays in
    # cache while both passes read it.
    for first in range(0, n_cols, tile_cols):
        n = min(tile_cols, n_cols - first)
        transpose(codes, first, n, tile)
        if dense:
            score += substitution_dense(columns, n, table, counts_lanes, tile_counts, totals)
        elif symmetric_table and unit_weights:
            score += substitution_counts(columns, n, table, counts_lanes, letters, counts)
        elif symmetric_table:
            score += substitution_weighted(
                columns, n, table, weights, weight_lanes, square_lanes, letters, wsum, wsq
            )
        else:
            score += substitution_ordered(columns, n, table, weights, wsum, present)
        if symmetric_gaps and unit_weights:
            score += gaps_unit_columns(tile, n, first, gaps, last, previous, hist, prefix, movers)
        elif symmetric_gaps:
            score += gaps_symmetric_columns(
                columns, n, first, weights, gaps, unit_weights, last, hist, prefix, movers,
                mover_weights,
            )  # fmt: skip
    if symmetric_gaps:
        if unit_weights:
            for i in range(last.shape[0]):  # back to "column of the latest letter"
                ends_with_letter = (previous[i >> 6] >> np.uint64(i & 63)) & ONE
                last[i] = n_cols - 1 if ends_with_letter else last[i] - 1
        score += gaps_symmetric_end(n_cols, weights, gaps, last, hist, prefix)
    else:
        score += gaps_directional(
            codes, weights, gaps, unit_weights, bits, after, column_weight, acc
        )
    return score


@_KEY
@njit(cache=True, nogil=True)
def make_scratch(
    n_rows: int, n_cols: int, size: int, symmetric_gaps: bool, tile_cols: int
) -> tuple[Any, ...]:
    """Work arrays for scoring (rows, columns) alignments with ``size`` codes
    ``tile_cols`` columns at a time (0: about 32 KB of columns, a level-1
    cache, in multiples of the transpose's blocks); the histogram lanes are
    left zeroed by every use."""
    n_words = (n_rows + 63) // 64 if not symmetric_gaps else 0
    n_bit_cols = n_cols if not symmetric_gaps else 0
    if tile_cols <= 0:
        tile_cols = max(16, 32768 // max(n_rows, 1) // 16 * 16)
    tile_cols = max(1, min(n_cols, tile_cols))
    return (
        np.empty((tile_cols, (n_rows + 7) // 8), np.uint64),
        np.zeros(LANES * size, np.int64),
        np.zeros(LANES * size, np.float64),
        np.zeros(LANES * size, np.float64),
        np.empty(size, np.int64),
        np.empty(size, np.int64),
        np.zeros(size, np.float64),
        np.zeros(size, np.float64),
        np.zeros(2 * size, np.int64),
        np.empty(n_rows, np.int64),
        np.empty(n_cols + 1, np.float64),
        np.empty(n_cols + 1, np.float64),
        np.empty(n_rows, np.int64),
        np.empty(n_rows, np.float64),
        np.empty((n_rows + 63) // 64, np.uint64),
        np.empty((n_bit_cols, n_words), np.uint64),
        np.empty(n_bit_cols, np.float64),
        np.empty(n_bit_cols, np.float64),
        np.empty(n_words, np.uint64),
        np.empty((size if size <= DENSE_MAX_CODES else 0, tile_cols), np.float64),
        np.empty(tile_cols, np.float64),
    )


@_KEY
@njit(cache=True, nogil=True)
def score_codes(
    codes: U8,
    table: F64,
    weights: F64,
    gaps: F64,
    symmetric_gaps: bool,
    symmetric_table: bool,
    unit_weights: bool,
    tile_cols: int,
) -> float:
    """Sum-of-pairs score of one encoded alignment (serial, deterministic),
    ``tile_cols`` columns at a time (0 for the default, see ``make_scratch``)."""
    n_rows, n_cols = codes.shape
    scratch = make_scratch(n_rows, n_cols, table.shape[0], symmetric_gaps, tile_cols)
    return score_one(
        codes, table, weights, gaps, symmetric_gaps, symmetric_table, unit_weights, scratch
    )
