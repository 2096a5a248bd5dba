"""Row filters on harmonised participant data ("age >= 50", "sex in F,M").

A filter names an *analysis* variable (``y``, ``time``, ``event``, ``treat``,
``study`` or a mapped covariate), not a dataset column, so one filter means
the same thing in every pooled dataset whatever its own column is called.
Filters are plain dicts (``{"column", "op", "value"}``) so that a run can
store them in its JSON spec and a rerun applies exactly the same ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import AnalysisInputError

OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
_COMPARE = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
}
# longest operators first so "<=" is not read as "<"
_PATTERN = re.compile(
    r"^\s*(?P<column>[^\s<>=!]+)\s*(?P<op>not\s+in\b|in\b|==|!=|<=|>=|<|>|=)\s*(?P<value>.*?)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RowFilter:
    column: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise AnalysisInputError(
                f"unknown filter operator {self.op!r}; use one of {', '.join(OPERATORS)}",
                field="filters",
            )
        if self.op in ("in", "not in") and not isinstance(self.value, (list, tuple)):
            raise AnalysisInputError(
                f"filter on {self.column!r}: {self.op!r} needs a list of values", field="filters"
            )

    def to_dict(self) -> dict[str, Any]:
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"column": self.column, "op": self.op, "value": value}

    def __str__(self) -> str:
        if self.op in ("in", "not in"):
            return f"{self.column} {self.op} {', '.join(map(str, self.value))}"
        return f"{self.column} {self.op} {self.value}"


def parse_filter(text: str) -> RowFilter:
    """``"age >= 50"``, ``"sex in F, M"``, ``"site not in 4_Case"`` -> :class:`RowFilter`."""
    match = _PATTERN.match(text or "")
    if not match or not match["value"]:
        raise AnalysisInputError(
            f"cannot read the filter {text!r}; write e.g. 'age >= 50' or 'sex in F, M'",
            field="filters",
        )
    op = re.sub(r"\s+", " ", match["op"].lower())
    op = "==" if op == "=" else op
    raw = match["value"]
    if op in ("in", "not in"):
        value: Any = tuple(v.strip() for v in raw.split(",") if v.strip())
    else:
        value = raw.strip("'\"")
    return RowFilter(match["column"], op, value)


def as_filters(items: Iterable[Any] | None) -> tuple[RowFilter, ...]:
    """Filters from dicts (a stored spec), strings (a form or the CLI) or RowFilters."""
    out = []
    for item in items or ():
        if isinstance(item, RowFilter):
            out.append(item)
        elif isinstance(item, str):
            if item.strip():
                out.append(parse_filter(item))
        elif isinstance(item, Mapping):
            try:
                value = item["value"]
                out.append(
                    RowFilter(
                        str(item["column"]),
                        str(item["op"]),
                        tuple(value) if isinstance(value, list) else value,
                    )
                )
            except KeyError as missing:
                raise AnalysisInputError(
                    f"a filter needs 'column', 'op' and 'value' (missing {missing})",
                    field="filters",
                ) from None
        else:
            raise AnalysisInputError(f"cannot read the filter {item!r}", field="filters")
    return tuple(out)


def _typed(values: Sequence[Any], series: pd.Series, f: RowFilter) -> list[Any]:
    """Text typed by a user is compared with a numeric column as numbers."""
    if not pd.api.types.is_numeric_dtype(series.dtype):
        return [str(v) for v in values]
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            raise AnalysisInputError(
                f"filter {str(f)!r}: {v!r} is not a number but {f.column!r} is numeric",
                field="filters",
            ) from None
    return out


def apply_filters(
    frame: pd.DataFrame, filters: Sequence[RowFilter]
) -> tuple[pd.DataFrame, list[str]]:
    """Keep the rows that pass every filter; notes say how many each removed."""
    keep = np.ones(len(frame), dtype=bool)
    notes = []
    for f in filters:
        if f.column not in frame.columns:
            raise AnalysisInputError(
                f"filter {str(f)!r}: no analysis variable {f.column!r}; filters use the "
                f"analysis names ({', '.join(map(str, frame.columns))}); map a column as a "
                "covariate to filter on it",
                field="filters",
            )
        series = frame[f.column]
        if f.op in ("in", "not in"):
            values = _typed(f.value, series, f)
            column = series if pd.api.types.is_numeric_dtype(series.dtype) else series.astype(str)
            passed = column.isin(values).to_numpy()
            if f.op == "not in":
                passed = ~passed
        else:
            (value,) = _typed([f.value], series, f)
            if f.op not in ("==", "!=") and not pd.api.types.is_numeric_dtype(series.dtype):
                raise AnalysisInputError(
                    f"filter {str(f)!r}: {f.op} needs a numeric variable; {f.column!r} is text",
                    field="filters",
                )
            column = series if pd.api.types.is_numeric_dtype(series.dtype) else series.astype(str)
            passed = np.asarray(_COMPARE[f.op](column.to_numpy(), value), dtype=bool)
            passed &= series.notna().to_numpy()
        notes.append(f"filter {f}: {int((keep & ~passed).sum())} row(s) excluded.")
        keep &= passed
    if not keep.any() and filters:
        raise AnalysisInputError("the filters exclude every row", field="filters")
    return frame[keep].reset_index(drop=True), notes
