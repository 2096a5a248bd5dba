"""Vectorised Table Schema types: which strings are valid, and what they mean.

Each checker takes an Arrow string array of *non-missing* cells and answers
with a boolean mask of valid cells, and converts valid cells to numbers,
timestamps or canonical values for statistics, range checks and uniqueness.
Inference and validation share these, so a file always validates against the
schema inferred from it.

Supported: string (formats default/email/uri/uuid), integer, number
(decimalChar, groupChar), boolean (trueValues/falseValues), date, datetime
and time (format "default", "any" or a strptime pattern), year, any.
Time zones in datetimes are checked for syntax but ignored for ordering.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import SchemaError
from .masks import bool_mask, matches
from .plaintext import byte_lengths
from .textshapes import layout_or_pattern

TABLE_SCHEMA_TYPES = (
    "string",
    "number",
    "integer",
    "boolean",
    "date",
    "datetime",
    "time",
    "year",
    "yearmonth",
    "duration",
    "object",
    "array",
    "geopoint",
    "geojson",
    "any",
)
SUPPORTED_TYPES = (
    "string",
    "number",
    "integer",
    "boolean",
    "date",
    "datetime",
    "time",
    "year",
    "any",
)

DEFAULT_TRUE = ("true", "True", "TRUE", "1")
DEFAULT_FALSE = ("false", "False", "FALSE", "0")

INTEGER_RE = r"^[+-]?\d+$"
NUMBER_RE = r"^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]?INF)$"
EMAIL_RE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
URI_RE = r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$"
UUID_RE = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
ISO_DATETIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?$"
#: The cells of ISO_DATETIME_RE as long as this layout are those of this layout.
ISO_DATETIME_LAYOUT = "####-##-##T##:##:##"
ISO_TIME_RE = r"^\d{2}:\d{2}:\d{2}(?:\.\d+)?$"
YEAR_RE = r"^\d{4}$"

#: Date layouts tried for format "any" and during inference, most common first.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%Y/%m/%d",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d%b%Y",
)
DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")

# A loose shape check before strptime: Arrow's strptime accepts trailing
# garbage in some layouts, the round trip below catches the rest.
_FORMAT_SHAPES = {
    "%Y-%m-%d": r"^\d{4}-\d{2}-\d{2}$",
    "%d/%m/%Y": r"^\d{1,2}/\d{1,2}/\d{4}$",
    "%m/%d/%Y": r"^\d{1,2}/\d{1,2}/\d{4}$",
    "%Y/%m/%d": r"^\d{4}/\d{1,2}/\d{1,2}$",
    "%d.%m.%Y": r"^\d{1,2}\.\d{1,2}\.\d{4}$",
    "%d-%m-%Y": r"^\d{1,2}-\d{1,2}-\d{4}$",
    "%d-%b-%Y": r"^\d{1,2}-[A-Za-z]{3}-\d{4}$",
    "%d %b %Y": r"^\d{1,2} [A-Za-z]{3} \d{4}$",
    "%d%b%Y": r"^\d{1,2}[A-Za-z]{3}\d{4}$",
    "%Y-%m-%dT%H:%M:%S": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
    "%Y-%m-%d %H:%M:%S": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
    "%Y-%m-%d %H:%M": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$",
}

#: Shapes above that pin every character: a cell has the shape when it has the layout.
_LAYOUTS = {
    "%Y-%m-%d": "####-##-##",
    "%Y-%m-%dT%H:%M:%S": ISO_DATETIME_LAYOUT,
    "%Y-%m-%d %H:%M:%S": "####-##-## ##:##:##",
    "%Y-%m-%d %H:%M": "####-##-## ##:##",
}

_PAD_RE = r"(^|[^0-9])([0-9])([^0-9]|$)"
_PAD_REPLACEMENT = "\\1" + "0\\2\\3"


def missing_mask(arr: pa.Array, missing_values: Sequence[str]) -> np.ndarray:
    if not missing_values:
        return np.zeros(len(arr), dtype=bool)
    codes = pa.array(list(missing_values), pa.string())
    lengths = byte_lengths(arr)
    if lengths is not None:
        short = lengths <= max(len(v.encode("utf-8")) for v in missing_values)
        if not short.all():
            # A cell longer than every code is none of them: dates, notes and ids
            # are mostly longer than any code, so few cells are looked up.
            out = np.zeros(len(arr), dtype=bool)
            rows = np.flatnonzero(short)
            if rows.size:
                out[rows] = bool_mask(pc.is_in(arr.take(pa.array(rows)), value_set=codes))
            return out
    return bool_mask(pc.is_in(arr, value_set=codes))


def has_shape(arr: pa.Array, fmt: str) -> np.ndarray:
    """Which cells have the shape of ``fmt``, one of ``_FORMAT_SHAPES``."""
    layout = _LAYOUTS.get(fmt)
    if layout is None:
        return matches(arr, _FORMAT_SHAPES[fmt])
    return layout_or_pattern(arr, layout, _FORMAT_SHAPES[fmt], only=True)


def _pad_digits(arr: pa.Array) -> pa.Array:
    for _ in range(2):  # adjacent single digits share a separator
        arr = pc.replace_substring_regex(arr, pattern=_PAD_RE, replacement=_PAD_REPLACEMENT)
    return arr


def strptime_checked(
    arr: pa.Array, fmt: str, *, shaped: bool = False
) -> tuple[np.ndarray, pa.Array]:
    """Parse with ``fmt``; a value is valid only if it names the date it parses to.

    Arrow's strptime normalises impossible dates (30 February becomes 1 March)
    instead of rejecting them. For fixed-width layouts of numbers (the ISO ones)
    Arrow's strict ISO cast settles a column whose dates are all real at once,
    otherwise the fields cut from the text are compared with the parsed date's; other
    layouts format the date back and compare the text, which is slower. Columns
    with repeated values (dates usually repeat a lot) are checked once per
    distinct value. ``shaped`` says every cell is already known to have the
    shape of ``fmt``.
    """
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=bool), pa.array([], pa.timestamp("s"))
    strict = strict_iso(arr, fmt, shaped=shaped)
    if strict is not None:
        return np.ones(n, dtype=bool), strict
    check = _strptime_fields if _fixed_fields(fmt) is not None else strptime_round_trip
    if n > 1000:
        # The slower checks cost per value: each distinct text is checked once.
        encoded = pc.dictionary_encode(arr)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        if len(encoded.dictionary) < n:
            ok_u, parsed_u = check(encoded.dictionary, fmt)
            idx = encoded.indices
            return ok_u[idx.to_numpy(zero_copy_only=False)], parsed_u.take(idx)
    return check(arr, fmt)


#: Layouts that Arrow's ISO 8601 cast reads exactly: fixed-width numbers, and it
#: refuses impossible dates and times (30 February, 24:00, a 60th second).
_STRICT_ISO = frozenset(("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"))


def strict_iso(arr: pa.Array, fmt: str, *, shaped: bool = False) -> pa.Array | None:
    """Timestamps of ``arr`` read by the strict ISO cast, when every cell has the
    shape of ``fmt`` and names a real instant; None when any does not (the cells
    are then checked one by one by the slower ways)."""
    if fmt not in _STRICT_ISO:
        return None
    if not shaped and not has_shape(arr, fmt).all():
        return None
    try:
        parsed: pa.Array = pc.cast(arr, pa.timestamp("s"))
    except pa.ArrowInvalid:
        return None
    return parsed


#: Numeric strptime fields: their width, and how to read them off a timestamp.
_NUMERIC_FIELDS = {
    "%Y": (4, pc.year),
    "%m": (2, pc.month),
    "%d": (2, pc.day),
    "%H": (2, pc.hour),
    "%M": (2, pc.minute),
    "%S": (2, pc.second),
}


def _fixed_fields(fmt: str) -> list[tuple[str, int]] | None:
    """Each field of ``fmt`` with its offset in the text, when the layout's shape
    pins every field's width; None for other layouts (unpadded, month names)."""
    shape = _FORMAT_SHAPES.get(fmt)
    if shape is None or "{1,2}" in shape:
        return None
    fields, offset, i = [], 0, 0
    while i < len(fmt):
        if fmt[i] == "%":
            field = fmt[i : i + 2]
            if field not in _NUMERIC_FIELDS:
                return None
            fields.append((field, offset))
            offset += _NUMERIC_FIELDS[field][0]
            i += 2
        else:
            offset += 1
            i += 1
    return fields


