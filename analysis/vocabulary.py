"""The words an analysis is described in: measures, methods, outcome types, study-level
tables, kinds of analysis, stages and study effects, with their plain-word labels.

Each is an :class:`enum.StrEnum`, so a member equals its text (``Measure.OR == "OR"``),
serialises as that text in JSON, and a stored run, a form or the command line can give
the text itself.  Every list of measures, methods or outcome types in the portal and the
command line is derived from these, so the pages, the API and the CLI offer the same
choices and name them the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Measure(StrEnum):
    """Effect measures; the ratio measures are analysed on the log scale, as in metafor."""

    OR = "OR"
    RR = "RR"
    RD = "RD"
    MD = "MD"
    SMD = "SMD"
    HR = "HR"
    ROM = "ROM"
    COR = "COR"
    ZCOR = "ZCOR"
    PLO = "PLO"
    PR = "PR"
    PAS = "PAS"
    IRR = "IRR"
    IRD = "IRD"

    @property
    def label(self) -> str:
        return MEASURE_LABELS[self]

    @property
    def is_ratio(self) -> bool:
        """Analysed on the log scale and reported exponentiated."""
        return self in RATIO_MEASURES

    @property
    def outcome_type(self) -> OutcomeType | None:
        """The participant-level outcome this measure is estimated from (None for the
        measures computed from study-level tables only, such as COR or IRR)."""
        return next((t for t in OutcomeType if self in t.measures), None)

    @property
    def table(self) -> StudyTable | None:
        """The kind of study-level table this measure is computed from (None for HR)."""
        return next((t for t in StudyTable if self in t.measures), None)

    @property
    def roles(self) -> tuple[str, ...]:
        """The columns of a study-level table this measure is computed from (none for HR,
        which needs participant-level data)."""
        return () if self.table is None else self.table.roles


class Method(StrEnum):
    """Pooling methods: inverse variance (FE, and the tau^2 estimators DL, REML, PM, ML,
    HE, SJ, EB, HS and HSK, metafor's ``"HSk"``), the generalised Q estimator GENQ
    (weighted, by default with Jackson et al.'s weights 1/SE), Mantel-Haenszel and Peto."""

    FE = "FE"
    DL = "DL"
    REML = "REML"
    PM = "PM"
    ML = "ML"
    HE = "HE"
    SJ = "SJ"
    EB = "EB"
    HS = "HS"
    HSK = "HSK"
    GENQ = "GENQ"
    MH = "MH"
    PETO = "PETO"

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]

    @property
    def is_inverse_variance(self) -> bool:
        """Weights ``1/(vi + tau^2)``; MH and Peto work on the 2x2 tables instead."""
        return self not in (Method.MH, Method.PETO)

    @property
    def estimates_tau2(self) -> bool:
        """A random-effects model: the between-study variance is estimated."""
        return self not in (Method.FE, Method.MH, Method.PETO)


class CoefficientTest(StrEnum):
    """How the coefficients of an inverse-variance model are tested (metafor ``test``):
    normal z tests, t tests on k - p degrees of freedom, or t tests with the
    Hartung-Knapp variance adjustment."""

    Z = "z"
    T = "t"
    KNHA = "knha"

    @property
    def label(self) -> str:
        return TEST_LABELS[self]


class OutcomeType(StrEnum):
    """What a participant-level outcome is; it decides which measures apply."""

    BINARY = "binary"
    CONTINUOUS = "continuous"
    TIME_TO_EVENT = "time-to-event"

    @property
    def label(self) -> str:
        return OUTCOME_TYPE_LABELS[self]

    @property
    def measures(self) -> tuple[Measure, ...]:
        return _OUTCOME_MEASURES[self]

    @property
    def default_measure(self) -> Measure:
        """What a one-stage model of this outcome estimates (OR, MD or HR)."""
        return self.measures[0]

    @property
    def roles(self) -> tuple[str, ...]:
        """The columns of a study-level table of this outcome (arm 1 is treatment)."""
        return _OUTCOME_ROLES[self]


class StudyTable(StrEnum):
    """What a study-level table holds: two arms' counts or summaries, one correlation or
    one proportion per study, or events over person-time in two arms.  It decides the
    columns to map and the measures that apply (metafor's ``escalc`` arguments)."""

    COUNTS = "counts"
    SUMMARIES = "summaries"
    CORRELATIONS = "correlations"
    PROPORTIONS = "proportions"
    RATES = "rates"

    @property
    def label(self) -> str:
        return TABLE_LABELS[self]

    @property
    def measures(self) -> tuple[Measure, ...]:
        return _TABLE_MEASURES[self]

    @property
    def roles(self) -> tuple[str, ...]:
        return _TABLE_ROLES[self]


class Kind(StrEnum):
    """An aggregate analysis pools one table of studies; a participant-level one pools
    participant rows from several datasets."""

    AGGREGATE = "aggregate"
    PARTICIPANT = "participant"

    @property
    def measures(self) -> tuple[Measure, ...]:
        """The measures this kind of analysis offers."""
        if self is Kind.AGGREGATE:
            return tuple(m for t in StudyTable for m in t.measures)
        return tuple(m for t in OutcomeType for m in t.measures)


class Stage(StrEnum):
    """How participant-level data are pooled."""

    TWO_STAGE = "two-stage"
    ONE_STAGE = "one-stage"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]

    @property
    def measures(self) -> tuple[Measure, ...]:
        """What the models of this stage estimate: one-stage models (and covariate-adjusted
        study estimates) give an odds ratio, a mean difference or a hazard ratio."""
        if self is Stage.ONE_STAGE:
            return tuple(t.default_measure for t in OutcomeType)
        return Kind.PARTICIPANT.measures


