"""Putting solved windows back into the full alignment.

:func:`splice` replaces columns [start, end) of the chosen rows by a
solution's layout; the other rows keep their own columns there (without the
window's columns where every row has a gap, as a puzzle's board lays its
context rows: games/flanks.py), whichever part is narrower is padded with gaps
on its right, and columns of the new window where every row has a gap are
dropped.  Residues never change, so the result is the
same sequences, realigned.  :func:`apply_solutions` keeps a splice only when
it raises the whole alignment's sum-of-pairs score, and records which
solution changed which columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from games.scheme import ScoringScheme
from games.scoring import score_alignment

GAP = "-"


def _strip(rows: Sequence[str]) -> list[str]:
    keep = [c for c in range(len(rows[0])) if any(row[c] != GAP for row in rows)]
    return ["".join(row[c] for c in keep) for row in rows]


def splice(
    rows: Sequence[str], start: int, end: int, row_indices: Sequence[int], solution: Sequence[str]
) -> list[str]:
    """The alignment with the window replaced by ``solution``."""
    if len(solution) != len(row_indices):
        raise ValueError("one solution row per chosen row is needed")
    for index, sol in zip(row_indices, solution, strict=True):
        if sol.replace(GAP, "") != rows[index][start:end].replace(GAP, ""):
            raise ValueError(f"the solution's row for row {index + 1} has different residues")
    chosen = set(row_indices)
    window = [row[start:end] for row in rows]
    keep = [c for c in range(end - start) if any(row[c] != GAP for row in window)]
    others = {i: "".join(window[i][c] for c in keep) for i in range(len(rows)) if i not in chosen}
    width = max([len(keep)] + [len(sol) for sol in solution])
    middle: dict[int, str] = {i: row.ljust(width, GAP) for i, row in others.items()}
    for index, sol in zip(row_indices, solution, strict=True):
        middle[index] = sol.ljust(width, GAP)
    new = _strip([middle[i] for i in range(len(rows))])
    return [rows[i][:start] + new[i] + rows[i][end:] for i in range(len(rows))]


@dataclass
class Candidate:
    """A solution of the window [start, end) of ``rows`` of the alignment."""

    start: int
    end: int
    rows: list[int]
    solution: list[str]
    label: Any = None  # e.g. the solution's id


@dataclass
class Change:
    label: Any
    start: int
    end: int  # the window's columns in the alignment it was applied to
    new_end: int  # where the window ends after the splice
    before: float
    after: float

    @classmethod
    def kept(
        cls,
        candidate: Candidate,
        rows: Sequence[str],
        spliced: Sequence[str],
        before: float,
        after: float,
    ) -> Change:
        """``candidate`` spliced into ``rows`` giving ``spliced``, which scores
        ``after`` against ``before``."""
        shift = len(spliced[0]) - len(rows[0])
        return cls(
            candidate.label, candidate.start, candidate.end, candidate.end + shift, before, after
        )


@dataclass
class SpliceReport:
    rows: list[str]
    before: float
    after: float
    changes: list[Change] = field(default_factory=list)
    rejected: list[Any] = field(default_factory=list)


def apply_solutions(
    rows: Sequence[str], candidates: Sequence[Candidate], scheme: ScoringScheme
) -> SpliceReport:
    """Splices candidates in, right-most window first (so the columns of
    the windows to its left stay valid), keeping each only if the whole
    alignment's score rises.  Candidates for the same window are tried in
    the order given (pass the best first) until one is kept; any candidate
    overlapping a kept window is then rejected."""
    current = list(rows)
    before = score_alignment(current, scheme)
    score = before
    report = SpliceReport(current, before, before)
    ordered = sorted(candidates, key=lambda c: (-c.start, -c.end))
    done: list[tuple[int, int]] = []
    for candidate in ordered:
        if any(candidate.start < b and a < candidate.end for a, b in done):
            report.rejected.append(candidate.label)
            continue
        trial = splice(current, candidate.start, candidate.end, candidate.rows, candidate.solution)
        trial_score = score_alignment(trial, scheme)
        if trial_score > score + 1e-9:
            report.changes.append(Change.kept(candidate, current, trial, score, trial_score))
            current, score = trial, trial_score
            done.append((candidate.start, candidate.end))
        else:
            report.rejected.append(candidate.label)
    report.rows, report.after = current, score
    return report
