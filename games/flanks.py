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

A puzzle that holds only some of the alignment's rows also keeps the other
rows that have letters in the window as fixed *context* (``context``: their
window laid on the board's columns, which never move; ``order``: every row's
place in the alignment, the puzzle's rows first, then the context's).  The
puzzle score adds every pair of a puzzle row with a context row, scored by the
same rule (pairs of two context rows never change and are left out), so a
layout's change of puzzle score is the change of the *whole* alignment's score
once spliced (:func:`games.splice.splice` lays the other rows on the same
columns).  Rows without a letter in the window need no place: their pairs with
the puzzle's rows are the same whatever the layout.  The solver scores a move
against all context rows at once from their per-column tables
(games/_profile.py), the same number as row by row.

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
    #: The other rows of the alignment, fixed, on the board's columns; the four
    #: fields above index the puzzle's rows first, then these.
    context: tuple[str, ...] = ()
    #: Every row's place in the alignment (puzzle rows, then context rows),
    #: which orders each pair; empty: the board's order.
    order: tuple[int, ...] = ()

    @classmethod
    def none(cls, n_rows: int) -> Flanks:
        """No context: the window is a whole alignment."""
        zeros = tuple(tuple(0 for _ in range(n_rows)) for _ in range(n_rows))
        return cls((False,) * n_rows, (False,) * n_rows, zeros, zeros)

    @property
    def n_rows(self) -> int:
        """The puzzle's rows (context rows not counted)."""
        return len(self.left_has) - len(self.context)

    @property
    def empty(self) -> bool:
        return not (
            self.context
            or any(self.left_has)
            or any(self.right_has)
            or any(any(row) for row in self.left_held)
            or any(any(row) for row in self.right_held)
        )

    def to_params(self) -> dict[str, Any]:
        """As JSON, the form the play page reads (``scheme["flanks"]``)."""
        params: dict[str, Any] = {
            "left_has": list(self.left_has),
            "right_has": list(self.right_has),
            "left_held": [list(row) for row in self.left_held],
            "right_held": [list(row) for row in self.right_held],
        }
        if self.context:
            params["context"] = list(self.context)
            params["order"] = list(self.order)
        return params

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
            tuple(str(row) for row in params.get("context", ())),
            tuple(int(v) for v in params.get("order", ())),
        )
        flanks.check(n_rows)
        return flanks

    def check(self, n_rows: int) -> None:
        total = n_rows + len(self.context)
        shapes = (
            len(self.left_has),
            len(self.right_has),
            len(self.left_held),
            len(self.right_held),
            *(len(row) for row in self.left_held + self.right_held),
        )
        if any(size != total for size in shapes) or (self.context and len(self.order) != total):
            raise ValueError(f"the flanks do not describe {n_rows} rows")
        if len({len(row) for row in self.context}) > 1:
            raise ValueError("the context rows are not equally wide")

    @property
    def total_rows(self) -> int:
        return len(self.left_has)

    def ranks(self) -> np.ndarray:
        """Every row's place in the alignment, as the kernels read it."""
        if self.order:
            return np.array(self.order, dtype=np.int64)
        return np.arange(self.total_rows, dtype=np.int64)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The kernels' form: int64 arrays."""
        n = self.total_rows
        return (
            np.array(self.left_has, dtype=np.int64),
            np.array(self.right_has, dtype=np.int64),
            np.array(self.left_held, dtype=np.int64).reshape(n, n),
            np.array(self.right_held, dtype=np.int64).reshape(n, n),
        )

    def subset(self, keep: Sequence[int]) -> Flanks:
        """The flanks of some of the puzzle's rows (without context, in the
        alignment's order), the context kept whole."""
        every = list(keep) + [self.n_rows + k for k in range(len(self.context))]
        return Flanks(
            tuple(self.left_has[i] for i in every),
            tuple(self.right_has[i] for i in every),
            tuple(tuple(self.left_held[i][j] for j in every) for i in every),
            tuple(tuple(self.right_held[i][j] for j in every) for i in every),
            self.context,
            tuple(self.order[i] for i in every) if self.order else (),
        )

    def board(self, rows: Sequence[str]) -> list[str]:
        """``rows`` and the context, all padded with gaps to the wider of the two
        (a splice pads the narrower the same way)."""
        width = max([len(row) for row in rows] + [len(row) for row in self.context])
        return [row.ljust(width, GAP) for row in list(rows) + list(self.context)]


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


