"""The `datasets` command group: inspect a file, write the demo catalogue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from datasets.commands import cli


def test_inspect_prints_a_readable_report(write):
    path = write("t.csv", "patient_id;arm;age\n1;A;34\n2;B;NA\n3;A;95\n")
    result = CliRunner().invoke(cli, ["inspect", str(path)])
    out = result.output
    assert result.exit_code == 1  # an age over 89 blocks publication
    assert "delimiter semicolon" in out and "encoding UTF-8" in out
    assert "Rows: 3" in out and "patient_id" in out and "participant_id" in out
    assert "Validation: valid" in out
    assert "BLOCKED" in out and "age-over-89" in out and "top_code_ages" in out


def test_inspect_json_and_k_anonymity(write):
    path = write("t.csv", "id,sex,age\n1,M,30\n2,M,30\n3,F,41\n")
    result = CliRunner().invoke(
        cli, ["inspect", str(path), "--json", "--quasi", "sex", "--quasi", "age", "-k", "2"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["row_count"] == 3 and doc["valid"] is True
    assert doc["screening"]["k_anonymity"]["min_class_size"] == 1
    assert [f["type"] for f in doc["schema"]["fields"]] == ["integer", "string", "integer"]


def test_inspect_validates_against_a_given_schema(write, tmp_path):
    path = write("t.csv", "id,x\n1,a\n")
    schema = tmp_path / "schema.json"
    schema.write_text(
        json.dumps(
            {"fields": [{"name": "id", "type": "integer"}, {"name": "x", "type": "integer"}]}
        )
    )
    result = CliRunner().invoke(cli, ["inspect", str(path), "--schema", str(schema)])
    assert result.exit_code == 1 and "type-error: 1" in result.output


def test_inspect_unreadable_file_exits_2_with_the_reason(write):
    path = write("x.csv", b"\x89PNG\r\n\x1a\n" + bytes(300))
    result = CliRunner().invoke(cli, ["inspect", str(path), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "binary-file"


def test_inspect_shows_a_progress_bar_on_stderr_when_asked(write):
    path = write("t.csv", "a\n" + "1\n" * 1000)
    proc = subprocess.run(
        [sys.executable, "-m", "datasets.commands", "inspect", str(path), "--progress"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Rows: 1,000" in proc.stdout
    assert "reading" in proc.stderr or "checking" in proc.stderr


def test_demo_writes_the_catalogue(tmp_path):
    result = CliRunner().invoke(cli, ["demo", str(tmp_path), "--key", "HSAUR/BCG"])
    assert result.exit_code == 0
    assert (tmp_path / "bcg.csv").read_text().startswith("Study,BCGTB,")
    assert "GPL-2.0-only OR GPL-3.0-only" in result.output
