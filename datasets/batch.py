"""A batch: consecutive rows of a table as Arrow string columns, with their row
numbers and the rows left out of it. Every reader (``csvfile``, ``excel``,
``parquet``) yields these, and checks them here in the same way.

Row numbers: the header is row 1 and the first data row is row 2 (the
frictionless convention); see :mod:`datasets.reading`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import CellTooLargeError
from .issues import Issue, truncate

if TYPE_CHECKING:
    from .reading import Table

#: Rows per batch for the readers that build batches themselves.
BATCH_ROWS = 65_536


@dataclass
class Batch:
    """A slice of consecutive rows.

    ``columns[i]`` is a non-null ``pa.StringArray`` for requested columns and
    None for columns that were not requested.
    """

    columns: list[pa.Array | None]
    row_numbers: np.ndarray
    issues: list[Issue] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        return int(self.row_numbers.size)


def ragged_issue(number: int, expected: int, actual: int, text: str | None) -> Issue:
    """The issue for row ``number``, which has ``actual`` cells where the header has
    ``expected`` (the row is left out of its batch)."""
    if actual > expected:
        return Issue(
            code="extra-cell",
            message=f"Row {number} has {actual} cells but the header has {expected}.",
            row=number,
            column=expected + 1,
            value=truncate(text),
        )
    hint = ""
    if text and ("\n" in text or "\r" in text) and text.count('"') % 2:
        hint = " (an opening quote is never closed, so later lines were swallowed)"
    return Issue(
        code="missing-cell",
        message=f"Row {number} has {actual} cells but the header has {expected}{hint}.",
        row=number,
        column=actual + 1,
        value=truncate(text),
    )


def check_cell_sizes(batch: Batch, header: list[str], limit: int) -> None:
    """Raises CellTooLargeError for the first cell of ``batch`` over ``limit`` bytes."""
    for i, arr in enumerate(batch.columns):
        if arr is None or len(arr) == 0:
            continue
        lengths = pc.binary_length(arr)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limit:
            idx = int(np.argmax(lengths.to_numpy(zero_copy_only=False) > limit))
            row = int(batch.row_numbers[idx])
            raise CellTooLargeError(
                f"The cell in row {row}, column {i + 1} ({header[i]!r}) holds "
                f"{longest:,} bytes; the limit is {limit:,}.",
                row=row,
                column=i + 1,
                field=header[i],
            )


def rows_to_batch(
    rows: list[list[str]],
    numbers: list[int],
    issues: list[Issue],
    wanted: list[int],
    width: int,
    table: Table,
) -> Batch:
    columns: list[pa.Array | None] = [None] * width
    for i in wanted:
        columns[i] = pa.array([r[i] for r in rows], type=pa.string())
    batch = Batch(columns, np.array(numbers, dtype=np.int64), issues)
    check_cell_sizes(batch, table.header, table.limits.max_cell_bytes)
    return batch
