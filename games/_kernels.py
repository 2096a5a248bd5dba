"""Numba kernels behind :mod:`games.encoding` and :mod:`games.scoring`.  Private:
the layout contract below is enforced by the callers in ``encoding.py`` and
``scoring.py``, not here.

Data layout
-----------
* Letters are small integer codes (uint8); code 0 is a gap.
* ``table`` is a square float64 substitution table indexed by codes; row and
  column 0 are never read.
* ``gaps`` is a float64 array of shape (2, 3, 2):
  ``gaps[direction, position, kind]`` with direction 0 = insertion (a gap in the
  earlier row of a pair, Biopython's "target") and 1 = deletion (a gap in the
  later row, the "query"); position 0 = left end, 1 = internal, 2 = right end;
  kind 0 = open (first gap position), 1 = extend (each further position).
* ``codes`` is row-major (N rows, L columns); ``cols`` is the same alignment
  column-major (L, N), because the column sweeps below read whole columns.

The algorithms
--------------
Sum-of-pairs done naively costs O(N^2 L).  These kernels avoid the N^2:

Substitutions, per column: with W_a the total weight of the rows holding letter
a, and Q_a the sum of their squared weights, the column's contribution is
``sum_{a<b} W_a W_b S[a,b] + sum_a (W_a^2 - Q_a)/2 S[a,a]`` (for unit weights
``c_a c_b`` and ``C(c_a, 2)``).  That needs S to be symmetric; an asymmetric S
is scored in row order instead (``_substitution_ordered``).

Gaps: for a pair (i, j) the columns where both rows are gaps are dropped, so
every maximal gap run R = [s, e) of row i yields *at most one* gap in the pair:
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
column sweep (``_gaps_symmetric``).  Cost O(N L) overall.

That histogram cannot tell rows j < i from rows j > i, which matters only when
insertion and deletion scores differ.  ``_gaps_directional`` then ORs per-column
bitsets of letter rows over each run and splits the result by row index,
costing O(N L + G N / 64) for G gap cells.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

# Array types of the layout above; numba reads the signatures at the bottom of
# this module, these annotations are for readers and type checkers.
U8 = NDArray[np.uint8]
I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]
F64 = NDArray[np.float64]

_ONE = np.uint64(1)
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_SH1 = np.uint64(1)
_SH2 = np.uint64(2)
_SH4 = np.uint64(4)
_SH8 = np.uint64(8)
_SH16 = np.uint64(16)
_SH32 = np.uint64(32)
_LOW7 = np.uint64(0x7F)


@njit(cache=True, nogil=True)
def _popcount(x: np.uint64) -> np.int64:
    # No multiply: the usual "* 0x0101..." overflows, which numpy (used when
    # NUMBA_DISABLE_JIT=1) reports as a warning.  Byte sums below never carry.
    x = x - ((x >> _SH1) & _M1)
    x = (x & _M2) + ((x >> _SH2) & _M2)
    x = (x + (x >> _SH4)) & _M4
    x = x + (x >> _SH8)
    x = x + (x >> _SH16)
    x = x + (x >> _SH32)
    return np.int64(x & _LOW7)


@njit(cache=True, nogil=True)
def _transpose(codes: U8, cols: U8) -> None:
    n_rows, n_cols = codes.shape
    # Blocked, so that both the reads and the writes stay within cache lines.
    for c0 in range(0, n_cols, 64):
        c1 = min(c0 + 64, n_cols)
        for i0 in range(0, n_rows, 64):
            i1 = min(i0 + 64, n_rows)
            for i in range(i0, i1):
                for c in range(c0, c1):
                    cols[c, i] = codes[i, c]


@njit(cache=True, nogil=True)
def _substitution_symmetric(
    cols: U8, table: F64, weights: F64, wsum: F64, wsq: F64, present: I64
) -> float:
    """Substitution part of the score for a symmetric ``table``."""
    n_cols, n_rows = cols.shape
    total = 0.0
    for c in range(n_cols):
        k = 0
        for i in range(n_rows):
            a = cols[c, i]
            if a == 0:
                continue
            w = weights[i]
            # present[:size] flags the letters seen in this column and
            # present[size:] lists them, so only those are visited and reset.
            if present[a] == 0:
                present[a] = 1
                present[table.shape[0] + k] = a
                k += 1
            wsum[a] += w
            wsq[a] += w * w
        base = table.shape[0]
        for p in range(k):
            a = present[base + p]
            wa = wsum[a]
            total += 0.5 * (wa * wa - wsq[a]) * table[a, a]
            for q in range(p + 1, k):
                b = present[base + q]
                total += wa * wsum[b] * table[a, b]
        for p in range(k):  # leave the scratch arrays zeroed for the next column
            a = present[base + p]
            present[a] = 0
            wsum[a] = 0.0
            wsq[a] = 0.0
    return total


@njit(cache=True, nogil=True)
def _substitution_ordered(cols: U8, table: F64, weights: F64, wsum: F64, present: I64) -> float:
    """Substitution part of the score for any ``table``: pair (i < j) scores
    ``table[x_i, x_j]``, as Biopython does (earlier row first)."""
    n_cols, n_rows = cols.shape
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


@njit(cache=True, nogil=True)
def _gaps_symmetric(
    cols: U8, weights: F64, gaps: F64, last: I64, hist: F64, prefix: F64, letter_rows: I64
) -> float:
    """Gap part of the score when insertion and deletion scores are equal.

    ``last[i]``: column of row i's latest letter (-1 before its first).
    ``hist[p + 1]``: total weight of the rows whose latest letter is at p.
    ``prefix[c]``: total weight of the letters in columns < c.
    """
    n_cols, n_rows = cols.shape
    open_l = gaps[0, 0, 0]
    ext_l = gaps[0, 0, 1]
    open_i = gaps[0, 1, 0]
    ext_i = gaps[0, 1, 1]
    open_r = gaps[0, 2, 0]
    ext_r = gaps[0, 2, 1]
    for p in range(n_cols + 1):
        hist[p] = 0.0
    weight_total = 0.0
    for i in range(n_rows):
        last[i] = -1
        weight_total += weights[i]
    hist[0] = weight_total
    prefix[0] = 0.0
    total = 0.0
    for c in range(n_cols):
        column_weight = 0.0
        k = 0
        for i in range(n_rows):
            if cols[c, i] == 0:
                continue
            letter_rows[k] = i
            k += 1
            w = weights[i]
            column_weight += w
            s = last[i] + 1
            if s < c:
                # Row i's gap run [s, c) just ended.  The histogram must not
                # yet include this column's moves, hence the second loop.
                opened = 0.0
                for q in range(s + 1, c + 1):
                    opened += hist[q]
                extended = prefix[c] - prefix[s]
                if s == 0:
                    total += w * ((open_l - ext_l) * opened + ext_l * extended)
                else:
                    total += w * ((open_i - ext_i) * opened + ext_i * extended)
        for p in range(k):
            i = letter_rows[p]
            w = weights[i]
            hist[last[i] + 1] -= w
            hist[c + 1] += w
            last[i] = c
        prefix[c + 1] = prefix[c] + column_weight
    for i in range(n_rows):
        s = last[i] + 1
        if s < n_cols:
            opened = 0.0
            for q in range(s + 1, n_cols + 1):
                opened += hist[q]
            extended = prefix[n_cols] - prefix[s]
            w = weights[i]
            # A row without letters has only a left-end gap, as in Biopython.
            if s == 0:
                total += w * ((open_l - ext_l) * opened + ext_l * extended)
            else:
                total += w * ((open_r - ext_r) * opened + ext_r * extended)
    return total


@njit(cache=True, nogil=True)
def _gaps_directional(
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
        bit = _ONE << np.uint64(i & 63)
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
        own_bit = _ONE << np.uint64(i & 63)
        below = own_bit - _ONE
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
                    n_all += _popcount(x)
                    if k > own_word:
                        n_later += _popcount(x)
                    elif k == own_word:
                        n_later += _popcount(x & above)
                opened_later = float(n_later)
                opened_earlier = float(n_all - n_later)
            else:
                for k in range(n_words):
                    x = acc[k]
                    if x == 0:
                        continue
                    for b in range(64):
                        if (x >> np.uint64(b)) & _ONE:
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


@njit(cache=True, nogil=True)
def score_codes(
    codes: U8,
    cols: U8,
    table: F64,
    weights: F64,
    gaps: F64,
    symmetric_gaps: bool,
    symmetric_table: bool,
    unit_weights: bool,
) -> float:
    """Sum-of-pairs score of one encoded alignment (serial, deterministic)."""
    n_rows, n_cols = codes.shape
    size = table.shape[0]
    wsum = np.zeros(size, np.float64)
    wsq = np.zeros(size, np.float64)
    present = np.zeros(2 * size, np.int64)
    if symmetric_table:
        score = _substitution_symmetric(cols, table, weights, wsum, wsq, present)
    else:
        score = _substitution_ordered(cols, table, weights, wsum, present)
    if symmetric_gaps:
        last = np.empty(n_rows, np.int64)
        hist = np.empty(n_cols + 1, np.float64)
        prefix = np.empty(n_cols + 1, np.float64)
        letter_rows = np.empty(n_rows, np.int64)
        score += _gaps_symmetric(cols, weights, gaps, last, hist, prefix, letter_rows)
    else:
        n_words = (n_rows + 63) // 64
        bits = np.empty((n_cols, n_words), np.uint64)
        after = np.empty(n_cols, np.float64)
        column_weight = np.empty(n_cols, np.float64)
        acc = np.empty(n_words, np.uint64)
        score += _gaps_directional(
            codes, weights, gaps, unit_weights, bits, after, column_weight, acc
        )
    return score


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
    n_words = (n_rows + 63) // 64
    for chunk in prange(n_chunks):
        lo = chunk * n_batch // n_chunks
        hi = (chunk + 1) * n_batch // n_chunks
        cols = np.empty((n_cols, n_rows), np.uint8)
        wsum = np.zeros(size, np.float64)
        wsq = np.zeros(size, np.float64)
        present = np.zeros(2 * size, np.int64)
        last = np.empty(n_rows, np.int64)
        hist = np.empty(n_cols + 1, np.float64)
        prefix = np.empty(n_cols + 1, np.float64)
        letter_rows = np.empty(n_rows, np.int64)
        bits = np.empty((n_cols, n_words), np.uint64)
        after = np.empty(n_cols, np.float64)
        column_weight = np.empty(n_cols, np.float64)
        acc = np.empty(n_words, np.uint64)
        for b in range(lo, hi):
            codes = solutions[b]
            _transpose(codes, cols)
            if symmetric_table:
                score = _substitution_symmetric(cols, table, weights, wsum, wsq, present)
            else:
                score = _substitution_ordered(cols, table, weights, wsum, present)
            if symmetric_gaps:
                score += _gaps_symmetric(cols, weights, gaps, last, hist, prefix, letter_rows)
            else:
                score += _gaps_directional(
                    codes, weights, gaps, unit_weights, bits, after, column_weight, acc
                )
            out[b] = score


@njit(cache=True, nogil=True)
def alignment_layout(coordinates: I64, widths: I64, directions: I64) -> int:
    """Reads a Bio.Align.Alignment's coordinates (rows x blocks + 1): the
    width of each block into ``widths`` and, per row, +1 (forward), -1
    (reverse strand) or 0 (never moves) into ``directions``, 2 if the row goes
    both ways.  Returns the first row whose step in some block is neither 0
    nor that block's width, or -1 if there is none."""
    n_rows, n_points = coordinates.shape
    for k in range(n_points - 1):
        widths[k] = 0
    for i in range(n_rows):  # row by row: the array is row-major
        for k in range(n_points - 1):
            step = abs(coordinates[i, k + 1] - coordinates[i, k])
            if step > widths[k]:
                widths[k] = step
    bad = -1
    for i in range(n_rows):
        direction = 0
        for k in range(n_points - 1):
            step = coordinates[i, k + 1] - coordinates[i, k]
            if step == 0:
                continue
            if abs(step) != widths[k] and bad < 0:
                bad = i
            sign = 1 if step > 0 else -1
            if direction == 0:
                direction = sign
            elif direction != sign:
                direction = 2
        directions[i] = direction
    return bad


