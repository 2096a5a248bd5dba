"""Turning user-supplied tables and arrays into clean float arrays.

Every failure names the study (or row) and the field, because the person
fixing the data needs to find the cell, not read a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import AnalysisInputError


def study_labels(frame: pd.DataFrame, study_column: str | None) -> list[str]:
    """Labels used in messages and outputs: the study column or 1-based row numbers."""
    if study_column is None:
        return [f"row {i + 1}" for i in range(len(frame))]
    require_columns(frame, [study_column])
    values = frame[study_column]
    labels = []
    for i, value in enumerate(values):
        if _is_missing(value):
            raise AnalysisInputError(
                "missing study label", study=f"row {i + 1}", field=study_column
            )
        labels.append(str(value))
    return labels


def require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    available = [str(c) for c in frame.columns]
    for column in columns:
        if column not in frame.columns:
            raise AnalysisInputError(
                f"column {column!r} does not exist (available: {', '.join(available)})",
                field=column,
            )


def check_columns(frame: pd.DataFrame, study: str, mapping: Mapping[str, str | None]) -> None:
    """Every column ``mapping`` names (role -> column; None: not mapped) is in ``frame``."""
    for role, column in mapping.items():
        if column and column not in frame.columns:
            names = [repr(str(c)) for c in frame.columns]
            raise AnalysisInputError(
                f"column {column!r} (mapped to {role!r}) does not exist; available: "
                + ", ".join(names[:20])
                + (", ..." if len(names) > 20 else ""),
                study=study,
                field=role,
            )


def parse_column_mapping(spec: str, required: Sequence[str]) -> dict[str, str]:
    """Parse ``"ai=COL,n1i=COL"`` into ``{"ai": "COL", ...}`` and check completeness."""
    mapping: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        if "=" not in part:
            raise AnalysisInputError(f"expected ROLE=COLUMN, got {part!r}", field="columns")
        role, column = (s.strip() for s in part.split("=", 1))
        if role not in required:
            raise AnalysisInputError(
                f"unknown role {role!r}; expected roles: {', '.join(required)}", field=role
            )
        if not column:
            raise AnalysisInputError(f"no column given for role {role!r}", field=role)
        mapping[role] = column
    missing = [r for r in required if r not in mapping]
    if missing:
        raise AnalysisInputError(
            f"no column given for {', '.join(missing)} (need {', '.join(required)})",
            field=missing[0],
        )
    return mapping


def numeric_column(
    frame: pd.DataFrame, column: str, labels: Sequence[str], *, role: str | None = None
) -> np.ndarray:
    """Column as float64, failing on the first non-numeric or missing cell."""
    require_columns(frame, [column])
    field = column if role is None or role == column else f"{role} ({column})"
    return as_float_array(frame[column].tolist(), field, labels)


def as_float_array(values: Any, field: str, labels: Sequence[str] | None = None) -> np.ndarray:
    """Convert a sequence to float64; every cell must be a finite number."""
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.tolist()
    arr = np.asarray(values, dtype=object).ravel()
    out = np.empty(arr.shape[0], dtype=float)
    for i, value in enumerate(arr):
        study = labels[i] if labels is not None and i < len(labels) else f"study {i + 1}"
        if _is_missing(value):
            raise AnalysisInputError("missing value", study=study, field=field)
        if isinstance(value, (bool, np.bool_)):
            raise AnalysisInputError(f"expected a number, got {value!r}", study=study, field=field)
        try:
            number = float(value.strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise AnalysisInputError(
                f"expected a number, got {value!r}", study=study, field=field
            ) from None
        if not math.isfinite(number):
            raise AnalysisInputError(
                f"expected a finite number, got {value!r}", study=study, field=field
            )
        out[i] = number
    return out


def check_lengths(arrays: Mapping[str, np.ndarray], labels: Sequence[str] | None) -> int:
    lengths = {name: len(a) for name, a in arrays.items()}
    distinct = set(lengths.values())
    if len(distinct) > 1:
        detail = ", ".join(f"{n}={m}" for n, m in lengths.items())
        raise AnalysisInputError(f"inputs differ in length ({detail})")
    k = distinct.pop() if distinct else 0
    if labels is not None and len(labels) != k:
        raise AnalysisInputError(f"{len(labels)} study labels for {k} studies", field="labels")
    if k == 0:
        raise AnalysisInputError("no studies to analyse")
    return k


def default_labels(k: int, labels: Sequence[Any] | None) -> list[str]:
    if labels is None:
        return [f"study {i + 1}" for i in range(k)]
    return [str(label) for label in labels]


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == "" or value.strip().upper() in {"NA", "NAN", "NULL"}
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
