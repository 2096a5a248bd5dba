"""Computational core for pooled reanalysis: effect sizes, meta-analysis,
participant-level pooling and plots.

Plain Python (numpy, scipy, statsmodels, pandas, matplotlib, click): it never
imports the web framework, the database layer or the ``portal`` package, so
the web app, the CLI, workers and tests all call the same functions.  Numbers
follow R's metafor (see each module's docstring for the exact definitions).

The words analyses are described in (:class:`Measure`, :class:`Method`,
:class:`OutcomeType`, :class:`Kind`, :class:`Stage`, :class:`StudyEffect` and their
labels) come from :mod:`analysis.vocabulary`.  Plots live in :mod:`analysis.plots`
(imported on demand, as it loads matplotlib); the CLI command in :mod:`analysis.commands`.
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
from .influence import influence_diagnostics
from .ipd import DatasetMapping, Harmonisation, one_stage, two_stage
from .pooling import mantel_haenszel, meta_analysis, meta_regression, peto, pool
from .publication_bias import egger_test, fail_safe_n, rank_correlation_test, trim_and_fill
from .results import MetaAnalysisResult, MetaRegressionResult
from .runs import RunResult, RunSpec, execute
from .sensitivity import cumulative, leave_one_out
from .subgroups import subgroup_analysis
from .vocabulary import (
    MEASURE_LABELS,
    METHOD_LABELS,
    OUTCOME_TYPE_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    STUDY_EFFECT_LABELS,
    TEST_LABELS,
    CoefficientTest,
    Kind,
    Measure,
    Method,
    OutcomeType,
    Stage,
    StudyEffect,
    StudyTable,
)

__all__ = [
    "MEASURE_LABELS",
    "METHOD_LABELS",
    "OUTCOME_TYPE_LABELS",
    "ROLE_LABELS",
    "STAGE_LABELS",
    "STUDY_EFFECT_LABELS",
    "TEST_LABELS",
    "AnalysisInputError",
    "CoefficientTest",
    "ConvergenceError",
    "DatasetMapping",
    "EffectSizes",
    "Harmonisation",
    "Kind",
    "Measure",
    "MetaAnalysisResult",
    "MetaRegressionResult",
    "Method",
    "OutcomeType",
    "RunResult",
    "RunSpec",
    "Stage",
    "StudyEffect",
    "StudyTable",
    "binary_effect_sizes",
    "continuous_effect_sizes",
    "cumulative",
    "effect_sizes_from_estimates",
    "effect_sizes_from_table",
    "egger_test",
    "execute",
    "fail_safe_n",
    "hazard_ratio_effect_sizes",
    "influence_diagnostics",
    "leave_one_out",
    "mantel_haenszel",
    "meta_analysis",
    "meta_regression",
    "one_stage",
    "peto",
    "pool",
    "rank_correlation_test",
    "subgroup_analysis",
    "trim_and_fill",
    "two_stage",
]
