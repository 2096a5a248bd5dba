"""Request and response models of /api/v1.

Requests are validated through these models (portal.api.spec), and the OpenAPI
document is generated from them (portal.api.openapi). Response models describe
what the views return; they allow extra keys so that adding a field is not a break.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

import analysis

#: Text from a client: no NUL or other control characters (PostgreSQL refuses NUL,
#: and none of them belong in a search or a title), bounded length.
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f]*$"
SearchText = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]
Line = Annotated[str, StringConstraints(max_length=500, pattern=NO_CONTROL)]
LongText = Annotated[str, StringConstraints(max_length=20_000, pattern=NO_CONTROL)]
MAX_PER_PAGE = 100


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- shared --------------------------------------------------------------------------


class ErrorDetail(Response):
    code: str
    message: str
    field: str | None


class ErrorBody(Response):
    error: ErrorDetail


class PageQuery(Request):
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1.")
    per_page: int = Field(20, ge=1, le=MAX_PER_PAGE, description="Items per page.")


class Page(Response):
    items: list[dict[str, Any]]
    page: int
    per_page: int
    has_more: bool


class Links(Response):
    job: str | None = None
    analysis: str | None = None


class Job(Response):
    id: str
    kind: str
    state: str
    progress: float
    message: str | None
    error: str | None
    result: Any = None
    created_at: str | None
    finished_at: str | None


class Accepted(Response):
    job: Job
    links: Links


# -- datasets ------------------------------------------------------------------------


class DatasetQuery(PageQuery):
    q: SearchText = Field("", description="Words in the title, description or tags.")
    condition: SearchText = ""
    intervention: SearchText = ""
    licence: SearchText = ""
    design: SearchText = ""
    level: SearchText = ""


class FindingReview(Response):
    key: str
    kind: str
    column: str | None
    message: str
    confirmed_by: str | None = Field(description="who read and confirmed it; null: not yet")
    confirmed_at: str | None


class ReidentificationRisk(Response):
    quasi_identifiers: list[str]
    k: int = Field(description="the smallest group of rows sharing the same quasi-identifiers")
    rows: int
    unique_rows: int
    unique_share: float
    within_limits: bool
    accepted_by: str | None = Field(description="the curator who accepted a risk over the limits")
    accepted_reason: str | None
    in_plain_words: str = Field(
        description="how many participants the quasi-identifiers single out, as the "
        "publish page says it"
    )


class DatasetVersion(Response):
    number: int
    published: bool
    published_at: str | None
    sha256: str
    size: int
    filename: str
    format: str
    rows: int | None
    columns: int | None
    change_note: str | None
    valid: bool | None
    blocking_identifiers: bool
    must_confirm: list[FindingReview]
    reidentification_risk: ReidentificationRisk | None
    publication_problems: list[str]
    schema_: Any = Field(None, alias="schema")
    downloads: dict[str, str]


Key = Annotated[str, StringConstraints(max_length=300, pattern=NO_CONTROL)]


class FindingConfirmation(Request):
    findings: list[Key] = Field(
        ..., min_length=1, max_length=200, description="keys of findings from must_confirm"
    )


class PublishConfirmation(Request):
    confirm: bool = Field(
        False,
        description="true once you have read what becomes public, including "
        "reidentification_risk.in_plain_words: publishing cannot be undone",
    )


class RiskAcceptance(Request):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=NO_CONTROL)]


class DatasetSummary(Response):
    slug: str
    title: str
    licence: str
    level: str
    study_design: str | None
    published: bool
    owner: str
    url: str
    updated_at: str


class DatasetDetail(DatasetSummary):
    metadata: dict[str, Any]
    versions: list[DatasetVersion]


class DatasetPage(Page):
    items: list[DatasetSummary]  # type: ignore[assignment]


class DatasetUpload(Request):
    metadata: dict[str, Any] = Field(
        ...,
        json_schema_extra={"x-json-encoded": True},
        description="The dataset's metadata as a JSON object: title, description, licence "
        "(an SPDX id), conditions, ...",
    )
    change_note: Line = ""


class VersionUpload(Request):
    change_note: Annotated[
        str, StringConstraints(min_length=1, max_length=2000, pattern=NO_CONTROL)
    ] = Field(..., description="What changed in this version.")


# -- analyses ------------------------------------------------------------------------


class DatasetRef(Request):
    slug: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_CONTROL)]
    version: int = Field(..., ge=1, le=1_000_000)


class AnalysisOptions(Request):
    # the analysis vocabulary's words, kept as their text
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    hk: bool = False
    test: analysis.CoefficientTest | None = Field(
        None,
        description="How coefficients are tested: z, t (t tests on k - p df) or knha "
        "(Hartung-Knapp, the same as hk).",
    )
    level: float = Field(0.95, gt=0, lt=1)
    # Aggregate runs with moderators in the harmonisation ("moderators",
    # "categorical_moderators") only.
    permutations: int = Field(
        0,
        ge=0,
        le=10_000,
        description="Permutation test of the meta-regression (metafor's permutest) with "
        "this many permutations (0: none); all distinct ones when there are no more.",
    )
    seed: int | None = Field(
        None,
        ge=0,
        lt=2**32,
        description="Seed of the random permutations; chosen and recorded with the run "
        "when not given.",
    )
    predict: list[dict[str, str | float]] | None = Field(
        None,
        max_length=20,
        description='Moderator values to predict the effect at, e.g. [{"ablat": 20}]; '
        "moderators left out are at their mean (or first category).",
    )
    multilevel: bool = Field(
        False,
        description="Aggregate runs: a three-level model (rows are effects, several per "
        "study; metafor's rma.mv with random = ~ 1 | study/es_id, REML, z tests). The "
        'harmonisation\'s "study" groups the rows; its optional "effect_id" names each '
        "effect within its study.",
    )
    # Network runs only.
    reference: Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)] | None = Field(
        None,
        description="Network runs: the treatment the others are compared with (default: "
        "the first in alphabetical order).",
    )
    small_values: Literal["good", "bad"] | None = Field(
        None, description="Network runs: whether small values of the outcome are good (ranking)."
    )
    # Participant-level runs only; analysis.RunSpec checks them against the run's
    # harmonisation (which covariates are mapped).
    stage: analysis.Stage | None = None
    covariates: list[Annotated[str, StringConstraints(max_length=64)]] | None = Field(
        None, max_length=20
    )
    study_effect: analysis.StudyEffect | None = None
    filters: list[str | dict[str, Any]] | None = Field(
        None,
        max_length=20,
        description='Row filters such as "age >= 50", or {"column", "op", "value"} objects.',
    )

    def participant(self) -> dict[str, Any] | None:
        chosen = self.model_dump(
            include={"stage", "covariates", "study_effect", "filters"}, exclude_none=True
        )
        return chosen or None

    def regression(self) -> dict[str, Any]:
        return self.model_dump(
            include={"permutations", "seed", "predict", "multilevel"}, exclude_none=True
        )

    def chosen(self) -> set[str]:
        """The options the client set to something other than their default."""
        defaults = AnalysisOptions()
        return {
            name
            for name in type(self).model_fields
            if getattr(self, name) != getattr(defaults, name)
        }


class AnalysisCreate(Request):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    title: Line = ""
    description: LongText = ""
    kind: Literal["aggregate", "participant", "network"] = Field(
        "aggregate",
        description="aggregate: one table of studies (or of effects, with "
        "options.multilevel); participant: participant rows; network: arm rows of one or "
        'more datasets, with the harmonisation {"datasets": {slug: {"study", "treatment", '
        '"events", "n"}}} (OR, RR, RD) or {"study", "treatment", "mean", "sd", "n"} (MD).',
    )
    datasets: list[DatasetRef] = Field(..., min_length=1, max_length=50)
    harmonisation: dict[str, Any]
    measure: Annotated[str, StringConstraints(max_length=16, pattern=NO_CONTROL)] = ""
    method: Annotated[str, StringConstraints(max_length=16, pattern=NO_CONTROL)] = "REML"
    options: AnalysisOptions = AnalysisOptions()


class DiagnosticPlot(Response):
    unavailable: str | None = Field(None, description="Why the run has no such plot.")
    studies: list[dict[str, Any]] | None = Field(
        None, description="One row per study: its name and its coordinates in the plot."
    )


class GoshSummary(DiagnosticPlot):
    subsets: int | None = Field(None, description="Subsets of studies re-fitted.")
    complete: bool | None = Field(
        None, description="Every subset was fitted (else a seeded random sample of them)."
    )
    fitted: int | None = None
    spread: dict[str, dict[str, float | None]] | None = Field(
        None,
        description="For estimate, i2, q and tau2: min, q05, q25, median, q75, q95, max "
        "over the subsets.",
    )
    subset_rows: list[dict[str, Any]] | None = Field(
        None, description="Every subset with its fit, when there are at most 127 of them."
    )


class Diagnostics(Response):
    baujat: DiagnosticPlot | None = None
    radial: DiagnosticPlot | None = None
    labbe: DiagnosticPlot | None = None
    gosh: GoshSummary | None = None


class AnalysisResults(Response):
    pooled: dict[str, Any] | None = None
    diagnostics: Diagnostics | None = Field(
        None,
        description="The coordinates of the Baujat, radial, L'Abbé and GOSH plots "
        "(analysis.diagnostics); GOSH summarised over its subsets.",
    )


class Analysis(Response):
    id: int
    title: str
    kind: str
    status: str
    owner: str
    measure: str | None
    method: str | None
    datasets: list[dict[str, Any]]
    url: str
    newer_versions: list[dict[str, Any]] | None = Field(
        None,
        description="Finished runs: each dataset with a newer published version than the "
        "run used (slug, used, newest, published_at).",
    )
    comparison: dict[str, Any] | None = Field(
        None,
        description="A finished run made from another finished run: each pooled number and "
        "study weight before and after, with the change (analysis.comparison).",
    )
    in_plain_words: dict[str, Any] | None = Field(
        None,
        description="A finished network run: the effects against the reference, the league "
        "table's cells, the ranking by P-score, direct against indirect evidence and the "
        "inconsistency test, each in words (the numbers are in results.network).",
    )
    results: AnalysisResults | None = Field(
        None, description="Finished runs: everything the results page shows, as numbers."
    )


class AnalysisPage(Page):
    items: list[Analysis]  # type: ignore[assignment]


class AnalysisAccepted(Response):
    analysis: Analysis
    job: Job
    links: Links


# -- communities and questions -------------------------------------------------------


class Community(Response):
    slug: str
    name: str
    condition: str
    description: str
    members: int
    member: bool | None = Field(None, description="Whether the caller is a member (signed in).")
    url: str


class CommunityPage(Page):
    items: list[Community]  # type: ignore[assignment]


class Membership(Response):
    community: str
    member: bool
    members: int


class QuestionQuery(PageQuery):
    status: Literal["open", "answered", "closed", "all"] = "open"
    sort: Literal["top", "new", "trending"] = "top"
    community: SearchText = Field("", description="Only this community's questions (slug).")


#: Longer drafts are cut: the first few hundred words say what a question is about.
DraftText = Annotated[str, StringConstraints(max_length=20_000, pattern=NO_CONTROL)]


class SimilarQuery(Request):
    title: DraftText = Field("", description="The draft question's title.")
    details: DraftText = Field("", description="Its population, intervention and outcome.")
    exclude: int | None = Field(
        None, ge=1, le=2**31 - 1, description="A question not to list (the one being edited)."
    )


class SimilarQuestion(Response):
    id: int
    title: str
    status: str
    similarity: float
    url: str


class SimilarQuestions(Response):
    method: str
    questions: list[SimilarQuestion]


class Question(Response):
    id: int
    community: str
    title: str
    population: str
    intervention: str
    comparator: str
    outcome: str
    status: str
    support: int
    author: str | None
    created_at: str
    url: str


class QuestionDetail(Question):
    rationale: str
    comments: list[dict[str, Any]]
    supported: bool | None = None


class QuestionPage(Page):
    items: list[Question]  # type: ignore[assignment]


PicoText = Annotated[str, StringConstraints(max_length=500, pattern=NO_CONTROL)]


class QuestionCreate(Request):
    title: Annotated[str, StringConstraints(max_length=300, pattern=NO_CONTROL)]
    population: PicoText
    intervention: PicoText
    comparator: PicoText = ""
    outcome: PicoText
    rationale: LongText


class CommentCreate(Request):
    body: LongText
    parent_id: int | None = Field(None, ge=1, le=2**31 - 1)


class Comment(Response):
    id: int
    question: int
    parent_id: int | None
    author: str | None
    body: str
    created_at: str


class Vote(Response):
    question: int
    supported: bool
    changed: bool
    support: int


# -- puzzles -------------------------------------------------------------------------


class PuzzleSummary(Response):
    id: int
    title: str
    kind: str
    level: str
    par: float | None
    difficulty: int = Field(
        ge=1, le=5, description="Calibrated from data: 1 (most players reach par) to 5 stars."
    )
    stars: int = Field(ge=1, le=5, description="The same as difficulty.")
    expected_share: float = Field(ge=0, le=1, description="Share of players expected to reach par.")
    board_size_difficulty: float = Field(
        description="Deprecated: the old measure from the board's size alone (row pairs x"
        " columns, 1.0 for 4 rows of 20 columns); points do not use it.",
        json_schema_extra={"deprecated": True},
    )
    url: str


class PuzzleList(Response):
    items: list[PuzzleSummary]


class Standing(Response):
    rank: int
    nickname: str
    score: float


class Puzzle(Response):
    id: int
    title: str
    sequences: list[str]
    difficulty: int = Field(ge=1, le=5, description="Calibrated from data: 1 to 5 stars.")
    stars: int = Field(ge=1, le=5, description="The same as difficulty.")
    expected_share: float = Field(ge=0, le=1, description="Share of players expected to reach par.")
    board_size_difficulty: float = Field(
        description="Deprecated: the old measure from the board's size alone; points do not"
        " use it.",
        json_schema_extra={"deprecated": True},
    )
    leaderboard: list[Standing]


class SolutionCreate(Request):
    model_config = ConfigDict(extra="allow")
    rows: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(..., max_length=200)
    nickname: Annotated[str, StringConstraints(max_length=40)] | None = None


class SolutionResult(Response):
    id: int
    score: float
    par: float | None
    points: int
    duplicate: bool
    nickname: str
    message: str


class HintCreate(Request):
    model_config = ConfigDict(extra="allow")
    rows: list[Annotated[str, StringConstraints(max_length=2000)]] = Field(..., max_length=200)
    shown: list[int] | None = Field(None, max_length=200)


class HintResult(Response):
    row: int | None
    block: int | None
    from_column: int | None
    to_column: int | None
    tail: bool
    cost: int
    hints: int
    message: str


class AlignmentCreate(Request):
    fasta: Annotated[str, StringConstraints(max_length=2_000_000, pattern=NO_CONTROL)] = Field(
        ...,
        description="The sequences as FASTA text, DNA or protein; gaps are removed before "
        "aligning unless aligner is 'keep'.",
    )
    title: Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)] = ""
    description: Annotated[str, StringConstraints(max_length=5000, pattern=NO_CONTROL)] = ""
    aligner: Literal["famsa", "mafft", "clustalo", "keep"] = Field(
        "famsa",
        description="famsa is always there; mafft and clustalo when installed; keep takes "
        "the FASTA as an alignment already made.",
    )
    guide_tree: Annotated[str, StringConstraints(max_length=200_000, pattern=NO_CONTROL)] = Field(
        "", description="Newick, leaves named as the sequences; clustalo only."
    )


class AlignmentWindow(Response):
    puzzle_id: int
    columns: str = Field(..., description="1-based, inclusive, in the alignment as imported.")
    score_before: float
    best: float | None
    credited_players: list[str]


class AlignmentReport(Response):
    alignment: str
    title: str
    kind: str
    sequences: int
    columns: int
    score_before: float
    score_after: float
    windows: list[AlignmentWindow]
    credits: list[dict[str, Any]]
    links: dict[str, str]


class LeaderboardQuery(Request):
    period: Literal["all", "week", "today"] = "all"


class Leaderboard(Response):
    period: str
    items: list[dict[str, Any]]


# -- treatments ----------------------------------------------------------------------


class TreatmentRef(Response):
    id: int
    name: str
    kind: str


class FigureCell(Response):
    label: str
    answers: list[str] = Field(..., description="The answers counted together in this group.")
    count: int


class TreatmentSideEffectCount(Response):
    name: str
    reporters: int
    severity: list[FigureCell] | None = Field(
        None, description="Null when no grouping of severities rests on min_reporters each."
    )


class TreatmentAggregate(Response):
    treatment: TreatmentRef
    enough_reports: bool = Field(
        ...,
        description="False while fewer trusted members than min_reporters count: then "
        "nothing else is given.",
    )
    released_at: str | None = Field(
        None,
        description="When these figures were made; they change only once min_reporters "
        "reports have changed since.",
    )
    reporters: int | None = None
    effectiveness: list[FigureCell] | None = Field(
        None,
        description="Ratings, grouped until every group with reports holds min_reporters; "
        "null when no grouping passes.",
    )
    share_helped: float | None = None
    side_effects: list[TreatmentSideEffectCount] | None = None


class TreatmentPage(Page):
    items: list[TreatmentAggregate]  # type: ignore[assignment]
    community: str
    min_reporters: int
    warning: str


class SideEffect(Request):
    name: Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]
    severity: Annotated[str, StringConstraints(max_length=16, pattern=NO_CONTROL)]


ShortText = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL)]


class TreatmentReportBody(Request):
    """One member's report; the values are checked as on the page, naming the field."""

    treatment: int = Field(..., ge=1, le=2**31 - 1, description="A treatment's id.")
    started_on: ShortText = Field(..., description="YYYY-MM-DD; only you ever see it.")
    stopped_on: ShortText = Field("", description="YYYY-MM-DD, or empty while you use it.")
    dose: ShortText = ""
    effectiveness: ShortText = Field(..., description="worse, none, slight, moderate or major.")
    side_effects: list[SideEffect] = Field([], max_length=50)
    adherence: int = Field(..., ge=0, le=100, description="1 (rarely) to 5 (always).")
    burden: int = Field(..., ge=0, le=100, description="1 (none) to 5 (very burdensome).")
    cost_band: ShortText = Field(..., description="none, low, medium or high.")
    reason_stopped: ShortText = Field(
        "",
        description="Why you stopped: finished, ineffective, side-effects, burden, cost, "
        "advice or other; empty while you use it.",
    )
    consent_to_publish: bool = Field(
        False,
        description="Include this report, without dates or ids, in the community's open dataset.",
    )


