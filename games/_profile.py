"""Numba kernels scoring a moved puzzle row against all the fixed context rows at
once (games/flanks.py), for the par solver (games/_climb.py).  Private.

The fixed rows never move, so everything about them that a pair score reads is
summed once per board, for each puzzle row r (which decides each pair's order),
into tables indexed by columns.  The pair rule is the one of games/_climb.py;
columns are *extended*: column 0 stands for the left flank, 1..n for the board,
n + 1 for the right flank, so the flank residues that an edge gap run holds
(``left_held``/``right_held``) are letters in those two columns and every gap
run is one interval.  Per puzzle row r:

* substitutions and, for each gap run R of a fixed row, its extension cost
  times the letters of r in R: both are sums over r's letters of a per-column
  value, ``prof[r, c, letter]``;
* the opening cost of a fixed row's run is paid if r has a letter in it: runs
  that already hold flank letters of r always pay (``const[r]``); the others
  pay ``cover[r, s, k]``, the opening costs of the runs starting at s and ending
  after k, read at k = r's first letter from s on, for each start s;
* each gap run [s, e) of r costs, against the fixed rows of each direction,
  (open - extend) times the number of fixed rows with a letter in it
  (``hits[r, g, s, e]``) plus extend times their letters (``letters[r, g]``,
  prefix sums over columns).

This is exact arithmetic on the same terms in another order, so it equals the
per-row sum exactly whenever no partial sum is rounded: the caller uses it only
when every score of the scheme is a multiple of a power of two small enough
that all sums stay integer multiples of it below 2**52 (:func:`exact_scale`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


def exact_scale(table: F64, gaps: F64, n_rows: int, width: int, most_held: int) -> bool:
    """Whether every sum of the board's score terms, in any order, is exact in
    float64: all terms are multiples of 2**-k and their absolute total stays
    below 2**(52 - k)."""
    values = [float(v) for v in table[1:, 1:].ravel()] + [float(v) for v in gaps.ravel()]
    values += [float(v) for v in (gaps[:, :, 0] - gaps[:, :, 1]).ravel()]
    if not all(math.isfinite(v) for v in values):
        return False
    # Every float is an integer over a power of two; the largest such power
    # is the grid all the sums lie on.
    k = max(int(v.as_integer_ratio()[1]).bit_length() - 1 for v in values)
    largest = max([abs(v) for v in values] + [1.0])
    # A pair holds at most width substitutions and, per direction, width + 2
    # runs holding width + 2 * most_held letters; twice for score minus base.
    per_pair = largest * (width + 2 * (2 * width + 2 + 2 * most_held))
    bound = 2.0 * n_rows * n_rows * per_pair
    return bound * 2.0**k < 2.0**52


@njit(cache=True, nogil=True)
def _next_letters(ext: I64, nxt: I64) -> None:
    """``nxt[s]``: the first extended column at or after s holding a letter
    (count > 0) of ``ext``, or its length."""
    size = ext.shape[0]
    nxt[size] = size
    for s in range(size - 1, -1, -1):
        nxt[s] = s if ext[s] > 0 else nxt[s + 1]


@njit(cache=True, nogil=True)
def build(
    codes: U8,
    movable: int,
    rank: I64,
    table: F64,
    gaps: F64,
    left_has: I64,
    right_has: I64,
    left_held: I64,
    right_held: I64,
    prof: F64,
    letters: F64,
    hits: F64,
    cover: F64,
    starts: I64,
    n_starts: I64,
    const: F64,
) -> None:
    """Fills the tables of the module's docstring for each puzzle row; shapes:
    ``prof`` (movable, n, codes), ``letters`` (movable, 2, n + 3), ``hits``
    (movable, 2, n + 2, n + 3), ``cover`` (movable, n + 2, n + 3), ``starts``
    (movable, n + 2), ``n_starts`` and ``const`` (movable,), all zeroed."""
    n_rows, n = codes.shape
    size = n + 2
    ext = np.zeros(size, dtype=np.int64)
    nxt = np.zeros(size + 1, dtype=np.int64)
    for r in range(movable):
        is_start = np.zeros(size, dtype=np.bool_)
        for f in range(movable, n_rows):
            y = codes[f]
            later = rank[r] < rank[f]  # f is the later row of the pair
            g = 0 if later else 1  # direction of a gap in r against f
            d = 1 if later else 0  # direction of a gap in f against r
            # Substitutions.
            for c in range(n):
                b = y[c]
                if b != 0:
                    for a in range(1, prof.shape[2]):
                        prof[r, c, a] += table[a, b] if later else table[b, a]
            # f's letters (and r's flank residues held by f) for r's gap runs.
            ext[0] = left_held[r, f]
            ext[size - 1] = right_held[r, f]
            for c in range(n):
                ext[c + 1] = 1 if y[c] != 0 else 0
            total = 0
            for c in range(size):
                total += ext[c]
                letters[r, g, c + 1] += total
            _next_letters(ext, nxt)
            for s in range(size):
                for e in range(nxt[s] + 1, size + 1):
                    hits[r, g, s, e] += 1.0
            # f's gap runs, holding r's flank residues at the extended ends.
            c = 0
            while c < size:
                if 1 <= c <= n and y[c - 1] != 0:
                    c += 1
                    continue
                s = c
                while c < size and not (1 <= c <= n and y[c - 1] != 0):
                    c += 1
                held = 0
                if s == 0:
                    held += left_held[f, r]
                if c == size:
                    held += right_held[f, r]
                position = (
                    0
                    if (s == 0 and left_has[f] == 0)
                    else (2 if (c == size and right_has[f] == 0) else 1)
                )
                opened = gaps[d, position, 0]
                extended = gaps[d, position, 1]
                for q in range(max(s, 1), min(c, n + 1)):
                    for a in range(1, prof.shape[2]):
                        prof[r, q - 1, a] += extended
                if held > 0:
                    const[r] += (opened - extended) + extended * held
                elif min(c, n + 1) > max(s, 1):  # r can hold letters here
                    for k in range(c):
                        cover[r, s, k] += opened - extended
                    is_start[s] = True
        k = 0
        for s in range(size):
            if is_start[s]:
                starts[r, k] = s
                k += 1
        n_starts[r] = k


@njit(cache=True, nogil=True)
def fixed_score(
    cols: I64,
    row_letters: U8,
    length: int,
    r: int,
    x_left: int,
    x_right: int,
    gaps: F64,
    prof: F64,
    letters: F64,
    hits: F64,
    cover: F64,
    starts: I64,
    n_starts: I64,
    const: F64,
) -> float:
    """The sum of the pair scores of puzzle row r, its letters ``row_letters``
    in the board columns ``cols`` (ascending), with every fixed row."""
    size = prof.shape[1] + 2
    total = const[r]
    for t in range(length):
        total += prof[r, cols[t], row_letters[t]]
    # The fixed rows' runs that r's letters open: the first letter from each start.
    t = 0
    for p in range(n_starts[r]):
        s = starts[r, p]
        while t < length and cols[t] + 1 < s:
            t += 1
        first = cols[t] + 1 if t < length else size
        total += cover[r, s, first]
    # r's own gap runs, extended columns [s, e) between its letters.
    s = 0
    for t in range(length + 1):
        e = cols[t] + 1 if t < length else size
        if e > s:
            position = 0 if (s == 0 and x_left == 0) else (2 if (e == size and x_right == 0) else 1)
            for g in range(2):
                opened = gaps[g, position, 0]
                extended = gaps[g, position, 1]
                total += hits[r, g, s, e] * (opened - extended) + extended * (
                    letters[r, g, e] - letters[r, g, s]
                )
        s = e + 1
    return float(total)
