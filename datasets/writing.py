"""Write string column batches as RFC 4180 CSV (UTF-8, comma, "\\n").

Rows are assembled with Arrow kernels and written straight from Arrow's
buffer, so writing a million rows costs about as much as reading them.
Only cells that need it are quoted (Arrow's own writer quotes every string).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .cells import DANGEROUS_PATTERN, PLAIN_NUMBER_PATTERN, csv_line
from .masks import bool_mask

_NEEDS_QUOTES = r'[",\r\n]'


def quote_cells(arr: pa.Array) -> pa.Array:
    """Quote cells containing a comma, quote or line break (doubling quotes)."""
    needs = bool_mask(pc.match_substring_regex(arr, pattern=_NEEDS_QUOTES))
    if not needs.any():
        return arr
    escaped = pc.replace_substring(arr, pattern='"', replacement='""')
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.if_else(pa.array(needs), quoted, arr)


def neutralise_formulas(arr: pa.Array) -> tuple[pa.Array, int]:
    """Prefix formula-like cells with an apostrophe; returns (cells, how many changed).

    The vectorised form of :func:`datasets.cells.is_dangerous`.
    """
    danger = bool_mask(pc.match_substring_regex(arr, pattern=DANGEROUS_PATTERN))
    if not danger.any():
        return arr, 0
    danger &= ~bool_mask(pc.match_substring_regex(arr, pattern=PLAIN_NUMBER_PATTERN))
    if not danger.any():
        return arr, 0
    fixed = pc.binary_join_element_wise("'", arr, "")
    return pc.if_else(pa.array(danger), fixed, arr), int(danger.sum())


class CsvWriter:
    """Streams CSV to a binary file object while hashing it.

    With ``neutralise=True`` (every download) formula-like cells, header
    included, get the apostrophe of :mod:`datasets.cells`; ``neutralised``
    counts the data cells changed.
    """

    def __init__(
        self, dest: IO[bytes], header: list[str], *, bom: bool = False, neutralise: bool = False
    ) -> None:
        self.dest = dest
        self.digest = hashlib.sha256()
        self.size = 0
        self.rows = 0
        self.neutralise = neutralise
        self.neutralised = 0
        self.width = len(header)
        if bom:
            self._write(b"\xef\xbb\xbf")
        if neutralise:
            self._write(csv_line(header).encode("utf-8"))
        else:
            text = io.StringIO()
            csv.writer(text, lineterminator="\n").writerow(header)
            self._write(text.getvalue().encode("utf-8"))

    def _write(self, data: bytes | memoryview) -> None:
        self.dest.write(data)
        self.digest.update(data)
        self.size += len(data)

    def write_columns(self, columns: list[pa.Array]) -> None:
        if len(columns) != self.width:
            raise ValueError("column count does not match the header")
        n = len(columns[0]) if columns else 0
        if n == 0:
            return
        if self.neutralise:
            safe = []
            for column in columns:
                column, changed = neutralise_formulas(column)
                self.neutralised += changed
                safe.append(column)
            columns = safe
        quoted = [quote_cells(c) for c in columns]
        if len(quoted) == 1:
            # An empty single cell would be a blank line, which readers skip.
            only = pc.if_else(pc.equal(quoted[0], ""), '""', quoted[0])
            lines = pc.binary_join_element_wise(only, "", "\n")
        else:
            row = pc.binary_join_element_wise(*quoted, ",")
            lines = pc.binary_join_element_wise(row, "", "\n")
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        # A freshly computed string array holds its rows back to back.
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
        start, end = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
        self._write(memoryview(lines.buffers()[2])[start:end])
        self.rows += n

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


def open_dest(dest: str | os.PathLike[str] | IO[bytes]) -> tuple[IO[bytes], bool]:
    """(binary file object, whether we opened it and must close it)."""
    if isinstance(dest, (str, os.PathLike)):
        return open(Path(dest), "wb"), True
    return dest, False


def write_bytes_info(writer: CsvWriter) -> dict[str, Any]:
    return {"sha256": writer.sha256, "size": writer.size, "rows": writer.rows}