def cut_window(
    rows: Sequence[str], start: int, end: int, row_indices: Sequence[int], *, context: bool = True
) -> tuple[list[str], Flanks]:
    """A puzzle's board and flanks for the rows ``row_indices`` (ascending) of
    columns [start, end) of ``rows``: with ``context``, the other rows with a
    letter in the window become fixed context and only columns where every
    row has a gap are dropped; without, columns where every chosen row has a
    gap are dropped and the other rows are ignored."""
    chosen = list(row_indices)
    if chosen != sorted(chosen):
        raise ValueError("the window's rows must be in the alignment's order")
    others = (
        [i for i in range(len(rows)) if i not in set(chosen) and rows[i][start:end].strip(GAP)]
        if context
        else []
    )
    every = sorted(chosen + others)
    window = [rows[i][start:end] for i in every]
    keep = [c for c in range(end - start) if any(row[c] != GAP for row in window)]
    laid = {i: "".join(row[c] for c in keep) for i, row in zip(every, window, strict=True)}
    flanks = flanks_of(rows, start, end, every)
    at = {i: k for k, i in enumerate(every)}
    index = [at[i] for i in chosen + others]
    reordered = Flanks(
        tuple(flanks.left_has[i] for i in index),
        tuple(flanks.right_has[i] for i in index),
        tuple(tuple(flanks.left_held[i][j] for j in index) for i in index),
        tuple(tuple(flanks.right_held[i][j] for j in index) for i in index),
        tuple(laid[i] for i in others),
        tuple(chosen + others) if others else (),
    )
    return [laid[i] for i in chosen], reordered


def edge_text(
    rows: Sequence[str], start: int, end: int, row_indices: Sequence[int], columns: int = 6
) -> tuple[list[str], list[str]]:
    """What the play page shows beside the board, greyed: for the rows
    ``row_indices`` (in the board's order), the last ``columns`` columns of the
    alignment before the window and the first ``columns`` after it, skipping
    columns where every one of these rows has a gap.  Display only: the score
    reads the flanks."""
    picked = [rows[i] for i in row_indices]
    before = [c for c in range(start) if any(row[c] != GAP for row in picked)][-columns:]
    after = [c for c in range(end, len(rows[0])) if any(row[c] != GAP for row in picked)]
    after = after[:columns]
    left = ["".join(row[c] for c in before) for row in picked]
    right = ["".join(row[c] for c in after) for row in picked]
    return left, right


def window_pair_scores(
    rows: Sequence[str] | np.ndarray, scheme: ScoringScheme, flanks: Flanks | None = None
) -> np.ndarray:
    """Every pair's puzzle score: ``out[i, j] = out[j, i]``, diagonal 0; with
    context rows, they follow the puzzle's rows (and pairs of two context rows
    are 0)."""
    n_rows = len(rows)
    flanks = flanks or Flanks.none(n_rows)
    flanks.check(n_rows)
    if isinstance(rows, np.ndarray):
        codes = np.ascontiguousarray(rows, dtype=np.uint8)
        if flanks.context:
            codes = _with_context(codes, flanks, scheme)
    else:
        codes = np.ascontiguousarray(encode_rows(flanks.board(list(rows)), scheme))
    compiled = compile_scheme(scheme)
    total = codes.shape[0]
    out = np.zeros((total, total))
    _climb.pair_scores(
        codes, flanks.ranks(), n_rows, compiled.table, compiled.gaps, *flanks.arrays(), out
    )
    return out


def _with_context(codes: np.ndarray, flanks: Flanks, scheme: ScoringScheme) -> np.ndarray:
    fixed = encode_rows(list(flanks.context), scheme)
    width = max(codes.shape[1], fixed.shape[1])
    out = np.zeros((codes.shape[0] + fixed.shape[0], width), dtype=np.uint8)
    out[: codes.shape[0], : codes.shape[1]] = codes
    out[codes.shape[0] :, : fixed.shape[1]] = fixed
    return out


def score_window(rows: Sequence[str], scheme: ScoringScheme, flanks: Flanks | None = None) -> float:
    """The puzzle score of the layout ``rows`` of a window with ``flanks``
    (without flanks: the sum-of-pairs score of ``rows``)."""
    return float(np.triu(window_pair_scores(rows, scheme, flanks), 1).sum())
