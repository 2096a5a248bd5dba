"""Numba kernels behind the par solver (:func:`games.puzzles.solve`).  Private.

A move changes one row, so a candidate layout's score differs from the current
one only in the pairs that involve that row.  The solver keeps every pair's
score and, per candidate, re-scores the N - 1 pairs of the moved row, writing
the candidate's codes straight into a scratch row: no strings, no batch of
whole alignments.  The pair score is the sum-of-pairs score of
:mod:`games._kernels` restricted to two rows (same codes, ``table`` and
``gaps`` layout), so summing it over the pairs gives ``score_codes`` exactly
for unit weights; the tests check that on random alignments.

Pair (i < j): substitutions score ``table[x_i, x_j]`` where both rows hold a
letter; each maximal gap run of one row holding m > 0 letters of the other is
one gap of length m (columns where both rows are gaps vanish), scored
``(open - extend) + m * extend`` with the direction of the gapped row (0 when
it is the earlier row) and its position: left end if the run starts the row,
right end if it ends the row, internal otherwise.  With a window's flanks
(games/flanks.py) a run touching the window's edge also holds the letters of
the other row in its continuation outside the window, and is an end gap only
if the row has no letter on that side; without flanks (all zero) this is the
plain sum-of-pairs score.

The first ``movable`` rows are the puzzle's; any after them are fixed context
rows (games/flanks.py): they are scored against the puzzle's rows, never
against each other, and never moved (``best_move`` scores a candidate against
all of them at once from the tables of games/_profile.py when ``profiled``).
``rank`` holds each row's place in the alignment, which decides the earlier
row of a pair.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from games import _profile
from games._jitcache import keyed_on
from games._profile import fixed_score

U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


@njit(cache=True, nogil=True)
def _gap_runs(
    x: U8,
    y: U8,
    gaps: F64,
    direction: int,
    x_left: int,
    x_right: int,
    held_left: int,
    held_right: int,
) -> float:
    """Gap runs of row ``x`` opposite letters of ``y``.  ``x_left``/``x_right``: x has
    letters left/right of the window; ``held_left``/``held_right``: letters of y in
    the flank runs of x that touch the window's edges (games/flanks.py)."""
    n = x.shape[0]
    total = 0.0
    c = 0
    while c < n:
        if x[c] != 0:
            c += 1
            continue
        start = c
        held = 0
        while c < n and x[c] == 0:
            if y[c] != 0:
                held += 1
            c += 1
        if start == 0:
            held += held_left
        if c == n:
            held += held_right
        if held > 0:
            # A row without letters has only a left-end gap, as in score_codes.
            position = (
                0 if (start == 0 and x_left == 0) else (2 if (c == n and x_right == 0) else 1)
            )
            opened = gaps[direction, position, 0]
            extended = gaps[direction, position, 1]
            total += (opened - extended) + extended * held
    # Flank runs that the window's first or last column ends, on their own.
    if n > 0 and x[0] != 0 and held_left > 0:
        position = 1 if x_left != 0 else 0
        total += (gaps[direction, position, 0] - gaps[direction, position, 1]) + gaps[
            direction, position, 1
        ] * held_left
    if n > 0 and x[n - 1] != 0 and held_right > 0:
        position = 1 if x_right != 0 else 2
        total += (gaps[direction, position, 0] - gaps[direction, position, 1]) + gaps[
            direction, position, 1
        ] * held_right
    return total


@njit(cache=True, nogil=True)
def pair_score(
    earlier: U8,
    later: U8,
    i: int,
    j: int,
    table: F64,
    gaps: F64,
    left_has: I64,
    right_has: I64,
    left_held: I64,
    right_held: I64,
) -> float:
    """Puzzle score of the pair (earlier row i, later row j) of one window."""
    total = 0.0
    for c in range(earlier.shape[0]):
        a = earlier[c]
        b = later[c]
        if a != 0 and b != 0:
            total += table[a, b]
    return (
        total
        + _gap_runs(
            earlier, later, gaps, 0, left_has[i], right_has[i], left_held[i, j], right_held[i, j]
        )
        + _gap_runs(
            later, earlier, gaps, 1, left_has[j], right_has[j], left_held[j, i], right_held[j, i]
        )
    )


