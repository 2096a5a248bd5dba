"""Input that cannot be scored raises ScoringError (a ValueError) whose message
says where: the row, the column and the letter, numbered from 1."""

from __future__ import annotations

import numpy as np
import pytest
from Bio.Align import Alignment
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord

from games.scoring import (
    ScoringError,
    ScoringScheme,
    encode_batch,
    score_alignment,
    score_batch,
)

BLOSUM62 = ScoringScheme(matrix_name="BLOSUM62")
PUZZLE = ScoringScheme.puzzle_dna()


def test_scoring_error_is_a_value_error():
    assert issubclass(ScoringError, ValueError)


def test_a_letter_outside_the_matrix_alphabet_is_named_with_its_place():
    with pytest.raises(ScoringError) as caught:
        score_alignment(["ACDE", "AC#E"], BLOSUM62)
    error = caught.value
    assert "row 2, column 3: letter '#' is not in the alphabet of BLOSUM62" in str(error)
    assert (error.row, error.column, error.letter) == (2, 3, "#")


def test_letters_are_case_sensitive_with_a_matrix_as_in_biopython():
    with pytest.raises(ScoringError, match=r"row 1, column 2: letter 'c'.*case-sensitive"):
        score_alignment(["Ac", "AC"], BLOSUM62)


def test_a_named_row_of_a_biopython_alignment_is_reported_by_name():
    sequences, coordinates = Alignment.parse_printed_alignment([b"MKV-L", b"MKJ-L"])
    records = [
        SeqRecord(Seq(s), id=name) for s, name in zip(sequences, ["human", "mouse"], strict=True)
    ]
    alignment = Alignment(records, coordinates)
    with pytest.raises(ScoringError, match=r"row 2 \('mouse'\), column 3: letter 'J'"):
        score_alignment(alignment, ScoringScheme(matrix_name="PAM30"))


def test_match_mismatch_schemes_take_any_single_byte_letter():
    assert score_alignment(["a#é", "a#e"], PUZZLE) == 1 + 1 - 1


def test_a_letter_that_is_not_single_byte_is_refused():
    with pytest.raises(ScoringError, match=r"row 2, column 1: letter 'λ' is not a single-byte"):
        score_alignment(["AC", "λC"], PUZZLE)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "the alignment is empty: it has no rows"),
        (["", ""], "the alignment is empty: its rows have no columns"),
        ("ACGT", "not a single string"),
        (["ACGT", "ACG"], "row 2 has 3 columns but row 1 has 4"),
        (["AC", "AC", "A"], "row 3 has 1 columns but row 1 has 2"),
        (["AC", 5], "row 2 is a int; rows must be strings"),
        (42, "not int"),
    ],
)
def test_malformed_alignments(rows, message):
    with pytest.raises(ScoringError) as caught:
        score_alignment(rows, PUZZLE)
    assert message in str(caught.value)


def test_a_sequence_without_content_is_refused():
    alignment = Alignment([Seq(None, 3), Seq("ACG")], np.array([[0, 3], [0, 3]]))
    with pytest.raises(ScoringError, match="row 1: cannot read its letters"):
        score_alignment(alignment, PUZZLE)


def test_gaps_inside_the_sequences_of_an_alignment_are_refused():
    alignment = Alignment(["A-G", "ACG"], np.array([[0, 3], [0, 3]]))
    with pytest.raises(ScoringError, match="row 1: its sequence contains '-'"):
        score_alignment(alignment, PUZZLE)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0], "expected one weight per row (2)"),
        ([1.0, float("nan")], "the weight of row 2 is not finite"),
        (["a", "b"], "weights must be numbers"),
    ],
)
def test_bad_weights(weights, message):
    with pytest.raises(ScoringError) as caught:
        score_alignment(["AC", "AC"], PUZZLE, weights)
    assert message in str(caught.value)


def test_a_batch_solution_with_an_unknown_letter_is_located():
    with pytest.raises(ScoringError, match=r"solution 2, row 1, column 2: letter 'Z'"):
        encode_batch([["AC", "AC"], ["AZ", "AC"]], ScoringScheme.preset("blastn"))


@pytest.mark.parametrize(
    ("solutions", "message"),
    [
        ([["AC", "AC"], ["AC"]], "solution 2 has 1 rows but solution 1 has 2"),
        ([["AC", "AC"], ["AC", "A"]], "solution 2, row 2 has 1 columns, expected 2"),
        ([[]], "they have no rows"),
        ([["", ""]], "their rows have no columns"),
    ],
)
def test_malformed_batches(solutions, message):
    with pytest.raises(ScoringError) as caught:
        encode_batch(solutions, PUZZLE)
    assert message in str(caught.value)


def test_batch_codes_must_be_uint8_and_belong_to_the_scheme():
    with pytest.raises(ScoringError, match="must be a uint8 array of shape"):
        score_batch(np.zeros((2, 3, 4), dtype=np.int64), PUZZLE)
    with pytest.raises(ScoringError, match="must be a uint8 array of shape"):
        score_batch(np.zeros((3, 4), dtype=np.uint8), PUZZLE)
    codes = encode_batch([["AC", "AC"]], PUZZLE)  # byte codes: 'A' is 65
    with pytest.raises(ScoringError, match=r"solution 1, row 1, column 1: code 65 is not a letter"):
        score_batch(codes, ScoringScheme.preset("blastn"))
    with pytest.raises(ScoringError, match="no rows or no columns"):
        score_batch(np.zeros((2, 0, 4), dtype=np.uint8), PUZZLE)


def test_an_unknown_matrix_name_is_refused():
    with pytest.raises(ScoringError, match="unknown substitution matrix 'BLOSUM00'; available: "):
        ScoringScheme(matrix_name="BLOSUM00")


def test_a_non_scheme_is_refused():
    with pytest.raises(ScoringError, match="expected a ScoringScheme"):
        score_alignment(["A"], "blastp")  # type: ignore[arg-type]


def test_coordinates_that_step_unevenly_are_refused():
    alignment = Alignment(["ACG", "AC"], np.array([[0, 3], [0, 2]]))
    with pytest.raises(ScoringError, match="row 2: its coordinates step by a different amount"):
        score_alignment(alignment, PUZZLE)


def test_coordinates_that_go_both_ways_are_refused():
    alignment = Alignment(["ACGT", "ACGT"], np.array([[0, 2, 4], [0, 2, 0]]))
    with pytest.raises(ScoringError, match="row 2: its coordinates go both forwards and backwards"):
        score_alignment(alignment, PUZZLE)
