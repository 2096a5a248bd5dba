"""ScoringScheme: built like a PairwiseAligner, convertible both ways."""

from __future__ import annotations

import dataclasses
import json

import pytest
from Bio.Align import PairwiseAligner, substitution_matrices
from hypothesis import given, settings

from games.scheme import GAP_SCORE_FIELDS, PRESETS, ScoringError, ScoringScheme
from games.scoring import score_alignment

from .strategies import schemes
from .support import biopython_pairwise_sum


def aligner_attributes(aligner: PairwiseAligner) -> dict:
    attributes = {name: getattr(aligner, name) for name in GAP_SCORE_FIELDS}
    attributes["wildcard"] = aligner.wildcard
    matrix = aligner.substitution_matrix
    if matrix is None:
        attributes.update(match=aligner.match_score, mismatch=aligner.mismatch_score)
    else:
        attributes.update(alphabet=matrix.alphabet, matrix=matrix.tolist())
    return attributes


def test_defaults_are_those_of_a_default_pairwise_aligner():
    assert (
        ScoringScheme() == ScoringScheme.create() == ScoringScheme.from_aligner(PairwiseAligner())
    )


@pytest.mark.parametrize("name", ["blastn", "megablast", "blastp"])
def test_biopython_presets(name):
    scheme = ScoringScheme.preset(name)
    assert scheme == ScoringScheme.create(name)
    assert scheme == ScoringScheme.from_aligner(PairwiseAligner(scoring=name))
    assert aligner_attributes(scheme.to_aligner()) == aligner_attributes(
        PairwiseAligner(scoring=name)
    )
    assert scheme.matrix_name == name.upper()


def test_puzzle_dna_scheme():
    scheme = ScoringScheme.puzzle_dna()
    assert scheme.matrix is None
    assert (scheme.match_score, scheme.mismatch_score) == (1, -1)
    for name in GAP_SCORE_FIELDS:
        internal = "_internal_" in name
        expected = (-4 if name.startswith("open") else -1) if internal else 0
        assert getattr(scheme, name) == expected, name
    assert ScoringScheme.preset("puzzle-dna") == scheme
    assert "puzzle-dna" in PRESETS


def test_puzzle_dna_is_the_pairwise_aligner_it_claims_to_be():
    equivalent = PairwiseAligner(
        match_score=1, mismatch_score=-1, open_gap_score=-4, extend_gap_score=-1, end_gap_score=0
    )
    scheme = ScoringScheme.puzzle_dna()
    assert ScoringScheme.from_aligner(equivalent) == scheme
    assert aligner_attributes(scheme.to_aligner()) == aligner_attributes(equivalent)
    solution = ["ACG-TTGCA-", "-CGATT-CAA", "ACGAT--CA-", "--GATTGC--"]
    assert score_alignment(solution, scheme) == biopython_pairwise_sum(solution, scheme)


@settings(max_examples=300, deadline=None)
@given(scheme=schemes())
def test_aligner_round_trip(scheme):
    back = ScoringScheme.from_aligner(scheme.to_aligner())
    # from_aligner names a matrix when it is one of Biopython's; the values
    # are what matters.
    assert dataclasses.replace(back, matrix_name=None) == dataclasses.replace(
        scheme, matrix_name=None
    )
    if scheme.matrix_name is not None:
        named = substitution_matrices.load(back.matrix_name)
        assert named.alphabet == scheme.alphabet
        assert named.tolist() == [list(row) for row in scheme.matrix]


def test_create_applies_overrides_in_pairwise_aligner_order():
    scheme = ScoringScheme.create(
        "blastp",
        open_gap_score=-10,
        extend_gap_score=-2,
        end_open_gap_score=-3,
        end_extend_gap_score=0,
        open_internal_deletion_score=-20,
    )
    aligner = PairwiseAligner(scoring="blastp")
    aligner.open_gap_score = -10
    aligner.extend_gap_score = -2
    aligner.open_end_gap_score = -3  # Biopython 1.88 name of end_open_gap_score
    aligner.extend_end_gap_score = 0
    aligner.open_internal_deletion_score = -20
    assert scheme == ScoringScheme.from_aligner(aligner)
    assert scheme.matrix_name == "BLASTP"


