"""Real aligners: FAMSA through pyfamsa (and MAFFT / Clustal Omega where
installed) keep every residue, and their disagreement marks columns."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from games.aligners import (
    AlignerError,
    align,
    available_aligners,
    column_disagreement,
    confirmed_pairs,
    project_window,
    read_unaligned,
    shared_pairs,
    untrusted_columns,
)
from games.puzzles import read_source

from .support import DATA, shuffled_gaps

SEQUENCES = ["MKVLAAGIVGLLLAQ", "MKVLAGIVGLLAQ", "MRVLAAGIVALLLSQ", "MKVAAGIVGLQ"]
NAMES = ["a", "b", "c", "d"]


@pytest.mark.parametrize("aligner", ["famsa", "mafft", "clustalo"])
def test_aligners_keep_every_residue_in_order(aligner):
    if aligner not in available_aligners():
        assert shutil.which(aligner) is None
        with pytest.raises(AlignerError, match="not installed"):
            align(NAMES, SEQUENCES, aligner)
        return
    built = align(NAMES, SEQUENCES, aligner)
    assert built.names == NAMES
    assert [row.replace("-", "") for row in built.rows] == SEQUENCES
    assert len({len(row) for row in built.rows}) == 1


def test_famsa_aligns_a_real_family_close_to_its_published_alignment():
    source = read_source(DATA / "tp53.prot.fasta")
    names = source.names
    built = align(names, [row.replace("-", "") for row in source.rows], "famsa")
    from games.accuracy import compare

    assert compare(built.rows, source.rows).sp > 0.9


def test_disagreement_is_zero_for_the_same_alignment_and_counts_split_pairs():
    rows = ["AB-C", "ABXC", "A-XC"]
    assert column_disagreement(rows, rows).tolist() == [0, 0, 0, 0]
    other = ["A-BC", "ABXC", "A-XC"]  # row 1's B moved: column 2 keeps 0 of its 1 pair
    out = column_disagreement(rows, other)
    assert out.tolist() == [0.0, 1.0, 0.0, 0.0]
    assert np.all(untrusted_columns(rows, [other]) >= untrusted_columns(rows))


def test_bad_input_is_named(tmp_path):
    path = tmp_path / "one.fasta"
    path.write_text(">only\nMKV\n")
    with pytest.raises(AlignerError, match="only 1 sequence; at least 2 are needed"):
        read_unaligned(path)
    path.write_text(">a\nMK-V\n>a\nMKV\n")
    with pytest.raises(AlignerError, match="line 3: the name 'a' is used twice"):
        read_unaligned(path)
    path.write_text(">a\nMKV\n>b\nMK*V\n")
    with pytest.raises(AlignerError, match=r"sequence 'b' \(line 3\): line 4 holds '\*'"):
        read_unaligned(path)
    path.write_text(">a\nMK-V\n>b\nM.KV\n")
    assert read_unaligned(path) == (["a", "b"], ["MKV", "MKV"])
    with pytest.raises(AlignerError, match="unknown aligner"):
        align(NAMES, SEQUENCES, "muscle")


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.text("ACDEFG", min_size=1, max_size=12), min_size=2, max_size=6),
    st.randoms(use_true_random=False),
    st.data(),
)
def test_a_projected_window_splices_back_as_the_same_sequences(sequences, rng, data):
    from games.splice import splice

    rows = shuffled_gaps([*sequences], rng, slack=4)
    other = shuffled_gaps(rows, rng, slack=4)
    width = len(rows[0])
    start = data.draw(st.integers(0, width - 1))
    end = data.draw(st.integers(start + 1, width))
    chosen = sorted(data.draw(st.sets(st.integers(0, len(rows) - 1), min_size=1)))
    projected = project_window(rows, other, start, end, chosen)
    for r, line in zip(chosen, projected, strict=True):
        assert line.replace("-", "") == rows[r][start:end].replace("-", "")
    spliced = splice(rows, start, end, chosen, projected)
    assert [row.replace("-", "") for row in spliced] == sequences
    # An alignment projected onto itself is its own window, all-gap columns dropped.
    same = project_window(rows, rows, start, end, chosen)
    window = [rows[r][start:end] for r in chosen]
    keep = [c for c in range(end - start) if any(row[c] != "-" for row in window)]
    if keep:
        assert same == ["".join(row[c] for c in keep) for row in window]


def test_projecting_every_row_of_a_window_copies_the_other_alignment_there():
    rows = ["AB-CD", "A-BCD", "ABC-D"]
    other = ["ABCD", "ABCD", "ABCD"]
    # Columns 1-3 hold B, C of rows 0, 2 and B, C of row 1: the other aligns them all.
    assert project_window(rows, other, 1, 4, [0, 1, 2]) == ["BC", "BC", "BC"]
    # Shared: the A and D columns (3 pairs each), B of rows 0, 2 and C of rows 0, 1.
    assert shared_pairs(rows, [other]) == 3 + 1 + 1 + 3


def _pair_set(rows):
    """Every aligned residue pair, as ((row, index), (row, index)): the slow, plain way."""
    out = set()
    counters = [0] * len(rows)
    for c in range(len(rows[0])):
        column = []
        for r, row in enumerate(rows):
            if row[c] != "-":
                column.append((r, counters[r]))
                counters[r] += 1
        out |= {(a, b) for i, a in enumerate(column) for b in column[i + 1 :]}
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text("ACDEFG", min_size=1, max_size=10), min_size=2, max_size=6),
    st.randoms(use_true_random=False),
    st.integers(1, 3),
)
def test_confirmed_pairs_are_the_pairs_every_other_alignment_shares(sequences, rng, count):
    rows = shuffled_gaps([*sequences], rng, slack=4)
    others = [shuffled_gaps(rows, rng, slack=4) for _ in range(count)]
    expected = _pair_set(rows)
    for other in others:
        expected &= _pair_set(other)
    assert confirmed_pairs(rows, others) == len(expected)
    assert shared_pairs(rows, others) == sum(len(_pair_set(rows) & _pair_set(o)) for o in others)
