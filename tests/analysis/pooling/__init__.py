"""Pooling tests: the BCG trials as escalc effect sizes, and the comparison with values
published to 4 decimals, which the estimators' tests share."""

from __future__ import annotations

import pytest
from analysis_reference_data import bcg

from analysis.effect_sizes import binary_effect_sizes


def bcg_effects(measure):
    d = bcg()
    return binary_effect_sizes(d.tpos, d.n1, d.cpos, d.n2, measure, labels=d.trial)


def approx4(value):
    """A value published with 4 decimals."""
    return pytest.approx(value, abs=5e-5)
