"""Reading Parquet files: flat columns as text, with their declared types."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets.errors import DatasetError
from datasets.reading import open_table


def test_parquet_columns_are_read_as_text_with_declared_types(tmp_path, read_rows):
    path = tmp_path / "p.parquet"
    pq.write_table(
        pa.table(
            {
                "id": pa.array([1, 2, 3]),
                "dose": pa.array([1.5, None, float("nan")]),
                "ok": pa.array([True, False, None]),
                "day": pa.array([dt.date(2020, 1, 1), None, dt.date(2021, 5, 6)]),
                "arm": pa.array(["A", "B", "A"]).dictionary_encode(),
            }
        ),
        path,
    )
    table = open_table(path)
    assert table.dialect.format == "parquet"
    assert table.declared_types == {0: "integer", 1: "number", 2: "boolean", 3: "date"}
    rows, _ = read_rows(table)
    assert rows == [
        (2, ["1", "1.5", "true", "2020-01-01", "A"]),
        (3, ["2", "", "false", "", "B"]),
        (4, ["3", "", "", "2021-05-06", "A"]),
    ]


def test_parquet_nested_columns_are_refused(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"l": pa.array([[1, 2], [3]])}), path)
    with pytest.raises(DatasetError, match="flat columns"):
        open_table(path)
