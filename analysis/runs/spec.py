"""What a run computes: :class:`RunSpec`, checked when it is made."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import AnalysisInputError
from ..filters import RowFilter
from ..vocabulary import ROLE_LABELS, CoefficientTest, Kind, Measure, Method, Stage, StudyEffect
from .options import (
    _check_level,
    _filters,
    _flag,
    _level,
    _names,
    _not_one_of,
    _participant_only,
    _predictions,
    _study_effect,
    _whole,
    _word,
)

PARTICIPANT_OPTIONS = ("stage", "covariates", "study_effect", "filters")
#: options of an aggregate run's meta-regression (its moderators are in the mapping)
REGRESSION_OPTIONS = ("permutations", "seed", "predict")


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
            from ..moderators import MAX_PERMUTATIONS

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
        from ..ipd import mapped_covariates
        from ..ipd.one_stage import TIME_TO_EVENT_RANDOM_REFUSAL

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