@njit(cache=True, nogil=True)
def ordered_score(
    x: U8,
    y: U8,
    i: int,
    j: int,
    rank: I64,
    table: F64,
    gaps: F64,
    left_has: I64,
    right_has: I64,
    left_held: I64,
    right_held: I64,
) -> float:
    """Puzzle score of rows i (codes ``x``) and j (``y``), whichever comes first."""
    if rank[i] < rank[j]:
        return pair_score(x, y, i, j, table, gaps, left_has, right_has, left_held, right_held)
    return pair_score(y, x, j, i, table, gaps, left_has, right_has, left_held, right_held)


@njit(cache=True, nogil=True)
def pair_scores(
    codes: U8,
    rank: I64,
    movable: int,
    table: F64,
    gaps: F64,
    left_has: I64,
    right_has: I64,
    left_held: I64,
    right_held: I64,
    out: F64,
) -> None:
    """``out[i, j] = out[j, i]`` = the score of pair (i, j); the diagonal and
    pairs of two context rows are 0."""
    n = codes.shape[0]
    for i in range(n):
        out[i, i] = 0.0
        for j in range(i + 1, n):
            value = 0.0
            if i < movable:
                value = ordered_score(
                    codes[i],
                    codes[j],
                    i,
                    j,
                    rank,
                    table,
                    gaps,
                    left_has,
                    right_has,
                    left_held,
                    right_held,
                )
            out[i, j] = value
            out[j, i] = value


@njit(cache=True, nogil=True)
def moved(cols: I64, length: int, k: int, delta: int, tail: bool, width: int, out: I64) -> bool:
    """games.puzzles.move() into ``out``: False when a residue would leave the board."""
    for t in range(length):
        out[t] = cols[t]
    if tail:
        for t in range(k, length):
            out[t] += delta
    else:
        out[k] += delta
    if delta > 0:
        for t in range(k + 1, length):
            if out[t] <= out[t - 1]:
                out[t] = out[t - 1] + 1
    else:
        for t in range(k - 1, -1, -1):
            if out[t] >= out[t + 1]:
                out[t] = out[t + 1] - 1
    return bool(out[0] >= 0 and out[length - 1] < width)


# fixed_score is compiled into this kernel: its cache must follow _profile.py too
@keyed_on(_profile)
@njit(cache=True, nogil=True)
def best_move(
    codes: U8,
    letters: U8,
    lengths: I64,
    cols: I64,
    pairs: F64,
    table: F64,
    gaps: F64,
    deltas: I64,
    trial_cols: I64,
    trial_row: U8,
    left_has: I64,
    right_has: I64,
    left_held: I64,
    right_held: I64,
    rank: I64,
    movable: int,
    profiled: bool,
    prof: F64,
    profile_letters: F64,
    hits: F64,
    cover: F64,
    starts: I64,
    n_starts: I64,
    const: F64,
) -> tuple[float, int, int, int, bool, int]:
    """The single move that raises the score most: (gain, row, residue, delta, tail,
    candidates scored).  Candidates are tried in the order of games.puzzles._neighbours
    and the first of equal gains wins, as ``argmax`` over a batch would pick.  With
    ``profiled``, the context rows are scored at once from the tables of
    games/_profile.py, else row by row."""
    n_rows, width = codes.shape
    best_gain = -np.inf
    best_row = -1
    best_k = -1
    best_delta = 0
    best_tail = False
    count = 0
    for r in range(movable):
        length = lengths[r]
        base = 0.0
        for j in range(n_rows):
            if j != r:
                base += pairs[r, j]
        for k in range(length):
            for delta in deltas:
                for tail in (False, True):
                    if not moved(cols[r], length, k, delta, tail, width, trial_cols):
                        continue
                    trial_row[:] = 0
                    for t in range(length):
                        trial_row[trial_cols[t]] = letters[r, t]
                    score = 0.0
                    for j in range(movable if profiled else n_rows):
                        if j != r:
                            score += ordered_score(
                                trial_row,
                                codes[j],
                                r,
                                j,
                                rank,
                                table,
                                gaps,
                                left_has,
                                right_has,
                                left_held,
                                right_held,
                            )
                    if profiled:
                        score += fixed_score(
                            trial_cols,
                            letters[r],
                            length,
                            r,
                            left_has[r],
                            right_has[r],
                            gaps,
                            prof,
                            profile_letters,
                            hits,
                            cover,
                            starts,
                            n_starts,
                            const,
                        )
                    count += 1
                    gain = score - base
                    if gain > best_gain:
                        best_gain = gain
                        best_row = r
                        best_k = k
                        best_delta = delta
                        best_tail = tail
    return best_gain, best_row, best_k, best_delta, best_tail, count
