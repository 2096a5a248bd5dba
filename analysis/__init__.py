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

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: Each public name and the module that defines it, imported when first asked for:
#: ``portal meta`` needs the pooling code, not the participant-level models and
#: sensitivity analyses whose statistics stacks take longer to import than it runs.
_HOMES: dict[str, str] = {
    "EffectSizes": "effect_sizes",
    "binary_effect_sizes": "effect_sizes",
    "continuous_effect_sizes": "effect_sizes",
    "effect_sizes_from_estimates": "effect_sizes",
    "effect_sizes_from_table": "effect_sizes",
    "hazard_ratio_effect_sizes": "effect_sizes",
    "AnalysisInputError": "errors",
    "ConvergenceError": "errors",
    "influence_diagnostics": "influence",
    "DatasetMapping": "ipd",
    "Harmonisation": "ipd",
    "one_stage": "ipd",
    "two_stage": "ipd",
    "mantel_haenszel": "pooling",
    "meta_analysis": "pooling",
    "meta_regression": "pooling",
    "peto": "pooling",
    "pool": "pooling",
    "egger_test": "publication_bias",
    "fail_safe_n": "publication_bias",
    "rank_correlation_test": "publication_bias",
    "trim_and_fill": "publication_bias",
    "MetaAnalysisResult": "results",
    "MetaRegressionResult": "results",
    "RunResult": "runs",
    "RunSpec": "runs",
    "execute": "runs",
    "cumulative": "sensitivity",
    "leave_one_out": "sensitivity",
    "subgroup_analysis": "subgroups",
    "MEASURE_LABELS": "vocabulary",
    "METHOD_LABELS": "vocabulary",
    "OUTCOME_TYPE_LABELS": "vocabulary",
    "ROLE_LABELS": "vocabulary",
    "STAGE_LABELS": "vocabulary",
    "STUDY_EFFECT_LABELS": "vocabulary",
    "TEST_LABELS": "vocabulary",
    "CoefficientTest": "vocabulary",
    "Kind": "vocabulary",
    "Measure": "vocabulary",
    "Method": "vocabulary",
    "OutcomeType": "vocabulary",
    "Stage": "vocabulary",
    "StudyEffect": "vocabulary",
    "StudyTable": "vocabulary",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        # A submodule asked for as an attribute (``analysis.ipd.mapped_covariates``).
        if name.startswith("_"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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