class StudyEffect(StrEnum):
    """How a one-stage model treats the study: a stratum, or a random intercept."""

    FIXED = "fixed"
    RANDOM = "random"

    @property
    def label(self) -> str:
        return STUDY_EFFECT_LABELS[self]


MEASURE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        Measure.OR: "Odds ratio",
        Measure.RR: "Risk ratio",
        Measure.RD: "Risk difference",
        Measure.MD: "Mean difference",
        Measure.SMD: "Standardised mean difference (Hedges' g)",
        Measure.HR: "Hazard ratio",
        Measure.ROM: "Ratio of means",
        Measure.COR: "Correlation coefficient",
        Measure.ZCOR: "Correlation, Fisher's z scale",
        Measure.PLO: "Proportion, log odds scale",
        Measure.PR: "Proportion",
        Measure.PAS: "Proportion, arcsine square-root scale",
        Measure.IRR: "Incidence rate ratio (events per person-time)",
        Measure.IRD: "Incidence rate difference (events per person-time)",
    }
)
METHOD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        Method.FE: "Fixed effect (inverse variance)",
        Method.DL: "Random effects, DerSimonian-Laird",
        Method.REML: "Random effects, REML",
        Method.PM: "Random effects, Paule-Mandel",
        Method.ML: "Random effects, maximum likelihood",
        Method.HE: "Random effects, Hedges (unweighted method of moments)",
        Method.SJ: "Random effects, Sidik-Jonkman",
        Method.EB: "Random effects, empirical Bayes (Morris)",
        Method.HS: "Random effects, Hunter-Schmidt",
        Method.HSK: "Random effects, Hunter-Schmidt with small-sample correction",
        Method.GENQ: "Random effects, generalised Q (Jackson et al.), studies weighted by 1/SE",
        Method.MH: "Mantel-Haenszel (fixed effect)",
        Method.PETO: "Peto (fixed effect, OR)",
    }
)
TEST_LABELS: Mapping[str, str] = MappingProxyType(
    {
        CoefficientTest.Z: "Normal distribution (z tests)",
        CoefficientTest.T: "t distribution (k - 1 degrees of freedom), variance not adjusted",
        CoefficientTest.KNHA: "Hartung-Knapp adjustment (t distribution, adjusted variance)",
    }
)
OUTCOME_TYPE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        OutcomeType.BINARY: "Binary",
        OutcomeType.CONTINUOUS: "Continuous",
        OutcomeType.TIME_TO_EVENT: "Time to event",
    }
)
STAGE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        Stage.TWO_STAGE: "Two-stage: estimate per study, then pool",
        Stage.ONE_STAGE: "One-stage: one regression on all participants, study as stratum",
    }
)
STUDY_EFFECT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        StudyEffect.FIXED: "Fixed: study as a stratum (all outcomes)",
        StudyEffect.RANDOM: "Random study intercept (continuous and binary outcomes)",
    }
)
ROLE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "ai": "Events, treatment",
        "n1i": "Total, treatment",
        "ci": "Events, control",
        "n2i": "Total, control",
        "m1i": "Mean, treatment",
        "sd1i": "SD, treatment",
        "m2i": "Mean, control",
        "sd2i": "SD, control",
        "ri": "Correlation",
        "xi": "Events",
        "ni": "Sample size",
        "x1i": "Events, treatment (person-time)",
        "t1i": "Person-time, treatment",
        "x2i": "Events, control (person-time)",
        "t2i": "Person-time, control",
    }
)
"""The columns of a study-level table (metafor's ``escalc`` argument names)."""

