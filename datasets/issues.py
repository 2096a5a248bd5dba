"""Problems found in a table, and a collector that caps how many are kept."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Longest cell value echoed back in an issue; uploads can hold megabyte cells.
MAX_ECHO_CHARS = 40


def truncate(value: str | None, limit: int = MAX_ECHO_CHARS) -> str | None:
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


@dataclass
class Issue:
    """One problem at a location in the file.

    ``row`` is the 1-based record number with the header as row 1 (the first
    data row is 2, as in frictionless). ``column`` is the 1-based column
    position and ``field`` its header. Codes follow frictionless where one
    exists (type-error, constraint-error, blank-label, duplicate-label, ...).
    """

    code: str
    message: str
    row: int | None = None
    column: int | None = None
    field: str | None = None
    value: str | None = None
    constraint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "value": self.value,
            "constraint": self.constraint,
        }


@dataclass
class IssueCollector:
    """Keeps the first ``max_per_code`` issues of each code and counts the rest,
    so a broken million-row file yields a report of bounded size."""

    max_per_code: int = 1000
    issues: list[Issue] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def room(self, code: str) -> int:
        return max(0, self.max_per_code - self.counts[code])

    def add(self, issue: Issue) -> None:
        if self.counts[issue.code] < self.max_per_code:
            self.issues.append(issue)
        self.counts[issue.code] += 1

    def count_only(self, code: str, n: int) -> None:
        """Record ``n`` further occurrences without materialising them."""
        self.counts[code] += n

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def truncated(self) -> bool:
        return any(n > self.max_per_code for n in self.counts.values())

    def sorted_issues(self) -> list[Issue]:
        return sorted(self.issues, key=lambda i: (i.row or 0, i.column or 0, i.code))
