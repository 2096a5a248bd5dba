"""What screening reports: findings, k-anonymity, and how values are masked in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_EXAMPLES = 5

DIRECT, QUASI, TEXT = "direct", "quasi", "free-text"
BLOCK, WARN = "block", "warn"


def mask(value: str, keep: int = 1, limit: int = 24) -> str:
    """Hide a value but keep its shape: the first character of each run of
    letters or digits survives, everything else alphanumeric becomes '*'."""
    out = []
    run = 0
    for ch in value[:limit]:
        if ch.isalnum():
            out.append(ch if run < keep else "*")
            run += 1
        else:
            out.append(ch)
            run = 0
    if len(value) > limit:
        out.append("…")
    masked = "".join(out)
    if masked == value and len(value) > 1:
        masked = value[0] + "*" * (len(value) - 1)
    if masked == value:  # e.g. "0*": nothing left to hide by shape, so hide it all
        masked = "*" * len(value) if set(value) != {"*"} else "?" * len(value)
    return masked


def finding_key(finding: dict[str, Any]) -> str:
    """The key of a finding given as a dict (Finding.to_dict()'s fields)."""
    return f"{finding['kind']}:{finding.get('column_number') or 0}:{finding.get('column') or ''}"


@dataclass
class Finding:
    column: str | None
    column_number: int | None  # 1-based position
    kind: str
    category: str  # "direct" or "quasi"
    severity: str  # "block" or "warn"
    evidence: str  # "column-name", "content" or "column-name+content"
    count: int
    rows: list[int]
    examples: list[str]  # masked
    message: str
    suggested_fix: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        """Names the finding among a version's findings, for the confirmations."""
        return finding_key(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        out = {
            "column": self.column,
            "column_number": self.column_number,
            "kind": self.kind,
            "category": self.category,
            "severity": self.severity,
            "evidence": self.evidence,
            "count": self.count,
            "rows": self.rows,
            "examples": self.examples,
            "message": self.message,
            "suggested_fix": self.suggested_fix,
        }
        out["key"] = finding_key(out)
        return out


@dataclass
class KAnonymity:
    quasi_identifiers: list[str]
    k: int
    rows: int
    classes: int
    min_class_size: int
    classes_below_k: int
    rows_in_classes_below_k: int
    example_rows: list[int]
    unique_rows: int = 0

    @property
    def satisfied(self) -> bool:
        return self.min_class_size >= self.k

    @property
    def unique_share(self) -> float:
        """The share of rows no other row shares the quasi-identifiers with."""
        return self.unique_rows / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "quasi_identifiers": self.quasi_identifiers,
            "k": self.k,
            "rows": self.rows,
            "classes": self.classes,
            "min_class_size": self.min_class_size,
            "classes_below_k": self.classes_below_k,
            "rows_in_classes_below_k": self.rows_in_classes_below_k,
            "example_rows": self.example_rows,
            "satisfied": self.satisfied,
            "unique_rows": self.unique_rows,
            "unique_share": self.unique_share,
        }


@dataclass
class ScreeningReport:
    findings: list[Finding]
    suggested_quasi_identifiers: list[str]
    k_anonymity: KAnonymity | None
    rows_screened: int
    #: Over every quasi-identifier, marked or recognised (None when there are none).
    risk: KAnonymity | None = None

    @property
    def blocking(self) -> bool:
        """True when a direct identifier must be removed before publication."""
        return any(f.severity == BLOCK for f in self.findings)

    @property
    def must_confirm(self) -> list[Finding]:
        """The findings a person must confirm before publication."""
        return [f for f in self.findings if f.severity != BLOCK]

    def columns_flagged(self, category: str = DIRECT) -> set[str]:
        return {f.column for f in self.findings if f.category == category and f.column}

    def to_dict(self) -> dict[str, Any]:
        return {
            "blocking": self.blocking,
            "findings": [f.to_dict() for f in self.findings],
            "suggested_quasi_identifiers": self.suggested_quasi_identifiers,
            "k_anonymity": self.k_anonymity.to_dict() if self.k_anonymity else None,
            "risk": self.risk.to_dict() if self.risk else None,
            "rows_screened": self.rows_screened,
        }