def _strptime_fields(arr: pa.Array, fmt: str) -> tuple[np.ndarray, pa.Array]:
    fields = _fixed_fields(fmt)
    assert fields is not None
    ok = has_shape(arr, fmt)
    if not ok.any():
        return ok, pa.nulls(len(arr), pa.timestamp("s"))
    parsed = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
    ok &= bool_mask(pc.is_valid(parsed))
    rows = np.flatnonzero(ok)
    text = arr.take(rows)
    try:
        # Arrow's ISO cast refuses impossible dates: when every value passes, all are real.
        pc.cast(text, pa.timestamp("s"))
        return ok, parsed
    except pa.ArrowInvalid:
        pass
    # The shape guarantees digits at every field's place in these rows.
    dates = parsed.take(rows)
    same = np.ones(len(rows), dtype=bool)
    for field, offset in fields:
        width, read = _NUMERIC_FIELDS[field]
        written = pc.cast(pc.utf8_slice_codeunits(text, offset, offset + width), pa.int64())
        same &= bool_mask(pc.equal(written, read(dates)))
    ok[rows] = same
    return ok, parsed


def strptime_round_trip(arr: pa.Array, fmt: str) -> tuple[np.ndarray, pa.Array]:
    """Parse with ``fmt``; valid where the parsed value formats back to the text."""
    shape = _FORMAT_SHAPES.get(fmt)
    pre = matches(arr, shape) if shape else np.ones(len(arr), dtype=bool)
    if not pre.any():
        return pre, pa.nulls(len(arr), pa.timestamp("s"))
    parsed = pc.strptime(arr, format=fmt, unit="s", error_is_null=True)
    back = pc.strftime(parsed, format=fmt)
    # Unpadded numbers ("1/4/1990") are accepted where the layout allows them.
    loose = shape is None or "{1,2}" in shape
    norm = _pad_digits(arr) if loose and re.search(r"%[dmHMSIj]", fmt) else arr
    same = bool_mask(pc.equal(pc.utf8_lower(back), pc.utf8_lower(norm)))
    ok = pre & same
    return ok, parsed


