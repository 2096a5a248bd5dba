"""Reading Parquet files: flat columns rendered as text, their types kept.

Every column is turned into the text a CSV export would hold (booleans as
``true``/``false``, timestamps as ISO 8601, nulls and NaN as empty cells), so
inference and validation treat every format alike; the Arrow type of each
column is kept as its declared Table Schema type (``Table.declared_types``).
Nested and binary columns are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .batch import BATCH_ROWS, Batch, check_cell_sizes
from .detect import Progress
from .errors import ParseError, TooManyColumnsError, UnsupportedFormatError
from .limits import Limits

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


def parquet_header(path: Path, limits: Limits) -> tuple[list[str], dict[int, str]]:
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


def parquet_batches(table: Table, wanted: list[int], progress: Progress | None) -> Iterator[Batch]:
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
        check_cell_sizes(batch, table.header, table.limits.max_cell_bytes)
        if progress:
            progress("read", start, 0)
        yield batch
