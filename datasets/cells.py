"""The one rule for cells a spreadsheet would run as formulas, and the writer every
small CSV download goes through.

Spreadsheet programs execute a cell that starts with ``=``, ``+``, ``-`` or ``@``
(or tab or carriage return, which some of them skip first), so a downloaded CSV
could run ``=cmd|' /C calc'!A0`` or ``=HYPERLINK(...)``. Following OWASP's
CSV-injection advice such a cell gets a leading apostrophe, header cells
included. Full-width variants are included because some spreadsheet programs
fold them to their ASCII forms before evaluating.

A real number such as ``-2.5`` or ``-1e-3`` is left alone: a spreadsheet reads
it as a number, never as a formula, and prefixing it would turn a numeric
column into text. Python numbers are numbers by their type; text counts as a
number only when the whole cell parses as one (``-2+3`` does not).

Only the standard library is used here, so every package (games, analysis,
datasets, the portal) can write through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

#: Characters that make a spreadsheet evaluate a cell (after leading spaces).
TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
#: The same rule as regular expressions, for Arrow's vectorised kernels (RE2 syntax).
DANGEROUS_PATTERN = r"^[ ]*[=+\-@\t\r\x{FF1D}\x{FF0B}\x{FF0D}\x{FF20}]"
PLAIN_NUMBER_PATTERN = r"^[ ]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[ ]*$|^[+-]?INF$"

_PLAIN_NUMBER = re.compile(r" *[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)? *|[+-]?INF")


def is_dangerous(value: str) -> bool:
    """Whether a text cell would run as a formula in a spreadsheet."""
    stripped = value.lstrip(" ")
    if not stripped or stripped[0] not in TRIGGERS:
        return False
    return not _PLAIN_NUMBER.fullmatch(value)


def neutral_cell(value: Any) -> Any:
    """The cell as it may be downloaded: numbers unchanged, formula-like text prefixed."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value
    if hasattr(value, "dtype") and hasattr(value, "item"):  # a numpy scalar
        return neutral_cell(value.item())
    text = str(value)
    return "'" + text if is_dangerous(text) else text


def neutral_row(row: Iterable[Any]) -> list[Any]:
    return [neutral_cell(v) for v in row]


def _field(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # Quoted by the rule of the dataset writer (datasets.writing.quote_cells). The
    # csv module with "\n" line ends leaves a carriage return unquoted, which
    # readers take for the end of the row.
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(row: Iterable[Any]) -> str:
    """One neutralised CSV row, with its ``\\n``."""
    line = ",".join(_field(v) for v in neutral_row(row))
    # A lone empty cell would be a blank line, which readers skip.
    return (line or '""') + "\n"


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """CSV (comma, ``\\n`` line ends) with every cell, header included, neutralised."""
    return "".join(csv_line(row) for row in (header, *rows))


def dict_csv_text(columns: Sequence[str], lines: Iterable[dict[str, Any]]) -> str:
    """:func:`csv_text` for mappings: one row per mapping, keys outside ``columns`` ignored."""
    return csv_text(columns, ([line.get(c) for c in columns] for line in lines))
