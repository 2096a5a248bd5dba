"""Numpy twins of the kernels in the ``games._kernels`` package for small alignments.

Importing numba and loading its cached kernels costs about a second and 100 MB,
far more than scoring a few rows takes, so a process that has not loaded the
kernels yet (the command line scoring one file) scores a small alignment here,
pair by pair with whole-array operations, the way ``tests/games/naive.py``
defines the score.  Larger alignments, and every alignment in a process that has
loaded the kernels already (a warmed-up server), go to the kernels: this path is
O(N^2 L) in time and memory.  Same arguments and results as the kernels.
"""

from __future__ import annotations

import sys

import numpy as np
from numpy.typing import NDArray

#: Pairs of rows times columns up to which the numpy path is used.
SMALL_PAIR_CELLS = 100_000

# Step kinds of a pair's column, as in the naive reference.
_DROPPED, _DIAGONAL, _INSERTION, _DELETION = -1, 0, 1, 2


def use_small(n_rows: int, n_cols: int) -> bool:
    """Whether to score an alignment of this shape here rather than with the kernels."""
    if "games._kernels" in sys.modules:
        return False
    return n_rows * (n_rows - 1) // 2 * n_cols <= SMALL_PAIR_CELLS


def widths_and_steps(coordinates: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each block's width (the longest step of any row in it) and every row's steps."""
    steps = np.diff(coordinates, axis=1)
    if steps.shape[1] == 0:
        return np.zeros(0, dtype=np.int64), steps
    return np.abs(steps).max(axis=0), steps


def alignment_layout(
    coordinates: NDArray[np.int64], widths: NDArray[np.int64], directions: NDArray[np.int64]
) -> int:
    """As ``_kernels.alignment_layout``."""
    found, steps = widths_and_steps(coordinates)
    widths[:] = found
    moving = steps != 0
    uneven = (moving & (np.abs(steps) != found)).any(axis=1)
    forward = (steps > 0).any(axis=1)
    backward = (steps < 0).any(axis=1)
    directions[:] = np.where(forward & backward, 2, np.where(forward, 1, np.where(backward, -1, 0)))
    return int(np.argmax(uneven)) if uneven.any() else -1


def fill_rows(
    coordinates: NDArray[np.int64],
    widths: NDArray[np.int64],
    letters: NDArray[np.uint8],
    offsets: NDArray[np.int64],
    gap: np.uint8,
    out: NDArray[np.uint8],
) -> None:
    """As ``_kernels.fill_rows``: the letters, row after row, go where rows move."""
    moving = np.repeat(np.diff(coordinates, axis=1) != 0, widths, axis=1)
    out[:] = gap
    out[moving] = letters[offsets[0] : offsets[-1]]


def score_codes(
    codes: NDArray[np.uint8],
    table: NDArray[np.float64],
    weights: NDArray[np.float64],
    gaps: NDArray[np.float64],
) -> float:
    """As ``_kernels.score_codes``; the pair (i, j), i < j, reads row i as the target."""
    n_rows, n_cols = codes.shape
    first, second = np.triu_indices(n_rows, k=1)
    target = codes[first].astype(np.intp)
    query = codes[second].astype(np.intp)
    has_target = target != 0
    has_query = query != 0
    step = np.full(target.shape, _DROPPED, dtype=np.int8)
    step[has_target & has_query] = _DIAGONAL
    step[~has_target & has_query] = _INSERTION
    step[has_target & ~has_query] = _DELETION
    pair_scores = np.where(step == _DIAGONAL, table[target, query], 0.0).sum(axis=1)

    # The step before each column, skipping the columns the pair drops: a gap
    # extends only a gap of the same kind.
    columns = np.arange(n_cols)
    last_kept = np.maximum.accumulate(np.where(step != _DROPPED, columns, -1), axis=1)
    before = np.concatenate([np.full((len(first), 1), -1), last_kept[:, :-1]], axis=1)
    previous = np.where(
        before >= 0, np.take_along_axis(step, np.maximum(before, 0), axis=1), _DROPPED
    )
    extend = (previous == step).astype(np.intp)
    for direction, kind, present in ((0, _INSERTION, has_target), (1, _DELETION, has_query)):
        gapped = step == kind
        # A gap before the gapped row's first letter is a left end gap, one
        # after its last letter a right end gap.
        seen = np.cumsum(present, axis=1)
        position = np.where(seen == 0, 0, np.where(seen == seen[:, -1:], 2, 1))
        pair_scores += np.where(gapped, gaps[direction][position, extend], 0.0).sum(axis=1)
    return float((pair_scores * weights[first] * weights[second]).sum())
