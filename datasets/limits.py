"""Configurable resource limits applied while reading untrusted files."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB


@dataclass(frozen=True)
class Limits:
    """Upper bounds that protect the portal from hostile or broken uploads.

    The defaults suit participant-level trial data; raise them per deployment
    rather than per upload so a single user cannot exhaust a worker.
    """

    #: Largest file accepted, checked while streaming (not from headers).
    max_bytes: int = 2 * GIB
    #: Wider tables are almost always transposed or corrupt files.
    max_columns: int = 2_000
    #: Python's csv module defaults to 128 KiB per field; free text longer
    #: than that is not tabular data.
    max_cell_bytes: int = 128 * KIB
    #: Also the parser's block size: a record must fit in one block.
    max_row_bytes: int = 16 * MIB
    #: Total uncompressed size of all members of an .xlsx archive.
    max_xlsx_uncompressed_bytes: int = 1 * GIB
    #: Spreadsheet XML compresses roughly 5-30x; zip bombs reach 1000x.
    max_compression_ratio: float = 200.0
    max_zip_entries: int = 10_000
    max_rows: int | None = None
    #: Rows x columns; a trial's participant-level data is far below this.
    max_cells: int = 100_000_000
    #: What a compressed format (Parquet) may expand to once decoded, as text.
    #: A few kilobytes of dictionary-encoded strings can otherwise unpack to gigabytes.
    max_unpacked_bytes: int = 1 * GIB
    #: One Parquet row group, uncompressed; its pages are buffered while they are decoded.
    max_row_group_bytes: int = 256 * MIB
    #: Decoded text handed on in one batch: rows are read in slices this small.
    max_batch_bytes: int = 32 * MIB

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_LIMITS = Limits()
