"""Henikoff position-based weights: copies share a weight, the weights
average 1, and a hand-worked example comes out as the paper's rule says."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from games.weights import henikoff_weights


def test_a_hand_worked_example():
    # Column 1: A A C -> kinds 2; rows 0, 1 earn 1/4, row 2 earns 1/2.
    # Column 2: G G G -> kinds 1; each earns 1/3.  Column 3: gap, T, T -> 1/2 each.
    rows = ["AG-", "AGT", "CGT"]
    raw = np.array([1 / 4 + 1 / 3, 1 / 4 + 1 / 3 + 1 / 2, 1 / 2 + 1 / 3 + 1 / 2])
    assert np.allclose(henikoff_weights(rows), raw * 3 / raw.sum())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text("ACDE-", min_size=6, max_size=6), min_size=1, max_size=6),
    st.integers(1, 5),
)
def test_copies_weigh_the_same_and_the_weights_average_one(rows, copies):
    rows = [row if row.strip("-") else "A" + row[1:] for row in rows]
    stacked = rows + [rows[0]] * copies
    weights = henikoff_weights(stacked)
    assert np.isclose(weights.mean(), 1.0)
    assert np.all(weights > 0)
    assert np.allclose(weights[len(rows) :], weights[0])
    # Adding copies of a row never raises the weight of each copy.
    assert weights[0] <= henikoff_weights(rows)[0] * len(stacked) / len(rows) + 1e-9
