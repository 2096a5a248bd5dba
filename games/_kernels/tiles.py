"""A tile of an alignment's columns, transposed for the column passes.  Private.

``codes`` is row-major (N rows, L columns) while the passes read whole
columns, so the driver copies a tile of columns at a time (about 32 KB, so it
stays in the level-1 cache while both passes read it) into a uint64 array
whose bytes are the tile's columns, eight rows to a word.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

U8 = NDArray[np.uint8]
U64 = NDArray[np.uint64]

_SH8 = np.uint64(8)
_SH16 = np.uint64(16)
_SH24 = np.uint64(24)
_SH32 = np.uint64(32)
_SH40 = np.uint64(40)
_SH48 = np.uint64(48)
_SH56 = np.uint64(56)
_LO32 = np.uint64(0x00000000FFFFFFFF)
_LO16S = np.uint64(0x0000FFFF0000FFFF)
_LO8S = np.uint64(0x00FF00FF00FF00FF)


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
def transpose(codes: U8, first: int, n: int, tile: U64) -> None:
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
