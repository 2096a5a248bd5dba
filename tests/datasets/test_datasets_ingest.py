"""One call for an upload, and the bad inputs it must refuse cleanly.

Every bad input gets a ``DatasetError`` subclass (a ``ValueError``) with a
clear message, or a warning in the report; none crashes, and none leaves a
blob (or a temporary file) in the store.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from datasets.errors import (
    BinaryFileError,
    CellTooLargeError,
    DatasetError,
    EmptyFileError,
    FileTooLargeError,
    MixedEncodingError,
    TooManyColumnsError,
    ZipBombError,
)
from datasets.export import export_csv
from datasets.ingest import ingest
from datasets.limits import Limits
from datasets.storage import LocalBlobStore, local_copy
from datasets.validation import validate


@pytest.fixture
def store(tmp_path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "store")


def assert_store_empty(store: LocalBlobStore) -> None:
    assert list(store.objects.rglob("*")) == []
    assert list(store.tmp.iterdir()) == []


def test_ingest_a_stream_end_to_end(store):
    data = b"patient_id,arm,age\n1,A,34\n2,B,NA\n3,A,51\n"
    result = ingest(io.BytesIO(data), filename="upload.csv", store=store)
    assert result.blob.created and store.exists(result.sha256)
    assert (result.row_count, result.valid, result.publishable) == (3, True, True)
    assert result.schema["primaryKey"] == ["patient_id"]
    assert result.dialect.encoding == "utf-8"
    doc = result.to_dict()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["report"]["columns"][2]["missing"] == 1


def test_a_stored_file_is_named_by_the_digest_of_its_bytes(store, tmp_path):
    data = b"patient_id,arm\n1,A\n2,B\n"
    path = tmp_path / "trial.csv"
    path.write_bytes(data)
    result = ingest(path, store=store)
    assert result.sha256 == hashlib.sha256(data).hexdigest() == result.blob.sha256
    assert store.verify(result.sha256)


def test_a_file_that_changes_while_it_is_read_is_refused_and_not_stored(store, tmp_path):
    path = tmp_path / "trial.csv"
    path.write_bytes(b"patient_id,arm\n1,A\n2,B\n")

    appended = []

    def append_a_row(stage: str, done: int, total: int) -> None:
        if stage == "read" and not appended:  # after the byte scan took the digest
            appended.append(True)
            with open(path, "ab") as fh:
                fh.write(b"3,A\n")

    with pytest.raises(DatasetError, match="changed while it was being read"):
        ingest(path, store=store, progress=append_a_row)
    assert [p for p in store.objects.rglob("*") if p.is_file()] == []
    assert list(store.tmp.iterdir()) == []


def test_only_a_file_the_caller_owns_is_stored_under_the_scan_digest(store, tmp_path):
    """A path anyone may write is hashed again as it is stored; a staged upload or a
    stream ingest spooled itself is named by the scan's digest alone."""
    data = b"patient_id,arm\n1,A\n2,B\n"
    path = tmp_path / "trial.csv"
    path.write_bytes(data)
    vouched = []
    put = store.put

    def recording_put(stream, **options):
        vouched.append(options["trusted"])
        return put(stream, **options)

    store.put = recording_put
    ingest(path, store=store)
    ingest(path, store=store, own_file=True)
    ingest(io.BytesIO(data), filename="trial.csv", store=store)
    assert vouched == [False, True, True]


def test_the_web_layer_flow(store, tmp_path):
    """ingest -> edit schema -> revalidate -> screen -> fix -> ingest -> export."""
    from datasets.fixes import apply_fixes
    from datasets.screening import screen

    upload = b"id,dob,score\n1,1950-01-02,3\n2,1960-05-06,4\n"
    first = ingest(io.BytesIO(upload), filename="u.csv", store=store)
    assert first.screening.blocking
    edited = json.loads(json.dumps(first.schema))
    edited["fields"][2]["constraints"] = {"maximum": 3}
    with local_copy(store, first.sha256) as path:
        report = validate(path, edited, dialect=first.dialect)
        assert [(e.row, e.column) for e in report.errors] == [(3, 3)]
        findings = screen(path, edited, quasi_identifiers=["score"], k=2)
        fixes = [f.suggested_fix for f in findings.findings if f.severity == "block"]
        fixed_path = tmp_path / "fixed.csv"
        fixed = apply_fixes(path, fixes, fixed_path, schema=edited, dialect=first.dialect)
    second = ingest(fixed_path, store=store, schema=fixed.schema)
    assert second.sha256 == fixed.sha256 and not second.screening.blocking
    with local_copy(store, second.sha256) as path:
        buf = io.BytesIO()
        export_csv(path, buf)
    assert buf.getvalue() == b"id,dob,score\n1,1950,3\n2,1960,4\n"