def test_create_switches_between_matrix_and_match_mismatch():
    assert ScoringScheme.create("blastp", match_score=2, mismatch_score=-3).matrix is None
    with_matrix = ScoringScheme.create("puzzle-dna", matrix="PAM30")
    assert with_matrix.matrix_name == "PAM30" and with_matrix.alphabet.startswith("ARND")
    assert with_matrix.open_internal_insertion_score == -4  # the preset's gaps stay


def test_a_scheme_is_immutable_and_hashable():
    scheme = ScoringScheme.puzzle_dna()
    with pytest.raises(dataclasses.FrozenInstanceError):
        scheme.match_score = 5  # type: ignore[misc]
    assert len({scheme, ScoringScheme.puzzle_dna()}) == 1


def test_symmetric_gaps():
    assert ScoringScheme.preset("blastp").symmetric_gaps
    assert not ScoringScheme.create(open_left_insertion_score=-2).symmetric_gaps


def test_to_dict_is_json_ready_and_complete():
    described = json.loads(json.dumps(ScoringScheme.preset("blastp").to_dict()))
    assert described["matrix"] == "BLASTP"
    assert set(GAP_SCORE_FIELDS) <= set(described)
    custom = ScoringScheme(alphabet="AB", matrix=((1, 0), (0, 1))).to_dict()
    assert custom["matrix"] == "custom" and custom["matrix_values"] == [[1, 0], [0, 1]]
    assert ScoringScheme.puzzle_dna().to_dict()["match_score"] == 1


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ScoringScheme(matrix_name="BLOSUM63"), "unknown substitution matrix 'BLOSUM63'"),
        (lambda: ScoringScheme.create(matrix="nope"), "unknown substitution matrix 'nope'"),
        (lambda: ScoringScheme.preset("blastx"), "unknown scoring preset 'blastx'"),
        (lambda: ScoringScheme(matrix_name="SCHNEIDER"), "multi-letter symbols"),
        (
            lambda: ScoringScheme.create(matrix="BLOSUM62", match_score=1),
            "either a substitution matrix",
        ),
        (lambda: ScoringScheme.create(open_gap=-1), "unknown gap score 'open_gap'"),
        (lambda: ScoringScheme(match_score=float("nan")), "match_score must be finite"),
        (lambda: ScoringScheme(open_left_deletion_score=float("-inf")), "must be finite"),
        (lambda: ScoringScheme(mismatch_score="x"), "mismatch_score must be a number"),
        (lambda: ScoringScheme(alphabet="AB", matrix=((1, 2),)), "shape (1, 2), expected (2, 2)"),
        (lambda: ScoringScheme(alphabet="A-", matrix=((1, 2), (3, 4))), "gap character"),
        (lambda: ScoringScheme(alphabet="AA", matrix=((1, 2), (3, 4))), "repeats a letter"),
        (lambda: ScoringScheme(matrix=((1,),)), "needs its alphabet"),
        (lambda: ScoringScheme(alphabet="AC"), "only used together with a substitution matrix"),
        (lambda: ScoringScheme(wildcard="NN"), "wildcard must be a single-byte letter"),
        (lambda: ScoringScheme(wildcard="-"), "wildcard must be a single-byte letter"),
    ],
)
def test_bad_schemes_are_refused_with_a_clear_message(build, message):
    with pytest.raises(ScoringError, match=None) as caught:
        build()
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_aligners_that_cannot_score_are_refused():
    with_function = PairwiseAligner()
    with_function.insertion_score = lambda start, length: -length
    with pytest.raises(ScoringError, match="gap score function"):
        ScoringScheme.from_aligner(with_function)
    plain_matrix = PairwiseAligner()
    plain_matrix.substitution_matrix = (
        substitution_matrices.load("BLOSUM62").astype(float).view(type=__import__("numpy").ndarray)
    )
    with pytest.raises(ScoringError, match="no alphabet"):
        ScoringScheme.from_aligner(plain_matrix)
    with pytest.raises(ScoringError, match="expected a Bio.Align.PairwiseAligner"):
        ScoringScheme.from_aligner("blastp")  # type: ignore[arg-type]


def test_scoring_error_is_a_value_error():
    assert issubclass(ScoringError, ValueError)


def test_an_unknown_matrix_name_is_refused():
    with pytest.raises(ScoringError, match="unknown substitution matrix 'BLOSUM00'; available: "):
        ScoringScheme(matrix_name="BLOSUM00")
