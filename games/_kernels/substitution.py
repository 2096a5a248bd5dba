"""The substitution pass: the substitution part of the score, column by column
of a transposed tile (``tiles.py``).  Private.

Per column, with W_a the total weight of the rows holding letter a, and Q_a
the sum of their squared weights, the column's contribution is
``sum_{a<b} W_a W_b S[a,b] + sum_a (W_a^2 - Q_a)/2 S[a,a]`` (for unit weights
``c_a c_b`` and ``C(c_a, 2)``): O(N) per column instead of a sum over the
N^2 / 2 pairs of rows.  That needs S to be symmetric; an asymmetric S is
scored in row order instead (``substitution_ordered``).

Counting into one histogram would make every row's increment wait for the
previous one whenever two rows share a letter, as they mostly do in a column
of an alignment; the counts go to interleaved histograms instead.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

# Four interleaved histograms (``lanes[4 * letter + lane]``, rows dealt to the
# lanes in turn): one histogram would make every row's increment wait for the
# previous one whenever two rows in a row share a letter, as they mostly do in
# a column of an alignment.  Four independent chains keep the core busy.
LANES = 4


@njit(cache=True, nogil=True)
def _count_column(cols: U8, c: int, lanes: I64) -> None:
    n_rows = cols.shape[1]
    n_full = n_rows - n_rows % LANES
    for i in range(0, n_full, LANES):
        lanes[LANES * np.int64(cols[c, i])] += 1
        lanes[LANES * np.int64(cols[c, i + 1]) + 1] += 1
        lanes[LANES * np.int64(cols[c, i + 2]) + 2] += 1
        lanes[LANES * np.int64(cols[c, i + 3]) + 3] += 1
    for i in range(n_full, n_rows):
        lanes[LANES * np.int64(cols[c, i])] += 1


@njit(cache=True, nogil=True)
def _weigh_column(cols: U8, c: int, weights: F64, lanes: F64, square_lanes: F64) -> None:
    n_rows = weights.shape[0]
    n_full = n_rows - n_rows % LANES
    for i in range(0, n_full, LANES):
        for lane in range(LANES):
            slot = LANES * np.int64(cols[c, i + lane]) + lane
            w = weights[i + lane]
            lanes[slot] += w
            square_lanes[slot] += w * w
    for i in range(n_full, n_rows):
        slot = LANES * np.int64(cols[c, i])
        w = weights[i]
        lanes[slot] += w
        square_lanes[slot] += w * w


@njit(cache=True, nogil=True)
def _column_letters(cols: U8, c: int, size: int, lanes: I64, letters: I64, counts: I64) -> int:
    """Moves the letters counted in ``lanes`` to ``letters[:k]`` with their
    counts in ``counts[:k]``, zeroes ``lanes`` and returns k.  A column with
    more rows than lane slots is cheaper to read off the whole histogram; a
    short column (or a large alphabet) by revisiting its own letters."""
    n_rows = cols.shape[1]
    k = 0
    if LANES * size <= n_rows:
        for a in range(1, size):
            base = LANES * np.int64(a)
            count = lanes[base] + lanes[base + 1] + lanes[base + 2] + lanes[base + 3]
            if count != 0:
                letters[k] = a
                counts[k] = count
                k += 1
                for lane in range(LANES):
                    lanes[base + lane] = 0
    else:
        for i in range(n_rows):
            letter = np.int64(cols[c, i])
            base = LANES * letter
            count = lanes[base] + lanes[base + 1] + lanes[base + 2] + lanes[base + 3]
            if count != 0 and letter != 0:  # zeroed below, so each letter is taken once
                letters[k] = letter
                counts[k] = count
                k += 1
                for lane in range(LANES):
                    lanes[base + lane] = 0
    for lane in range(LANES):  # the gaps' slots
        lanes[lane] = 0
    return k


@njit(cache=True, nogil=True)
def substitution_counts(
    cols: U8, n_cols: int, table: F64, lanes: I64, letters: I64, counts: I64
) -> float:
    """Substitution part of the score for a symmetric ``table`` and unit
    weights: c_a c_b S[a,b] over letter pairs a < b plus C(c_a, 2) S[a,a]."""
    size = table.shape[0]
    total = 0.0
    for c in range(n_cols):
        _count_column(cols, c, lanes)
        k = _column_letters(cols, c, size, lanes, letters, counts)
        for p in range(k):
            a = letters[p]
            count = float(counts[p])
            row = 0.5 * (count - 1.0) * table[a, a]
            for q in range(p + 1, k):
                row += float(counts[q]) * table[a, letters[q]]
            total += count * row
    return total


# A table of at most this many codes (a protein alphabet, not the 256 bytes
# of a match/mismatch scheme) may take the dense sum, from this many rows a code.
DENSE_MAX_CODES = 32
DENSE_ROWS_PER_CODE = LANES


#: Integers above this are not all representable in float64.
EXACT_LIMIT = 2.0**53


@njit(cache=True, nogil=True)
def sums_exactly(table: F64, n_rows: int, n_cols: int) -> bool:
    """Whether every partial sum of the substitution score is an integer below
    2**53, so that any order of the sums gives the same float64 to the bit: the
    table's entries are integers, and the largest of them over every pair of
    rows in every column stays under the limit."""
    largest = 0.0
    for a in range(table.shape[0]):
        for b in range(table.shape[1]):
            if table[a, b] != np.floor(table[a, b]):
                return False
            largest = max(largest, abs(table[a, b]))
    return largest * 0.5 * float(n_rows) * float(n_rows) * float(n_cols) < EXACT_LIMIT


@njit(cache=True, nogil=True)
def substitution_dense(
    cols: U8, n_cols: int, table: F64, lanes: I64, tile_counts: F64, totals: F64
) -> float:
    """``substitution_counts`` summed over every pair of codes, each pair
    across all the tile's columns at once: a loop over adjacent columns that
    the compiler vectorises, where the sparse sum runs a short loop of
    indirect reads per column.  With many rows a column holds most of the
    alphabet, so the pairs it skips are few.  Only where ``sums_exactly``:
    every product and partial sum is then an exact integer, so the different
    order of the sums gives the same score to the bit."""
    size = table.shape[0]
    for q in range(n_cols):
        _count_column(cols, q, lanes)
        for a in range(size):
            base = LANES * a
            tile_counts[a, q] = float(
                lanes[base] + lanes[base + 1] + lanes[base + 2] + lanes[base + 3]
            )
            for lane in range(LANES):
                lanes[base + lane] = 0
    for q in range(n_cols):
        totals[q] = 0.0
    for a in range(1, size):
        counts_a = tile_counts[a]
        half = 0.5 * table[a, a]
        for q in range(n_cols):
            totals[q] += half * counts_a[q] * (counts_a[q] - 1.0)
        for b in range(a + 1, size):
            score = table[a, b]
            counts_b = tile_counts[b]
            for q in range(n_cols):
                totals[q] += score * counts_a[q] * counts_b[q]
    total = 0.0
    for q in range(n_cols):
        total += totals[q]
    return total


@njit(cache=True, nogil=True)
def substitution_weighted(
    cols: U8,
    n_cols: int,
    table: F64,
    weights: F64,
    lanes: F64,
    square_lanes: F64,
    letters: I64,
    wsum: F64,
    wsq: F64,
) -> float:
    """Substitution part of the score for a symmetric ``table``: with W_a the
    weight of the rows holding letter a and Q_a that of their squares,
    W_a W_b S[a,b] over pairs a < b plus (W_a^2 - Q_a) / 2 S[a,a]."""
    n_rows = weights.shape[0]
    total = 0.0
    for c in range(n_cols):
        _weigh_column(cols, c, weights, lanes, square_lanes)
        k = 0
        # A letter is present if any of its rows has a non-zero weight;
        # letters whose rows all weigh 0 add nothing.
        for i in range(n_rows):
            a = np.int64(cols[c, i])
            if a == 0:
                continue
            base = LANES * a
            w = lanes[base] + lanes[base + 1] + lanes[base + 2] + lanes[base + 3]
            q = square_lanes[base] + square_lanes[base + 1]
            q += square_lanes[base + 2] + square_lanes[base + 3]
            if w != 0.0 or q != 0.0:
                letters[k] = a
                wsum[a] = w
                wsq[a] = q
                k += 1
            for lane in range(LANES):
                lanes[base + lane] = 0.0
                square_lanes[base + lane] = 0.0
        for lane in range(LANES):
            lanes[lane] = 0.0
            square_lanes[lane] = 0.0
        for p in range(k):
            a = letters[p]
            wa = wsum[a]
            row = 0.5 * (wa * wa - wsq[a]) * table[a, a]
            for q in range(p + 1, k):
                b = letters[q]
                row += wa * wsum[b] * table[a, b]
            total += row
    return total


@njit(cache=True, nogil=True)
def substitution_ordered(
    cols: U8, n_cols: int, table: F64, weights: F64, wsum: F64, present: I64
) -> float:
    """Substitution part of the score for any ``table``: pair (i < j) scores
    ``table[x_i, x_j]``, as Biopython does (earlier row first)."""
    n_rows = weights.shape[0]
    base = table.shape[0]
    total = 0.0
    for c in range(n_cols):
        k = 0
        for j in range(n_rows):
            b = cols[c, j]
            if b == 0:
                continue
            acc = 0.0
            for p in range(k):
                a = present[base + p]
                acc += wsum[a] * table[a, b]
            w = weights[j]
            total += w * acc
            if present[b] == 0:
                present[b] = 1
                present[base + k] = b
                k += 1
            wsum[b] += w
        for p in range(k):
            a = present[base + p]
            present[a] = 0
            wsum[a] = 0.0
    return total
