"""Computational core for pooled reanalysis (issue #4): effect sizes, meta-analysis,
participant-level pooling and plots.

Plain Python (numpy, scipy, statsmodels, pandas, matplotlib, click): it never
imports the web framework, the database layer or the ``portal`` package, so
the web app, the CLI, workers and tests all call the same functions.  Numbers
follow R's metafor (see each module's docstring for the exact definitions).

Plots live in :mod:`analysis.plots` (imported on demand, as it loads
matplotlib); the CLI command in :mod:`analysis.commands`.
"""

from __future__ import annotations

from .effect_sizes import (
    EffectSizes,
    binary_effect_sizes,
    continuous_effect_sizes,
    effect_sizes_from_estimates,
    effect_sizes_from_table,
    hazard_ratio_effect_sizes,
)
from .errors import AnalysisInputError, ConvergenceError
from .ipd import DatasetMapping, Harmonisation, one_stage, two_stage
from .pooling import mantel_haenszel, meta_analysis, meta_regression, peto, pool
from .publication_bias import egger_test
from .results import MetaAnalysisResult, MetaRegressionResult
from .sensitivity import cumulative, leave_one_out
from .subgroups import subgroup_analysis

__all__ = [
    "AnalysisInputError",
    "ConvergenceError",
    "DatasetMapping",
    "EffectSizes",
    "Harmonisation",
    "MetaAnalysisResult",
    "MetaRegressionResult",
    "binary_effect_sizes",
    "continuous_effect_sizes",
    "cumulative",
    "effect_sizes_from_estimates",
    "effect_sizes_from_table",
    "egger_test",
    "hazard_ratio_effect_sizes",
    "leave_one_out",
    "mantel_haenszel",
    "meta_analysis",
    "meta_regression",
    "one_stage",
    "peto",
    "pool",
    "subgroup_analysis",
    "two_stage",
]
