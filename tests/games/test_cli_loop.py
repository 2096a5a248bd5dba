"""`align build` and `align improve` from the command line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from games.commands import align
from games.puzzles import read_source

from .support import DATA


def _unaligned(tmp_path, name="tp53.prot.fasta"):
    source = read_source(DATA / name)
    path = tmp_path / "in.fasta"
    path.write_text(
        "".join(
            f">{n}\n{r.replace('-', '')}\n" for n, r in zip(source.names, source.rows, strict=True)
        )
    )
    return source, path


def test_build_aligns_with_famsa_and_names_untrusted_columns(tmp_path):
    source, path = _unaligned(tmp_path)
    out = tmp_path / "out.fasta"
    result = CliRunner().invoke(
        align, ["build", str(path), "--aligner", "famsa", "-o", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sequences"] == len(source.rows)
    built = read_source(out)
    assert built.names == source.names
    assert [r.replace("-", "") for r in built.rows] == [r.replace("-", "") for r in source.rows]
    assert 1 <= len(data["least_trusted_columns"]) <= 10


def test_build_refuses_a_single_sequence(tmp_path):
    path = tmp_path / "one.fasta"
    path.write_text(">a\nMKV\n")
    result = CliRunner().invoke(align, ["build", str(path), "-o", str(tmp_path / "o.fasta")])
    assert result.exit_code == 1
    assert "at least two sequences" in result.output


def test_improve_reports_the_loop_and_never_changes_residues(tmp_path):
    out = tmp_path / "better.fasta"
    args = ["improve", str(DATA / "il6.nucl.fasta"), "--players", "3", "--windows", "2"]
    args += [
        "--budget",
        "800",
        "--json",
        "-o",
        str(out),
        "--reference",
        str(DATA / "il6.nucl.fasta"),
    ]
    result = CliRunner().invoke(align, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for key in (
        "score_before",
        "score_after",
        "windows_offered",
        "windows_improved",
        "transfer_rate",
    ):
        assert key in data
    assert data["score_after"] >= data["score_before"]
    assert data["windows_offered"] >= 1
    assert data["accuracy_before"]["sp"] == 1.0  # the reference is the input itself
    improved = read_source(out)
    original = read_source(DATA / "il6.nucl.fasta")
    assert [r.replace("-", "") for r in improved.rows] == [
        r.replace("-", "") for r in original.rows
    ]


def test_improve_can_check_splices_against_another_aligner(tmp_path):
    args = ["improve", str(DATA / "tp53.prot.fasta"), "--players", "2", "--windows", "2"]
    args += ["--budget", "500", "--compare-with", "famsa", "--json"]
    result = CliRunner().invoke(align, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["spliced"] <= data["windows_offered"]
    assert data["score_after"] >= data["score_before"]
