"""One call for an upload: read, infer the data dictionary, report, screen, store.

The file is analysed *before* it is stored, so a file rejected as empty,
binary, too large or a zip bomb never becomes a blob. Streams (e.g. a web
upload) are first spooled to a temporary file with the size limit enforced
while copying, because the readers need to pass over the file several times.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from . import csvfile
from .batch import Batch
from .detect import Dialect, Progress, precheck
from .dictionary import carried_types, carry_dictionary, give_up_types
from .errors import DatasetError, EmptyFileError, FileTooLargeError, SchemaError
from .inference import profile
from .issues import Issue
from .limits import DEFAULT_LIMITS, Limits
from .reading import Table, open_table
from .report import ValidationReport
from .schema import normalise_schema
from .screening import DIRECT, ScreeningReport, mask, screen
from .screening.table import Screener
from .storage import BlobInfo, BlobStore
from .validation import validate

CHUNK = 1 << 20


@dataclass
class IngestResult:
    sha256: str
    size: int
    filename: str | None
    dialect: Dialect
    schema: dict[str, Any]
    inferred_schema: dict[str, Any]
    report: ValidationReport
    screening: ScreeningReport
    blob: BlobInfo | None
    notes: list[Issue]

    @property
    def row_count(self) -> int:
        return self.report.row_count

    @property
    def valid(self) -> bool:
        return self.report.valid

    @property
    def publishable(self) -> bool:
        """Valid and free of blocking identifiers (curators may still override)."""
        return self.report.valid and not self.screening.blocking

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "filename": self.filename,
            "dialect": self.dialect.to_dict(),
            "row_count": self.row_count,
            "column_count": self.report.column_count,
            "valid": self.valid,
            "publishable": self.publishable,
            "schema": self.schema,
            "inferred_schema": self.inferred_schema,
            "report": self.report.to_dict(),
            "screening": self.screening.to_dict(),
            "blob": self.blob.to_dict() if self.blob else None,
            "notes": [n.to_dict() for n in self.notes],
        }


def spool(
    stream: IO[bytes],
    directory: str | os.PathLike[str],
    *,
    max_bytes: int,
    filename: str | None = None,
) -> Path:
    """Copy a stream to a file in ``directory``, refusing to go past ``max_bytes``.

    The file is then looked at as the full check will look at it (what it is, from its
    first bytes; whether text is text), so a picture renamed ``.csv`` is refused while
    the member is still on the form, not later in a job.
    """
    fd, name = tempfile.mkstemp(prefix="spool-", dir=directory)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLargeError(
                        f"The upload is larger than the {max_bytes:,}-byte limit."
                    )
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    if size == 0:
        os.unlink(name)
        raise EmptyFileError("The upload is empty (0 bytes).")
    try:
        precheck(name, filename)
    except DatasetError:
        os.unlink(name)
        raise
    return Path(name)


def redact_summaries(report: ValidationReport, screening: ScreeningReport) -> None:
    """Mask the example values of columns holding direct identifiers, so the
    report itself can be shown without leaking them."""
    flagged = screening.columns_flagged(DIRECT)
    for summary in report.columns:
        if summary.name not in flagged:
            continue
        summary.top = [(mask(str(v)), n) for v, n in summary.top]
        if summary.type in ("date", "datetime", "string"):
            summary.min = mask(str(summary.min)) if summary.min is not None else None
            summary.max = mask(str(summary.max)) if summary.max is not None else None
    for issue in report.errors + report.warnings:
        if issue.field in flagged and issue.value is not None:
            issue.value = mask(issue.value)


def ingest(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    filename: str | None = None,
    store: BlobStore | None = None,
    schema: dict[str, Any] | None = None,
    quasi_identifiers: Sequence[str] | None = None,
    k: int = 5,
    limits: Limits = DEFAULT_LIMITS,
    max_errors_per_code: int = 1000,
    workdir: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    carry_from: dict[str, Any] | None = None,
    own_file: bool = False,
) -> IngestResult:
    """Analyse an uploaded file and, if it can be read, put it in ``store``.

    ``source`` is a path or a binary stream. If ``schema`` is given (e.g. the
    previous version's edited schema) the report validates against it;
    otherwise against the schema inferred from the file, onto which
    ``carry_from`` (the previous version's dictionary) is carried, and
    ``quasi_identifiers`` whose column is gone are left out. Raises a
    ``DatasetError`` subclass when the file cannot be read at all.

    ``own_file`` says that ``source`` is a file the caller wrote and nothing else
    writes while this runs (an upload staged by the portal): the store then names
    the blob by the byte scan's digest instead of hashing the bytes again.
    """
    tmpdir = None
    try:
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            filename = filename or path.name
        else:
            tmpdir = tempfile.mkdtemp(prefix="ingest-", dir=workdir)
            path = spool(source, tmpdir, max_bytes=limits.max_bytes)
        table = open_table(path, filename=filename, limits=limits, progress=progress)
        # The inferred schema is known only after the whole read; screening rides
        # on that read with the first batch's schema and is kept if it is the same.
        along = (
            _ScreenAlong(table, quasi_identifiers, k)
            if schema is None
            and carry_from is None
            and table.dialect.format == "csv"
            and table.engine == "arrow"
            else None
        )
        prof = profile(
            table,
            max_errors_per_code=max_errors_per_code,
            progress=progress,
            along=along.start if along is not None else None,
        )
        notes = list(prof.notes)
        if schema is None and carry_from is not None:
            used_schema, report, given_up = _carry(
                table, prof.schema, carry_from, progress, max_errors_per_code
            )
            if given_up:
                notes.append(
                    Issue(
                        code="type-not-carried",
                        message="The previous version's type did not fit every value of "
                        f"{', '.join(repr(n) for n in given_up)}, so the type was inferred "
                        "again from this file.",
                    )
                )
            header = set(table.header)
            quasi_identifiers = [q for q in quasi_identifiers or [] if q in header]
        elif schema is None:
            used_schema, report = prof.schema, prof.report
        else:
            used_schema = schema
            report = validate(
                table, schema, max_errors_per_code=max_errors_per_code, progress=progress
            )
        ranges = {c.name: (c.min, c.max) for c in report.columns if c.type == "integer"}
        screening = along.result(used_schema, ranges) if along is not None else None
        if screening is None:
            screening = screen(
                table,
                used_schema,
                quasi_identifiers=quasi_identifiers,
                k=k,
                progress=progress,
                ranges=ranges,
            )
        redact_summaries(report, screening)
        blob = None
        sha = table.sha256 or ""
        if store is not None:
            # A file only this process writes cannot change after its scan, so the
            # scan's digest names the blob and the bytes are hashed once. Anyone's
            # file (a path given on the command line) is hashed again as it is
            # stored, and refused unless its digest is still the scan's: a blob
            # named by a digest its bytes do not have would poison every later
            # upload of the content that digest names.
            with open(path, "rb") as fh:
                blob = store.put(
                    fh,
                    max_bytes=limits.max_bytes,
                    sha256=table.sha256,
                    trusted=own_file or tmpdir is not None,
                )
            sha = blob.sha256
        return IngestResult(
            sha256=sha,
            size=table.size,
            filename=filename,
            dialect=table.dialect,
            schema=used_schema,
            inferred_schema=prof.schema,
            report=report,
            screening=screening,
            blob=blob,
            notes=notes,
        )
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)


class _ScreenAlong:
    """Screening fed by inference's read, planned from the first batch's schema.

    Its report is used only when it is the one a read of its own would give: the
    whole file's schema and integer ranges plan the same screening as the first
    batch's did, and the batches are those a read of fewer columns cuts (each cut
    by its row count, never by its bytes, which depend on the columns read).
    """

    def __init__(self, table: Table, quasi_identifiers: Sequence[str] | None, k: int) -> None:
        self.table = table
        self.quasi_identifiers = quasi_identifiers
        self.k = k
        self.screener: Screener | None = None
        self.sizes: list[int] = []

    def _screener(
        self, schema: dict[str, Any], ranges: dict[str, tuple[Any, Any]]
    ) -> Screener | None:
        try:
            return Screener(
                self.table,
                normalise_schema(schema),
                quasi_identifiers=self.quasi_identifiers,
                k=self.k,
                ranges=ranges,
            )
        except DatasetError:  # raised again by the screening of its own read
            return None

    def start(
        self, schema: dict[str, Any], ranges: dict[str, tuple[Any, Any]]
    ) -> Callable[[Batch], None]:
        self.screener = self._screener(schema, ranges)
        return self.feed

    def feed(self, batch: Batch) -> None:
        self.sizes.append(batch.num_rows)
        if self.screener is not None:
            self.screener.feed(batch)

    def result(
        self, schema: dict[str, Any], ranges: dict[str, tuple[Any, Any]]
    ) -> ScreeningReport | None:
        if self.screener is None or any(n < csvfile.MERGE_ROWS for n in self.sizes[:-1]):
            return None
        final = self._screener(schema, ranges)
        if final is None or final.plan != self.screener.plan:
            return None
        return self.screener.report(normalise_schema(schema))


def _carry(
    table: Table,
    inferred: dict[str, Any],
    previous: dict[str, Any],
    progress: Progress | None,
    max_errors: int,
) -> tuple[dict[str, Any], ValidationReport, list[str]]:
    """The previous dictionary carried onto the inferred one, the file validated
    against it, and the columns whose carried type had to be given up."""
    merged = carry_dictionary(inferred, previous)
    carried = carried_types(inferred, merged)
    try:
        report = validate(table, merged, max_errors_per_code=max_errors, progress=progress)
    except SchemaError:
        # A carried type under which an inferred constraint cannot even be read.
        given_up = carried
    else:
        listed: list[str | None] = [e.field for e in report.errors if e.code == "type-error"]
        if len(listed) < report.error_counts.get("type-error", 0):
            # Not every type error is listed: any carried type may be among them.
            listed = list(carried)
        given_up = [name for name in carried if name in set(listed)]
        if not given_up:
            return merged, report, []
    merged = give_up_types(inferred, merged, given_up)
    return (
        merged,
        validate(table, merged, max_errors_per_code=max_errors, progress=progress),
        given_up,
    )
