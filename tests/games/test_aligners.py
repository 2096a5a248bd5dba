"""Real aligners: FAMSA through pyfamsa (and MAFFT / Clustal Omega where
installed) keep every residue, and their disagreement marks columns."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from games.aligners import (
    AlignerError,
    align,
    available_aligners,
    column_disagreement,
    read_unaligned,
    untrusted_columns,
)
from games.puzzles import read_source

from .support import DATA

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
