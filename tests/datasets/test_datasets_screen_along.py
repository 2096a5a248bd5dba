"""Screening that rides on inference's read finds what a read of its own finds.

Ingest screens the batches inference reads, planned from the first batch's
schema, and keeps that screening only when the whole file's schema plans the
same. These compare it with ``screen`` run on its own over random files cut into
small batches: types and missing codes that change after the first batch, long
numbers that appear late, names, e-mail addresses and postcodes, batches cut by
their bytes.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasets import csvfile
from datasets.ingest import ingest
from datasets.limits import Limits
from datasets.screening import screen

HEADER = ["id", "age", "sex", "email", "visit", "note", "postcode"]

_cells = st.tuples(
    st.one_of(st.integers(0, 999).map(str), st.just("123456789"), st.just("NA")),
    st.one_of(st.integers(0, 100).map(str), st.sampled_from(["NA", "4.5", "x", "95"])),
    st.sampled_from(["M", "F", "None", ""]),
    st.one_of(
        st.sampled_from(["jo.bloggs@example.org", "none", "", "ann at example dot com"]),
        st.text(alphabet="abc .@", max_size=8),
    ),
    st.sampled_from(["2020-01-31", "2021-12-01", "NA", ".", "2020-02-30", "31/01/2020"]),
    st.one_of(
        st.sampled_from(
            [
                "seen by Dr Okafor",
                "Grace Evans reports dizziness",
                "no adverse events noted on day 3",
                "",
                "call 020 7946 0958",
            ]
        ),
        st.text(alphabet="ab cdé,\"'", max_size=12),
    ),
    st.sampled_from(["SW1A 1AA", "90210", "NA", "M1 1AE", "12345"]),
)


def _write(path: Path, rows: list[tuple[str, ...]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


@contextmanager
def _small_batches(rows_per_batch: int, block: int = 512) -> Iterator[None]:
    """Arrow's blocks of ``block`` bytes, merged into batches of ``rows_per_batch`` rows."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csvfile, "_block_size", lambda dialect, limits: block)
        patch.setattr(csvfile, "MERGE_ROWS", rows_per_batch)
        yield


def _own_read(path: Path, result: Any, qi: list[str], k: int, limits: Limits) -> dict[str, Any]:
    """The screening ingest did before it rode on inference's read."""
    ranges = {c.name: (c.min, c.max) for c in result.report.columns if c.type == "integer"}
    own = screen(path, result.schema, quasi_identifiers=qi, k=k, limits=limits, ranges=ranges)
    out: dict[str, Any] = own.to_dict()
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_cells, min_size=1, max_size=40),
    st.integers(min_value=1, max_value=6),
    st.sampled_from([None, 300]),
    st.sampled_from([[], ["sex"], ["age", "sex"]]),
)
def test_screening_on_inferences_read_is_the_screening_of_its_own_read(
    rows: list[tuple[str, ...]], rows_per_batch: int, batch_bytes: int | None, qi: list[str]
) -> None:
    limits = Limits() if batch_bytes is None else Limits(max_batch_bytes=batch_bytes)
    with tempfile.TemporaryDirectory() as tmp, _small_batches(rows_per_batch):
        path = Path(tmp) / "upload.csv"
        _write(path, rows)
        result = ingest(path, quasi_identifiers=qi, k=2, limits=limits)
        assert result.screening.to_dict() == _own_read(path, result, qi, 2, limits)


def _count_own_reads(patch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    module = sys.modules["datasets.ingest"]
    own = module.screen

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return own(*args, **kwargs)

    patch.setattr(module, "screen", counted)
    return calls


def test_a_file_whose_types_settle_in_its_first_batch_is_read_once(tmp_path: Path) -> None:
    notes = ["Grace Evans", "fine", "seen by Dr Okafor"] * 10
    rows = [
        (str(i), str(20 + i % 50), "MF"[i % 2], "", "2020-01-31", note, "SW1A 1AA")
        for i, note in enumerate(notes)
    ]
    path = tmp_path / "upload.csv"
    _write(path, rows)
    with _small_batches(4, block=128), pytest.MonkeyPatch.context() as patch:
        calls = _count_own_reads(patch)
        result = ingest(path, quasi_identifiers=["sex"], k=2)
        assert not calls
        assert result.screening.to_dict() == _own_read(path, result, ["sex"], 2, Limits())
    kinds = {f.kind for f in result.screening.findings}
    assert {"name", "postcode", "full-date"} <= kinds


def test_a_type_that_changes_after_the_first_batch_is_screened_on_a_read_of_its_own(
    tmp_path: Path,
) -> None:
    # "age" is a whole number for two batches, then text: a text column is screened
    # for names and e-mail addresses, a number column is not.
    rows = [(str(i), str(30 + i), "F", "", "2020-01-31", "", "NA") for i in range(8)]
    rows.append(("9", "jo.bloggs@example.org", "M", "", "2020-01-31", "", "NA"))
    path = tmp_path / "upload.csv"
    _write(path, rows)
    with _small_batches(4, block=64), pytest.MonkeyPatch.context() as patch:
        calls = _count_own_reads(patch)
        result = ingest(path)
        assert calls == [1]
        assert result.screening.to_dict() == _own_read(path, result, [], 5, Limits())
    assert "email" in {f.kind for f in result.screening.findings if f.column == "age"}
