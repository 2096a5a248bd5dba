"""Reading Parquet files: flat columns rendered as text, their types kept.

Every column is turned into the text a CSV export would hold (booleans as
``true``/``false``, timestamps as ISO 8601, nulls and NaN as empty cells), so
inference and validation treat every format alike; the Arrow type of each
column is kept as its declared Table Schema type (``Table.declared_types``).
Nested and binary columns are refused.

Parquet compresses twice (dictionary encoding, then a codec), so a file of a few
kilobytes can hold gigabytes of text. Before any value is decoded the footer is
checked (rows x columns, uncompressed bytes per row group and in all), then one
pass over the dictionary indices measures what the text columns expand to without
expanding them. Reading keeps text columns dictionary-encoded and decodes slices
of at most ``Limits.max_batch_bytes``, so memory stays bounded whatever the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .batch import BATCH_ROWS, Batch, check_cell_sizes
from .detect import Progress
from .errors import (
    ParseError,
    TooManyCellsError,
    TooManyColumnsError,
    UnpackedTooLargeError,
    UnsupportedFormatError,
)
from .limits import MIB, Limits

if TYPE_CHECKING:
    from .reading import Table

_ARROW_TO_TABLE_SCHEMA = (
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_integer, "integer"),
    (pa.types.is_floating, "number"),
    (pa.types.is_decimal, "number"),
    (pa.types.is_date, "date"),
    (pa.types.is_timestamp, "datetime"),
)


#: Bytes counted for a non-text value rendered as text (a number, a date).
_FIXED_CELL_BYTES = 8


def _text_columns(schema: pa.Schema) -> list[str]:
    return [
        fld.name
        for fld in schema
        if pa.types.is_string(fld.type)
        or pa.types.is_large_string(fld.type)
        or (pa.types.is_dictionary(fld.type) and pa.types.is_string(fld.type.value_type))
    ]


def _open(path: Path, schema: pa.Schema) -> pq.ParquetFile:
    # Text columns stay dictionary-encoded: indices into values decoded once per page.
    return pq.ParquetFile(path, read_dictionary=_text_columns(schema))


def parquet_header(
    path: Path, limits: Limits, name: str = "The Parquet file"
) -> tuple[list[str], dict[int, str]]:
    """The column names and declared types, once the file is known to fit the limits."""
    try:
        meta = pq.ParquetFile(path).metadata
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
        for test, type_name in _ARROW_TO_TABLE_SCHEMA:
            if test(t):
                declared[i] = type_name
                break
    check_footer(meta, limits, name)
    check_unpacked_size(path, schema, limits, name)
    return list(schema.names), declared


def check_footer(meta: pq.FileMetaData, limits: Limits, name: str) -> None:
    """Refuse, from the footer alone, a file too big to decode."""
    cells = meta.num_rows * max(1, meta.num_columns)
    if cells > limits.max_cells:
        raise TooManyCellsError(
            f"{name} has {meta.num_rows:,} rows and {meta.num_columns:,} columns "
            f"({cells:,} cells); the limit is {limits.max_cells:,} cells."
        )
    total = 0
    for index in range(meta.num_row_groups):
        group = meta.row_group(index)
        size = sum(group.column(c).total_uncompressed_size for c in range(group.num_columns))
        if size > limits.max_row_group_bytes:
            raise UnpackedTooLargeError(
                f"{name} has a block of rows (row group {index + 1}) that unpacks to "
                f"{size / MIB:,.0f} MiB; the limit is {limits.max_row_group_bytes / MIB:,.0f} "
                "MiB. Write it with smaller row groups."
            )
        total += size
        if total > limits.max_unpacked_bytes:
            raise _unpacked_error(name, total, limits, "at least ")


def _unpacked_error(name: str, size: int, limits: Limits, qualifier: str = "") -> Exception:
    return UnpackedTooLargeError(
        f"{name} unpacks to {qualifier}{size / MIB:,.0f} MiB of data; the limit is "
        f"{limits.max_unpacked_bytes / MIB:,.0f} MiB."
    )


def _decoded_bytes(array: pa.Array) -> int:
    """What ``array`` takes as text, computed without decoding a dictionary."""
    t = array.type
    if pa.types.is_dictionary(t) and (
        pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)
    ):
        lengths = pc.binary_length(array.dictionary)
        return int(pc.sum(pc.take(lengths, array.indices)).as_py() or 0)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return int(pc.sum(pc.binary_length(array)).as_py() or 0)
    return len(array) * _FIXED_CELL_BYTES


def check_unpacked_size(path: Path, schema: pa.Schema, limits: Limits, name: str) -> None:
    """Measure what the file decodes to, stopping as soon as it is over the limit."""
    total = 0
    for record_batch in _open(path, schema).iter_batches(batch_size=BATCH_ROWS):
        total += sum(_decoded_bytes(column) for column in record_batch.columns)
        if total > limits.max_unpacked_bytes:
            raise _unpacked_error(name, total, limits, "more than ")


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


def parquet_batches(table: Table, wanted: list[int], progress: Progress | None) -> Iterator[Batch]:
    pf = _open(table.path, pq.read_schema(table.path))
    names = [table.header[i] for i in wanted] if wanted else [table.header[0]]
    budget = max(1, table.limits.max_batch_bytes)
    start = 2
    for record_batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=names):
        size = sum(_decoded_bytes(column) for column in record_batch.columns)
        slices = max(1, -(-size // budget))
        step = max(1, -(-record_batch.num_rows // slices))
        for offset in range(0, record_batch.num_rows, step):
            piece = record_batch.slice(offset, step)
            n = piece.num_rows
            columns: list[pa.Array | None] = [None] * table.width
            for pos, i in enumerate(wanted):
                columns[i] = _arrow_to_text(piece.column(pos))
            batch = Batch(columns, np.arange(start, start + n, dtype=np.int64))
            start += n
            check_cell_sizes(batch, table.header, table.limits.max_cell_bytes)
            if progress:
                progress("read", start, 0)
            yield batch
