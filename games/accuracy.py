"""How close an estimated alignment is to a reference one.

The measures of FastSP (Mirarab & Warnow 2011) and qscore (Edgar):

* **SP score** (sum-of-pairs recall): of the pairs of residues the reference
  aligns (put in one column), the share the estimate aligns too;
* **modeler score** (precision): of the pairs the estimate aligns, the share
  the reference aligns too;
* **TC score** (total column): of the reference's columns holding at least
  two residues, the share that appear in the estimate with exactly the same
  residues (and no others).

Both alignments must hold the same sequences; rows are matched by name when
both have distinct names, else by order.  Letters are compared
case-insensitively and ``-`` and ``.`` are gaps.  Residues are identified by
(row, index in the row), so the count is O(rows x columns).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

GAPS = frozenset("-.")


class AccuracyError(ValueError):
    pass


@dataclass(frozen=True)
class Accuracy:
    sp: float  # shared / reference pairs
    modeler: float  # shared / estimate pairs
    tc: float  # recovered reference columns / reference columns with >= 2 residues
    shared_pairs: int
    reference_pairs: int
    estimate_pairs: int
    reference_columns: int
    recovered_columns: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _columns(rows: Sequence[str]) -> list[list[tuple[int, int]]]:
    """Per column, the residues in it as (row, index within the row)."""
    counters = [0] * len(rows)
    columns = []
    for c in range(len(rows[0])):
        column = []
        for r, row in enumerate(rows):
            if row[c] not in GAPS:
                column.append((r, counters[r]))
                counters[r] += 1
        columns.append(column)
    return columns


def _pairs(count: int) -> int:
    return count * (count - 1) // 2


def _order(
    estimate_names: Sequence[str] | None, reference_names: Sequence[str] | None, n: int
) -> list[int]:
    """For each reference row, the estimate row holding its sequence."""
    if (
        estimate_names is not None
        and reference_names is not None
        and len(set(reference_names)) == n
        and set(estimate_names) == set(reference_names)
    ):
        index = {name: i for i, name in enumerate(estimate_names)}
        return [index[name] for name in reference_names]
    return list(range(n))


def compare(
    estimate: Sequence[str],
    reference: Sequence[str],
    *,
    estimate_names: Sequence[str] | None = None,
    reference_names: Sequence[str] | None = None,
) -> Accuracy:
    if len(estimate) != len(reference):
        raise AccuracyError(
            f"the estimate has {len(estimate)} rows but the reference has {len(reference)}"
        )
    if not reference:
        raise AccuracyError("the alignments are empty")
    for name, rows in (("estimate", estimate), ("reference", reference)):
        if len({len(row) for row in rows}) != 1:
            raise AccuracyError(f"the rows of the {name} are not equally long")
    order = _order(estimate_names, reference_names, len(reference))
    estimate = [estimate[i].upper() for i in order]
    reference = [row.upper() for row in reference]
    for r, (e, f) in enumerate(zip(estimate, reference, strict=True)):
        if "".join(x for x in e if x not in GAPS) != "".join(x for x in f if x not in GAPS):
            label = reference_names[r] if reference_names else f"row {r + 1}"
            raise AccuracyError(f"{label}: the estimate and the reference hold different residues")
    # Where each residue sits in the reference.
    where: dict[tuple[int, int], int] = {}
    ref_columns = _columns(reference)
    for c, column in enumerate(ref_columns):
        for residue in column:
            where[residue] = c
    reference_pairs = sum(_pairs(len(column)) for column in ref_columns)
    estimate_pairs = 0
    shared = 0
    recovered = 0
    for column in _columns(estimate):
        estimate_pairs += _pairs(len(column))
        groups = Counter(where[residue] for residue in column)
        shared += sum(_pairs(count) for count in groups.values())
        if len(groups) == 1 and len(column) >= 2:
            ((c, count),) = groups.items()
            if count == len(ref_columns[c]):
                recovered += 1
    aligned_columns = sum(1 for column in ref_columns if len(column) >= 2)
    return Accuracy(
        sp=shared / reference_pairs if reference_pairs else 1.0,
        modeler=shared / estimate_pairs if estimate_pairs else 1.0,
        tc=recovered / aligned_columns if aligned_columns else 1.0,
        shared_pairs=shared,
        reference_pairs=reference_pairs,
        estimate_pairs=estimate_pairs,
        reference_columns=aligned_columns,
        recovered_columns=recovered,
    )
