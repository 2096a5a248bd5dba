"""SP, modeler and TC scores against hand-computed cases and a naive
set-of-pairs reference."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.accuracy import AccuracyError, compare

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


def naive_pairs(rows):
    """Every aligned residue pair as a frozenset of (row, index) labels."""
    counters = [0] * len(rows)
    labelled = []
    for row_index, row in enumerate(rows):
        labels = []
        for letter in row:
            if letter == "-":
                labels.append(None)
            else:
                labels.append((row_index, counters[row_index]))
                counters[row_index] += 1
        labelled.append(labels)
    pairs = set()
    columns = []
    for c in range(len(rows[0])):
        column = frozenset(labels[c] for labels in labelled if labels[c] is not None)
        columns.append(column)
        pairs.update(frozenset(p) for p in combinations(sorted(column), 2))
    return pairs, columns


def test_hand_computed_case():
    reference = ["ACG-T", "ACGGT", "A-G-T"]
    estimate = ["AC-GT", "ACGGT", "A--GT"]
    result = compare(estimate, reference)
    # Reference pairs: 3 + 1 + 3 + 0 + 3 = 10; estimate pairs: 3 + 1 + 0 + 3 + 3 = 10;
    # shared: column 1 (3), column 2 (1), a3-c2 (1), last column (3) = 8.
    assert (result.shared_pairs, result.reference_pairs, result.estimate_pairs) == (8, 10, 10)
    assert result.sp == pytest.approx(0.8) and result.modeler == pytest.approx(0.8)
    # Reference columns with >= 2 residues: 1, 2, 3, 5; the estimate keeps 1, 2 and 5.
    assert (result.recovered_columns, result.reference_columns) == (3, 4)
    assert result.tc == pytest.approx(0.75)


def test_precision_and_recall_differ():
    reference = ["AC", "AC"]  # 2 pairs
    estimate = ["AC-", "A-C"]  # 1 pair, shared
    result = compare(estimate, reference)
    assert result.sp == pytest.approx(0.5)
    assert result.modeler == pytest.approx(1.0)
    assert result.tc == pytest.approx(0.5)


def test_identical_alignments_score_one():
    rows = ["MK-V", "MKIV", "-KIV"]
    result = compare(rows, rows)
    assert (result.sp, result.modeler, result.tc) == (1.0, 1.0, 1.0)


def test_rows_matched_by_name():
    result = compare(
        ["ACGGT", "ACG-T"],
        ["ACG-T", "ACGGT"],
        estimate_names=["b", "a"],
        reference_names=["a", "b"],
    )
    assert result.sp == 1.0


def test_different_residues_are_refused():
    with pytest.raises(AccuracyError, match="different residues"):
        compare(["AC", "AC"], ["AC", "AG"])
    with pytest.raises(AccuracyError, match="rows"):
        compare(["AC"], ["AC", "AC"])


@st.composite
def realignments(draw):
    n = draw(st.integers(2, 5))
    sequences = [draw(st.text("ACGT", min_size=1, max_size=8)) for _ in range(n)]

    def lay_out():
        width = max(len(s) for s in sequences) + draw(st.integers(0, 4))
        rows = []
        for s in sequences:
            cols = sorted(
                draw(
                    st.lists(
                        st.integers(0, width - 1), min_size=len(s), max_size=len(s), unique=True
                    )
                )
            )
            row = ["-"] * width
            for letter, col in zip(s, cols, strict=True):
                row[col] = letter
            rows.append("".join(row))
        return rows

    return lay_out(), lay_out()


@settings(max_examples=200, deadline=None)
@given(realignments())
def test_matches_the_naive_definition(pair):
    estimate, reference = pair
    result = compare(estimate, reference)
    ref_pairs, ref_columns = naive_pairs(reference)
    est_pairs, est_columns = naive_pairs(estimate)
    shared = ref_pairs & est_pairs
    assert result.shared_pairs == len(shared)
    assert result.reference_pairs == len(ref_pairs)
    assert result.estimate_pairs == len(est_pairs)
    aligned = [c for c in ref_columns if len(c) >= 2]
    assert result.reference_columns == len(aligned)
    assert result.recovered_columns == sum(1 for c in aligned if c in set(est_columns))


def test_cli_compare_json(tmp_path):
    (tmp_path / "est.fasta").write_text(">a\nAC-GT\n>b\nACGGT\n>c\nA--GT\n")
    (tmp_path / "ref.fasta").write_text(">a\nACG-T\n>b\nACGGT\n>c\nA-G-T\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "games.commands",
            "compare",
            str(tmp_path / "est.fasta"),
            str(tmp_path / "ref.fasta"),
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    out = json.loads(done.stdout)
    assert out["sp"] == pytest.approx(0.8) and out["tc"] == pytest.approx(0.75)
    assert out["modeler"] == pytest.approx(0.8)


def test_cli_compare_mismatched_files(tmp_path):
    (tmp_path / "est.fasta").write_text(">a\nAC\n>b\nAC\n")
    (tmp_path / "ref.fasta").write_text(">a\nAC\n>b\nAG\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "games.commands",
            "compare",
            str(tmp_path / "est.fasta"),
            str(tmp_path / "ref.fasta"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 1
    assert "different residues" in done.stderr