class Checker:
    """Type behaviour for one field."""

    type = "any"
    numeric = False
    temporal = False

    def __init__(self, field: dict[str, Any]) -> None:
        self.field = field
        self.format = field.get("format", "default")

    def valid(self, arr: pa.Array) -> np.ndarray:
        return np.ones(len(arr), dtype=bool)

    def canonical(self, arr: pa.Array) -> np.ndarray:
        """Values to compare for uniqueness/enum (valid cells only)."""
        return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)

    def parse_scalar(self, value: Any) -> Any:
        """A constraint value in the field's own type (for min/max/enum)."""
        return value if isinstance(value, str) else str(value)


class StringChecker(Checker):
    type = "string"
    _formats = {"email": EMAIL_RE, "uri": URI_RE, "uuid": UUID_RE}

    def valid(self, arr: pa.Array) -> np.ndarray:
        pattern = self._formats.get(self.format)
        if pattern is None:
            return np.ones(len(arr), dtype=bool)
        return matches(arr, pattern)


class AnyChecker(Checker):
    type = "any"


class NumericChecker(Checker):
    """A type whose cells stand for numbers (integer, number, year)."""

    numeric = True

    def numbers(self, arr: pa.Array) -> np.ndarray:
        """float64 values of the (valid) cells."""
        numbers: np.ndarray = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        return numbers

    def canonical(self, arr: pa.Array) -> np.ndarray:
        return self.numbers(arr)


