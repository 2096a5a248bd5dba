"""A Bio.Align.Alignment's rows placed from its sequences and coordinates, as
gapped bytes or straight as codes, for :mod:`games.encoding`.  Private."""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

U8 = NDArray[np.uint8]
I16 = NDArray[np.int16]
I64 = NDArray[np.int64]


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
        # and writes a gap instead.  That place is never negative, and an
        # unsigned index spares numba's test for indices from the end, which
        # costs half as much again as the placement itself.
        lowest = np.int16(0)
        if directions[i] >= 0:
            base = offsets[i] - row[0]
            for k in range(n_cols):
                code = lut[letters[np.uint64(base + row[k])]]
                moving = row[k + 1] != row[k]
                lowest = min(lowest, code if moving else np.int16(0))
                line[k] = np.uint8(code) if moving else np.uint8(0)
        else:
            base = offsets[i] + row[0]
            for k in range(n_cols):
                code = lut[letters[np.uint64(base - row[k])]]
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
