"""Reading .xlsx workbooks safely, and their first (or chosen) sheet as batches.

An .xlsx file is a ZIP of XML parts, so the archive is inspected before
openpyxl touches it: declared uncompressed sizes, compression ratios and the
number of members are bounded (zipfile enforces the declared sizes while
inflating, so a member cannot expand beyond what its header says), and XML
parts carrying a DOCTYPE are refused because spreadsheets never need one and
entity expansion is the other classic XML bomb.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .batch import BATCH_ROWS, Batch, ragged_issue, rows_to_batch
from .detect import Progress
from .errors import CellTooLargeError, ParseError, TooManyColumnsError, ZipBombError
from .issues import Issue
from .limits import Limits

if TYPE_CHECKING:
    from .reading import Table

_DOCTYPE_SCAN_BYTES = 4096


def check_xlsx_archive(
    path: str | os.PathLike[str], limits: Limits, name: str = "The workbook"
) -> None:
    """Raise ZipBombError if the archive could expand beyond the limits."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ParseError(f"The workbook is not a valid ZIP archive: {exc}") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_zip_entries:
            raise ZipBombError(
                f"{name} has {len(infos):,} parts; the limit is {limits.max_zip_entries:,}."
            )
        total = 0
        for info in infos:
            total += info.file_size
            if total > limits.max_xlsx_uncompressed_bytes:
                raise ZipBombError(
                    f"{name} would unpack to more than "
                    f"{limits.max_xlsx_uncompressed_bytes:,} bytes, the limit "
                    f"(part {info.filename!r} alone is {info.file_size:,} bytes)."
                )
            if info.file_size > 1_000_000:
                ratio = info.file_size / max(1, info.compress_size)
                if ratio > limits.max_compression_ratio:
                    raise ZipBombError(
                        f"Part {info.filename!r} of {name} is compressed {ratio:,.0f}:1 "
                        f"(the limit is {limits.max_compression_ratio:,.0f}:1), which is how "
                        "zip bombs look."
                    )
        for info in infos:
            if not info.filename.endswith((".xml", ".rels")) or info.file_size == 0:
                continue
            try:
                with zf.open(info) as part:
                    head = part.read(_DOCTYPE_SCAN_BYTES)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                # A damaged or oddly compressed part: the file is not a workbook we can read.
                raise ParseError(
                    f"Part {info.filename!r} of the workbook is damaged: {exc}"
                ) from exc
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise ZipBombError(
                    f"Part {info.filename!r} of the workbook declares a DOCTYPE/ENTITY, "
                    "which spreadsheets never need; refusing to parse it."
                )


def cell_text(value: Any) -> str:
    """Render a cell the way it would appear in a CSV export."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


class XlsxSheet:
    """Rows of one worksheet as lists of strings, with Excel's row numbers."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        sheet: str | None,
        limits: Limits,
        name: str = "The workbook",
    ) -> None:
        import openpyxl  # imported lazily: only spreadsheet uploads need it

        check_xlsx_archive(path, limits, name)
        self.limits = limits
        # A file object, because openpyxl judges paths by their extension and
        # stored blobs are named by their hash.
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in close(), the sheet streams
        try:
            self._wb = openpyxl.load_workbook(self._fh, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many unrelated types
            self._fh.close()
            raise ParseError(f"The workbook could not be opened: {exc}") from exc
        names = self._wb.sheetnames
        if sheet is None and names:
            sheet = names[0]
        if sheet not in names:
            self.close()
            raise ParseError(f"The workbook has no sheet named {sheet!r} (it has {names}).")
        self.sheet = sheet
        self.sheet_names = names
        self._ws = self._wb[sheet]
        try:
            self.header, self.header_row = self._read_header()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            self._wb.close()
        finally:
            self._fh.close()

    def other_sheets_with_data(self) -> list[str]:
        out = []
        for name in self.sheet_names:
            if name == self.sheet:
                continue
            ws = self._wb[name]
            if (ws.max_row or 0) > 1 or (ws.max_column or 0) > 1:
                out.append(name)
        return out

    def _max_col(self) -> int:
        declared = self._ws.max_column or 0
        # Formatting can declare the full 16,384-column width; reading one
        # past the column limit is enough to tell the file is too wide.
        return (
            max(1, min(declared, self.limits.max_columns + 1))
            if declared
            else (self.limits.max_columns + 1)
        )

    def _read_header(self) -> tuple[list[str], int]:
        max_col = self._max_col()
        for number, row in enumerate(
            self._ws.iter_rows(min_row=1, max_col=max_col, values_only=True), start=1
        ):
            cells = [cell_text(v) for v in row]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                if len(cells) > self.limits.max_columns:
                    raise TooManyColumnsError(
                        f"The sheet has more than {self.limits.max_columns} columns.",
                        row=number,
                    )
                for col, text in enumerate(cells, start=1):
                    self._check_cell(text, number, col)
                return cells, number
            if number >= 1000:
                break
        raise ParseError("The worksheet is empty: no header row was found.")

    def _check_cell(self, text: str, row: int, col: int) -> None:
        limit = self.limits.max_cell_bytes
        if len(text) * 4 > limit and len(text.encode("utf-8")) > limit:
            raise CellTooLargeError(
                f"The cell at row {row}, column {col} holds more than {limit:,} bytes.",
                row=row,
                column=col,
            )

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (row number, cells) for each data row; trailing empty rows dropped."""
        max_col = self._max_col()
        pending_blank: list[int] = []
        for number, row in enumerate(
            self._ws.iter_rows(min_row=self.header_row + 1, max_col=max_col, values_only=True),
            start=self.header_row + 1,
        ):
            cells = [cell_text(v) for v in row]
            while cells and cells[-1] == "":
                cells.pop()
            if not cells:
                # Sheets often carry formatted but empty rows at the bottom;
                # they only count as blank rows if data follows them.
                pending_blank.append(number)
                continue
            for col, text in enumerate(cells, start=1):
                if text:
                    self._check_cell(text, number, col)
            for blank in pending_blank:
                yield blank, []
            pending_blank.clear()
            yield number, cells


def xlsx_batches(table: Table, wanted: list[int], progress: Progress | None) -> Iterator[Batch]:
    """The rows of ``table``'s sheet, numbered as the sheet numbers them."""
    sheet = XlsxSheet(table.path, table.dialect.sheet, table.limits)
    width = table.width
    try:
        rows: list[list[str]] = []
        numbers: list[int] = []
        issues: list[Issue] = []
        held = 0  # characters in the rows held: a batch is bounded in size as in rows
        for number, cells in sheet.rows():
            if len(cells) > width:
                issues.append(ragged_issue(number, width, len(cells), None))
                continue
            if len(cells) < width:
                # Empty trailing cells are invisible in a spreadsheet, so a
                # short row is padded rather than reported.
                cells = cells + [""] * (width - len(cells))
            rows.append(cells)
            numbers.append(number)
            held += sum(map(len, cells))
            if len(rows) >= BATCH_ROWS or held >= table.limits.max_batch_bytes:
                if progress:
                    progress("read", number, 0)
                yield rows_to_batch(rows, numbers, issues, wanted, width, table)
                rows, numbers, issues, held = [], [], [], 0
        if rows or issues:
            yield rows_to_batch(rows, numbers, issues, wanted, width, table)
    finally:
        sheet.close()
