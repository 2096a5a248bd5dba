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
* ``codes`` is row-major (N rows, L columns).  The column sweeps below read
  whole columns, so the kernel transposes a tile of columns at a time (about
  32 KB, so it stays in the level-1 cache while both passes read it) into a
  uint64 array whose bytes are the tile's columns, eight rows to a word.

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
column sweep (``_gaps_symmetric_*``).  Cost O(N L) overall.

Speed: both passes used to wait on chains of dependent memory updates (a
histogram slot incremented by row after row holding the same letter, and
every row moved through the same slot of the sweep's histogram), about 25
cycles a cell.  The substitution pass now counts into four interleaved integer
histograms; the sweep moves the rows that had a letter in the previous column
as one sum, and with unit weights reads eight rows a word and visits only the
rows that switch between letters and gaps (``_gaps_unit_columns``).

That histogram cannot tell rows j < i from rows j > i, which matters only when
insertion and deletion scores differ.  ``_gaps_directional`` then ORs per-column
bitsets of letter rows over each run and splits the result by row index,
costing O(N L + G N / 64) for G gap cells.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import config, njit, prange, types
from numba.extending import intrinsic
from numpy.typing import NDArray

# Array types of the layout above; numba reads the signatures at the bottom of
# this module, these annotations are for readers and type checkers.
U8 = NDArray[np.uint8]
I16 = NDArray[np.int16]
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
_SH24 = np.uint64(24)
_SH32 = np.uint64(32)
_SH40 = np.uint64(40)
_SH48 = np.uint64(48)
_SH56 = np.uint64(56)
_LOW7 = np.uint64(0x7F)
_LOW7S = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGHS = np.uint64(0x8080808080808080)
_LO32 = np.uint64(0x00000000FFFFFFFF)
_LO16S = np.uint64(0x0000FFFF0000FFFF)
_LO8S = np.uint64(0x00FF00FF00FF00FF)


def _popcount_python(x: np.uint64) -> np.int64:
    # No multiply: the usual "* 0x0101..." overflows, which numpy reports as a
    # warning.  Byte sums below never carry.
    x = x - ((x >> _SH1) & _M1)
    x = (x & _M2) + ((x >> _SH2) & _M2)
    x = (x + (x >> _SH4)) & _M4
    x = x + (x >> _SH8)
    x = x + (x >> _SH16)
    x = x + (x >> _SH32)
    return np.int64(x & _LOW7)


def _trailing_zeros_python(x: np.uint64) -> np.int64:
    return _popcount_python((x & (~x + _ONE)) - _ONE)


if config.DISABLE_JIT:  # type: ignore[attr-defined]
    _popcount = _popcount_python
    _trailing_zeros = _trailing_zeros_python
else:
    # LLVM's own bit counts: one instruction each on the CPU the kernels are
    # compiled for, where the shift-and-mask version above costs about twelve.

    @intrinsic
    def _popcount(typingctx: Any, x: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            (value,) = args
            return builder.ctpop(value)

        return types.int64(types.uint64), codegen

    @intrinsic
    def _trailing_zeros(typingctx: Any, x: Any) -> Any:
        """Index of the lowest set bit; ``x`` must not be 0."""

        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            (value,) = args
            return builder.cttz(value, ir.Constant(ir.IntType(1), 1))

        return types.int64(types.uint64), codegen


@njit(cache=True, nogil=True)
def _row_word(codes: U8, i: int, c: int) -> np.uint64:
    """``codes[i, c:c + 8]`` as one little-endian word (LLVM merges the
    eight byte loads into one)."""
    return (
        np.uint64(codes[i, c])
        | (np.uint64(codes[i, c + 1]) << _SH8)
        | (np.uint64(codes[i, c + 2]) << _SH16)
        | (np.uint64(codes[i, c + 3]) << _SH24)
        | (np.uint64(codes[i, c + 4]) << _SH32)
        | (np.uint64(codes[i, c + 5]) << _SH40)
        | (np.uint64(codes[i, c + 6]) << _SH48)
        | (np.uint64(codes[i, c + 7]) << _SH56)
    )


@njit(cache=True, nogil=True)
def _swap(a: np.uint64, b: np.uint64, mask: np.uint64, shift: np.uint64) -> tuple[Any, Any]:
    """One step of an in-register transpose: the ``mask`` parts of ``b`` move
    up into ``a`` and the other parts of ``a`` down into ``b``."""
    return (a & mask) | ((b & mask) << shift), ((a >> shift) & mask) | (b & ~mask)


@njit(cache=True, nogil=True)
def _transpose(codes: U8, first: int, n: int, tile: U64) -> None:
    """Columns ``first`` to ``first + n`` of ``codes`` into ``tile[:n]``, read
    as bytes: ``tile.view(np.uint8)[q, i]`` is ``codes[i, first + q]``, and
    the bytes past the last row are 0 (gaps).  Blocks of 8 rows x 8 columns
    are read as eight words, transposed in registers (three rounds of masks
    and shifts) and stored as eight words: 24 loads and stores per 64 cells
    instead of 72."""
    n_rows = codes.shape[0]
    n_groups = n_rows // 8
    n_blocks = n // 8
    for q0 in range(0, 8 * n_blocks, 8):
        c = first + q0
        for g in range(n_groups):
            i = 8 * g
            w0, w4 = _swap(_row_word(codes, i, c), _row_word(codes, i + 4, c), _LO32, _SH32)
            w1, w5 = _swap(_row_word(codes, i + 1, c), _row_word(codes, i + 5, c), _LO32, _SH32)
            w2, w6 = _swap(_row_word(codes, i + 2, c), _row_word(codes, i + 6, c), _LO32, _SH32)
            w3, w7 = _swap(_row_word(codes, i + 3, c), _row_word(codes, i + 7, c), _LO32, _SH32)
            w0, w2 = _swap(w0, w2, _LO16S, _SH16)
            w1, w3 = _swap(w1, w3, _LO16S, _SH16)
            w4, w6 = _swap(w4, w6, _LO16S, _SH16)
            w5, w7 = _swap(w5, w7, _LO16S, _SH16)
            w0, w1 = _swap(w0, w1, _LO8S, _SH8)
            w2, w3 = _swap(w2, w3, _LO8S, _SH8)
            w4, w5 = _swap(w4, w5, _LO8S, _SH8)
            w6, w7 = _swap(w6, w7, _LO8S, _SH8)
            tile[q0, g] = w0
            tile[q0 + 1, g] = w1
            tile[q0 + 2, g] = w2
            tile[q0 + 3, g] = w3
            tile[q0 + 4, g] = w4
            tile[q0 + 5, g] = w5
            tile[q0 + 6, g] = w6
            tile[q0 + 7, g] = w7
    for q in range(8 * n_blocks, n):  # the last few columns, byte by byte
        c = first + q
        for g in range(n_groups):
            x = np.uint64(0)
            for r in range(8):
                x |= np.uint64(codes[8 * g + r, c]) << np.uint64(8 * r)
            tile[q, g] = x
    if n_groups < tile.shape[1]:
        for q in range(n):
            x = np.uint64(0)
            for r in range(n_rows - 8 * n_groups):
                x |= np.uint64(codes[8 * n_groups + r, first + q]) << np.uint64(8 * r)
            tile[q, n_groups] = x


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
def _substitution_counts(
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
def _sums_exactly(table: F64, n_rows: int, n_cols: int) -> bool:
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
def _substitution_dense(
    cols: U8, n_cols: int, table: F64, lanes: I64, tile_counts: F64, totals: F64
) -> float:
    """``_substitution_counts`` summed over every pair of codes, each pair
    across all the tile's columns at once: a loop over adjacent columns that
    the compiler vectorises, where the sparse sum runs a short loop of
    indirect reads per column.  With many rows a column holds most of the
    alphabet, so the pairs it skips are few.  Only where ``_sums_exactly``:
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
def _substitution_weighted(
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
def _substitution_ordered(
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


@njit(cache=True, nogil=True)
def _gaps_symmetric_start(weights: F64, last: I64, hist: F64, prefix: F64) -> None:
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


@njit(cache=True, nogil=True)
def _gaps_symmetric_columns(
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


@njit(cache=True, nogil=True)
def _letter_bytes(x: np.uint64) -> np.uint64:
    """The top bit of each non-zero byte of ``x`` (bytes never carry)."""
    return ((x & _LOW7S) + _LOW7S | x) & _HIGHS


@njit(cache=True, nogil=True)
def _gaps_unit_columns(
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
    """``_gaps_symmetric_columns`` for unit weights, eight rows per word.

    A row's state changes only where it switches between letters and gaps, so
    each word of a column is compared with the same word of the previous
    column (``previous``, letter bytes marked) and only the switches are
    visited: a gap run starting at c records ``starts[i] = c``, one ending at
    c is scored.  The rows with letters in both columns, most of them, move in
    ``hist`` as one popcount.
    """
    n_words = tile.shape[1]
    open_l = gaps[0, 0, 0]
    ext_l = gaps[0, 0, 1]
    open_i = gaps[0, 1, 0]
    ext_i = gaps[0, 1, 1]
    total = 0.0
    for q in range(n):
        c = first + q
        n_letters = np.int64(0)
        n_stayed = np.int64(0)
        m = 0
        for g in range(n_words):
            now = _letter_bytes(tile[q, g])
            before = previous[g]
            previous[g] = now
            n_letters += _popcount(now)
            n_stayed += _popcount(now & before)
            switched = now ^ before
            if switched == 0:
                continue
            while switched != 0:
                low = switched & (~switched + _ONE)  # the lowest switch
                switched ^= low
                i = 8 * g + (_trailing_zeros(low) >> 3)
                if now & low == 0:
                    starts[i] = c  # a gap run starts
                    continue
                s = starts[i]
                if s == c:
                    continue
                # Row i's gap run [s, c) just ended.  The histogram must not
                # yet include this column's moves, hence the deferred updates.
                movers[m] = s
                m += 1
                opened = 0.0
                for p in range(s + 1, c + 1):
                    opened += hist[p]
                extended = prefix[c] - prefix[s]
                if s == 0:
                    total += (open_l - ext_l) * opened + ext_l * extended
                else:
                    total += (open_i - ext_i) * opened + ext_i * extended
        for p in range(m):
            hist[movers[p]] -= 1.0
        column_weight = float(n_letters)
        hist[c] -= float(n_stayed)
        hist[c + 1] = column_weight
        prefix[c + 1] = prefix[c] + column_weight
    return total


@njit(cache=True, nogil=True)
def _gaps_symmetric_end(
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
def _score_one(
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
        and _sums_exactly(table, n_rows, n_cols)
    )
    tile_cols = tile.shape[0]
    columns = tile.view(np.uint8)
    score = 0.0
    if symmetric_gaps:
        _gaps_symmetric_start(weights, last, hist, prefix)
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
        _transpose(codes, first, n, tile)
        if dense:
            score += _substitution_dense(columns, n, table, counts_lanes, tile_counts, totals)
        elif symmetric_table and unit_weights:
            score += _substitution_counts(columns, n, table, counts_lanes, letters, counts)
        elif symmetric_table:
            score += _substitution_weighted(
                columns, n, table, weights, weight_lanes, square_lanes, letters, wsum, wsq
            )
        else:
            score += _substitution_ordered(columns, n, table, weights, wsum, present)
        if symmetric_gaps and unit_weights:
            score += _gaps_unit_columns(tile, n, first, gaps, last, previous, hist, prefix, movers)
        elif symmetric_gaps:
            score += _gaps_symmetric_columns(
                columns, n, first, weights, gaps, unit_weights, last, hist, prefix, movers,
                mover_weights,
            )  # fmt: skip
    if symmetric_gaps:
        if unit_weights:
            for i in range(last.shape[0]):  # back to "column of the latest letter"
                ends_with_letter = (previous[i >> 3] >> np.uint64(8 * (i & 7) + 7)) & _ONE
                last[i] = n_cols - 1 if ends_with_letter else last[i] - 1
        score += _gaps_symmetric_end(n_cols, weights, gaps, last, hist, prefix)
    else:
        score += _gaps_directional(
            codes, weights, gaps, unit_weights, bits, after, column_weight, acc
        )
    return score


@njit(cache=True, nogil=True)
def _scratch(
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
        np.empty((n_rows + 7) // 8, np.uint64),
        np.empty((n_bit_cols, n_words), np.uint64),
        np.empty(n_bit_cols, np.float64),
        np.empty(n_bit_cols, np.float64),
        np.empty(n_words, np.uint64),
        np.empty((size if size <= DENSE_MAX_CODES else 0, tile_cols), np.float64),
        np.empty(tile_cols, np.float64),
    )


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
    ``tile_cols`` columns at a time (0 for the default, see ``_scratch``)."""
    n_rows, n_cols = codes.shape
    scratch = _scratch(n_rows, n_cols, table.shape[0], symmetric_gaps, tile_cols)
    return _score_one(
        codes, table, weights, gaps, symmetric_gaps, symmetric_table, unit_weights, scratch
    )


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
        scratch = _scratch(n_rows, n_cols, size, symmetric_gaps, 0)
        for b in range(lo, hi):
            out[b] = _score_one(
                solutions[b],
                table,
                weights,
                gaps,
                symmetric_gaps,
                symmetric_table,
                unit_weights,
                scratch,
            )


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
    # Flags ORed over whole rows rather than branches per block: Biopython
    # makes a block at every column where any row starts or ends a gap.
    for i in range(n_rows):  # row by row: the array is row-major
        forward = False
        backward = False
        for k in range(n_points - 1):
            step = coordinates[i, k + 1] - coordinates[i, k]
            widths[k] = max(widths[k], abs(step))
            forward |= step > 0
            backward |= step < 0
        directions[i] = 2 if forward and backward else (1 if forward else (-1 if backward else 0))
    widest = 0
    for k in range(n_points - 1):
        widest = max(widest, widths[k])
    if widest <= 1:  # every step is 0 or the block's width: no second pass
        return -1
    for i in range(n_rows):
        uneven = False
        for k in range(n_points - 1):
            size = abs(coordinates[i, k + 1] - coordinates[i, k])
            uneven |= (size != 0) & (size != widths[k])
        if uneven:
            return i
    return -1


@njit(cache=True, nogil=True)
def fill_codes(coordinates: I64, widths: I64, letters: U8, offsets: I64, lut: I16, out: U8) -> int:
    """``fill_rows`` writing codes: ``lut[letter]`` where the row moves, 0 (a
    gap) where it does not.  ``letters`` has one byte more than the rows'
    letters (any byte), so that a one-column block may read past a row's end
    without a branch.  Returns the first row with a letter whose code is
    negative (the scheme cannot score it), or -1."""
    n_rows, n_points = coordinates.shape
    one_column_blocks = True
    for k in range(n_points - 1):
        one_column_blocks &= widths[k] == 1
    if one_column_blocks:
        # Biopython makes a block of every column where any row starts or ends
        # a gap, so this is the common case: no branch per column, and on the
        # forward strand a letter's place in the row is its coordinate.  Each
        # letter is looked up where it is placed (a separate pass writing every
        # letter's code first costs a third more); the minimum is taken over
        # moving columns only, as a gap column may read the next row's letter.
        for i in range(n_rows):
            row = coordinates[i]
            line = out[i]
            lowest = np.int16(0)
            if row[n_points - 1] >= row[0]:
                base = offsets[i] - row[0]
                for k in range(n_points - 1):
                    code = lut[letters[base + row[k]]]
                    moving = row[k + 1] != row[k]
                    lowest = min(lowest, code if moving else np.int16(0))
                    line[k] = np.uint8(code) if moving else np.uint8(0)
            else:
                position = offsets[i]
                for k in range(n_points - 1):
                    code = lut[letters[position]]
                    moving = row[k + 1] != row[k]
                    lowest = min(lowest, code if moving else np.int16(0))
                    line[k] = np.uint8(code) if moving else np.uint8(0)
                    position += moving
            if lowest < 0:
                return i
        return -1
    # Wider blocks: the letters' codes first, in one loop over all rows'
    # letters with a running minimum (twice as fast as row by row with a
    # flag; the row is looked for only if a letter is unknown), so that the
    # placement below neither looks up nor checks a letter.
    codes = np.empty(letters.shape[0], np.uint8)
    lowest = np.int16(0)
    for p in range(offsets[n_rows]):
        code = lut[letters[p]]
        codes[p] = code
        lowest = min(lowest, code)
    codes[letters.shape[0] - 1] = 0
    if lowest < 0:
        for i in range(n_rows):
            for p in range(offsets[i], offsets[i + 1]):
                if lut[letters[p]] < 0:
                    return i
    for i in range(n_rows):
        position = offsets[i]
        column = 0
        for k in range(n_points - 1):
            width = widths[k]
            if coordinates[i, k + 1] != coordinates[i, k]:
                for q in range(width):
                    out[i, column + q] = codes[position + q]
                position += width
            else:
                for q in range(width):
                    out[i, column + q] = 0
            column += width
    return -1


@njit(cache=True, nogil=True)
def one_column_steps(coordinates: I64, directions: I64) -> bool:
    """Whether every row steps by 0 or by its own direction (+1 forward, -1 on
    the reverse strand, 0 for a row without letters) in every block: then no
    block is wider than a column and ``place_codes`` may place the letters.
    Biopython makes a block of every column where any row starts or ends a
    gap, so with many rows this is the common case.  One loop per row of
    nothing but the check, which the compiler vectorises."""
    n_rows, n_points = coordinates.shape
    for i in range(n_rows):
        row = coordinates[i]
        direction = directions[i]
        uneven = False
        for k in range(n_points - 1):
            step = row[k + 1] - row[k]
            uneven |= (step != 0) & (step != direction)
        if uneven:
            return False
    return True


@njit(cache=True, nogil=True)
def place_codes(
    coordinates: I64, letters: U8, offsets: I64, directions: I64, lut: I16, out: U8
) -> bool:
    """``fill_codes`` for coordinates that pass ``one_column_steps``, without
    their block widths: ``lut[letter]`` where a row moves, 0 (a gap) where
    it does not, reading row i's letters, in display order, at
    ``letters[offsets[i]:offsets[i + 1]]`` (plus one byte, any, after the
    last row).  Returns False, leaving ``out`` undefined, if a letter's code
    is negative or a column is a gap in every row (a block of width 0):
    ``alignment_layout`` and ``fill_codes`` then handle the alignment and
    word any error."""
    n_rows, n_points = coordinates.shape
    n_cols = n_points - 1
    filled = np.zeros(n_cols, np.uint8)
    for i in range(n_rows):
        row = coordinates[i]
        line = out[i]
        # A letter's place among the row's letters is how far its coordinate
        # is from the row's first, in the row's direction; a column where the
        # row does not move reads the next letter (or the byte after the last)
        # and writes a gap instead.
        lowest = np.int16(0)
        if directions[i] >= 0:
            base = offsets[i] - row[0]
            for k in range(n_cols):
                code = lut[letters[base + row[k]]]
                moving = row[k + 1] != row[k]
                lowest = min(lowest, code if moving else np.int16(0))
                line[k] = np.uint8(code) if moving else np.uint8(0)
        else:
            base = offsets[i] + row[0]
            for k in range(n_cols):
                code = lut[letters[base - row[k]]]
                moving = row[k + 1] != row[k]
                lowest = min(lowest, code if moving else np.int16(0))
                line[k] = np.uint8(code) if moving else np.uint8(0)
        if lowest < 0:
            return False
        # A loop of its own, so that the compiler ORs many bytes at a time.
        for k in range(n_cols):
            filled[k] |= line[k]
    return bool(filled.all())


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
    "float64(uint8[:, ::1], float64[:, ::1], float64[::1], float64[:, :, ::1],"
    " boolean, boolean, boolean, int64)"
)
SCORE_BATCH_SIGNATURE = (
    "void(uint8[:, :, ::1], float64[:, ::1], float64[::1], float64[:, :, ::1],"
    " boolean, boolean, boolean, int64, float64[::1])"
)
LAYOUT_SIGNATURE = "int64(int64[:, ::1], int64[::1], int64[::1])"
FILL_SIGNATURE = "void(int64[:, ::1], int64[::1], uint8[::1], int64[::1], uint8, uint8[:, ::1])"
FILL_CODES_SIGNATURE = (
    "int64(int64[:, ::1], int64[::1], uint8[::1], int64[::1], int16[::1], uint8[:, ::1])"
)
ONE_COLUMN_SIGNATURE = "boolean(int64[:, ::1], int64[::1])"
PLACE_CODES_SIGNATURE = (
    "boolean(int64[:, ::1], uint8[::1], int64[::1], int64[::1], int16[::1], uint8[:, ::1])"
)


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
        (fill_codes, FILL_CODES_SIGNATURE),
        (one_column_steps, ONE_COLUMN_SIGNATURE),
        (place_codes, PLACE_CODES_SIGNATURE),
    ]
    if parallel:
        kernels.append((score_batch_codes, SCORE_BATCH_SIGNATURE))
    for kernel, signature in kernels:
        compile_ = getattr(kernel, "compile", None)
        if compile_ is not None:  # absent when NUMBA_DISABLE_JIT=1
            compile_(signature)
