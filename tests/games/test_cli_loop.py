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
    assert "one.fasta: only 1 sequence; at least 2 are needed" in result.output


def test_build_names_the_line_of_a_repeated_name(tmp_path):
    path = tmp_path / "twice.fasta"
    path.write_text(">a\nMKV\n>b\nMKL\n>a\nMKI\n")
    result = CliRunner().invoke(align, ["build", str(path), "-o", str(tmp_path / "o.fasta")])
    assert result.exit_code == 1
    assert "twice.fasta: line 5: the name 'a' is used twice" in result.output


def test_build_gives_clustal_omega_the_guide_tree(tmp_path):
    import shutil

    source, path = _unaligned(tmp_path)
    tree = tmp_path / "guide.nwk"
    names = source.names
    tree.write_text(f"((({names[0]},{names[1]}),{names[2]}),({names[3]},{names[4]}));\n")
    out = tmp_path / "out.fasta"
    famsa = CliRunner().invoke(
        align, ["build", str(path), "-o", str(out), "--guide-tree", str(tree)]
    )
    assert famsa.exit_code == 1 and "only clustalo takes a guide tree" in famsa.output
    tree_missing_one = tmp_path / "short.nwk"
    tree_missing_one.write_text(f"({names[0]},{names[1]});")
    args = ["build", str(path), "-o", str(out), "--aligner", "clustalo"]
    short = CliRunner().invoke(align, [*args, "--guide-tree", str(tree_missing_one)])
    assert short.exit_code == 1 and "short.nwk: the guide tree has no leaf for" in short.output
    if shutil.which("clustalo") is None:
        return
    result = CliRunner().invoke(align, [*args, "--guide-tree", str(tree)])
    assert result.exit_code == 0, result.output
    built = read_source(out)
    assert [r.replace("-", "") for r in built.rows] == [r.replace("-", "") for r in source.rows]


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


def test_improve_runs_the_rounds_asked_and_refuses_none(tmp_path):
    base = ["improve", str(DATA / "il6.nucl.fasta"), "--players", "2", "--windows", "1"]
    base += ["--budget", "300", "--json"]
    help_text = CliRunner().invoke(align, ["improve", "--help"]).output
    assert "--rounds" in help_text and "default: 2" in help_text
    once = CliRunner().invoke(align, [*base, "--rounds", "1"])
    assert once.exit_code == 0, once.output
    assert json.loads(once.output)["rounds_run"] == 1
    default = CliRunner().invoke(align, base)
    assert default.exit_code == 0, default.output
    data = json.loads(default.output)
    # Two rounds unless the first spliced nothing, which ends the loop.
    assert data["rounds_run"] == (2 if data["spliced"] else 1)
    for bad in ("0", "-1", "two"):
        refused = CliRunner().invoke(align, [*base, "--rounds", bad])
        assert refused.exit_code == 2 and "--rounds" in refused.output
