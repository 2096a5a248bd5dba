"""Which counts of members' reports may be published: global recoding, as statistical
agencies protect frequency tables (sdcMicro's ``globalRecode``, ARX's generalisation
hierarchies).

A table of counts (how many reporters chose each answer) is published only in a
grouping of its answers where

- every group that holds any reports holds at least ``k`` of them, and
- at least two groups hold reports.

The first rule means no published figure rests on fewer than k people, so none can
be singled out. Nothing inside a published table is hidden, so nothing can be
recovered from its total (the weakness of suppressing single cells, which needs
complementary suppression to hold). The second rule (l-diversity with l = 2) means
that knowing someone reported a treatment never tells what they answered: a table
in which everyone gave the same answer is not published.

Groupings are tried from the finest to the coarsest; when none passes, only the
number of reporters is published. Pure functions on plain counts: the treatment
feature decides what the counts are and when to publish them (portal.treatments.
releases), these decide what of them may be shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    """Answers shown together under one label."""

    label: str
    members: tuple[str, ...]


#: A grouping of every answer into groups, finest first in a hierarchy.
Grouping = tuple[Group, ...]


@dataclass(frozen=True)
class Cell:
    label: str
    members: tuple[str, ...]
    count: int

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "answers": list(self.members), "count": self.count}


def _cells(counts: Mapping[str, int], grouping: Grouping) -> tuple[Cell, ...]:
    return tuple(
        Cell(group.label, group.members, sum(counts.get(answer, 0) for answer in group.members))
        for group in grouping
    )


def publishable(cells: Sequence[Cell], k: int) -> bool:
    """Every group with reports holds at least k; at least two groups hold reports."""
    held = [cell.count for cell in cells if cell.count > 0]
    return len(held) >= 2 and all(count >= k for count in held)


def finest_publishable(
    counts: Mapping[str, int], hierarchy: Sequence[Grouping], k: int
) -> tuple[Cell, ...] | None:
    """The finest grouping of ``counts`` that may be published, or None."""
    unknown = set(counts) - {answer for group in hierarchy[0] for answer in group.members}
    if unknown:
        raise ValueError(f"answers outside the hierarchy: {sorted(unknown)}")
    for grouping in hierarchy:
        cells = _cells(counts, grouping)
        if publishable(cells, k):
            return cells
    return None


def presence(reporters: int, named: int, k: int) -> bool:
    """Whether "``named`` of ``reporters`` named it" may be published: the members who
    named it and those who did not are each none or at least k, and both are some."""
    return publishable(
        (Cell("named", ("yes",), named), Cell("not named", ("no",), reporters - named)), k
    )


def _single(labels: Sequence[tuple[str, str]]) -> Grouping:
    return tuple(Group(label, (value,)) for value, label in labels)


EFFECTIVENESS: tuple[Grouping, ...] = (
    _single(
        [
            ("worse", "Made it worse"),
            ("none", "None"),
            ("slight", "Slight"),
            ("moderate", "Moderate"),
            ("major", "Major"),
        ]
    ),
    (
        Group("Made it worse", ("worse",)),
        Group("No change", ("none",)),
        Group("Helped", ("slight", "moderate", "major")),
    ),
    (
        Group("Did not help", ("worse", "none")),
        Group("Helped", ("slight", "moderate", "major")),
    ),
)
#: The answers that count as "helped" in every grouping above.
HELPED = ("slight", "moderate", "major")

SEVERITY: tuple[Grouping, ...] = (
    _single([("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe")]),
    (Group("Mild or moderate", ("mild", "moderate")), Group("Severe", ("severe",))),
)


def share_helped(cells: Sequence[Cell]) -> float:
    """The share of reporters who said it helped, from published cells only."""
    total = sum(cell.count for cell in cells)
    helped = sum(cell.count for cell in cells if set(cell.members) <= set(HELPED))
    return helped / total if total else 0.0
