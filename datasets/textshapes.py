"""Cells shaped as plain numbers or as a fixed layout, told without a regular expression.

Arrow's regular-expression kernel costs about 50 ns a cell whatever the pattern. The
shapes that type inference asks about on every cell of a column, whole numbers,
decimals and ISO dates and timestamps, are told from cheaper kernels (whether a cell
is all ASCII digits, where its point is) and from the bytes at fixed places, so a
pattern reads only the cells of other shapes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .masks import bool_mask, matches
from .plaintext import byte_lengths

#: In a layout, the character that stands for any ASCII digit.
DIGIT = "#"
_DIGITS = "0123456789"


def layout_cells(arr: pa.Array, layout: str) -> np.ndarray | None:
    """Which cells are ``layout`` exactly: ``#`` an ASCII digit, any other character
    itself; None unless ``arr`` is a plain string array."""
    lengths = byte_lengths(arr)
    return None if lengths is None else _layout_cells(arr, lengths, layout)


def _layout_cells(arr: pa.Array, lengths: np.ndarray, layout: str) -> np.ndarray:
    code = layout.encode("ascii")
    width = len(code)
    out = np.zeros(len(arr), dtype=bool)
    sized = lengths == width
    if not sized.any():
        return out
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)
    if sized.all():
        # Cells of one width lie end to end: the bytes are a matrix of cells.
        start = int(offsets[0])
        cells = data[start : start + len(arr) * width].reshape(len(arr), width)
    else:
        cells = data[offsets[:-1][sized][:, None] + np.arange(width)]
    template = np.frombuffer(code, dtype=np.uint8)
    digit = template == ord(DIGIT)
    low = np.where(digit, ord("0"), template).astype(np.uint8)
    span = np.where(digit, 9, 0).astype(np.uint8)
    # Bytes below ``low`` wrap around to large numbers, so one comparison bounds both ends.
    out[sized] = ((cells - low) <= span).all(axis=1)
    return out


def layout_or_pattern(arr: pa.Array, layout: str, pattern: str, *, only: bool) -> np.ndarray:
    """Which cells match ``pattern``, whose matches as long as ``layout`` are exactly
    the cells of that layout; ``only`` says it matches no cell of another length, so
    the pattern itself reads no cell (unless ``arr`` is not a plain string array)."""
    lengths = byte_lengths(arr)
    if lengths is None:
        return matches(arr, pattern)
    fits = _layout_cells(arr, lengths, layout)
    if only:
        return fits
    other = np.flatnonzero(lengths != len(layout))
    if other.size:
        fits[other] = matches(arr.take(pa.array(other)), pattern)
    return fits


def plain_numbers(arr: pa.Array, pattern: str, *, point: bool, max_digits: int) -> np.ndarray:
    """Which cells match ``pattern``, a number pattern that takes a plain number (ASCII
    digits and, when ``point``, at most one "." beside at least one digit) exactly when
    it has no superfluous leading zero ("0", "7", "0.5", ".5", "12." but not "007" or
    "01.5") and, without a point, at most ``max_digits`` digits. Cells that are not
    plain numbers (signs, exponents, anything else) are matched by the pattern."""
    lengths = byte_lengths(arr)
    if lengths is None:
        return matches(arr, pattern)
    leading_zero = bool_mask(pc.starts_with(arr, pattern="0"))
    whole = (lengths <= max_digits) & ((lengths == 1) | ~leading_zero)
    if point:
        # Digits, points, digits: what each trim leaves tells how many of each led.
        after_whole = pc.ascii_ltrim(arr, characters=_DIGITS)
        after_point = pc.ascii_ltrim(after_whole, characters=".")
        rest = byte_lengths(pc.ascii_ltrim(after_point, characters=_DIGITS))
        left_whole, left_point = byte_lengths(after_whole), byte_lengths(after_point)
        if rest is None or left_whole is None or left_point is None:
            return matches(arr, pattern)
        whole_digits = lengths - left_whole
        points = left_whole - left_point
        plain = (rest == 0) & (points <= 1) & (lengths - points >= 1)
        # A point after one digit or none leaves no room for a superfluous zero.
        ok: np.ndarray = plain & np.where(points == 0, whole, (whole_digits <= 1) | ~leading_zero)
    else:
        plain = bool_mask(pc.ascii_is_decimal(arr))
        ok = plain & whole
    rest = np.flatnonzero(~plain)
    if rest.size:
        ok[rest] = matches(arr.take(pa.array(rest)), pattern)
    return ok
