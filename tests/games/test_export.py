"""Writing improved alignments as FASTA, Clustal and Stockholm, checked by
reading them back with Biopython's own parsers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from Bio import Align, AlignIO
from hypothesis import given, settings
from hypothesis import strategies as st

from games.export import (
    FORMATS,
    ExportError,
    check_same_sequences,
    credit_csv,
    write_alignment,
)
from games.puzzles import cut_puzzles, read_source, residues, scheme_for
from games.splice import Candidate, apply_solutions

DATA = Path(__file__).resolve().parents[2] / "games" / "data"


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_each_format_reads_back_as_the_same_rows(fmt):
    names, rows = ["human", "mouse", "rat"], ["AC-GT-A", "ACTG--A", "-CTGTTA"]
    text = write_alignment(names, rows, fmt)
    new = Align.read(io.StringIO(text), fmt)
    assert [new[i] for i in range(3)] == rows
    assert [s.id for s in new.sequences] == names
    old = AlignIO.read(io.StringIO(text), fmt)
    assert [str(r.seq) for r in old] == rows


def test_clustal_has_its_header_and_stockholm_its_terminator():
    assert write_alignment(["a", "b"], ["AC", "A-"], "clustal").startswith("Biopython")
    stockholm = write_alignment(["a", "b"], ["AC", "A-"], "stockholm")
    assert stockholm.startswith("# STOCKHOLM 1.0") and stockholm.rstrip().endswith("//")


def test_names_with_spaces_or_repeats_become_distinct_identifiers():
    text = write_alignment(["Homo sapiens", "x", "x"], ["AC", "AC", "A-"], "fasta")
    assert [r.id for r in AlignIO.read(io.StringIO(text), "fasta")] == ["Homo_sapiens", "x", "x_2"]


@pytest.mark.parametrize(
    "names, rows, message",
    [
        (["a"], ["AC", "AG"], "one name per row"),
        (["a", "b"], ["AC", "A"], "equally long"),
        ([], [], "equally long"),
    ],
)
def test_broken_alignments_are_refused(names, rows, message):
    with pytest.raises(ExportError, match=message):
        write_alignment(names, rows, "fasta")


def test_unknown_format_is_refused():
    with pytest.raises(ExportError, match="format is one of fasta, clustal, stockholm"):
        write_alignment(["a"], ["A"], "nexus")


def test_check_same_sequences_names_the_changed_row():
    check_same_sequences(["AC-G", "ACG-"], ["ACG-", "A-CG"])
    with pytest.raises(ExportError, match="row 2 .* different residues"):
        check_same_sequences(["AC-G", "ACG-"], ["ACG-", "A-GC"])
    with pytest.raises(ExportError, match="has 1 rows, the original 2"):
        check_same_sequences(["AC-G", "ACG-"], ["ACG-"])
    with pytest.raises(ExportError, match="not equally long"):
        check_same_sequences(["AC", "AC"], ["AC", "AC-"])


def test_credit_csv_has_a_header_and_one_line_per_credit():
    text = credit_csv(
        [
            {
                "puzzle_id": 3,
                "puzzle": "p, 1",
                "player": "Zed",
                "solution_id": 9,
                "columns": "4-20",
                "score_before": "1",
                "score_after": "5",
                "gain": "4",
                "points": 100,
            }
        ]
    )
    lines = text.splitlines()
    assert lines[0].startswith("puzzle_id,puzzle,player,")
    assert lines[1] == '3,"p, 1",Zed,9,4-20,1,5,4,100'


def test_a_real_alignment_improved_by_the_solver_keeps_every_residue():
    source = read_source(DATA / "il6.nucl.fasta", "fasta")
    scheme = scheme_for("dna")
    puzzles = cut_puzzles(source, scheme, limit=3, evaluations=2_000, time_limit=5)
    assert puzzles
    candidates = [
        Candidate(p.source_start, p.source_end, p.source_rows, p.par_layout, label=i)
        for i, p in enumerate(puzzles)
    ]
    report = apply_solutions(source.rows, candidates, scheme)
    assert report.after > report.before
    check_same_sequences(source.rows, report.rows)
    for fmt in FORMATS:
        back = Align.read(io.StringIO(write_alignment(source.names, report.rows, fmt)), fmt)
        assert [residues(back[i]) for i in range(len(source.rows))] == [
            residues(row) for row in source.rows
        ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text("ACDEFGHIKLMNPQRSTVWY-", min_size=6, max_size=6), min_size=2, max_size=5),
    st.sampled_from(list(FORMATS)),
)
def test_any_protein_alignment_round_trips(rows, fmt):
    if any(not residues(row) for row in rows):
        rows = [row if residues(row) else "A" + row[1:] for row in rows]
    names = [f"s{i}" for i in range(len(rows))]
    back = Align.read(io.StringIO(write_alignment(names, rows, fmt)), fmt)
    # Columns where every row has a gap carry no information; Biopython drops them.
    keep = [c for c in range(6) if any(row[c] != "-" for row in rows)]
    assert [back[i] for i in range(len(rows))] == ["".join(row[c] for c in keep) for row in rows]
