"""Checking a submitted solution against its puzzle.

A solution is valid when it has the puzzle's number of rows, every row is a
string of the allowed characters (the row's own residues and ``-``), every
row holds exactly the puzzle's residues for that row in the same order (only
gaps added or removed), and all rows are as wide as each other and no wider
than the puzzle allows.  The first problem found is raised as a
:class:`SolutionError` naming the row and, where it has one, the column
(both numbered from 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

GAP = "-"


class SolutionError(ValueError):
    def __init__(self, message: str, *, row: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


def check_solution(sequences: Sequence[str], rows: Any, *, max_width: int) -> list[str]:
    """``rows`` as a list of strings if it solves the puzzle whose rows hold
    ``sequences``; otherwise raises :class:`SolutionError`."""
    if not isinstance(rows, (list, tuple)):
        raise SolutionError("the solution must be a list of rows (strings of letters and '-')")
    if len(rows) != len(sequences):
        raise SolutionError(
            f"the solution has {len(rows)} rows but the puzzle has {len(sequences)}"
        )
    width = None
    for index, (row, sequence) in enumerate(zip(rows, sequences, strict=True), start=1):
        if not isinstance(row, str):
            raise SolutionError(f"row {index} is not a string of letters and '-'", row=index)
        if len(row) > max_width:
            raise SolutionError(
                f"row {index} is {len(row)} columns wide; the puzzle allows at most {max_width}",
                row=index,
            )
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise SolutionError(
                f"row {index} is {len(row)} columns wide but row 1 is {width};"
                " all rows must be equally wide",
                row=index,
            )
        if row.replace(GAP, "") == sequence:
            # The row's letters are its residues in order: nothing below could fail.
            continue
        allowed = set(sequence) | {GAP}
        consumed = 0
        for column, letter in enumerate(row, start=1):
            if letter not in allowed:
                raise SolutionError(
                    f"row {index}, column {column}: {letter!r} is not allowed here;"
                    f" only this row's residues and '-' are",
                    row=index,
                    column=column,
                )
            if letter == GAP:
                continue
            if consumed >= len(sequence):
                raise SolutionError(
                    f"row {index}, column {column}: {letter!r} is an extra residue;"
                    f" the row has only {len(sequence)}",
                    row=index,
                    column=column,
                )
            if letter != sequence[consumed]:
                raise SolutionError(
                    f"row {index}, column {column}: expected residue {consumed + 1}"
                    f" ({sequence[consumed]!r}) but found {letter!r}; residues may not"
                    " change or swap places",
                    row=index,
                    column=column,
                )
            consumed += 1
        if consumed != len(sequence):
            raise SolutionError(
                f"row {index} is missing residues: it has {consumed} of {len(sequence)}"
                f" (the next expected is {sequence[consumed]!r})",
                row=index,
            )
    if not width:
        raise SolutionError("the solution is empty")
    return list(rows)
