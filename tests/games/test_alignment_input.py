"""Bio.Align.Alignment objects are read from their coordinates, exactly as
Biopython shows them."""

from __future__ import annotations

import numpy as np
from Bio import Align
from Bio.Align import Alignment
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord
from hypothesis import assume, given, settings

from games.scoring import ScoringScheme, encode_rows, score_alignment

from .strategies import alignments
from .support import DATA, to_alignment

BLASTN = ScoringScheme.preset("blastn")


def rows_of(alignment: Alignment) -> list[str]:
    return [alignment[i] for i in range(len(alignment))]


def test_rows_are_those_biopython_prints():
    alignment = Align.read(DATA / "tp53.prot.fasta", "fasta")
    scheme = ScoringScheme.preset("blastp")
    assert np.array_equal(encode_rows(alignment, scheme), encode_rows(rows_of(alignment), scheme))


def test_str_seq_and_seqrecord_sequences_score_alike():
    rows = ["AC-GT", "A-CGT", "--CG-"]
    plain = to_alignment(rows)
    as_seq = Alignment([Seq(s) for s in plain.sequences], plain.coordinates)
    as_records = Alignment(
        [SeqRecord(Seq(s), id=f"r{i}") for i, s in enumerate(plain.sequences)], plain.coordinates
    )
    expected = score_alignment(rows, BLASTN)
    assert score_alignment(plain, BLASTN) == score_alignment(as_seq, BLASTN) == expected
    assert score_alignment(as_records, BLASTN) == expected


def test_a_minus_strand_row_is_scored_reverse_complemented_like_biopython():
    alignment = Alignment(["ACGTA", "AACC"], np.array([[0, 1, 5], [4, 4, 0]]))
    assert rows_of(alignment) == ["ACGTA", "-GGTT"]
    score = score_alignment(alignment, BLASTN)
    assert score == score_alignment(["ACGTA", "-GGTT"], BLASTN)
    assert score == alignment.counts(BLASTN.to_aligner()).score


def test_only_the_aligned_part_of_a_sequence_counts():
    # Coordinates may start and end inside the sequences, as in local alignments.
    alignment = Alignment(["TTACGTTT", "GACGA"], np.array([[2, 6], [1, 5]]))
    assert rows_of(alignment) == ["ACGT", "ACGA"]
    assert score_alignment(alignment, BLASTN) == alignment.counts(BLASTN.to_aligner()).score


@settings(max_examples=300, deadline=None)
@given(rows=alignments("ACGTNacgtn*é"))
def test_an_alignment_object_encodes_like_its_rows_without_all_gap_columns(rows):
    kept = [c for c in range(len(rows[0])) if any(row[c] != "-" for row in rows)]
    assume(kept)  # an Alignment cannot hold columns without letters
    expected = ["".join(row[c] for c in kept) for row in rows]
    scheme = ScoringScheme.puzzle_dna()
    assert np.array_equal(encode_rows(to_alignment(rows), scheme), encode_rows(expected, scheme))
