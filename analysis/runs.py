"""A run specification, and the one function that computes it for the portal and the CLI.

A :class:`RunSpec` says everything a run computes from: the kind of analysis, the
measure, the pooling method and its options, the harmonisation (as stored) and the
datasets in order.  It checks itself, so a spec that exists can be run.
:func:`execute` takes a spec and the datasets' tables and returns a :class:`RunResult`
whose ``results`` are what the portal stores for a run: the pooled estimate, the
per-study effect sizes, leave-one-out and cumulative tables, subgroups, Egger's test,
trim and fill, the rank correlation test, fail-safe N, influence diagnostics,
the one-stage model and the two-stage details of participant-level runs, and the
software versions.  The command line asks only for the model it prints
(``primary_only``).

Stored harmonisations have two forms.  Aggregate runs name the columns of the one
study-level table: ``{"columns": {role: column}, "study", "year", "subgroup"}``
(``year`` orders the cumulative meta-analysis, ``subgroup`` groups the studies).
Participant-level runs store :meth:`~analysis.ipd.Harmonisation.to_dict`'s form,
datasets keyed by their names.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from .effect_sizes import EffectSizes, effect_sizes_from_table, required_roles
from .errors import AnalysisInputError, ConvergenceError
from .filters import RowFilter, as_filters
from .pooling import pool
from .provenance import json_safe, software_versions
from .results import MetaAnalysisResult
from .validation import check_columns
from .vocabulary import ROLE_LABELS, CoefficientTest, Kind, Measure, Method, Stage, StudyEffect

if TYPE_CHECKING:
    from .ipd import HarmonisedData, OneStageResult, TwoStageResult
    from .moderators import ModeratorAnalysis
    from .multilevel import MultilevelResult

# The participant-level models, the meta-regression and the sensitivity analyses are
# imported by the functions that use them: the command line's meta-analysis of a
# study table needs none of them, nor the statistics stacks they load.

Progress = Callable[[float, str], None]
"""Told the fraction done and what is being done (a job's progress bar)."""

PARTICIPANT_OPTIONS = ("stage", "covariates", "study_effect", "filters")
#: options of an aggregate run's meta-regression (its moderators are in the mapping)
REGRESSION_OPTIONS = ("permutations", "seed", "predict")

_Word = TypeVar("_Word", bound=StrEnum)


def _no_progress(fraction: float, message: str) -> None:
    """Progress that nobody follows."""


@dataclass(frozen=True)
class RunSpec:
    """What a run computes.  Construction checks the options against one another and
    against the harmonisation (which covariates it maps), raising
    :class:`AnalysisInputError` with the offending ``field``.  Build one from text (a
    form, a stored run, the command line) with :meth:`from_options`.

    ``datasets`` names the tables in the order their studies are reported; an
    aggregate analysis has exactly one.  ``stage``, ``covariates``, ``study_effect``
    and ``filters`` are options of participant-level runs.  ``test`` is metafor's
    (z, t or knha); ``hk=True`` is the same as ``test=CoefficientTest.KNHA`` and the two are
    kept in step.
    """

    kind: Kind
    measure: Measure
    method: Method
    datasets: tuple[str, ...]
    harmonisation: Mapping[str, Any] = field(default_factory=dict)
    hk: bool = False
    level: float = 0.95
    stage: Stage = Stage.TWO_STAGE
    covariates: tuple[str, ...] = ()
    study_effect: StudyEffect = StudyEffect.FIXED
    filters: tuple[RowFilter, ...] = ()
    test: CoefficientTest = CoefficientTest.Z
    permutations: int = 0
    seed: int | None = None
    predict: tuple[Mapping[str, Any], ...] = ()
    multilevel: bool = False

    @property
    def moderators(self) -> tuple[str, ...]:
        return tuple(self.harmonisation.get("moderators") or ())

    @property
    def categorical_moderators(self) -> tuple[str, ...]:
        return tuple(self.harmonisation.get("categorical_moderators") or ())

    def __post_init__(self) -> None:
        if self.hk and self.test is CoefficientTest.T:
            raise AnalysisInputError(
                "Choose either the Hartung-Knapp adjustment or plain t tests.", field="test"
            )
        # frozen: the two spellings of Hartung-Knapp are made to agree once, here
        object.__setattr__(self, "hk", self.hk or self.test is CoefficientTest.KNHA)
        object.__setattr__(
            self, "test", CoefficientTest.KNHA if self.hk else CoefficientTest(self.test)
        )
        if self.test is CoefficientTest.T and not self.method.is_inverse_variance:
            raise AnalysisInputError(
                f"{self.method.value} reports z tests; t tests apply to inverse-variance methods.",
                field="test",
            )
        if self.hk and self.method is Method.GENQ:
            raise AnalysisInputError(
                "The Hartung-Knapp adjustment is not available with the generalised Q "
                "estimator (GENQ); choose z or t tests.",
                field="test",
            )
        if self.measure not in self.kind.measures:
            raise _not_one_of("measure", self.kind.measures)
        _check_level(self.level)
        if not self.datasets:
            raise AnalysisInputError("Choose at least one dataset.", field="datasets")
        if self.kind is Kind.AGGREGATE:
            if len(self.datasets) != 1:
                raise AnalysisInputError(
                    "An aggregate meta-analysis uses exactly one dataset whose rows are studies.",
                    field="datasets",
                )
            participant = (self.stage, self.study_effect) != (Stage.TWO_STAGE, StudyEffect.FIXED)
            if participant or self.covariates or self.filters:
                raise _participant_only()
            self._check_measure_is_mapped()
            self._check_regression_options()
            if self.multilevel:
                self._check_multilevel()
            return
        if self.multilevel:
            raise AnalysisInputError(
                "The three-level model pools the effects of one study-level table; "
                "participant-level runs cannot use it.",
                field="multilevel",
            )
        if self.permutations or self.predict:
            raise AnalysisInputError(
                "Permutation tests and predictions belong to a meta-regression of "
                "study-level data.",
                field="permutations" if self.permutations else "predict",
            )
        self._check_participant_options()

    def _check_regression_options(self) -> None:
        if self.permutations:
            # Only then: the meta-regression's module loads the statistics stack.
            from .moderators import MAX_PERMUTATIONS

            if not 2 <= self.permutations <= MAX_PERMUTATIONS:
                raise AnalysisInputError(
                    "The number of permutations must be 0 (none) or between 2 and "
                    f"{MAX_PERMUTATIONS}.",
                    field="permutations",
                )
        if (self.permutations or self.predict) and not self.moderators:
            raise AnalysisInputError(
                "Permutation tests and predictions need moderators: choose them with the mapping.",
                field="permutations" if self.permutations else "predict",
            )
        if self.moderators and not self.method.is_inverse_variance:
            raise AnalysisInputError(
                f"A meta-regression is an inverse-variance model; choose FE or a "
                f"random-effects method, not {self.method.value}.",
                field="method",
            )
        for at in self.predict:
            unknown = [name for name in at if name not in self.moderators]
            if unknown:
                raise AnalysisInputError(
                    f"Prediction at {unknown[0]!r}: it is not one of the moderators "
                    f"({', '.join(self.moderators)}).",
                    field="predict",
                )

    def _check_multilevel(self) -> None:
        """The three-level model is metafor's ``rma.mv`` fitted by REML with z tests,
        without moderators here, and it needs to know which rows share a study."""
        if self.method is not Method.REML:
            raise AnalysisInputError(
                "The three-level model is fitted by REML; choose REML as the method.",
                field="method",
            )
        if self.test is not CoefficientTest.Z:
            raise AnalysisInputError(
                "The three-level model reports z tests; choose the normal distribution.",
                field="test",
            )
        if self.moderators:
            raise AnalysisInputError(
                "Moderators are not offered with the three-level model; clear them on the "
                "mapping step or choose the ordinary model.",
                field="moderators",
            )
        if self.harmonisation.get("columns") and not self.harmonisation.get("study"):
            raise AnalysisInputError(
                "The three-level model needs the column that says which study each row "
                "belongs to; choose it on the mapping step.",
                field="study",
            )

    def _check_measure_is_mapped(self) -> None:
        """A measure needs its outcome's columns: counts for OR, RR and RD, means and
        SDs for MD and SMD (said here, before a run is queued, not when it fails)."""
        mapped = self.harmonisation.get("columns")
        if not isinstance(mapped, Mapping) or not mapped:
            return
        missing = [role for role in self.measure.roles if not mapped.get(role)]
        if missing:
            offered = [
                m for m in self.kind.measures if all(mapped.get(r) for r in m.roles) and m.roles
            ]
            raise AnalysisInputError(
                f"{self.measure.label} is computed from "
                f"{', '.join(ROLE_LABELS[r].lower() for r in self.measure.roles)}; the "
                f"mapping has no column for {ROLE_LABELS[missing[0]].lower()}. "
                + (
                    f"Choose {' or '.join(offered)}, or map those columns first."
                    if offered
                    else "Map those columns first."
                ),
                field="measure",
            )

    def _check_participant_options(self) -> None:
        from .ipd import mapped_covariates
        from .ipd.one_stage import TIME_TO_EVENT_RANDOM_REFUSAL

        mapped = mapped_covariates(self.harmonisation)
        unknown = [c for c in self.covariates if c not in mapped]
        if unknown:
            raise AnalysisInputError(
                f"Covariate {unknown[0]!r} is not mapped; map it to a column of every "
                f"dataset first (mapped: {', '.join(mapped) or 'none'}).",
                field="covariates",
            )
        one_stage_measures = Stage.ONE_STAGE.measures
        if self.stage is Stage.ONE_STAGE and self.measure not in one_stage_measures:
            raise AnalysisInputError(
                f"A one-stage model estimates {', '.join(one_stage_measures)} (odds "
                "ratio, mean difference, hazard ratio); choose one of those.",
                field="measure",
            )
        if self.stage is Stage.TWO_STAGE and self.study_effect is not StudyEffect.FIXED:
            raise AnalysisInputError(
                "A random study intercept is a one-stage option; a two-stage analysis "
                "chooses random effects with its pooling method.",
                field="study_effect",
            )
        if self.study_effect is StudyEffect.RANDOM and self.measure == "HR":
            raise AnalysisInputError(TIME_TO_EVENT_RANDOM_REFUSAL, field="study_effect")
        if self.covariates and self.measure not in one_stage_measures:
            raise AnalysisInputError(
                "Covariate adjustment estimates odds ratios, mean differences or "
                "hazard ratios; choose OR, MD or HR.",
                field="measure",
            )
        if self.covariates and not self.method.is_inverse_variance:
            raise AnalysisInputError(
                "Covariate-adjusted study estimates are pooled by inverse variance "
                "(FE, DL, REML or PM), not by Mantel-Haenszel or Peto.",
                field="method",
            )

    @classmethod
    def from_options(
        cls,
        *,
        kind: str,
        measure: str,
        method: str,
        datasets: Sequence[str],
        harmonisation: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> RunSpec:
        """A spec from text: measure and method in any case, the level as a fraction or a
        percentage, and the participant-level options as :meth:`options` stores them or
        as a form sends them (covariates comma-separated, filters one per line)."""
        options = dict(options or {})
        run_kind = _word(Kind, kind, "kind")
        chosen_measure = _word(Measure, (measure or "").upper(), "measure", run_kind.measures)
        chosen_method = _word(Method, (method or "").upper(), "method")
        level = _level(options.get("level", 0.95))
        participant = {k: options[k] for k in PARTICIPANT_OPTIONS if options.get(k) is not None}
        if run_kind is Kind.AGGREGATE and participant:
            raise _participant_only()
        stage = str(participant.get("stage") or Stage.TWO_STAGE).strip().lower()
        permutations = _whole(options.get("permutations") or 0, "permutations")
        seed = options.get("seed")
        seed = None if seed in (None, "") else _whole(seed, "seed")
        if permutations and seed is None:
            # chosen once and stored with the run, so that it repeats exactly
            seed = secrets.randbelow(2**31)
        return cls(
            kind=run_kind,
            measure=chosen_measure,
            method=chosen_method,
            datasets=tuple(datasets),
            harmonisation=dict(harmonisation or {}),
            hk=bool(options.get("hk", False)),
            test=_word(
                CoefficientTest,
                str(options.get("test") or CoefficientTest.Z).strip().lower(),
                "test",
            ),
            level=level,
            stage=_word(Stage, stage, "stage"),
            covariates=tuple(_names(participant.get("covariates"), "covariates")),
            study_effect=_study_effect(participant.get("study_effect", StudyEffect.FIXED)),
            filters=_filters(participant.get("filters", ())),
            permutations=permutations,
            seed=seed,
            predict=_predictions(options.get("predict")),
            multilevel=_flag(options.get("multilevel"), "multilevel"),
        )

    def options(self) -> dict[str, Any]:
        """The options as a run stores them (JSON), so that :meth:`from_options` gives
        this spec back."""
        out: dict[str, Any] = {"hk": self.hk, "level": self.level}
        if self.test is CoefficientTest.T:
            out["test"] = self.test.value
        if self.permutations:
            out.update(permutations=self.permutations, seed=self.seed)
        if self.predict:
            out["predict"] = [dict(at) for at in self.predict]
        if self.multilevel:
            out["multilevel"] = True
        if self.kind is Kind.PARTICIPANT:
            out.update(
                stage=self.stage.value,
                covariates=list(self.covariates),
                study_effect=self.study_effect.value,
                filters=[f.to_dict() for f in self.filters],
            )
        return out


def _test(spec: RunSpec) -> str | None:
    """The test to pass on: None leaves MH and Peto (z tests only) their default, and a
    Hartung-Knapp request on them fails where it always did, in the pooling."""
    if spec.method.is_inverse_variance or spec.hk:
        return spec.test.value
    return None


def _participant_only() -> AnalysisInputError:
    return AnalysisInputError(
        "Stage, covariates and filters apply to participant-level runs only.", field="options"
    )


def _not_one_of(name: str, offered: Sequence[str]) -> AnalysisInputError:
    return AnalysisInputError(f"{name} must be one of {', '.join(offered)}.", field=name)


def _word(
    words: type[_Word], value: Any, name: str, offered: Sequence[_Word] | None = None
) -> _Word:
    """``value`` as one of the ``offered`` words (default: all of them)."""
    offered = tuple(words) if offered is None else tuple(offered)
    if value not in offered:
        raise _not_one_of(name, offered)
    return words(value)


def _level(value: Any) -> float:
    try:
        level = float(value)
    except (TypeError, ValueError):
        raise AnalysisInputError("level must be a number such as 0.95.", field="level") from None
    if 1 < level < 100:  # 95 means 95%
        level /= 100
    _check_level(level)
    return level


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise AnalysisInputError(
            "level must be between 0 and 1 (e.g. 0.95) or a percentage.", field="level"
        )


def _names(value: Any, name: str) -> list[str]:
    """A list of names from a list or a comma-separated string (forms send text)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise AnalysisInputError(f"{name} is a list of names.", field=name)
    return [v.strip() for v in value if v.strip()]


def _flag(value: Any, name: str) -> bool:
    """A yes/no option as JSON gives it or as a form's checkbox sends it."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise AnalysisInputError(f"{name} must be true or false.", field=name)


def _whole(value: Any, name: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise AnalysisInputError(f"{name} must be a whole number.", field=name) from None
    if number < 0 or number >= 2**32:
        raise AnalysisInputError(f"{name} must be between 0 and {2**32 - 1}.", field=name)
    return number


def _predictions(value: Any) -> tuple[dict[str, Any], ...]:
    """Moderator values to predict at: as stored (a list of objects) or as typed, one
    prediction per line, ``dose = 20; region = north``."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, (list, tuple)):
        raise AnalysisInputError(
            'predict is a list such as [{"dose": 20}] or lines such as "dose = 20".',
            field="predict",
        )
    out = []
    for item in value:
        if isinstance(item, str):
            at: dict[str, Any] = {}
            for part in item.split(";"):
                name, sign, text = part.partition("=")
                if not sign or not name.strip() or not text.strip():
                    raise AnalysisInputError(
                        f"Cannot read {item.strip()!r}: write each value as "
                        "moderator = value, separated by semicolons.",
                        field="predict",
                    )
                at[name.strip()] = text.strip()
            item = at
        if not isinstance(item, Mapping) or not item:
            raise AnalysisInputError(
                "Each prediction gives at least one moderator's value.", field="predict"
            )
        if not all(
            isinstance(k, str) and isinstance(v, (str, int, float)) for k, v in item.items()
        ):
            raise AnalysisInputError(
                "Each prediction maps moderator names to values.", field="predict"
            )
        out.append(dict(item))
    return tuple(out)


def _study_effect(value: Any) -> StudyEffect:
    if value not in tuple(StudyEffect):
        raise AnalysisInputError("study_effect must be 'fixed' or 'random'.", field="study_effect")
    return StudyEffect(value)


def _filters(value: Any) -> tuple[RowFilter, ...]:
    """Filters as stored (dicts) or typed (one per line, or a list of lines)."""
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, (list, tuple)):
        raise AnalysisInputError('filters is a list such as ["age >= 50"].', field="filters")
    try:
        return as_filters(value)
    except AnalysisInputError as error:
        raise AnalysisInputError(error.reason, field="filters") from None


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
        from .ipd import Harmonisation, one_stage

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
    from .moderators import analyse_moderators

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


def _three_level(
    spec: RunSpec, effects: EffectSizes, frame: pd.DataFrame, name: str
) -> tuple[MultilevelResult, dict[str, Any]]:
    """The three-level model of the table's effects, grouped by the study column, and
    what a run stores of it: the fit, each effect with its study and id, and the fit's
    numbers in plain words.  Each row is one effect; an effect-id column, when mapped,
    only names them, and must not repeat within a study (``random = ~ 1 | study/es_id``
    would then join two effects into one)."""
    from .multilevel import in_plain_words as multilevel_words
    from .multilevel import multilevel_meta_analysis

    h = spec.harmonisation
    study_column = h.get("study")
    if not study_column:
        raise AnalysisInputError(
            "the three-level model needs the study column", study=name, field="study"
        )
    # the labels effect_sizes_from_table read (a row without one is refused there)
    study = list(effects.labels)
    id_column = h.get("effect_id")
    if id_column:
        ids = frame[id_column].astype(str).str.strip().tolist()
    else:
        # inferred: the effects of a study numbered in the order of their rows
        counts: dict[str, int] = {}
        ids = []
        for s in study:
            counts[s] = counts.get(s, 0) + 1
            ids.append(str(counts[s]))
    repeated = set()
    for s, e in zip(study, ids, strict=True):
        if (s, e) in repeated:
            raise AnalysisInputError(
                f"effect {e!r} appears more than once in this study; each row must be a "
                "different effect",
                study=s,
                field="effect_id",
            )
        repeated.add((s, e))
    computed = np.isfinite(effects.yi) & np.isfinite(effects.vi)
    kept = np.flatnonzero(computed)
    notes = []
    if kept.size < len(study):
        left = [f"{study[i]} ({ids[i]})" for i in np.flatnonzero(~computed)]
        notes.append(
            f"{len(left)} effect{'s' if len(left) != 1 else ''} could not be computed and "
            f"{'are' if len(left) != 1 else 'is'} left out: {', '.join(left)}."
        )
    if kept.size == 0:
        raise AnalysisInputError("no effect could be computed from this table", study=name)
    fitted = multilevel_meta_analysis(
        effects.yi[kept], effects.vi[kept], [study[i] for i in kept], level=spec.level
    )
    ratio = spec.measure.is_ratio
    stored = fitted.to_dict()
    stored.update(
        measure=spec.measure.value,
        scale="log" if ratio else "identity",
        notes=notes,
        effects=[
            {
                "study": study[i],
                "effect_id": ids[i],
                "yi": float(effects.yi[i]),
                "vi": float(effects.vi[i]),
            }
            for i in kept
        ],
        in_plain_words=multilevel_words(fitted, spec.measure.label, ratio),
    )
    if ratio:
        c = fitted.coefficients[0]
        stored.update(
            estimate_exp=float(np.exp(c.estimate)),
            ci_low_exp=float(np.exp(c.ci_low)),
            ci_high_exp=float(np.exp(c.ci_high)),
            pi_low_exp=float(np.exp(fitted.pi_low)) if fitted.pi_low is not None else None,
            pi_high_exp=float(np.exp(fitted.pi_high)) if fitted.pi_high is not None else None,
        )
    return fitted, stored


def _per_study(spec: RunSpec, data: HarmonisedData) -> tuple[TwoStageResult, list[str]]:
    """The two-stage analysis: the run's model, or the per-study estimates (forest plot,
    sensitivity analyses) shown beside a one-stage model, with the same covariates
    where the studies allow them."""
    from .ipd import two_stage as pool_two_stage

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


def _sensitivity(
    spec: RunSpec,
    effects: EffectSizes,
    pooled: MetaAnalysisResult,
    order: np.ndarray | None,
    groups: np.ndarray | None,
) -> dict[str, Any]:
    """Leave-one-out, cumulative (given an order), subgroups (given groups) and Egger's
    test; one that cannot be computed says why instead of failing the run."""
    from .diagnostics import all_coordinates
    from .influence import influence_diagnostics
    from .publication_bias import egger_test
    from .sensitivity import cumulative, leave_one_out
    from .subgroups import subgroup_analysis

    method, test, level = spec.method, _test(spec), spec.level
    out: dict[str, Any] = {}
    try:
        out["leave_one_out"] = leave_one_out(effects, method, test=test, level=level).to_dict()
    except AnalysisInputError as error:
        out["leave_one_out"] = {"unavailable": error.reason}
    if order is not None:
        try:
            out["cumulative"] = cumulative(effects, order, method, test=test, level=level).to_dict()
        except AnalysisInputError as error:
            out["cumulative"] = {"unavailable": error.reason}
    if groups is not None:
        # subgroups of an MH or Peto analysis are pooled by inverse variance, without HK
        iv = method.is_inverse_variance
        try:
            out["subgroups"] = subgroup_analysis(
                effects,
                list(groups),
                method if iv else Method.FE,
                test=test if iv else None,
                level=level,
            ).to_dict()
        except (AnalysisInputError, TypeError) as error:
            out["subgroups"] = {"unavailable": str(getattr(error, "reason", error))}
    if pooled.k >= 3:
        try:
            out["egger"] = egger_test(effects, method, test=test, level=level).to_dict()
        except (AnalysisInputError, ConvergenceError) as error:
            out["egger"] = {"unavailable": getattr(error, "reason", str(error))}
    else:
        out["egger"] = {
            "unavailable": f"Egger's test needs at least 3 studies (this analysis has {pooled.k})."
        }
    out.update(_publication_bias(effects, method, test, level, pooled.k))
    out["diagnostics"] = all_coordinates(pooled)
    if not method.is_inverse_variance:
        out["influence"] = {
            "unavailable": "Influence diagnostics are defined for inverse-variance models "
            f"(FE or a random-effects method), not {method.value}."
        }
    else:
        try:
            out["influence"] = influence_diagnostics(
                effects, method, test=test, level=level
            ).to_dict()
        except (AnalysisInputError, ConvergenceError) as error:
            out["influence"] = {"unavailable": getattr(error, "reason", str(error))}
    return out


def _publication_bias(
    effects: EffectSizes, method: Method, test: str | None, level: float, k: int
) -> dict[str, Any]:
    """Trim and fill (L0, side as metafor chooses), the rank correlation test and the
    three fail-safe Ns, each saying why where it cannot be computed."""
    from .publication_bias import FSN_TYPES, fail_safe_n, rank_correlation_test, trim_and_fill

    out: dict[str, Any] = {}
    tools: dict[str, Callable[[], Any]] = {
        "trimfill": lambda: trim_and_fill(effects, method, level=level, test=test).to_dict(),
        "ranktest": lambda: rank_correlation_test(effects).to_dict(),
        "fsn": lambda: {t.lower(): fail_safe_n(effects, t).to_dict() for t in FSN_TYPES},
    }
    for name, compute in tools.items():
        if k < 3:
            out[name] = {
                "unavailable": f"Publication-bias tools need at least 3 studies (this "
                f"analysis has {k})."
            }
            continue
        try:
            out[name] = compute()
        except (AnalysisInputError, ConvergenceError) as error:
            out[name] = {"unavailable": getattr(error, "reason", str(error))}
    return out
