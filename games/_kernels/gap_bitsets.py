"""The gap pass for any gap scores, insertion and deletion scores apart.  Private.

The column sweep of ``gap_sweep.py`` counts, per gap run of row i, the rows with a
letter in it, but cannot tell rows j < i (pairs where row i is the query, its
gaps deletions) from rows j > i (row i the target, its gaps insertions).  Here
per-column bitsets of letter rows are ORed over each run and the result split
by row index, costing O(N L + G N / 64) for G gap cells.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from games._jitcache import keyed_on

from . import bits
from .bits import ONE, popcount

U8 = NDArray[np.uint8]
U64 = NDArray[np.uint64]
F64 = NDArray[np.float64]

# Bit counts from bits.py are compiled into this kernel.
_KEY = keyed_on(bits)


@_KEY
@njit(cache=True, nogil=True)
def gaps_directional(
    codes: U8,
    weights: F64,
    gaps: F64,
    unit_weights: bool,
    bits: U64,
    after: F64,
    column_weight: F64,
    acc: U64,
) -> float:
    """Gap part of the score for any gap scores (insertion != deletion allowed)."""
    n_rows, n_cols = codes.shape
    n_words = bits.shape[1]
    for c in range(n_cols):
        column_weight[c] = 0.0
        for k in range(n_words):
            bits[c, k] = 0
    for i in range(n_rows):
        w = weights[i]
        bit = ONE << np.uint64(i & 63)
        word = i >> 6
        for c in range(n_cols):
            if codes[i, c] != 0:
                bits[c, word] |= bit
                column_weight[c] += w
    for c in range(n_cols):
        after[c] = column_weight[c]
    total = 0.0
    for i in range(n_rows):
        w_i = weights[i]
        for c in range(n_cols):
            if codes[i, c] != 0:
                after[c] -= w_i
        # after[c] now holds the weight of the letters of rows > i in column c.
        own_word = i >> 6
        own_bit = ONE << np.uint64(i & 63)
        below = own_bit - ONE
        above = ~(below | own_bit)
        c = 0
        while c < n_cols:
            if codes[i, c] != 0:
                c += 1
                continue
            s = c
            while c < n_cols and codes[i, c] == 0:
                c += 1
            e = c
            if s == 0:
                position = 0
            elif e == n_cols:
                position = 2
            else:
                position = 1
            for k in range(n_words):
                acc[k] = 0
            ext_later = 0.0
            ext_all = 0.0
            for q in range(s, e):
                ext_later += after[q]
                ext_all += column_weight[q]
                for k in range(n_words):
                    acc[k] |= bits[q, k]
            # acc: the rows with at least one letter in [s, e); row i is not
            # among them.  Split them into rows after i and rows before i.
            opened_later = 0.0
            opened_earlier = 0.0
            if unit_weights:
                n_later = np.int64(0)
                n_all = np.int64(0)
                for k in range(n_words):
                    x = acc[k]
                    n_all += popcount(x)
                    if k > own_word:
                        n_later += popcount(x)
                    elif k == own_word:
                        n_later += popcount(x & above)
                opened_later = float(n_later)
                opened_earlier = float(n_all - n_later)
            else:
                for k in range(n_words):
                    x = acc[k]
                    if x == 0:
                        continue
                    for b in range(64):
                        if (x >> np.uint64(b)) & ONE:
                            j = k * 64 + b
                            if j > i:
                                opened_later += weights[j]
                            else:
                                opened_earlier += weights[j]
            ext_earlier = ext_all - ext_later
            # Row i is the earlier row (target) of the pairs with later rows:
            # its gaps there are insertions; with earlier rows, deletions.
            o_ins = gaps[0, position, 0]
            e_ins = gaps[0, position, 1]
            o_del = gaps[1, position, 0]
            e_del = gaps[1, position, 1]
            total += w_i * (
                (o_ins - e_ins) * opened_later
                + e_ins * ext_later
                + (o_del - e_del) * opened_earlier
                + e_del * ext_earlier
            )
    return total
