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
* ``codes`` is row-major (N rows, L columns).

Modules
-------
Sum-of-pairs done naively costs O(N^2 L); the passes here cost O(N L), each
in a module with its algorithm in its docstring:

* ``driver.py`` scores one alignment a tile of columns at a time,
  ``batch.py`` many alignments in parallel;
* ``tiles.py`` transposes a tile of columns for the column passes;
* ``substitution.py`` is the substitution pass;
* ``gap_sweep.py`` is the gap pass when insertions and deletions score the
  same, ``gap_bitsets.py`` when they do not;
* ``bits.py`` holds the bit counts they share;
* ``placement.py`` turns a Bio.Align.Alignment into codes.

numba caches each kernel's machine code keyed on its own file only; a kernel
that calls into another module is keyed on that module's source too
(:func:`games._jitcache.keyed_on`), so that editing a callee's file compiles
its callers again.
"""

from __future__ import annotations

from .batch import score_batch_codes
from .driver import score_codes
from .placement import alignment_layout, fill_codes, fill_rows, one_column_steps, place_codes

__all__ = [
    "alignment_layout",
    "compile_all",
    "fill_codes",
    "fill_rows",
    "one_column_steps",
    "place_codes",
    "score_batch_codes",
    "score_codes",
]

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