TABLE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        StudyTable.COUNTS: "Binary outcome: events and totals in two arms",
        StudyTable.SUMMARIES: "Continuous outcome: means, SDs and totals in two arms",
        StudyTable.CORRELATIONS: "Correlation: one coefficient and sample size per study",
        StudyTable.PROPORTIONS: "Single-arm proportion: events and sample size per study",
        StudyTable.RATES: "Incidence rates: events and person-time in two arms",
    }
)

RATIO_MEASURES = frozenset({Measure.OR, Measure.RR, Measure.HR, Measure.ROM, Measure.IRR})
"""Analysed on the log scale and reported exponentiated."""

_OUTCOME_MEASURES: Mapping[OutcomeType, tuple[Measure, ...]] = MappingProxyType(
    {
        OutcomeType.BINARY: (Measure.OR, Measure.RR, Measure.RD),
        OutcomeType.CONTINUOUS: (Measure.MD, Measure.SMD),
        OutcomeType.TIME_TO_EVENT: (Measure.HR,),
    }
)
_TABLE_MEASURES: Mapping[StudyTable, tuple[Measure, ...]] = MappingProxyType(
    {
        StudyTable.COUNTS: (Measure.OR, Measure.RR, Measure.RD),
        StudyTable.SUMMARIES: (Measure.MD, Measure.SMD, Measure.ROM),
        StudyTable.CORRELATIONS: (Measure.COR, Measure.ZCOR),
        StudyTable.PROPORTIONS: (Measure.PLO, Measure.PR, Measure.PAS),
        StudyTable.RATES: (Measure.IRR, Measure.IRD),
    }
)
_TABLE_ROLES: Mapping[StudyTable, tuple[str, ...]] = MappingProxyType(
    {
        StudyTable.COUNTS: ("ai", "n1i", "ci", "n2i"),
        StudyTable.SUMMARIES: ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
        StudyTable.CORRELATIONS: ("ri", "ni"),
        StudyTable.PROPORTIONS: ("xi", "ni"),
        StudyTable.RATES: ("x1i", "t1i", "x2i", "t2i"),
    }
)
_OUTCOME_ROLES: Mapping[OutcomeType, tuple[str, ...]] = MappingProxyType(
    {
        OutcomeType.BINARY: ("ai", "n1i", "ci", "n2i"),
        OutcomeType.CONTINUOUS: ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"),
        OutcomeType.TIME_TO_EVENT: (),
    }
)
