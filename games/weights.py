"""Sequence weights, so that near-duplicate rows do not outvote the rest.

Henikoff & Henikoff's position-based weights (J. Mol. Biol. 243:574, 1994):
in each column with ``k`` distinct letters, a row whose letter occurs ``n``
times there earns ``1 / (k * n)``; a row's weight is what it earns over all
columns, scaled so that the weights average 1.  Gaps earn nothing.  Ten
copies of one sequence then weigh about as much as one distinct sequence,
which the plain sum-of-pairs score, counting every pair once, does not do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

GAP = "-"


def henikoff_weights(rows: Sequence[str]) -> np.ndarray:
    """One weight per row, averaging 1 (all 1 when no column has a letter)."""
    n = len(rows)
    weights = np.zeros(n)
    for c in range(len(rows[0]) if rows else 0):
        letters = Counter(row[c] for row in rows if row[c] != GAP)
        if not letters:
            continue
        kinds = len(letters)
        for r, row in enumerate(rows):
            if row[c] != GAP:
                weights[r] += 1.0 / (kinds * letters[row[c]])
    total = weights.sum()
    if total <= 0:
        return np.ones(n)
    scaled: np.ndarray = weights * n / total
    return scaled
