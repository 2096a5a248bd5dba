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

This module opens a file as a :class:`Table` and streams its batches; each
format's reader lives in its own module (``csvfile``, ``excel``, ``parquet``)
and ``Batch`` in ``batch``.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .batch import Batch
from .csvfile import arrow_csv_batches, python_csv_batches, read_csv_header
from .detect import Detection, Dialect, Progress, detect, file_size, scan_text
from .errors import (
    DatasetError,
    EmptyFileError,
    EncodingError,
    FileTooLargeError,
    TooManyCellsError,
    UnsupportedFormatError,
)
from .excel import XlsxSheet, xlsx_batches
from .issues import Issue
from .limits import DEFAULT_LIMITS, Limits
from .parquet import parquet_batches, parquet_header


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
            reader = python_csv_batches if self.engine == "python" else arrow_csv_batches
        elif fmt == "xlsx":
            reader = xlsx_batches
        elif fmt == "parquet":
            reader = parquet_batches
        else:  # pragma: no cover - Dialect is validated on open
            raise UnsupportedFormatError(f"Unknown format {fmt!r}.")
        max_rows = self.limits.max_rows
        # Text files are bounded by their size; a table's cells are bounded too, because
        # every cell costs memory in the checks that follow however short it is.
        max_cells = self.limits.max_cells
        seen = 0
        for batch in _prefetch(reader(self, wanted, progress)):
            seen += batch.num_rows
            if max_rows is not None and seen > max_rows:
                raise DatasetError(
                    f"The file has more than {max_rows:,} data rows, the configured limit."
                )
            if seen * max(1, self.width) > max_cells:
                raise TooManyCellsError(
                    f"The file has more than {max_cells:,} cells ({seen:,} rows of "
                    f"{self.width:,} columns so far), the configured limit."
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
    dialect: Dialect | dict[str, Any] | None = None,
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
        header = read_csv_header(path, dialect, limits)
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
        sheet = XlsxSheet(path, dialect.sheet, limits, f"'{filename or path.name}'")
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
        header, declared = parquet_header(path, limits, f"'{filename or path.name}'")
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
