"""Open datasets: read, describe, validate, screen, fix, store and export tables.

Plain Python with no web framework or database: files and streams in,
dataclasses (each with ``to_dict()``) out, so the web app, the CLI and
background workers share one implementation.

Typical flow for an upload::

    store = LocalBlobStore("/srv/portal/blobs")
    result = ingest(upload_stream, filename="trial.csv", store=store)
    # result.sha256, result.row_count, result.schema, result.report, result.screening
    with local_copy(store, result.sha256) as path:
        report = validate(path, edited_schema, dialect=result.dialect)
        findings = screen(path, edited_schema, quasi_identifiers=["age", "sex"], k=5)
        fixed = apply_fixes(path, [f.suggested_fix for f in findings.findings
                                   if f.severity == "block"], "fixed.csv",
                            schema=edited_schema, dialect=result.dialect)
    new_version = ingest("fixed.csv", store=store, schema=fixed.schema)

Conventions: row numbers count the header as row 1 (the first data row is
row 2), as frictionless does; columns are 1-based positions and ``field`` is
the column name. Errors are ``DatasetError`` subclasses (``ValueError``).
"""

from __future__ import annotations

from .batch import Batch
from .detect import Detection, Dialect, detect
from .errors import (
    BinaryFileError,
    BlobCorruptedError,
    BlobNotFoundError,
    CellTooLargeError,
    DatasetError,
    EmptyFileError,
    EncodingError,
    FileTooLargeError,
    FixError,
    MetadataError,
    MixedEncodingError,
    ParseError,
    RowTooLargeError,
    SchemaError,
    TooManyCellsError,
    TooManyColumnsError,
    UnpackedTooLargeError,
    UnsupportedFormatError,
    ZipBombError,
)
from .export import (
    ExportResult,
    datapackage_descriptor,
    dataset_jsonld,
    export_csv,
    export_datapackage,
    neutralise_formulas,
)
from .fixes import (
    DatesToDays,
    DatesToYear,
    DropColumn,
    FirstCharacters,
    FixRecord,
    FixResult,
    RenameColumn,
    TopCodeAges,
    UkOutwardCodes,
    ZipsTo3,
    apply_fixes,
    fix_from_dict,
)
from .inference import Profile, infer_schema, profile
from .ingest import IngestResult, ingest
from .issues import Issue
from .limits import DEFAULT_LIMITS, Limits
from .metadata import LICENCES, DatasetMetadata, Source
from .reading import Table, open_table
from .report import ValidationReport
from .schema import ROLES, check_schema, normalise_schema
from .screening import Finding, KAnonymity, ScreeningReport, mask, screen
from .stats import ColumnSummary
from .storage import BlobInfo, BlobStore, LocalBlobStore, local_copy
from .validation import validate

__all__ = [
    "DEFAULT_LIMITS",
    "LICENCES",
    "ROLES",
    "Batch",
    "BinaryFileError",
    "BlobCorruptedError",
    "BlobInfo",
    "BlobNotFoundError",
    "BlobStore",
    "CellTooLargeError",
    "ColumnSummary",
    "DatasetError",
    "DatasetMetadata",
    "DatesToDays",
    "DatesToYear",
    "Detection",
    "Dialect",
    "DropColumn",
    "EmptyFileError",
    "EncodingError",
    "ExportResult",
    "FileTooLargeError",
    "FirstCharacters",
    "Finding",
    "FixError",
    "FixRecord",
    "FixResult",
    "IngestResult",
    "Issue",
    "KAnonymity",
    "Limits",
    "LocalBlobStore",
    "MetadataError",
    "MixedEncodingError",
    "ParseError",
    "Profile",
    "RenameColumn",
    "RowTooLargeError",
    "SchemaError",
    "ScreeningReport",
    "Source",
    "Table",
    "TooManyCellsError",
    "TooManyColumnsError",
    "TopCodeAges",
    "UkOutwardCodes",
    "UnpackedTooLargeError",
    "UnsupportedFormatError",
    "ValidationReport",
    "ZipBombError",
    "ZipsTo3",
    "apply_fixes",
    "check_schema",
    "datapackage_descriptor",
    "dataset_jsonld",
    "detect",
    "export_csv",
    "export_datapackage",
    "fix_from_dict",
    "infer_schema",
    "ingest",
    "local_copy",
    "mask",
    "neutralise_formulas",
    "normalise_schema",
    "open_table",
    "profile",
    "screen",
    "validate",
]
