"""Stream the rows of a CSV/TSV, .xlsx or Parquet file as column batches.

Every format is presented the same way: a header (list of strings) and an
iterator of ``Batch`` objects, each holding one Arrow string array per column
plus the file row number of every row. Typing is left to the schema layer, so
inference and validation see exactly the text that is in the file (a Parquet
integer column is rendered as text too, with its declared type kept in
``Table.declared_types``).

Row numbers: the header is row 1 and the first data row is row 2 (the
frictionless convention); every record counts, blank ones included, and a
quoted cell spanning several lines is still one row. For spreadsheets the
numbers are the sheet's own row numbers.

Rows with the wrong number of cells are not put in the batch; they are
reported in ``Batch.issues`` (codes ``missing-cell``/``extra-cell``) so that
validation can report them without guessing which cell is which.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .detect import Detection, Dialect, Progress, detect, file_size, scan_text
from .errors import (
    CellTooLargeError,
    DatasetError,
    EmptyFileError,
    EncodingError,
    FileTooLargeError,
    ParseError,
    RowTooLargeError,
    TooManyColumnsError,
    UnsupportedFormatError,
)
from .issues import Issue, truncate
from .limits import DEFAULT_LIMITS, Limits

#: Rows per batch for the readers that build batches themselves.
BATCH_ROWS = 65_536
#: Rows gathered from the CSV parser's small blocks before handing them on.
MERGE_ROWS = 131_072


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


class Table:
    """An opened tabular file. Iterate ``batches()`` as many times as needed;
    each call re-reads the file from disk, so memory stays flat."""

    def __init__(
        self,
        path: Path,
        dialect: Dialect,
        header: list[str],
        *,
        limits: Limits,
        size: int,
        sha256: str | None,
        warnings: list[Issue],
        declared_types: dict[int, str] | None = None,
        header_row: int = 1,
        engine: str = "arrow",
    ) -> None:
        self.path = path
        self.dialect = dialect
        self.header = header
        self.limits = limits
        self.size = size
        self.sha256 = sha256
        self.warnings = warnings
        self.declared_types = declared_types or {}
        self.header_row = header_row
        self.engine = engine

    @property
    def width(self) -> int:
        return len(self.header)

    def batches(
        self, columns: Sequence[int] | None = None, progress: Progress | None = None
    ) -> Iterator[Batch]:
        wanted = list(range(self.width)) if columns is None else sorted(set(columns))
        fmt = self.dialect.format
        if fmt == "csv":
            reader = _python_csv_batches if self.engine == "python" else _arrow_csv_batches
        elif fmt == "xlsx":
            reader = _xlsx_batches
        elif fmt == "parquet":
            reader = _parquet_batches
        else:  # pragma: no cover - Dialect is validated on open
            raise UnsupportedFormatError(f"Unknown format {fmt!r}.")
        max_rows = self.limits.max_rows
        seen = 0
        for batch in _prefetch(reader(self, wanted, progress)):
            seen += batch.num_rows
            if max_rows is not None and seen > max_rows:
                raise DatasetError(
                    f"The file has more than {max_rows:,} data rows, the configured limit."
                )
            yield batch


_DONE = object()


def _prefetch(batches: Iterator[Batch], depth: int = 2) -> Iterator[Batch]:
    """Parse the next batches in a worker thread while the caller checks this one.

    Arrow releases the GIL while parsing and computing, so on two cores
    reading and checking overlap almost completely.
    """
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in batches:
                while not stop.is_set():
                    try:
                        out.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put(_DONE)
        except BaseException as exc:  # handed to the consumer, re-raised there
            out.put(exc)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name="datasets-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            with contextlib.suppress(queue.Empty):
                out.get(timeout=0.05)
        worker.join()


def open_table(
    path: str | os.PathLike[str],
    *,
    filename: str | None = None,
    dialect: Dialect | dict | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Progress | None = None,
    engine: str = "arrow",
) -> Table:
    """Open a file for reading, detecting its format unless ``dialect`` is given.

    A given dialect (e.g. the one stored at upload, or an uploader's choice of
    delimiter) is used as it is, but a text file is still scanned once, so
    the size limit, NUL bytes, the encoding and unclosed quotes are checked
    on every read, not only the first.

    ``engine="python"`` reads CSV with the standard library instead of Arrow;
    it is the slow, obvious reference the fast reader is tested against.
    """
    path = Path(path)
    if isinstance(dialect, dict):
        dialect = Dialect.from_dict(dialect)
    warnings: list[Issue] = []
    sha256 = None
    if dialect is None:
        found: Detection = detect(path, filename=filename, limits=limits, progress=progress)
        dialect, sha256, warnings = found.dialect, found.sha256, list(found.warnings)
    elif dialect.format == "csv":
        wanted = dialect.encoding or "utf-8"
        enc, sha256, _, multiline, longest, warnings = scan_text(
            path,
            filename=filename,
            encoding=None if wanted in ("utf-8", "utf-8-sig") else wanted,
            limits=limits,
            progress=progress,
        )
        if wanted in ("utf-8", "utf-8-sig") and enc not in ("utf-8", "utf-8-sig"):
            raise EncodingError(f"'{filename or path.name}' is not valid UTF-8.")
        warnings = [w for w in warnings if w.code != "encoding"]
        dialect = replace(dialect, multiline_cells=multiline, longest_line=longest)
    size = file_size(path)
    if size == 0:
        raise EmptyFileError(f"'{filename or path.name}' is empty (0 bytes).")
    if size > limits.max_bytes:
        raise FileTooLargeError(
            f"'{filename or path.name}' is larger than the {limits.max_bytes:,}-byte limit."
        )
    if dialect.format == "csv":
        header = _read_csv_header(path, dialect, limits)
        return Table(
            path,
            dialect,
            header,
            limits=limits,
            size=size,
            sha256=sha256,
            warnings=warnings,
            engine=engine,
        )
    if dialect.format == "xlsx":
        from .excel import XlsxSheet

        sheet = XlsxSheet(path, dialect.sheet, limits)
        try:
            others = sheet.other_sheets_with_data()
            if others:
                warnings.append(
                    Issue(
                        code="sheets",
                        message=(
                            f"Only the sheet {sheet.sheet!r} was read; the workbook also has "
                            f"data in {', '.join(repr(o) for o in others)}."
                        ),
                    )
                )
            dialect = Dialect(format="xlsx", sheet=sheet.sheet, multiline_cells=False)
            return Table(
                path,
                dialect,
                sheet.header,
                limits=limits,
                size=size,
                sha256=sha256,
                warnings=warnings,
                header_row=sheet.header_row,
            )
        finally:
            sheet.close()
    if dialect.format == "parquet":
        header, declared = _parquet_header(path, limits)
        return Table(
            path,
            Dialect(format="parquet", multiline_cells=False),
            header,
            limits=limits,
            size=size,
            sha256=sha256,
            warnings=warnings,
            declared_types=declared,
        )
    raise UnsupportedFormatError(f"Unsupported format {dialect.format!r}.")


# --------------------------------------------------------------------- CSV --


def _text_stream(path: Path, dialect: Dialect) -> io.TextIOWrapper:
    return open(path, encoding=dialect.encoding or "utf-8", newline="")


def _read_csv_header(path: Path, dialect: Dialect, limits: Limits) -> list[str]:
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

    def __init__(self, raw: BinaryIO, total: int, progress: Progress | None) -> None:
        self.raw = raw
        self.total = total
        self.done = 0
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = self.raw.readinto(b)  # type: ignore[attr-defined]
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


def _ragged_issue(number: int, expected: int, actual: int, text: str | None) -> Issue:
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


def _check_cell_sizes(batch: Batch, header: list[str], limit: int) -> None:
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


def _arrow_encoding(dialect: Dialect) -> str:
    enc = (dialect.encoding or "utf-8").lower()
    # Arrow skips a UTF-8 byte-order mark itself.
    return "utf8" if enc in ("utf-8", "utf8", "utf-8-sig", "ascii") else enc


def _arrow_csv_batches(
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
    rows_held = 0
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
                    _ragged_issue(num, exp, act, text)
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
                if rows_held >= MERGE_ROWS:
                    yield _merge(parts, table)
                    parts, rows_held = [], 0
    pending.extend(skipped)
    if pending:
        parts.append(
            Batch(
                [pa.array([], pa.string()) if i in wanted else None for i in range(width)],
                np.empty(0, dtype=np.int64),
                [_ragged_issue(num, exp, act, text) for num, exp, act, text in pending],
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
    _check_cell_sizes(batch, table.header, table.limits.max_cell_bytes)
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


def _python_csv_batches(
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
                    issues.append(_ragged_issue(number, width, len(record), text))
                    continue
                rows.append(record)
                numbers.append(number)
                if len(rows) >= BATCH_ROWS:
                    yield _rows_to_batch(rows, numbers, issues, wanted, width, table)
                    rows, numbers, issues = [], [], []
        except csv.Error as exc:
            raise ParseError(f"The file could not be parsed as CSV: {exc}", row=number) from exc
        if rows or issues:
            yield _rows_to_batch(rows, numbers, issues, wanted, width, table)


def _rows_to_batch(
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
    _check_cell_sizes(batch, table.header, table.limits.max_cell_bytes)
    return batch


# -------------------------------------------------------------------- XLSX --


def _xlsx_batches(table: Table, wanted: list[int], progress: Progress | None) -> Iterator[Batch]:
    from .excel import XlsxSheet

    sheet = XlsxSheet(table.path, table.dialect.sheet, table.limits)
    width = table.width
    try:
        rows: list[list[str]] = []
        numbers: list[int] = []
        issues: list[Issue] = []
        for number, cells in sheet.rows():
            if len(cells) > width:
                issues.append(_ragged_issue(number, width, len(cells), None))
                continue
            if len(cells) < width:
                # Empty trailing cells are invisible in a spreadsheet, so a
                # short row is padded rather than reported.
                cells = cells + [""] * (width - len(cells))
            rows.append(cells)
            numbers.append(number)
            if len(rows) >= BATCH_ROWS:
                if progress:
                    progress("read", number, 0)
                yield _rows_to_batch(rows, numbers, issues, wanted, width, table)
                rows, numbers, issues = [], [], []
        if rows or issues:
            yield _rows_to_batch(rows, numbers, issues, wanted, width, table)
    finally:
        sheet.close()


# ----------------------------------------------------------------- Parquet --

_ARROW_TO_TABLE_SCHEMA = (
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_integer, "integer"),
    (pa.types.is_floating, "number"),
    (pa.types.is_decimal, "number"),
    (pa.types.is_date, "date"),
    (pa.types.is_timestamp, "datetime"),
)


def _parquet_header(path: Path, limits: Limits) -> tuple[list[str], dict[int, str]]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:
        raise ParseError(f"The Parquet file could not be opened: {exc}") from exc
    if len(schema) > limits.max_columns:
        raise TooManyColumnsError(
            f"The file has {len(schema):,} columns; the limit is {limits.max_columns:,}.", row=1
        )
    declared: dict[int, str] = {}
    for i, fld in enumerate(schema):
        t = fld.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
            raise UnsupportedFormatError(
                f"Column {fld.name!r} has type {fld.type}; only flat columns of numbers, "
                "text, booleans and dates are supported.",
                column=i + 1,
                field=fld.name,
            )
        for test, name in _ARROW_TO_TABLE_SCHEMA:
            if test(t):
                declared[i] = name
                break
    return list(schema.names), declared


def _arrow_to_text(arr: pa.Array) -> pa.Array:
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_floating(t):
        arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, t), arr)
    if pa.types.is_boolean(t):
        text = pc.if_else(arr, "true", "false")
    elif pa.types.is_timestamp(t):
        text = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
    else:
        text = pc.cast(arr, pa.string())
    return pc.fill_null(text, "")


def _parquet_batches(table: Table, wanted: list[int], progress: Progress | None) -> Iterator[Batch]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(table.path)
    names = [table.header[i] for i in wanted] if wanted else [table.header[0]]
    start = 2
    for record_batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=names):
        n = record_batch.num_rows
        columns: list[pa.Array | None] = [None] * table.width
        for pos, i in enumerate(wanted):
            columns[i] = _arrow_to_text(record_batch.column(pos))
        batch = Batch(columns, np.arange(start, start + n, dtype=np.int64))
        start += n
        _check_cell_sizes(batch, table.header, table.limits.max_cell_bytes)
        if progress:
            progress("read", start, 0)
        yield batch
