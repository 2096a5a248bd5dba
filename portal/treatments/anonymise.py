"""Rows of the open treatment dataset that no one can be singled out from:
k-anonymity with l-diversity, by global recoding and a limit on suppressed rows (the
ARX model).

Quasi-identifiers are what someone who knows a member might know of them: which
treatment they used, for how long, at what dose, why they stopped, what it cost them.
Every combination of those values that appears in the file appears at least k times
(k-anonymity), and within each such group the members did not all rate the treatment
the same (l-diversity, l = 2), so knowing someone's group never tells their rating.

The rows are coarsened step by step (``STEPS``) until at most ``SUPPRESSION_LIMIT`` of
them sit in groups that break the rules; those are left out. Free text is kept only
where at least k members of the treatment wrote the same: a dose becomes "other", a
side effect is dropped. A treatment with fewer than k rows is left out entirely.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]

QUASI_IDENTIFIERS = (
    "treatment",
    "weeks_used",
    "still_using",
    "dose",
    "reason_stopped",
    "cost_band",
)
SENSITIVE = "effectiveness"
#: The share of rows that may be left out at the chosen step, as ARX's default.
SUPPRESSION_LIMIT = 0.05
WITHHELD = "withheld"

FINE_BANDS = ((4, "0-4"), (12, "5-12"), (26, "13-26"), (52, "27-52"))
COARSE_BANDS = ((12, "0-12"), (52, "13-52"))


def band(weeks: int, bands: Sequence[tuple[int, str]], last: str) -> str:
    for upper, label in bands:
        if weeks <= upper:
            return label
    return last


def _weeks_fine(row: Row) -> Row:
    return {**row, "weeks_used": band(row["weeks"], FINE_BANDS, "53+")}


def _reason_coarse(row: Row) -> Row:
    return {**row, "reason_stopped": "stopped" if row["reason_stopped"] else ""}


def _withhold(column: str) -> Callable[[Row], Row]:
    def step(row: Row) -> Row:
        return {**row, column: WITHHELD}

    return step


def _weeks_coarse(row: Row) -> Row:
    return {**row, "weeks_used": band(row["weeks"], COARSE_BANDS, "53+")}


#: Each step coarsens the rows further; they apply cumulatively, in this order.
STEPS: tuple[tuple[str, Callable[[Row], Row]], ...] = (
    ("weeks in bands", _weeks_fine),
    ("why they stopped, as stopped or not", _reason_coarse),
    ("cost withheld", _withhold("cost_band")),
    ("dose withheld", _withhold("dose")),
    ("weeks in three bands", _weeks_coarse),
    ("weeks withheld", _withhold("weeks_used")),
)


@dataclass
class Anonymised:
    rows: list[Row]
    #: The coarsening steps applied, in order.
    steps: list[str] = field(default_factory=list)
    #: Rows left out: in groups too small or too alike, or of treatments below k.
    left_out: int = 0


def _groups(rows: Sequence[Row]) -> dict[tuple[Any, ...], list[Row]]:
    grouped: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        grouped.setdefault(tuple(row[c] for c in QUASI_IDENTIFIERS), []).append(row)
    return grouped


def _safe(group: Sequence[Row], k: int) -> bool:
    return len(group) >= k and len({row[SENSITIVE] for row in group}) >= 2


def _common_text(rows: list[Row], k: int) -> list[Row]:
    """Free text kept only where k members of the same treatment wrote it."""
    doses: Counter[tuple[str, str]] = Counter(
        (row["treatment"], row["dose"].strip().lower()) for row in rows if row["dose"].strip()
    )
    named: Counter[tuple[str, str]] = Counter(
        (row["treatment"], name) for row in rows for name, _ in row["side_effects"]
    )
    out = []
    for row in rows:
        dose = row["dose"].strip()
        if dose and doses[(row["treatment"], dose.lower())] < k:
            dose = "other"
        effects = [
            (name, severity)
            for name, severity in row["side_effects"]
            if named[(row["treatment"], name)] >= k
        ]
        out.append({**row, "dose": dose, "side_effects": effects})
    return out


def anonymise(rows: Sequence[Row], k: int) -> Anonymised:
    """The rows that may be published, coarsened as little as the rules allow.

    Each row holds the quasi-identifiers, ``weeks`` (whole weeks of use), the
    sensitive ``effectiveness`` and ``side_effects`` as (name, severity) pairs.
    """
    per_treatment = Counter(row["treatment"] for row in rows)
    kept = [row for row in rows if per_treatment[row["treatment"]] >= k]
    left_out = len(rows) - len(kept)
    current = _common_text(kept, k)
    applied: list[str] = []
    for number, (name, step) in enumerate(STEPS):
        current = [step(row) for row in current]
        applied.append(name)
        unsafe = [
            row for group in _groups(current).values() if not _safe(group, k) for row in group
        ]
        last = number == len(STEPS) - 1
        if len(unsafe) <= SUPPRESSION_LIMIT * len(current) or last:
            # Every group left is safe, so every treatment left has at least k rows.
            ids = {id(row) for row in unsafe}
            published = [row for row in current if id(row) not in ids]
            return Anonymised(published, applied, left_out + len(unsafe))
    raise AssertionError("unreachable: the last step always returns")
