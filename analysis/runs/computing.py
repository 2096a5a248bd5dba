"""The one computation of a run: :func:`execute` a :class:`~analysis.runs.RunSpec` on
the datasets' tables, giving a :class:`RunResult`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..effect_sizes import EffectSizes, effect_sizes_from_table, required_roles
from ..errors import AnalysisInputError, ConvergenceError
from ..pooling import pool
from ..provenance import json_safe, software_versions
from ..results import MetaAnalysisResult
from ..validation import check_columns
from ..vocabulary import Kind, Stage
from .sensitivity import _sensitivity
from .spec import RunSpec, _test
from .three_level import _three_level

if TYPE_CHECKING:
    from ..ipd import HarmonisedData, OneStageResult, TwoStageResult
    from ..moderators import ModeratorAnalysis
    from ..multilevel import MultilevelResult

# The participant-level models, the meta-regression and the sensitivity analyses are
# imported by the functions that use them: the command line's meta-analysis of a
# study table needs none of them, nor the statistics stacks they load.

Progress = Callable[[float, str], None]
"""Told the fraction done and what is being done (a job's progress bar)."""


def _no_progress(fraction: float, message: str) -> None:
    """Progress that nobody follows."""


@dataclass(frozen=True, eq=False)
class RunResult:
    """What :func:`execute` computed: ``results`` as stored (plain JSON values) and the
    result objects behind them, for plots and for the command line's text."""

    results: dict[str, Any]
    pooled: MetaAnalysisResult | None = None
    effects: EffectSizes | None = None
    one_stage: OneStageResult | None = None
    two_stage: TwoStageResult | None = None
    moderators: ModeratorAnalysis | None = None
    multilevel: MultilevelResult | None = None


def execute(
    spec: RunSpec,
    frames: Mapping[str, pd.DataFrame],
    *,
    progress: Progress = _no_progress,
    primary_only: bool = False,
) -> RunResult:
    """Compute ``spec`` on ``frames`` (each dataset's table by its name).

    ``primary_only`` computes only the model asked for: the pooled estimate, or the
    one-stage model of a one-stage run, without the sensitivity analyses and the
    per-study estimates shown beside a one-stage model.  Raises
    :class:`AnalysisInputError` (naming the study or dataset and the field) or
    :class:`ConvergenceError`.
    """
    for name in spec.datasets:
        if name not in frames:
            raise AnalysisInputError("dataset was not supplied", study=name, field="dataset")
    results: dict[str, Any] = {"kind": spec.kind.value}
    order = groups = None
    one = two = None
    regression = None
    if spec.kind is Kind.AGGREGATE and spec.multilevel:
        (name,) = spec.datasets
        effects, _, _ = _aggregate_effects(spec, name, frames[name])
        progress(0.4, "Fitting the three-level model")
        fitted, stored = _three_level(spec, effects, frames[name], name)
        results["multilevel"] = stored
        results["effect_sizes"] = effects.to_dict()
        results["software"] = software_versions()
        return RunResult(json_safe(results), effects=effects, multilevel=fitted)
    if spec.kind is Kind.AGGREGATE:
        (name,) = spec.datasets
        effects, order, groups = _aggregate_effects(spec, name, frames[name])
        progress(0.4, "Pooling the studies")
        pooled = pool(effects, spec.method, level=spec.level, test=_test(spec))
        if spec.moderators:
            progress(0.5, "Meta-regression on the moderators")
            try:
                regression = _meta_regression(spec, effects, frames[name])
            except (AnalysisInputError, ConvergenceError) as error:
                if primary_only:
                    raise
                results["meta_regression"] = {"unavailable": getattr(error, "reason", str(error))}
            else:
                results["meta_regression"] = regression.to_dict()
    else:
        from ..ipd import Harmonisation, one_stage

        progress(0.3, "Harmonising the datasets")
        harmonisation = Harmonisation.from_dict(spec.harmonisation, frames, datasets=spec.datasets)
        data = harmonisation.apply(frames).filtered(spec.filters)
        if spec.stage is Stage.ONE_STAGE:
            progress(0.4, "Fitting the one-stage model")
            one = one_stage(
                data,
                covariates=spec.covariates,
                study_effect=spec.study_effect,
                level=spec.level,
            )
            results["one_stage"] = one.to_dict()
            if primary_only:
                results["software"] = software_versions()
                return RunResult(json_safe(results), one_stage=one)
        progress(0.5, "Estimating the effect in each study, then pooling")
        two, display_notes = _per_study(spec, data)
        effects, pooled = two.effects, two.pooled
        results["two_stage"] = {
            "stage1": two.stage1,
            "notes": [*display_notes, *two.notes],
            "participants": len(data.frame),
            "adjusted_for": list(two.adjusted_for),
            "filters": [f.to_dict() for f in spec.filters],
        }
    results["pooled"] = pooled.to_dict()
    results["effect_sizes"] = effects.to_dict()
    if not primary_only:
        progress(0.7, "Sensitivity analyses")
        results.update(_sensitivity(spec, effects, pooled, order, groups))
    results["software"] = software_versions()
    return RunResult(json_safe(results), pooled, effects, one, two, regression)


def _meta_regression(spec: RunSpec, effects: EffectSizes, frame: pd.DataFrame) -> ModeratorAnalysis:
    from ..moderators import analyse_moderators

    check_columns(frame, spec.datasets[0], {c: c for c in spec.moderators})
    return analyse_moderators(
        effects,
        {c: frame[c].tolist() for c in spec.moderators},
        spec.moderators,
        spec.categorical_moderators,
        method=spec.method,
        test=spec.test.value,
        level=spec.level,
        permutations=spec.permutations,
        seed=spec.seed,
        predict_at=spec.predict,
    )


def _aggregate_effects(
    spec: RunSpec, name: str, frame: pd.DataFrame
) -> tuple[EffectSizes, np.ndarray | None, np.ndarray | None]:
    """The studies' effect sizes, and the optional order (year) and subgroup of each."""
    h = spec.harmonisation
    mapped = h.get("columns") or {}
    columns: dict[str, str] = {}
    for role in required_roles(spec.measure):
        column = mapped.get(role)
        if not column:
            raise AnalysisInputError(f"no column mapped for {role!r}", study=name, field=role)
        columns[role] = column
    extra = {key: h.get(key) for key in ("study", "year", "subgroup", "effect_id")}
    check_columns(frame, name, {**columns, **extra})
    effects = effect_sizes_from_table(frame, spec.measure, columns, study=h.get("study"))
    order = frame[h["year"]].to_numpy() if h.get("year") else None
    groups = frame[h["subgroup"]].astype(str).to_numpy() if h.get("subgroup") else None
    return effects, order, groups


def _per_study(spec: RunSpec, data: HarmonisedData) -> tuple[TwoStageResult, list[str]]:
    """The two-stage analysis: the run's model, or the per-study estimates (forest plot,
    sensitivity analyses) shown beside a one-stage model, with the same covariates
    where the studies allow them."""
    from ..ipd import two_stage as pool_two_stage

    test, level = _test(spec), spec.level
    try:
        two = pool_two_stage(
            data, spec.measure, spec.method, covariates=spec.covariates, test=test, level=level
        )
    except AnalysisInputError as error:
        if spec.stage is not Stage.ONE_STAGE or not spec.covariates:
            raise
        # the one-stage model stands; only the per-study display loses its adjustment
        two = pool_two_stage(data, spec.measure, spec.method, test=test, level=level)
        return two, [
            f"Per-study estimates are unadjusted: the adjusted ones could not be computed "
            f"({error})."
        ]
    return two, []
