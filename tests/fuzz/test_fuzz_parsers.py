"""Random bytes into the file parsers: each refusal is the package's own error type.

The datasets reader must answer any bytes, under any supported file name, with a
result or a ``DatasetError`` (never an IndexError, a pyarrow or openpyxl exception).
The alignment import of the game reads what Biopython reads; a file it cannot read
must end in a ``ValueError`` (Biopython's and the games package's error type), never
in anything else. Seeds are fixed so that CI is deterministic.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasets.errors import DatasetError
from datasets.ingest import ingest
from games.checking import SolutionError, check_solution
from games.puzzles import read_source

FUZZ = settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TEXTY = st.one_of(
    st.binary(max_size=2048),
    st.text(
        alphabet=st.sampled_from(list("abc,;\t\"'\n\r =+-0123456789.\x00é")), max_size=2048
    ).map(lambda s: s.encode("utf-8")),
    st.lists(st.lists(st.text(max_size=8), min_size=1, max_size=6), max_size=20).map(
        lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")
    ),
)


def _xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["study", "events", "total"])
    sheet.append(["A", 4, 123])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX = _xlsx_bytes()


@st.composite
def damaged_xlsx(draw) -> bytes:
    """A real workbook with some bytes overwritten, or one member replaced by noise."""
    data = bytearray(XLSX)
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    source = zipfile.ZipFile(io.BytesIO(XLSX))
    victim = draw(st.sampled_from(source.namelist()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(
                name, draw(st.binary(max_size=512)) if name == victim else source.read(name)
            )
    return out.getvalue()


def _ingest_or_dataset_error(content: bytes, filename: str, tmp_path) -> None:
    try:
        ingest(io.BytesIO(content), filename=filename, workdir=tmp_path)
    except DatasetError as error:
        assert str(error), "a refusal says what was wrong"


@pytest.mark.parametrize(
    "filename",
    ["upload.csv", "upload.tsv", "upload.txt", "upload.json", "upload.xlsx", "upload.parquet"],
)
@FUZZ
@given(content=TEXTY)
def test_random_bytes_are_read_or_refused_with_a_dataset_error(filename, content, tmp_path):
    _ingest_or_dataset_error(content, filename, tmp_path)


@FUZZ
@given(content=damaged_xlsx())
def test_damaged_workbooks_are_refused_with_a_dataset_error(content, tmp_path):
    _ingest_or_dataset_error(content, "upload.xlsx", tmp_path)


@pytest.mark.parametrize("fmt", ["fasta", "clustal", "stockholm", "phylip"])
@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=1024),
        st.text(alphabet=st.sampled_from(list(">ACGT-\n #=/:*.abc12 ")), max_size=1024).map(
            str.encode
        ),
    )
)
def test_alignment_import_refuses_garbage_with_a_value_error(fmt, content, tmp_path):
    path = tmp_path / "alignment"
    path.write_bytes(content)
    try:
        source = read_source(path, fmt)
    except ValueError as error:
        assert str(error)
        return
    assert len({len(row) for row in source.rows}) <= 1


@FUZZ
@given(
    rows=st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=20),
        st.lists(st.one_of(st.text(max_size=30), st.integers(), st.none()), max_size=6),
    )
)
def test_solution_checking_refuses_garbage_with_its_own_error(rows):
    try:
        check_solution(["ACGT", "AGT"], rows, max_width=12)
    except SolutionError as error:
        assert str(error)
