"""A member uploads small files that unpack to gigabytes, hoping to exhaust the server.

Memory is measured in a child process, as the peak resident size of its own address
space (VmHWM), so what the test process holds does not count: ``ru_maxrss`` would not
do, because Linux carries it over from the forked test process through ``exec``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from portal.accounts.models import Role
from tests.portal.conftest import AuthActions
from tests.portal.data.conftest import DatasetActions

ROOT = Path(__file__).resolve().parents[2]
#: Python with pyarrow, pandas and the portal imported stays far below this; decoding
#: any of the files below whole would go far above it.
MEMORY_BOUND_MB = 400


@pytest.fixture
def uploader(make_user, auth, client) -> DatasetActions:
    """A researcher, signed in on the upload page."""
    make_user("rita", role=Role.RESEARCHER)
    auth.login("rita")
    return DatasetActions(client)


def repeated_text_parquet(path: Path, rows: int, text_bytes: int) -> Path:
    """One long string repeated ``rows`` times: dictionary encoding stores it once."""
    notes = pa.DictionaryArray.from_arrays(
        pa.array([0] * rows, pa.int32()), pa.array(["x" * text_bytes])
    )
    table = pa.table({"site": pa.array([1] * rows, pa.int32()), "note": notes})
    pq.write_table(table, path, compression="zstd", row_group_size=rows)
    return path


def xlsx_bomb(path: Path, rows: int) -> Path:
    """A workbook whose one sheet is tens of megabytes of XML that deflate to kilobytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"/>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><sheets><sheet name="S" sheetId="1"/></sheets></workbook>',
        )
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet><sheetData>')
            row = b'<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaa</t></is></c></row>'
            for _ in range(rows // 1000):
                sheet.write(row * 1000)
            sheet.write(b"</sheetData></worksheet>")
    return path


def peak_memory_mb(code: str, *args: str) -> tuple[int, str]:
    """Run ``code`` in a fresh Python; return its peak resident size (MB) and its output."""
    program = textwrap.dedent(code) + textwrap.dedent(
        """
        with open("/proc/self/status") as status:
            peak = next(line for line in status if line.startswith("VmHWM:"))
        print("PEAK", int(peak.split()[1]) // 1024)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    *lines, last = done.stdout.strip().splitlines()
    assert last.startswith("PEAK "), done.stdout + done.stderr
    return int(last.split()[1]), "\n".join(lines)


def test_a_small_parquet_file_unpacking_to_gigabytes_is_refused_before_it_is_decoded(
    tmp_path, uploader: DatasetActions
):
    # 1.6 GB of text in a file of well under a megabyte.
    bomb = repeated_text_parquet(tmp_path / "bomb.parquet", rows=400_000, text_bytes=4_000)
    assert bomb.stat().st_size < 1_000_000

    status = uploader.follow_job(uploader.upload(bomb.read_bytes(), "bomb.parquet"))
    assert status["state"] == "failed"
    assert "'bomb.parquet' unpacks to more than" in status["error"]
    assert "the limit is 1,024 MiB" in status["error"]

    peak, output = peak_memory_mb(
        """
        import sys
        from datasets.errors import UnpackedTooLargeError
        from datasets.ingest import ingest
        try:
            ingest(sys.argv[1])
        except UnpackedTooLargeError as error:
            print(error)
        """,
        str(bomb),
    )
    assert "unpacks to more than" in output
    assert peak < MEMORY_BOUND_MB, f"checking the file took {peak} MB"


def test_a_parquet_file_within_the_limits_is_read_in_bounded_pieces(tmp_path):
    # 600 MB of text once decoded: allowed, but never all in memory at once.
    path = repeated_text_parquet(tmp_path / "big.parquet", rows=150_000, text_bytes=4_000)
    peak, output = peak_memory_mb(
        """
        import sys
        from datasets.reading import open_table
        rows = 0
        for batch in open_table(sys.argv[1]).batches():
            assert batch.columns[1][0].as_py() == "x" * 4000
            rows += batch.num_rows
        print(rows)
        """,
        str(path),
    )
    assert output == "150000"
    assert peak < MEMORY_BOUND_MB, f"reading the file took {peak} MB"


def test_a_parquet_file_with_too_many_cells_is_refused_from_its_footer(
    tmp_path, make_app, make_user
):
    client = make_app(UPLOAD_MAX_CELLS=1_000).test_client()
    make_user("rita", role=Role.RESEARCHER)
    AuthActions(client).login("rita")
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"a": list(range(600)), "b": list(range(600))}), path)
    actions = DatasetActions(client)
    status = actions.follow_job(actions.upload(path.read_bytes(), "wide.parquet"))
    assert status["state"] == "failed"
    assert status["error"] == (
        "'wide.parquet' has 600 rows and 2 columns (1,200 cells); the limit is 1,000 cells."
    )


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, uploader: DatasetActions):
    bomb = xlsx_bomb(tmp_path / "bomb.xlsx", rows=400_000)
    assert bomb.stat().st_size < 200_000

    status = uploader.follow_job(uploader.upload(bomb.read_bytes(), "bomb.xlsx"))
    assert status["state"] == "failed"
    assert "of 'bomb.xlsx' is compressed" in status["error"]
    assert "the limit is 200:1" in status["error"]

    peak, output = peak_memory_mb(
        """
        import sys
        from datasets.errors import ZipBombError
        from datasets.ingest import ingest
        try:
            ingest(sys.argv[1])
        except ZipBombError as error:
            print(error)
        """,
        str(bomb),
    )
    assert "zip bombs look" in output
    assert peak < MEMORY_BOUND_MB, f"checking the workbook took {peak} MB"
