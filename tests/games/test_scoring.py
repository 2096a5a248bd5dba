"""score_alignment and score_batch check what the kernels cannot: weights, and
batch codes that are not a uint8 array of this scheme's codes.  Their errors
are ScoringErrors naming the row (and the solution and column), from 1."""

from __future__ import annotations

import numpy as np
import pytest

from games.encoding import encode_batch
from games.scheme import ScoringError, ScoringScheme
from games.scoring import score_alignment, score_batch

PUZZLE = ScoringScheme.puzzle_dna()


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