class TreatmentReport(Response):
    id: int
    community: str
    treatment: TreatmentRef
    started_on: str
    stopped_on: str | None
    duration_days: int
    dose: str
    effectiveness: str
    side_effects: list[dict[str, str]]
    adherence: int
    burden: int
    cost_band: str
    reason_stopped: str
    consent_to_publish: bool
    updated_at: str


class TreatmentReportPage(Page):
    items: list[TreatmentReport]  # type: ignore[assignment]


class TreatmentReportQuery(PageQuery):
    community: SearchText = Field("", description="Only your reports in this community (slug).")


class Withdrawn(Response):
    id: int
    withdrawn: bool


# -- comparing versions ----------------------------------------------------------------


class ComparisonQuery(Request):
    from_: int = Field(..., alias="from", ge=1, le=1_000_000, description="the earlier version")
    to: int = Field(..., ge=1, le=1_000_000, description="the later version")
    key: Annotated[str, StringConstraints(max_length=300, pattern=NO_CONTROL)] = Field(
        "",
        description="the column that identifies a row (default: the participant identifier "
        "of the data dictionary)",
    )
    offset: int = Field(0, ge=0, le=100_000_000, description="the first changed cell listed")
    limit: int = Field(100, ge=0, le=1000, description="how many changed cells to list")


class ComparisonRows(Response):
    old: int
    new: int
    added: int
    removed: int
    changed: int
    unchanged: int


class RetypedColumn(Response):
    column: str
    old_type: str
    new_type: str


class ComparisonColumns(Response):
    added: list[str]
    removed: list[str]
    retyped: list[RetypedColumn]
    changes: dict[str, int] = Field(description="changed cells per column both versions have")


class ChangedCell(Response):
    key: str
    column: str
    old: str | None
    new: str | None


class Comparison(Response):
    key: str
    old: str
    new: str
    rows: ComparisonRows
    columns: ComparisonColumns
    cells_changed: int
    cells: list[ChangedCell]
    offset: int
    added_keys: list[str]
    removed_keys: list[str]
    notes: list[str]
    identical: bool
    csv: str = Field(description="every change as CSV")
