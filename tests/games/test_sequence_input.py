"""Reading researchers' FASTA: every problem named by record and line, and
what is read agrees with Biopython's own FASTA reader."""

from __future__ import annotations

import io

import pytest
from Bio import SeqIO
from hypothesis import given, settings
from hypothesis import strategies as st

from games.sequence_input import (
    Limits,
    SequenceInputError,
    check_guide_tree,
    parse_fasta,
)


def test_reads_dna_and_protein_and_says_which():
    dna = parse_fasta(">a desc\nACGT\nacgn\n>b\nACGTT\n")
    assert dna.names == ["a", "b"] and dna.rows == ["ACGTACGN", "ACGTT"]
    assert dna.kind == "dna" and not dna.aligned
    protein = parse_fasta(">p1\nMKV-LA\n>p2\nMKVQLA\n")
    assert protein.kind == "protein" and protein.aligned
    assert protein.residues == ["MKVLA", "MKVQLA"]


@pytest.mark.parametrize(
    ("text", "limits", "words", "line"),
    [
        (">a\nACGT\n>a\nACGA\n", Limits(), ["'a'", "twice", "line 3", "first on line 1"], 3),
        (">a\nACGT\n>b\n\n>c\nAC\n", Limits(), ["'b'", "line 3", "empty"], 3),
        (">a\nACGT\n>b\n---\n", Limits(), ["'b'", "empty"], 3),
        (">a\nMKVL\n>b\nMKV\n\nLJ9\n", Limits(), ["'b'", "line 6", "'J'", "amino acid"], 6),
        (">a\nACGU\n>b\nACGT\n", Limits(), ["'a'", "'U'", "T for U"], 2),
        ("ACGT\n>a\nACGT\n", Limits(), ["line 1", "before the first '>'"], 1),
        (">\nACGT\n>b\nACGT\n", Limits(), ["line 1", "no name"], 1),
        (">a\nACGT\n", Limits(min_sequences=3), ["only 1 sequence", "at least 3"], None),
        (">a\nA\n>b\nA\n>c\nA\n", Limits(max_sequences=2), ["more than 2", "line 5"], 5),
        (">a\nACGT\n>b\nACGTACGT\n", Limits(max_length=5), ["'b'", "line 3", "8 letters"], 3),
        ("", Limits(), ["no sequences"], None),
    ],
)
def test_each_problem_names_the_record_and_line(text, limits, words, line):
    with pytest.raises(SequenceInputError) as caught:
        parse_fasta(text, limits)
    for word in words:
        assert word in str(caught.value)
    assert caught.value.line == line


names = st.lists(
    st.text("abcdefghij0123456789_|.", min_size=1, max_size=12), min_size=2, max_size=8, unique=True
)


@settings(max_examples=60, deadline=None)
@given(
    names=names,
    data=st.data(),
    width=st.integers(1, 80),
)
def test_reads_what_biopython_reads(names, data, width):
    sequences = [
        data.draw(st.text("ACDEFGHIKLMNPQRSTVWY-", min_size=1, max_size=200)) for _ in names
    ]
    sequences = [s if s.strip("-") else "M" + s for s in sequences]
    text = "".join(
        f">{name} some description\n"
        + "".join(seq[i : i + width] + "\n" for i in range(0, len(seq), width))
        for name, seq in zip(names, sequences, strict=True)
    )
    parsed = parse_fasta(text)
    reference = list(SeqIO.parse(io.StringIO(text), "fasta"))
    assert parsed.names == [record.id for record in reference]
    assert parsed.rows == [str(record.seq).upper() for record in reference]


def test_a_guide_tree_must_name_exactly_the_sequences():
    names = ["a", "b", "c"]
    assert check_guide_tree(" ((a:1,b:1):1,c:2);\n", names) == "((a:1,b:1):1,c:2);"
    with pytest.raises(SequenceInputError, match="no leaf for 'c'"):
        check_guide_tree("(a,b);", names)
    with pytest.raises(SequenceInputError, match="'d'"):
        check_guide_tree("((a,b),(c,d));", names)
    with pytest.raises(SequenceInputError, match="twice"):
        check_guide_tree("((a,b),(c,a));", names)
    with pytest.raises(SequenceInputError, match="Newick"):
        check_guide_tree("((a,b),c", names)