def test_report_hides_identifier_values(store):
    data = "id,email\n" + "".join(f"{i},person{i}@example.org\n" for i in range(30))
    result = ingest(io.BytesIO(data.encode()), filename="e.csv", store=store)
    text = json.dumps(result.to_dict())
    assert "person1@example.org" not in text
    assert all("*" in value for value, _ in result.report.column("email").top)


def test_report_masks_top_values_of_flagged_columns(store):
    data = "id,name\n" + "".join(f"{i},{'Ann Lee' if i % 2 else 'Bob Ray'}\n" for i in range(9))
    result = ingest(io.BytesIO(data.encode()), filename="n.csv", store=store)
    assert "Ann Lee" not in json.dumps(result.to_dict())


# ------------------------------------------------------------ bad inputs --


def test_bad_input_empty_file(store):
    with pytest.raises(EmptyFileError, match="empty"):
        ingest(io.BytesIO(b""), filename="e.csv", store=store)
    assert_store_empty(store)


def test_bad_input_binary_file_with_a_csv_name(store):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    with pytest.raises(BinaryFileError, match="PNG image, not a table"):
        ingest(io.BytesIO(png), filename="results.csv", store=store)
    assert_store_empty(store)


def test_bad_input_file_over_the_size_limit(store):
    with pytest.raises(FileTooLargeError, match="limit"):
        ingest(
            io.BytesIO(b"a,b\n" + b"1,2\n" * 10_000),
            filename="big.csv",
            store=store,
            limits=Limits(max_bytes=10_000),
        )
    assert_store_empty(store)


def test_bad_input_zip_bomb_in_xlsx(store, tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(32):
                member.write(b"\0" * (1 << 20))
    assert path.stat().st_size < 200_000
    with pytest.raises(ZipBombError):
        ingest(path, store=store)
    assert_store_empty(store)


def test_bad_input_10000_columns(store):
    header = ",".join(f"v{i}" for i in range(10_000)).encode()
    with pytest.raises(TooManyColumnsError, match="10,000 columns"):
        ingest(io.BytesIO(header + b"\n" + b"1," * 9_999 + b"1\n"), filename="w.csv", store=store)
    assert_store_empty(store)


def test_bad_input_a_1_mb_cell(store):
    data = b"id,notes\n1,ok\n2," + b"x" * 1_048_576 + b"\n"
    with pytest.raises(CellTooLargeError) as err:
        ingest(io.BytesIO(data), filename="cell.csv", store=store)
    assert (err.value.row, err.value.column, err.value.field) == (3, 2, "notes")
    assert_store_empty(store)


def test_bad_input_mixed_encodings(store):
    data = "id,town\n1,Zürich\n".encode() + "2,Málaga\n".encode("cp1252")
    with pytest.raises(MixedEncodingError) as err:
        ingest(io.BytesIO(data), filename="m.csv", store=store)
    assert err.value.row == 3 and isinstance(err.value, ValueError)
    assert_store_empty(store)


def test_bad_input_formulas_in_cells_are_stored_but_never_exported_raw(store):
    payload = "=cmd|' /C calc'!A0"
    data = f'id,note\n1,"{payload}"\n'.encode()
    result = ingest(io.BytesIO(data), filename="f.csv", store=store)
    assert result.valid  # a formula is just text to the portal
    with local_copy(store, result.sha256) as path:
        buf = io.BytesIO()
        export_csv(path, buf)
    assert f"'{payload}".encode() in buf.getvalue()
    assert b"\n1," + payload.encode() not in buf.getvalue()


def test_bad_input_ragged_and_blank_rows_are_reported_not_fatal(store):
    result = ingest(io.BytesIO(b"a,b\n1,2\n3\n\n4,5,6\n"), filename="r.csv", store=store)
    assert result.report.error_counts == {"missing-cell": 1, "extra-cell": 1}
    assert result.report.warning_counts == {"blank-row": 1}
    assert store.exists(result.sha256)


def test_every_refusal_is_a_dataset_error_with_a_message():
    for cls in (
        EmptyFileError,
        BinaryFileError,
        FileTooLargeError,
        ZipBombError,
        TooManyColumnsError,
        CellTooLargeError,
        MixedEncodingError,
    ):
        assert issubclass(cls, DatasetError) and issubclass(cls, ValueError)
        err = cls("message", row=3, column=2, field="x")
        assert err.to_dict()["code"] == cls.code and err.to_dict()["row"] == 3


def test_spooling_cleans_up_after_itself(tmp_path, store):
    work = tmp_path / "work"
    work.mkdir()
    ingest(io.BytesIO(b"a\n1\n"), filename="a.csv", store=store, workdir=work)
    with pytest.raises(EmptyFileError):
        ingest(io.BytesIO(b""), filename="a.csv", store=store, workdir=work)
    assert list(Path(work).iterdir()) == []