class IntegerChecker(NumericChecker):
    type = "integer"

    def valid(self, arr: pa.Array) -> np.ndarray:
        return matches(arr, INTEGER_RE)

    def parse_scalar(self, value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError("boolean is not an integer")
        if isinstance(value, (int, float)) and float(value).is_integer():
            return float(value)
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
            return float(int(value))
        raise ValueError(f"{value!r} is not an integer")


class NumberChecker(NumericChecker):
    type = "number"

    def __init__(self, field: dict[str, Any]) -> None:
        super().__init__(field)
        self.decimal_char = field.get("decimalChar", ".")
        self.group_char = field.get("groupChar")

    def _normalise(self, arr: pa.Array) -> pa.Array:
        if self.group_char:
            arr = pc.replace_substring(arr, pattern=self.group_char, replacement="")
        if self.decimal_char != ".":
            # A dot cannot also be the decimal mark, so it must not survive.
            arr = pc.replace_substring(arr, pattern=".", replacement="\x00")
            arr = pc.replace_substring(arr, pattern=self.decimal_char, replacement=".")
        return arr

    def valid(self, arr: pa.Array) -> np.ndarray:
        return matches(self._normalise(arr), NUMBER_RE)

    def numbers(self, arr: pa.Array) -> np.ndarray:
        norm = pc.replace_substring(self._normalise(arr), pattern="INF", replacement="inf")
        return super().numbers(norm)

    def parse_scalar(self, value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError("boolean is not a number")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            text = value
            if self.group_char:
                text = text.replace(self.group_char, "")
            if self.decimal_char != ".":
                text = text.replace(self.decimal_char, ".")
            return float(text)
        raise ValueError(f"{value!r} is not a number")


class BooleanChecker(Checker):
    type = "boolean"

    def __init__(self, field: dict[str, Any]) -> None:
        super().__init__(field)
        self.true_values = [str(v) for v in field.get("trueValues", DEFAULT_TRUE)]
        self.false_values = [str(v) for v in field.get("falseValues", DEFAULT_FALSE)]

    def valid(self, arr: pa.Array) -> np.ndarray:
        return missing_mask(arr, self.true_values + self.false_values)

    def canonical(self, arr: pa.Array) -> np.ndarray:
        return missing_mask(arr, self.true_values)

    def parse_scalar(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if str(value) in self.true_values:
            return True
        if str(value) in self.false_values:
            return False
        raise ValueError(f"{value!r} is not one of the true/false values")


class TemporalChecker(Checker):
    """A type whose cells stand for instants or times of day (date, datetime, time)."""

    temporal = True
    default_formats: tuple[str, ...] = ()
    any_formats: tuple[str, ...] = ()
    iso_regex = ""

    def _formats(self) -> tuple[str, ...]:
        if self.format == "default":
            return self.default_formats
        if self.format == "any":
            return self.any_formats
        return (self.format,)

    def _prepare(self, arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
        """Default-format hook: returns text to parse and a pre-check mask."""
        return arr, np.ones(len(arr), dtype=bool)

    def parse(self, arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """(valid mask, int64 seconds since epoch for valid cells else 0)."""
        n = len(arr)
        text, pre = (
            self._prepare(arr) if self.format == "default" else (arr, np.ones(n, dtype=bool))
        )
        ok = np.zeros(n, dtype=bool)
        seconds = np.zeros(n, dtype=np.int64)
        for fmt in self._formats():
            todo = ~ok & pre
            if not todo.any():
                break
            good, parsed = strptime_checked(text, fmt)
            good &= todo
            if good.any():
                values = pc.cast(pc.fill_null(parsed, 0), pa.int64()).to_numpy(zero_copy_only=False)
                seconds[good] = values[good]
                ok |= good
        return ok, seconds

    def valid(self, arr: pa.Array) -> np.ndarray:
        return self.parse(arr)[0]

    def seconds(self, arr: pa.Array) -> np.ndarray:
        return self.parse(arr)[1]

    def canonical(self, arr: pa.Array) -> np.ndarray:
        return self.seconds(arr)

    def parse_scalar(self, value: Any) -> int:
        ok, secs = self.parse(pa.array([str(value)], pa.string()))
        if not ok[0]:
            raise ValueError(f"{value!r} does not match format {self.format!r}")
        return int(secs[0])


class DateChecker(TemporalChecker):
    type = "date"
    default_formats = ("%Y-%m-%d",)
    any_formats = DATE_FORMATS

    def _prepare(self, arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
        return arr, has_shape(arr, "%Y-%m-%d")


class DatetimeChecker(TemporalChecker):
    type = "datetime"
    default_formats = ("%Y-%m-%dT%H:%M:%S",)
    any_formats = DATETIME_FORMATS + ("%Y-%m-%dT%H:%M:%S",)

    def _prepare(self, arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
        # Fractions and offsets are syntax-checked by the regex; the first 19
        # characters carry the calendar fields that need a validity check.
        ok = layout_or_pattern(arr, ISO_DATETIME_LAYOUT, ISO_DATETIME_RE, only=False)
        return pc.utf8_slice_codeunits(arr, 0, 19), ok


class TimeChecker(TemporalChecker):
    type = "time"
    default_formats = ("%H:%M:%S",)
    any_formats = ("%H:%M:%S", "%H:%M")

    def _prepare(self, arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
        return pc.utf8_slice_codeunits(arr, 0, 8), matches(arr, ISO_TIME_RE)

    def parse(self, arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        ok, secs = super().parse(arr)
        return ok, secs % 86_400


class YearChecker(NumericChecker):
    type = "year"

    def valid(self, arr: pa.Array) -> np.ndarray:
        return matches(arr, YEAR_RE)

    def parse_scalar(self, value: Any) -> float:
        return float(int(value))


_CHECKERS: dict[str, type[Checker]] = {
    "string": StringChecker,
    "integer": IntegerChecker,
    "number": NumberChecker,
    "boolean": BooleanChecker,
    "date": DateChecker,
    "datetime": DatetimeChecker,
    "time": TimeChecker,
    "year": YearChecker,
    "any": AnyChecker,
}


def checker_for(field: dict[str, Any]) -> Checker:
    ftype = field.get("type", "string")
    cls = _CHECKERS.get(ftype)
    if cls is None:
        raise SchemaError(
            [
                {
                    "field": field.get("name"),
                    "message": f"field {field.get('name')!r}: type {ftype!r} is not supported "
                    f"(use one of {', '.join(SUPPORTED_TYPES)})",
                }
            ]
        )
    return cls(field)


def hash_values(values: np.ndarray) -> np.ndarray:
    """64-bit hashes (pandas' stable hash) for duplicate detection."""
    if values.dtype == object:
        return pd.util.hash_array(values, categorize=False)
    return pd.util.hash_array(np.ascontiguousarray(values))


def combine_hashes(parts: list[np.ndarray]) -> np.ndarray:
    out: np.ndarray = parts[0].astype(np.uint64, copy=True)
    mult = np.full(out.shape, 0x9E3779B97F4A7C15, dtype=np.uint64)
    for part in parts[1:]:
        out = np.multiply(out, mult) ^ part.astype(np.uint64)
    return out
