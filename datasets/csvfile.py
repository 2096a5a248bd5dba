"""Reading CSV and other delimited text: the header, then the rows as batches.

Two readers give the same batches: Arrow's streaming CSV parser (fast; small
blocks are merged into large batches) and the standard library's ``csv``
module (``engine="python"``: slow, simple, obviously right, the reference the
fast one is tested against). Rows with the wrong number of cells are left out
of the batches and reported in ``Batch.issues``; a quoted cell spanning
several lines is one row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from .batch import BATCH_ROWS, Batch, check_cell_sizes, ragged_issue, rows_to_batch
from .detect import Dialect, Progress
from .errors import (
    CellTooLargeError,
    DatasetError,
    EmptyFileError,
    EncodingError,
    ParseError,
    RowTooLargeError,
    TooManyColumnsError,
)
from .issues import Issue
from .limits import Limits

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from .reading import Table

#: Rows gathered from the CSV parser's small blocks before handing them on.
MERGE_ROWS = 131_072


def _text_stream(path: Path, dialect: Dialect) -> io.TextIOWrapper:
    return open(path, encoding=dialect.encoding or "utf-8", newline="")


def read_csv_header(path: Path, dialect: Dialect, limits: Limits) -> list[str]:
    _ensure_field_limit(limits)
    with _text_stream(path, dialect) as fh:
        budget = _BudgetReader(fh, limits.max_row_bytes)
        reader = csv.reader(
            budget, delimiter=dialect.delimiter or ",", quotechar=dialect.quote_char or '"'
        )
        try:
            header = next(reader)
        except StopIteration:
            raise EmptyFileError("The file has no header row.") from None
        except _BudgetExceeded:
            raise RowTooLargeError(
                f"The header row is longer than {limits.max_row_bytes:,} characters.", row=1
            ) from None
        except csv.Error as exc:
            raise ParseError(f"The header row could not be parsed: {exc}", row=1) from exc
        except UnicodeDecodeError as exc:
            raise EncodingError(f"The header is not valid {dialect.encoding}.", row=1) from exc
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    if len(header) > limits.max_columns:
        raise TooManyColumnsError(
            f"The file has {len(header):,} columns; the limit is {limits.max_columns:,}.",
            row=1,
        )
    if not any(h.strip() for h in header) and len(header) <= 1:
        raise EmptyFileError("The first row of the file is empty; a header row is required.")
    for col, text in enumerate(header, start=1):
        if len(text.encode("utf-8")) > limits.max_cell_bytes:
            raise CellTooLargeError(
                f"Header cell {col} holds more than {limits.max_cell_bytes:,} bytes.",
                row=1,
                column=col,
            )
    return header


class _BudgetExceeded(Exception):
    pass


class _BudgetReader:
    """Line iterator that stops a runaway header (e.g. an unclosed quote)."""

    def __init__(self, fh: io.TextIOBase, budget: int) -> None:
        self.fh = fh
        self.left = budget

    def __iter__(self) -> _BudgetReader:
        return self

    def __next__(self) -> str:
        line = self.fh.readline(self.left + 1)
        if not line:
            raise StopIteration
        self.left -= len(line)
        if self.left < 0:
            raise _BudgetExceeded
        return line


def _ensure_field_limit(limits: Limits) -> None:
    # The csv module's limit is process-wide, so it is only ever raised; our
    # own per-cell check enforces the configured limit precisely.
    needed = max(limits.max_row_bytes, limits.max_cell_bytes) + 1
    if csv.field_size_limit() < needed:
        csv.field_size_limit(needed)


class _CountingReader(io.RawIOBase):
    """Reports bytes consumed so long reads can show progress."""

    def __init__(self, raw: io.BufferedReader, total: int, progress: Progress | None) -> None:
        self.raw = raw
        self.total = total
        self.done = 0
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, b: WriteableBuffer) -> int:
        n = self.raw.readinto(b)
        if n:
            self.done += n
            if self.progress:
                self.progress("read", self.done, self.total)
        return n or 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if data:
            self.done += len(data)
            if self.progress:
                self.progress("read", self.done, self.total)
        return data


def _arrow_encoding(dialect: Dialect) -> str:
    enc = (dialect.encoding or "utf-8").lower()
    # Arrow skips a UTF-8 byte-order mark itself.
    return "utf8" if enc in ("utf-8", "utf8", "utf-8-sig", "ascii") else enc


def arrow_csv_batches(
    table: Table, wanted: list[int], progress: Progress | None
) -> Iterator[Batch]:
    import pyarrow.csv as pacsv

    dialect = table.dialect
    width = table.width
    limits = table.limits
    skipped: list[tuple[int, int, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped.append((row.number or -1, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    names = [f"c{i}" for i in range(width)]
    read_options = pacsv.ReadOptions(
        column_names=names,
        use_threads=False,
        block_size=_block_size(dialect, limits),
        encoding=_arrow_encoding(dialect),
    )
    parse_options = pacsv.ParseOptions(
        delimiter=dialect.delimiter or ",",
        quote_char=dialect.quote_char or False,
        double_quote=True,
        escape_char=False,
        newlines_in_values=dialect.multiline_cells,
        ignore_empty_lines=False,
        invalid_row_handler=on_invalid,
    )
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in names},
        include_columns=[names[i] for i in wanted] if wanted else [names[0]],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    next_number = 1  # the header is record 1
    pending: list[tuple[int, int, int, str]] = []
    first = True
    parts: list[Batch] = []
    rows_held = bytes_held = 0
    with open(table.path, "rb") as raw:
        counted = _CountingReader(raw, table.size, progress)
        try:
            reader = pacsv.open_csv(
                counted,
                read_options=read_options,
                parse_options=parse_options,
                convert_options=convert_options,
            )
        except pa.ArrowInvalid as exc:
            raise _translate_arrow_error(exc, table) from exc
        with reader:
            while True:
                try:
                    record_batch = reader.read_next_batch()
                except StopIteration:
                    break
                except pa.ArrowInvalid as exc:
                    raise _translate_arrow_error(exc, table) from exc
                pending.extend(skipped)
                skipped.clear()
                n = record_batch.num_rows
                skip_numbers = np.array([s[0] for s in pending], dtype=np.int64)
                candidates = np.arange(next_number, next_number + n + len(pending), dtype=np.int64)
                if skip_numbers.size:
                    candidates = candidates[~np.isin(candidates, skip_numbers)]
                numbers = candidates[:n]
                last = int(numbers[-1]) if n else next_number - 1
                issues = [
                    ragged_issue(num, exp, act, text)
                    for num, exp, act, text in pending
                    if num <= last
                ]
                pending = [p for p in pending if p[0] > last]
                next_number = last + 1
                columns: list[pa.Array | None] = [None] * width
                for i in wanted:
                    columns[i] = record_batch.column(f"c{i}")
                if first:
                    # The header is the first record; drop it from the data.
                    first = False
                    numbers = numbers[1:]
                    columns = [c.slice(1) if c is not None else None for c in columns]
                parts.append(Batch(columns, numbers, issues))
                rows_held += len(numbers)
                bytes_held += record_batch.nbytes
                # Long rows: a batch is also bounded in bytes, so memory stays flat.
                if rows_held >= MERGE_ROWS or bytes_held >= limits.max_batch_bytes:
                    yield _merge(parts, table)
                    parts, rows_held, bytes_held = [], 0, 0
    pending.extend(skipped)
    if pending:
        parts.append(
            Batch(
                [pa.array([], pa.string()) if i in wanted else None for i in range(width)],
                np.empty(0, dtype=np.int64),
                [ragged_issue(num, exp, act, text) for num, exp, act, text in pending],
            )
        )
    if parts:
        yield _merge(parts, table)


def _merge(parts: list[Batch], table: Table) -> Batch:
    """Join small parser blocks into one batch: per-batch work has a fixed
    cost per column, so fewer, larger batches are faster."""
    if len(parts) == 1:
        batch = parts[0]
    else:
        columns: list[pa.Array | None] = []
        for i in range(table.width):
            arrays = [p.columns[i] for p in parts]
            columns.append(None if arrays[0] is None else pa.concat_arrays(arrays))
        batch = Batch(
            columns,
            np.concatenate([p.row_numbers for p in parts]),
            [issue for p in parts for issue in p.issues],
        )
    check_cell_sizes(batch, table.header, table.limits.max_cell_bytes)
    return batch


def _block_size(dialect: Dialect, limits: Limits) -> int:
    # Arrow needs every record to fit in one block, but small blocks parse
    # faster; when no line is long and no cell spans lines, 1 MiB is safe.
    longest = dialect.longest_line
    if dialect.multiline_cells or longest is None:
        return limits.max_row_bytes
    if _arrow_encoding(dialect) != "utf8":
        longest *= 4  # transcoding to UTF-8 can grow a line
    return int(min(limits.max_row_bytes, max(1 << 20, 2 * longest + 4096)))


def _translate_arrow_error(exc: Exception, table: Table) -> DatasetError:
    text = str(exc)
    if "straddling" in text or "straddles" in text:
        return RowTooLargeError(
            f"A row is longer than {table.limits.max_row_bytes:,} bytes (or a quote is never "
            "closed); the file cannot be read as a table."
        )
    if "UTF8" in text or "UTF-8" in text or "decode" in text.lower():
        return EncodingError(f"The file is not valid {table.dialect.encoding}: {text}")
    return ParseError(f"The file could not be parsed as CSV: {text}")


def python_csv_batches(
    table: Table, wanted: list[int], progress: Progress | None
) -> Iterator[Batch]:
    """Reference reader built on the csv module: slow, simple, obviously right."""
    dialect = table.dialect
    width = table.width
    _ensure_field_limit(table.limits)
    with _text_stream(table.path, dialect) as fh:
        reader = csv.reader(
            fh,
            delimiter=dialect.delimiter or ",",
            quotechar=dialect.quote_char or '"',
            doublequote=True,
        )
        rows: list[list[str]] = []
        numbers: list[int] = []
        issues: list[Issue] = []
        number = 0
        try:
            for record in reader:
                number += 1
                if number == 1:
                    continue
                if not record:
                    record = [""] * width
                if len(record) != width:
                    text = dialect.delimiter.join(record) if dialect.delimiter else ""
                    issues.append(ragged_issue(number, width, len(record), text))
                    continue
                rows.append(record)
                numbers.append(number)
                if len(rows) >= BATCH_ROWS:
                    yield rows_to_batch(rows, numbers, issues, wanted, width, table)
                    rows, numbers, issues = [], [], []
        except csv.Error as exc:
            raise ParseError(f"The file could not be parsed as CSV: {exc}", row=number) from exc
        if rows or issues:
            yield rows_to_batch(rows, numbers, issues, wanted, width, table)