@njit(cache=True, nogil=True)
def fill_rows(
    coordinates: I64, widths: I64, letters: U8, offsets: I64, gap: np.uint8, out: U8
) -> None:
    """Writes row i of the gapped alignment into ``out[i]``: the letters
    ``letters[offsets[i]:offsets[i + 1]]`` (already in display order) where
    the row moves, ``gap`` where it does not."""
    n_rows, n_points = coordinates.shape
    for i in range(n_rows):
        position = offsets[i]
        column = 0
        for k in range(n_points - 1):
            width = widths[k]
            if coordinates[i, k + 1] == coordinates[i, k]:
                for q in range(width):
                    out[i, column + q] = gap
            else:
                for q in range(width):
                    out[i, column + q] = letters[position + q]
                position += width
            column += width


SCORE_CODES_SIGNATURE = (
    "float64(uint8[:, ::1], uint8[:, ::1], float64[:, ::1], float64[::1],"
    " float64[:, :, ::1], boolean, boolean, boolean)"
)
SCORE_BATCH_SIGNATURE = (
    "void(uint8[:, :, ::1], float64[:, ::1], float64[::1], float64[:, :, ::1],"
    " boolean, boolean, boolean, int64, float64[::1])"
)
LAYOUT_SIGNATURE = "int64(int64[:, ::1], int64[::1], int64[::1])"
FILL_SIGNATURE = "void(int64[:, ::1], int64[::1], uint8[::1], int64[::1], uint8, uint8[:, ::1])"


def compile_all(*, parallel: bool = True) -> None:
    """Compiles (or loads from numba's on-disk cache) the entry points for
    the argument types ``encoding.py`` and ``scoring.py`` pass, without running them.

    Loading the parallel batch kernel starts numba's threading layer; with
    GNU OpenMP a process that has done so cannot fork children that use it
    (numba terminates them).  ``parallel=False`` leaves that kernel for the
    first batch, which then takes ~10 ms longer.
    """
    kernels = [
        (score_codes, SCORE_CODES_SIGNATURE),
        (alignment_layout, LAYOUT_SIGNATURE),
        (fill_rows, FILL_SIGNATURE),
    ]
    if parallel:
        kernels.append((score_batch_codes, SCORE_BATCH_SIGNATURE))
    for kernel, signature in kernels:
        compile_ = getattr(kernel, "compile", None)
        if compile_ is not None:  # absent when NUMBA_DISABLE_JIT=1
            compile_(signature)
