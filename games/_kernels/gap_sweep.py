"""The gap pass for equal insertion and deletion scores: a sweep over the
columns of transposed tiles (``tiles.py``).  Private.

For a pair (i, j) the columns where both rows are gaps are dropped, so every
maximal gap run R = [s, e) of row i yields *at most one* gap in the pair:
inside R row i is always a gap, the columns where j is also a gap vanish, and
the columns on either side of R hold a letter of i.  That gap exists iff row j
has a letter in R, and its length is the number m_j(R) of j's letters in R.
Whether it is a left-end, internal or right-end gap depends on row i alone
(left: i has no letter before s; right: none at or after e).  So, per run,

    score(R) = sum_j [m_j(R) > 0] (open - extend) + m_j(R) extend

and both sums over j are cheap: sum_j m_j(R) is the number of letters in the
columns of R (prefix sums over columns), and the number of rows j with a
letter in R is the number of rows whose last letter before e lies in [s, e),
read off a per-column histogram of "last letter seen" maintained by a single
column sweep.  Cost O(N L) overall.

Every row moving through the same slot of that histogram would make a chain
of dependent memory updates; the sweep instead moves the rows that had a
letter in the previous column as one sum, and with unit weights reads 64
rows' letters a word and visits only the rows that switch between letters
and gaps (``gaps_unit_columns``).

The histogram cannot tell rows j < i from rows j > i, which matters only when
insertion and deletion scores differ: ``gap_bitsets.py`` scores those.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from games._jitcache import keyed_on

from . import bits
from .bits import ONE, popcount, top_bits, trailing_zeros

U64 = NDArray[np.uint64]
U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

_LOW7S = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGHS = np.uint64(0x8080808080808080)

# Bit counts from bits.py are compiled into these kernels.
_KEY = keyed_on(bits)


@_KEY
@njit(cache=True, nogil=True)
def gaps_symmetric_start(weights: F64, last: I64, hist: F64, prefix: F64) -> None:
    """State of the gap sweep before the first column.

    ``last[i]``: column of row i's latest letter (-1 before its first).
    ``hist[p + 1]``: total weight of the rows whose latest letter is at p.
    ``prefix[c]``: total weight of the letters in columns < c.
    """
    for p in range(hist.shape[0]):
        hist[p] = 0.0
    weight_total = 0.0
    for i in range(weights.shape[0]):
        last[i] = -1
        weight_total += weights[i]
    hist[0] = weight_total
    prefix[0] = 0.0


@_KEY
@njit(cache=True, nogil=True)
def gaps_symmetric_columns(
    cols: U8,
    n: int,
    first: int,
    weights: F64,
    gaps: F64,
    unit_weights: bool,
    last: I64,
    hist: F64,
    prefix: F64,
    movers: I64,
    mover_weights: F64,
) -> float:
    """Gap part of the score (insertion and deletion scores equal) of the gap
    runs that end in columns ``first`` to ``first + n``, held in ``cols[:n]``;
    the columns before them have been swept already.

    Per column, the rows whose latest letter was in the previous column (most
    of them) move out of ``hist[c]`` as one sum kept in a register, not one
    memory update each; only the rows ending a gap run are listed.
    """
    n_rows = weights.shape[0]
    open_l = gaps[0, 0, 0]
    ext_l = gaps[0, 0, 1]
    open_i = gaps[0, 1, 0]
    ext_i = gaps[0, 1, 1]
    total = 0.0
    for q in range(n):
        c = first + q
        n_letters = 0
        column_weight = 0.0
        moved_weight = 0.0
        m = 0
        for i in range(n_rows):
            # Branch-free for the common cells (a letter after a letter, a gap
            # after a gap); only the end of a gap run takes the branch below.
            letter = cols[q, i] != 0
            s = last[i] + 1
            last[i] = c if letter else s - 1
            n_letters += letter
            if not unit_weights:
                column_weight += weights[i] if letter else 0.0
            if not letter or s == c:
                continue
            w = 1.0 if unit_weights else weights[i]
            # Row i's gap run [s, c) just ended.  The histogram must not yet
            # include this column's moves, hence the deferred updates.
            movers[m] = s
            mover_weights[m] = w
            m += 1
            moved_weight += w
            opened = 0.0
            for p in range(s + 1, c + 1):
                opened += hist[p]
            extended = prefix[c] - prefix[s]
            if s == 0:
                total += w * ((open_l - ext_l) * opened + ext_l * extended)
            else:
                total += w * ((open_i - ext_i) * opened + ext_i * extended)
        if unit_weights:
            column_weight = float(n_letters)
        for p in range(m):
            hist[movers[p]] -= mover_weights[p]
        hist[c] -= column_weight - moved_weight
        hist[c + 1] = column_weight
        prefix[c + 1] = prefix[c] + column_weight
    return total


@_KEY
@njit(cache=True, nogil=True)
def _letter_bytes(x: np.uint64) -> np.uint64:
    """The top bit of each non-zero byte of ``x`` (bytes never carry)."""
    return ((x & _LOW7S) + _LOW7S | x) & _HIGHS


@_KEY
@njit(cache=True, nogil=True)
def _letter_rows(tile: U64, q: int, block: int) -> np.uint64:
    """Bit r set where row ``64 * block + r`` holds a letter in column ``q``
    of the tile (eight of its words, one byte a row)."""
    n_words = tile.shape[1]
    word = np.uint64(0)
    for k in range(min(8, n_words - 8 * block)):
        letters = _letter_bytes(tile[q, 8 * block + k])
        word |= top_bits(letters) << np.uint64(8 * k)
    return word


@_KEY
@njit(cache=True, nogil=True)
def gaps_unit_columns(
    tile: U64,
    n: int,
    first: int,
    gaps: F64,
    starts: I64,
    previous: U64,
    hist: F64,
    prefix: F64,
    movers: I64,
) -> float:
    """``gaps_symmetric_columns`` for unit weights, 64 rows per word.

    A row's state changes only where it switches between letters and gaps, so
    each word of a column's letter rows is compared with the same word of the
    previous column (``previous``) and only the switches are visited: a gap
    run starting at c records ``starts[i] = c``, one ending at c is scored.
    The rows with letters in both columns, most of them, move in ``hist`` as
    one popcount.  Starts and ends are visited in loops of their own: which
    of the two a switch is would be a branch the processor mostly guesses
    wrong.
    """
    n_blocks = previous.shape[0]
    open_l = gaps[0, 0, 0]
    ext_l = gaps[0, 0, 1]
    open_i = gaps[0, 1, 0]
    ext_i = gaps[0, 1, 1]
    total = 0.0
    opened_internal = 0.0
    extended_internal = 0.0
    for q in range(n):
        c = first + q
        n_letters = np.int64(0)
        n_stayed = np.int64(0)
        m = 0
        for block in range(n_blocks):
            now = _letter_rows(tile, q, block)
            before = previous[block]
            previous[block] = now
            n_letters += popcount(now)
            n_stayed += popcount(now & before)
            base = 64 * block
            opened_runs = before & ~now
            while opened_runs != 0:
                starts[base + trailing_zeros(opened_runs)] = c
                opened_runs &= opened_runs - ONE
            ended_runs = now & ~before
            while ended_runs != 0:
                i = base + trailing_zeros(ended_runs)
                ended_runs &= ended_runs - ONE
                s = starts[i]
                if s == c:  # a row's first letter in column 0
                    continue
                # Row i's gap run [s, c) just ended.  The histogram must not
                # yet include this column's moves, hence the deferred updates.
                movers[m] = s
                m += 1
                opened = 0.0
                for p in range(s + 1, c + 1):
                    opened += hist[p]
                if s == 0:
                    total += (open_l - ext_l) * opened + ext_l * prefix[c]
                else:
                    # Summed apart and scored per column: one chain of
                    # additions per sum rather than one of products.
                    opened_internal += opened
                    extended_internal += prefix[c] - prefix[s]
        total += (open_i - ext_i) * opened_internal + ext_i * extended_internal
        opened_internal = 0.0
        extended_internal = 0.0
        # Runs that end together mostly started together (after a column that
        # few rows fill): one update per slot, not a chain of updates through
        # memory.
        slot = -1
        moved = 0.0
        for p in range(m):
            if movers[p] != slot:
                if slot >= 0:
                    hist[slot] -= moved
                slot = movers[p]
                moved = 0.0
            moved += 1.0
        if slot >= 0:
            hist[slot] -= moved
        column_weight = float(n_letters)
        hist[c] -= float(n_stayed)
        hist[c + 1] = column_weight
        prefix[c + 1] = prefix[c] + column_weight
    return total


@_KEY
@njit(cache=True, nogil=True)
def gaps_symmetric_end(
    n_cols: int, weights: F64, gaps: F64, last: I64, hist: F64, prefix: F64
) -> float:
    """Gap part of the score of the gap runs that reach the last column."""
    open_l = gaps[0, 0, 0]
    ext_l = gaps[0, 0, 1]
    open_r = gaps[0, 2, 0]
    ext_r = gaps[0, 2, 1]
    total = 0.0
    for i in range(weights.shape[0]):
        s = last[i] + 1
        if s < n_cols:
            opened = 0.0
            for p in range(s + 1, n_cols + 1):
                opened += hist[p]
            extended = prefix[n_cols] - prefix[s]
            w = weights[i]
            # A row without letters has only a left-end gap, as in Biopython.
            if s == 0:
                total += w * ((open_l - ext_l) * opened + ext_l * extended)
            else:
                total += w * ((open_r - ext_r) * opened + ext_r * extended)
    return total
