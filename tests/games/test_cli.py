"""``align score``: the command line users script against."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from Bio import Align, AlignIO
from click.testing import CliRunner

from games.commands import align
from games.scheme import ScoringScheme
from games.scoring import score_alignment

from .support import DATA

ROOT = Path(__file__).resolve().parents[2]
IL6 = DATA / "il6.prot.fasta"


def run(*args: str):
    return CliRunner().invoke(align, ["score", *args])


def score_json(*args: str) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_output_describes_score_shape_and_scheme():
    report = score_json(str(IL6), "--scoring", "blastp")
    assert report["score"] == score_alignment(
        Align.read(IL6, "fasta"), ScoringScheme.preset("blastp")
    )
    assert (report["sequences"], report["columns"]) == (7, 246)
    assert report["format"] == "fasta"
    assert report["scheme"]["preset"] == "blastp"
    assert report["scheme"]["matrix"] == "BLASTP"
    assert report["scheme"]["open_internal_insertion_score"] == -12


def test_the_default_scheme_is_the_puzzle_scheme():
    report = score_json(str(DATA / "il6.nucl.fasta"))
    assert report["scheme"]["preset"] == "puzzle-dna"
    expected = score_alignment(
        Align.read(DATA / "il6.nucl.fasta", "fasta"), ScoringScheme.puzzle_dna()
    )
    assert report["score"] == expected


def test_options_reproduce_scikit_bio_published_scores():
    # See test_biopython_parity.py: scikit-bio's gap_cost=(5, 2), free ends.
    gaps = ["--open-gap-score", "-7", "--extend-gap-score", "-2"]
    free_ends = ["--end-open-gap-score", "0", "--end-extend-gap-score", "0"]
    assert score_json(str(IL6), "--matrix", "BLOSUM62", *gaps, *free_ends)["score"] == 11044
    assert score_json(str(IL6), "--matrix", "BLOSUM62", *gaps)["score"] == 10918
    nucl = str(DATA / "il6.nucl.fasta")
    assert score_json(nucl, "--match", "5", "--mismatch", "-4", *gaps, *free_ends)["score"] == 26550


def write_formats(tmp_path: Path) -> dict[str, Path]:
    alignment = Align.read(IL6, "fasta")
    alignment.column_annotations = {}  # the Stockholm writer expects the attribute
    for record in alignment.sequences:
        record.annotations["molecule_type"] = "protein"  # the Nexus writer needs it
    paths = {}
    for fmt, suffix in [
        ("clustal", ".aln"),
        ("stockholm", ".sto"),
        ("phylip", ".phy"),
        ("nexus", ".nex"),
        ("maf", ".maf"),
        ("fasta", ".fa"),
    ]:
        paths[fmt] = tmp_path / f"il6{suffix}"
        Align.write(alignment, paths[fmt], fmt)
    return paths


def test_the_format_follows_the_extension(tmp_path):
    expected = score_json(str(IL6), "--scoring", "blastp")["score"]
    for fmt, path in write_formats(tmp_path).items():
        report = score_json(str(path), "--scoring", "blastp")
        assert report["format"] == fmt
        assert report["score"] == expected, fmt


def test_format_option_overrides_the_extension(tmp_path):
    path = tmp_path / "alignment.txt"
    path.write_text(IL6.read_text())
    assert score_json(str(path), "--format", "fasta")["sequences"] == 7
    relaxed = tmp_path / "alignment.dat"
    AlignIO.write(AlignIO.read(IL6, "fasta"), relaxed, "phylip-relaxed")
    assert (
        score_json(str(relaxed), "--format", "phylip-relaxed")["score"]
        == score_json(str(IL6))["score"]
    )


def test_plain_output_is_one_summary():
    result = run(str(IL6), "--scoring", "blastp")
    assert result.exit_code == 0
    assert "7 sequences x 246 columns" in result.output
    assert result.output.splitlines()[-1].startswith("score: ")


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["missing.fasta"], 2, "does not exist"),
        ([str(ROOT / "pyproject.toml")], 2, "cannot tell the format of 'pyproject.toml'"),
        ([str(IL6), "--matrix", "BLOSUM00"], 2, "unknown substitution matrix 'BLOSUM00'"),
        ([str(IL6), "--matrix", "BLOSUM62", "--match", "1"], 2, "--matrix cannot be combined"),
        ([str(IL6), "--match", "1"], 2, "--match and --mismatch must be given together"),
        ([str(IL6), "--scoring", "blastx"], 2, "Invalid value for '--scoring'"),
        ([str(IL6), "--format", "clustal"], 1, "cannot read il6.prot.fasta as clustal"),
        (
            [str(IL6), "--scoring", "blastn"],
            1,
            "il6.prot.fasta: row 1 ('human'), column 22: letter 'F' is not in the alphabet"
            " of BLASTN",
        ),
    ],
)
def test_errors_are_one_clear_line(args, exit_code, message):
    result = run(*args)
    assert result.exit_code == exit_code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # click's own exit, not a crash
    assert len(result.output.strip().splitlines()[-1]) > 0


def test_an_unparsable_file_is_a_click_error(tmp_path):
    broken = tmp_path / "broken.sto"
    broken.write_text("# STOCKHOLM 1.0\nseq1 ACGT\nseq2 AC\n")
    result = run(str(broken))
    assert result.exit_code == 1
    assert "cannot read broken.sto as stockholm" in result.output


def test_a_file_with_several_alignments_is_refused(tmp_path):
    two = tmp_path / "two.sto"
    block = "# STOCKHOLM 1.0\nseq1 ACGT\nseq2 AC-T\n//\n"
    two.write_text(block + block)
    result = run(str(two))
    assert result.exit_code == 1
    assert "cannot read two.sto as stockholm: More than one alignment" in result.output


def test_it_runs_standalone_without_the_web_layer():
    # `python -m games.commands` is plain click; the portal only attaches the group.
    code = "\n".join(
        [
            "import sys, runpy",
            f"sys.argv = ['align', 'score', {str(IL6)!r}, '--json']",
            "try: runpy.run_module('games.commands', run_name='__main__')",
            "except SystemExit as e: assert not e.code, e.code",
            "web = {'flask', 'sqlalchemy', 'portal', 'werkzeug'}",
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in web)",
            "assert not bad, bad",
        ]
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sequences"] == 7
