"""A window's context in its alignment, so that a puzzle scores what its
layout changes in the whole alignment.

Cut out of an alignment, a window would score a gap that runs into its edge
as an end gap (free in the game's schemes), while in the alignment the same
gap continues into the flank and costs as an internal gap.  Gains made by
moving gaps to a window's edge then vanish, or turn into losses, once the
window is spliced back.  So a puzzle keeps, for its rows in the alignment's
order:

* ``left_has[i]``: row i has a residue left of the window (so a gap at the
  window's left edge is not a left end gap); ``right_has[i]`` likewise;
* ``left_held[i][j]``: the residues of row j in the gap run with which row i
  enters the window from the left (from row i's last residue before the
  window to the window's edge); ``right_held[i][j]`` the same on the right.

The puzzle score of pair (i < j) is then the pair's score over the window
*plus* the gap runs that touch the window's edges, continued into the flanks
as far as they go: a run of row i touching the left edge holds
``left_held[i][j]`` more residues of row j, and a flank run that the window's
first column ends (row i starts the window with a residue) is scored on its
own.  Everything else in the flanks is the same whatever the layout, so the
change of the puzzle score equals the change of the alignment's score over
the puzzle's rows when the layout is spliced back (tested on random
alignments and windows).  Without flanks (:meth:`Flanks.none`) the puzzle
score is the plain sum-of-pairs score of the window.

The play page (``portal/static/play.js``) scores with the same rule;
``tests/games/naive.py``'s ``naive_window_score`` writes it out column by
column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from games import _climb
from games.encoding import compile_scheme, encode_rows
from games.scheme import ScoringScheme

GAP = "-"


@dataclass(frozen=True)
class Flanks:
    """The context of a window's rows; see the module's docstring."""

    left_has: tuple[bool, ...]
    right_has: tuple[bool, ...]
    left_held: tuple[tuple[int, ...], ...]
    right_held: tuple[tuple[int, ...], ...]

    @classmethod
    def none(cls, n_rows: int) -> Flanks:
        """No context: the window is a whole alignment."""
        zeros = tuple(tuple(0 for _ in range(n_rows)) for _ in range(n_rows))
        return cls((False,) * n_rows, (False,) * n_rows, zeros, zeros)

    @property
    def n_rows(self) -> int:
        return len(self.left_has)

    @property
    def empty(self) -> bool:
        return not (
            any(self.left_has)
            or any(self.right_has)
            or any(any(row) for row in self.left_held)
            or any(any(row) for row in self.right_held)
        )

    def to_params(self) -> dict[str, Any]:
        """As JSON, the form the play page reads (``scheme["flanks"]``)."""
        return {
            "left_has": list(self.left_has),
            "right_has": list(self.right_has),
            "left_held": [list(row) for row in self.left_held],
            "right_held": [list(row) for row in self.right_held],
        }

    @classmethod
    def from_params(cls, params: dict[str, Any] | None, n_rows: int) -> Flanks:
        """The flanks stored in ``params`` (a puzzle's scheme JSON may hold
        them under ``"flanks"``), or none when absent."""
        if not params:
            return cls.none(n_rows)
        flanks = cls(
            tuple(bool(v) for v in params["left_has"]),
            tuple(bool(v) for v in params["right_has"]),
            tuple(tuple(int(v) for v in row) for row in params["left_held"]),
            tuple(tuple(int(v) for v in row) for row in params["right_held"]),
        )
        flanks.check(n_rows)
        return flanks

    def check(self, n_rows: int) -> None:
        shapes = (
            len(self.left_has),
            len(self.right_has),
            len(self.left_held),
            len(self.right_held),
            *(len(row) for row in self.left_held + self.right_held),
        )
        if any(size != n_rows for size in shapes):
            raise ValueError(f"the flanks do not describe {n_rows} rows")

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The kernels' form: int64 arrays."""
        return (
            np.array(self.left_has, dtype=np.int64),
            np.array(self.right_has, dtype=np.int64),
            np.array(self.left_held, dtype=np.int64).reshape(self.n_rows, self.n_rows),
            np.array(self.right_held, dtype=np.int64).reshape(self.n_rows, self.n_rows),
        )

    def subset(self, keep: Sequence[int]) -> Flanks:
        """The flanks of some of the rows (in the given order, which must
        keep the alignment's order)."""
        return Flanks(
            tuple(self.left_has[i] for i in keep),
            tuple(self.right_has[i] for i in keep),
            tuple(tuple(self.left_held[i][j] for j in keep) for i in keep),
            tuple(tuple(self.right_held[i][j] for j in keep) for i in keep),
        )


def flanks_of(rows: Sequence[str], start: int, end: int, row_indices: Sequence[int]) -> Flanks:
    """The context of columns [start, end) of ``rows`` for the rows
    ``row_indices`` (ascending, as the puzzle lists them)."""
    if list(row_indices) != sorted(row_indices):
        raise ValueError("the window's rows must be in the alignment's order")
    letters = np.array([[c != GAP for c in rows[i]] for i in row_indices], dtype=np.int64)
    n = len(row_indices)
    if n == 0:
        return Flanks.none(0)
    width = letters.shape[1]
    prefix = np.zeros((n, width + 1), dtype=np.int64)
    np.cumsum(letters, axis=1, out=prefix[:, 1:])
    left_has = []
    right_has = []
    left_held = []
    right_held = []
    for i in range(n):
        before = np.flatnonzero(letters[i, :start])
        after = np.flatnonzero(letters[i, end:])
        left_has.append(bool(len(before)))
        right_has.append(bool(len(after)))
        lo = int(before[-1]) + 1 if len(before) else 0  # row i's run entering the window
        hi = end + int(after[0]) if len(after) else width  # row i's run leaving it
        left_held.append(
            tuple(0 if j == i else int(prefix[j, start] - prefix[j, lo]) for j in range(n))
        )
        right_held.append(
            tuple(0 if j == i else int(prefix[j, hi] - prefix[j, end]) for j in range(n))
        )
    return Flanks(tuple(left_has), tuple(right_has), tuple(left_held), tuple(right_held))


def window_pair_scores(
    rows: Sequence[str] | np.ndarray, scheme: ScoringScheme, flanks: Flanks | None = None
) -> np.ndarray:
    """Every pair's puzzle score: ``out[i, j] = out[j, i]``, diagonal 0."""
    codes = (
        np.ascontiguousarray(rows, dtype=np.uint8)
        if isinstance(rows, np.ndarray)
        else np.ascontiguousarray(encode_rows(list(rows), scheme))
    )
    n_rows = codes.shape[0]
    flanks = flanks or Flanks.none(n_rows)
    flanks.check(n_rows)
    compiled = compile_scheme(scheme)
    out = np.zeros((n_rows, n_rows))
    _climb.pair_scores(codes, compiled.table, compiled.gaps, *flanks.arrays(), out)
    return out


def score_window(rows: Sequence[str], scheme: ScoringScheme, flanks: Flanks | None = None) -> float:
    """The puzzle score of the layout ``rows`` of a window with ``flanks``
    (without flanks: the sum-of-pairs score of ``rows``)."""
    return float(np.triu(window_pair_scores(rows, scheme, flanks), 1).sum())
