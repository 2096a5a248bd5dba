"""Exceptions raised when a file cannot be read or an input is invalid.

Every error is a ``DatasetError`` (a ``ValueError``) so callers can catch one
type; subclasses say what went wrong and carry the location when there is one.
Row numbers follow the convention used everywhere in this package: the header
is row 1 and the first data row is row 2 (as in frictionless); columns are
1-based positions and ``field`` is the column's name.
"""

from __future__ import annotations

from typing import Any


class DatasetError(ValueError):
    """Base class: a problem with an uploaded file or with caller input."""

    code = "dataset-error"

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        column: int | None = None,
        field: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column
        self.field = field
        self.line = line

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "line": self.line,
        }


class EmptyFileError(DatasetError):
    code = "empty-file"


class BinaryFileError(DatasetError):
    code = "binary-file"


class UnsupportedFormatError(DatasetError):
    code = "unsupported-format"


class FileTooLargeError(DatasetError):
    code = "file-too-large"


class EncodingError(DatasetError):
    code = "encoding-error"


class MixedEncodingError(EncodingError):
    code = "mixed-encoding"


class TooManyColumnsError(DatasetError):
    code = "too-many-columns"


class CellTooLargeError(DatasetError):
    code = "cell-too-large"


class RowTooLargeError(DatasetError):
    code = "row-too-large"


class ZipBombError(DatasetError):
    code = "zip-bomb"


class TooManyCellsError(DatasetError):
    code = "too-many-cells"


class UnpackedTooLargeError(DatasetError):
    """A compressed file would expand beyond the limit once decoded."""

    code = "unpacked-too-large"


class ParseError(DatasetError):
    code = "parse-error"


class SchemaError(DatasetError):
    """The (possibly user-edited) Table Schema is not usable.

    ``problems`` lists every problem found, each naming its field, so a form
    can show them all at once instead of one per submit.
    """

    code = "schema-error"

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        first = problems[0] if problems else {"message": "invalid schema"}
        text = "; ".join(p["message"] for p in problems[:5])
        if len(problems) > 5:
            text += f"; and {len(problems) - 5} more"
        super().__init__(text, field=first.get("field"))

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = self.problems
        return out


class MetadataError(DatasetError):
    """Dataset metadata failed validation; ``problems`` names every bad field."""

    code = "metadata-error"

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        super().__init__(text, field=problems[0]["field"] if problems else None)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = self.problems
        return out


class FixError(DatasetError):
    code = "fix-error"


class BlobNotFoundError(DatasetError, KeyError):
    code = "blob-not-found"

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return self.message


class BlobCorruptedError(DatasetError):
    code = "blob-corrupted"


class FileChangedError(DatasetError):
    """The bytes read to store a file are not the bytes that were checked."""

    code = "file-changed"
