"""Splicing solved windows back into an alignment."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from games.puzzles import residues
from games.scheme import ScoringScheme
from games.scoring import score_alignment
from games.splice import Candidate, apply_solutions, splice

SCHEME = ScoringScheme.puzzle_dna()


def test_splice_replaces_the_window_of_the_chosen_rows():
    rows = ["AAACGTTT", "AAAC-GTT", "AAA--CTT"]
    out = splice(rows, 3, 6, [0, 1], ["CGT", "C-G"])
    assert out == ["AAACGTTT", "AAAC-GTT", "AAA--CTT"]
    out = splice(rows, 3, 6, [1], ["-CG"])
    assert out == ["AAACGTTT", "AAA-CGTT", "AAA--CTT"]


def test_wider_solutions_pad_the_other_rows():
    rows = ["AACGT", "AAC-T", "AAGGT"]
    out = splice(rows, 2, 4, [0, 1], ["C-G-", "-C--"])
    assert [residues(r) for r in out] == [residues(r) for r in rows]
    assert out == ["AAC-GT", "AA-C-T", "AAGG-T"]


def test_apply_keeps_only_improvements_and_records_them():
    rows = ["ACGTACGT", "ACG-TACG", "ACGTACGT"]
    # Window columns 3..8 of row 2 hold "-TACG"; "TACG-" lines it up with the others.
    worse = Candidate(3, 8, [1], ["---TACG"], label="worse")
    better = Candidate(3, 8, [1], ["TACG-"], label="better")
    report = apply_solutions(rows, [worse, better], SCHEME)
    assert report.rows == ["ACGTACGT", "ACGTACG-", "ACGTACGT"]
    assert report.after > report.before
    assert report.after == score_alignment(report.rows, SCHEME)
    assert [c.label for c in report.changes] == ["better"]
    assert report.rejected == ["worse"]
    change = report.changes[0]
    assert (change.start, change.end, change.new_end) == (3, 8, 8)


def test_apply_rejects_a_solution_that_lowers_the_score():
    rows = ["ACGT", "ACGT"]
    report = apply_solutions(rows, [Candidate(0, 4, [1], ["AC-GT"], label=1)], SCHEME)
    assert report.rows == rows and report.changes == [] and report.rejected == [1]


@st.composite
def cases(draw):
    n = draw(st.integers(2, 4))
    width = draw(st.integers(3, 10))
    rows = [
        "".join(draw(st.lists(st.sampled_from("ACGT-"), min_size=width, max_size=width)))
        for _ in range(n)
    ]
    if all(set(r) == {"-"} for r in rows):
        rows[0] = "A" + rows[0][1:]
    start = draw(st.integers(0, width - 1))
    end = draw(st.integers(start + 1, width))
    chosen = sorted(draw(st.sets(st.integers(0, n - 1), min_size=1)))
    extra = draw(st.integers(0, 3))
    solution = []
    for i in chosen:
        letters = residues(rows[i][start:end])
        size = end - start + extra
        cols = sorted(
            draw(
                st.lists(
                    st.integers(0, size - 1),
                    min_size=len(letters),
                    max_size=len(letters),
                    unique=True,
                )
            )
        )
        row = ["-"] * size
        for letter, col in zip(letters, cols, strict=True):
            row[col] = letter
        solution.append("".join(row))
    return rows, start, end, chosen, solution


@settings(max_examples=200, deadline=None)
@given(cases())
def test_splice_keeps_every_residue_and_apply_never_lowers_the_score(case):
    rows, start, end, chosen, solution = case
    out = splice(rows, start, end, chosen, solution)
    assert len({len(r) for r in out}) == 1
    assert [residues(r) for r in out] == [residues(r) for r in rows]
    if any(residues(r) for r in rows):
        report = apply_solutions(rows, [Candidate(start, end, chosen, solution)], SCHEME)
        assert report.after >= report.before
