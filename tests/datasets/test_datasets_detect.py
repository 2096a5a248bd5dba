"""Detecting format, encoding and delimiter from the bytes of a file."""

from __future__ import annotations

import codecs
import zipfile

import pytest

from datasets.detect import detect, sniff_delimiter
from datasets.errors import (
    BinaryFileError,
    EmptyFileError,
    FileTooLargeError,
    MixedEncodingError,
    UnsupportedFormatError,
)
from datasets.limits import Limits
from datasets.reading import open_table

TEXT = "name,town,score\nAnaïs,Besançon,1.5\nJosé,Málaga,2\nZoë,Köln,3\n"


@pytest.mark.parametrize(
    ("encoding", "data", "expected"),
    [
        ("utf-8", TEXT.encode("utf-8"), "utf-8"),
        ("utf-8-sig", codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        ("utf-16", TEXT.encode("utf-16"), "utf-16"),  # Python writes a BOM
        ("utf-16-le", TEXT.encode("utf-16-le"), "utf-16-le"),
        ("cp1252", (TEXT + "Œuvre,€,4\n").encode("cp1252"), "cp1252"),
        ("latin-1", (TEXT + "x\x81,y,5\n").encode("latin-1"), "latin-1"),
    ],
)
def test_encodings_are_detected_and_text_decodes_correctly(write, encoding, data, expected):
    path = write("people.csv", data)
    table = open_table(path)
    assert table.dialect.encoding == expected
    assert table.header == ["name", "town", "score"]
    names = [v for b in table.batches() for v in b.columns[0].to_pylist()]
    assert names[:3] == ["Anaïs", "José", "Zoë"]


def test_non_utf8_file_gets_a_warning_naming_the_encoding(write):
    path = write("w.csv", TEXT.encode("cp1252"))
    found = detect(path)
    assert any("Windows-1252" in w.message for w in found.warnings)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(write, delimiter):
    rows = [["id", "arm", "outcome"], ["1", "A", "0,5"], ["2", "B", "1,25"], ["3", "A", "2"]]
    text = (
        "\n".join(
            delimiter.join(r)
            if delimiter != ","
            else ",".join(f'"{c}"' if "," in c else c for c in r)
            for r in rows
        )
        + "\n"
    )
    table = open_table(write("d.csv", text))
    assert table.dialect.delimiter == delimiter
    assert table.dialect.quote_char == '"'
    assert table.header == ["id", "arm", "outcome"]


def test_semicolon_with_decimal_commas_is_not_mistaken_for_comma():
    sample = "a;b;c\n1,5;2,25;3\n4,0;5,5;6\n"
    assert sniff_delimiter(sample) == ";"


def test_single_column_file_defaults_to_comma_or_tab_by_extension():
    assert sniff_delimiter("value\n1\n2\n") == ","
    assert sniff_delimiter("value\n1\n2\n", "x.tsv") == "\t"


def test_detection_reports_sha256_and_size(write):
    import hashlib

    data = TEXT.encode()
    found = detect(write("h.csv", data))
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    assert found.size == len(data)
    assert found.dialect.to_dict()["delimiter_name"] == "comma"


def test_quoted_line_breaks_are_noticed(write):
    plain = detect(write("a.csv", 'a,b\n1,"x"\n'))
    multi = detect(write("b.csv", 'a,b\n1,"x\ny"\n'))
    assert plain.dialect.multiline_cells is False
    assert multi.dialect.multiline_cells is True


@pytest.mark.parametrize(
    ("data", "phrase"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\n" + bytes(200), "PDF"),
        (b"\x1f\x8b\x08\x00" + bytes(100), "gzip"),
        (bytes(range(256)) * 20, "binary"),
        (b"id,name\n1,ok\n2,\x00\x00\x00\x01\x02\n", "NUL"),
    ],
)
def test_binary_files_named_csv_are_refused_with_a_clear_message(write, data, phrase):
    with pytest.raises(BinaryFileError) as err:
        open_table(write("data.csv", data))
    assert phrase in str(err.value)


def test_nul_bytes_late_in_a_text_file_are_reported_with_their_line(write):
    data = b"a,b\n" + b"1,2\n" * 5000 + b"3,\x00\n"
    with pytest.raises(BinaryFileError) as err:
        open_table(write("late.csv", data))
    assert err.value.line == 5002


def test_legacy_xls_and_ods_are_refused_with_advice(write, tmp_path):
    with pytest.raises(UnsupportedFormatError, match="xlsx"):
        open_table(write("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)))
    ods = tmp_path / "sheet.ods"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    with pytest.raises(UnsupportedFormatError, match="OpenDocument"):
        open_table(ods)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "data.csv"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("inner.csv", "a,b\n1,2\n")
    with pytest.raises(BinaryFileError, match="ZIP archive"):
        open_table(path)


@pytest.mark.parametrize("data", [b"", b"   \n\r\n  ", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n"])
def test_empty_files_are_refused(write, data):
    with pytest.raises(EmptyFileError):
        open_table(write("empty.csv", data))


def test_file_over_the_size_limit_is_refused(write):
    path = write("big.csv", "a,b\n" + "1,2\n" * 1000)
    with pytest.raises(FileTooLargeError, match="limit"):
        open_table(path, limits=Limits(max_bytes=1000))


def test_mixed_encodings_are_an_error_naming_the_rows(write):
    utf8_part = "name,town\nAnaïs,Besançon\n".encode()
    cp1252_part = "José,Málaga\n".encode("cp1252")
    with pytest.raises(MixedEncodingError) as err:
        open_table(write("mixed.csv", utf8_part + b"ok,ok\n" * 3 + cp1252_part))
    assert err.value.row == 6
    assert "line(s) 6" in str(err.value) and "UTF-8" in str(err.value)


def test_mixed_encoding_far_apart_across_read_blocks_is_still_found(write):
    data = "id,name\n1,Zoë\n".encode() + b"2,plain\n" * 300_000 + "3,Zoë\n".encode("cp1252")
    with pytest.raises(MixedEncodingError) as err:
        detect(write("far.csv", data))
    assert err.value.row == 300_003


def test_mixed_encodings_in_the_other_order_name_the_non_utf8_line(write):
    data = "id,town\n1,Málaga\n".encode("cp1252") + b"2,x\n" + "3,Zürich\n".encode()
    with pytest.raises(MixedEncodingError) as err:
        open_table(write("mixed2.csv", data))
    assert err.value.row == 2
