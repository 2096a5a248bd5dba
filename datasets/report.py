"""The validation report, plus the structural checks shared by inference and
validation (header labels, blank rows, rows with the wrong number of cells)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow.compute as pc

from .batch import Batch
from .detect import Dialect
from .issues import Issue, IssueCollector, truncate
from .stats import ColumnSummary

#: Issue codes that are warnings: reported, but the file is still valid.
WARNING_CODES = frozenset({"blank-row", "encoding", "format", "sheets", "inference", "no-data"})


def add_table_issues(
    table_issues: list[Issue], errors: IssueCollector, warnings: IssueCollector
) -> None:
    """Problems found while opening the file go to errors or warnings by code."""
    for issue in table_issues:
        (warnings if issue.code in WARNING_CODES else errors).add(issue)


@dataclass
class ValidationReport:
    """Everything found while checking a file against a schema.

    ``errors`` holds at most ``max_errors_per_code`` issues of each code;
    ``error_counts`` always has the true totals. ``row_count`` counts every
    data record after the header, including blank and ragged ones.
    """

    valid: bool
    row_count: int
    column_count: int
    header: list[str]
    errors: list[Issue]
    error_counts: dict[str, int]
    warnings: list[Issue]
    warning_counts: dict[str, int]
    columns: list[ColumnSummary]
    truncated: bool
    max_errors_per_code: int
    dialect: Dialect | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "row_count": self.row_count,
            "column_count": self.column_count,
            "header": self.header,
            "error_count": sum(self.error_counts.values()),
            "error_counts": dict(self.error_counts),
            "errors": [e.to_dict() for e in self.errors],
            "warning_counts": dict(self.warning_counts),
            "warnings": [w.to_dict() for w in self.warnings],
            "truncated": self.truncated,
            "max_errors_per_code": self.max_errors_per_code,
            "columns": [c.to_dict() for c in self.columns],
            "dialect": self.dialect.to_dict() if self.dialect else None,
        }

    def column(self, name: str) -> ColumnSummary:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass
class Structure:
    """Collects structural problems and counts rows while batches go by."""

    header: list[str]
    errors: IssueCollector
    warnings: IssueCollector
    rows: int = 0
    blank_rows: int = 0
    seen_codes: Counter[str] = field(default_factory=Counter)

    def check_header(self) -> None:
        seen: dict[str, int] = {}
        for col, label in enumerate(self.header, start=1):
            if not label.strip():
                self.errors.add(
                    Issue(
                        code="blank-label",
                        message=f"Column {col} has no header.",
                        row=1,
                        column=col,
                    )
                )
                continue
            if label in seen:
                self.errors.add(
                    Issue(
                        code="duplicate-label",
                        message=(
                            f"Column {col} has the same header {truncate(label)!r} as column "
                            f"{seen[label]}."
                        ),
                        row=1,
                        column=col,
                        field=label,
                    )
                )
            else:
                seen[label] = col

    def add_batch(self, batch: Batch) -> None:
        self.rows += batch.num_rows + len(batch.issues)
        for issue in batch.issues:
            if issue.column is not None and 1 <= issue.column <= len(self.header):
                issue.field = self.header[issue.column - 1]
            self.errors.add(issue)
        if batch.num_rows and all(c is not None for c in batch.columns):
            empty = np.ones(batch.num_rows, dtype=bool)
            for arr in batch.columns:
                empty &= np.asarray(
                    pc.equal(pc.binary_length(arr), 0).to_numpy(zero_copy_only=False), dtype=bool
                )
                if not empty.any():
                    break
            for idx in np.flatnonzero(empty):
                row = int(batch.row_numbers[idx])
                self.blank_rows += 1
                self.warnings.add(Issue(code="blank-row", message=f"Row {row} is empty.", row=row))


def build_report(
    *,
    header: list[str],
    errors: IssueCollector,
    warnings: IssueCollector,
    rows: int,
    columns: list[ColumnSummary],
    dialect: Dialect | None,
) -> ValidationReport:
    if rows == 0:
        warnings.add(Issue(code="no-data", message="The file has a header but no data rows."))
    return ValidationReport(
        valid=errors.total == 0,
        row_count=rows,
        column_count=len(header),
        header=list(header),
        errors=errors.sorted_issues(),
        error_counts=dict(errors.counts),
        warnings=warnings.sorted_issues(),
        warning_counts=dict(warnings.counts),
        columns=columns,
        truncated=errors.truncated or warnings.truncated,
        max_errors_per_code=errors.max_per_code,
        dialect=dialect,
    )
