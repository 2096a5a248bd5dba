"""Command-line interface: ``meta`` pools a study-level CSV file; ``ipd`` pools
participant-level CSV files (two-stage or one-stage).

Attach to another click group with ``group.add_command(meta)``; it also runs
standalone::

    python -m analysis.commands FILE.csv --measure RR --method REML \\
        --columns ai=tpos,n1i=n1,ci=cpos,n2i=n2 --study trial --json

Both build a :class:`~analysis.runs.RunSpec` and compute it with
:func:`~analysis.runs.execute`, as the portal computes its runs, and print only the
model asked for.  Every input problem exits with status 1 and a one-line message
naming the study (row) and field; no traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pandas as pd

from .effect_sizes import required_roles
from .errors import AnalysisInputError, ConvergenceError
from .moderator_words import plain_words
from .pooling import with_options
from .results import MetaAnalysisResult
from .runs import RunSpec, execute
from .transforms import back_transform, back_transform_name
from .validation import parse_column_mapping
from .vocabulary import CoefficientTest, Kind, Method, OutcomeType, StudyEffect

if TYPE_CHECKING:
    # Imported where used: ``meta`` without moderators needs neither the
    # participant-level models nor the meta-regression.
    from .ipd import OneStageResult
    from .moderators import ModeratorAnalysis

# click matches text choices; it would match enum members by their names instead
_MEASURE_CHOICES = [m.value for m in Kind.AGGREGATE.measures]
_METHOD_CHOICES = [m.value for m in Method]


@click.command("meta")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option(
    "--measure",
    required=True,
    type=click.Choice(_MEASURE_CHOICES, case_sensitive=False),
    help="Effect measure (ratio measures are analysed on the log scale).",
)
@click.option(
    "--method",
    default="REML",
    show_default=True,
    type=click.Choice(_METHOD_CHOICES, case_sensitive=False),
    help="FE or a tau^2 estimator: DL, REML, PM, ML, HE, SJ, EB, HS, HSK, GENQ (generalised "
    "Q, weights 1/SE; inverse variance otherwise); MH (Mantel-Haenszel); PETO.",
)
@click.option(
    "--hk", is_flag=True, help="Hartung-Knapp(-Sidik-Jonkman) adjustment (t distribution, k-1 df)."
)
@click.option(
    "--test",
    type=click.Choice([t.value for t in CoefficientTest], case_sensitive=False),
    default=None,
    help="metafor's test: z, t (k-1 df, variance not adjusted) or knha (same as --hk).",
)
@click.option(
    "--columns",
    "columns",
    required=True,
    metavar="ROLE=COL,...",
    help="Map roles to CSV columns: ai,n1i,ci,n2i for OR/RR/RD; "
    "m1i,sd1i,n1i,m2i,sd2i,n2i for MD/SMD. Arm 1 is treatment.",
)
@click.option(
    "--study",
    "study_column",
    default=None,
    metavar="COL",
    help="Column with study labels (default: row numbers).",
)
@click.option(
    "--level", default=0.95, show_default=True, type=float, help="Confidence level (0.95 or 95)."
)
@click.option(
    "--mods",
    default=None,
    metavar="COL,...",
    help="Moderators of a meta-regression (columns); numbers unless named in --categorical.",
)
@click.option(
    "--categorical",
    "categorical_mods",
    multiple=True,
    metavar="COL",
    help="A moderator whose values are categories (repeatable).",
)
@click.option(
    "--permutations",
    default=0,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="Permutation test of the meta-regression (metafor's permutest) with this many "
    "permutations; all distinct ones when there are no more.",
)
@click.option(
    "--seed", default=None, type=click.IntRange(0, 2**32 - 1), help="Seed of the permutations."
)
@click.option(
    "--predict",
    multiple=True,
    metavar="MOD=V;...",
    help="Predicted effect at these moderator values (repeatable), e.g. 'dose=20;arm=b'.",
)
@click.option(
    "--multilevel",
    is_flag=True,
    help="Three-level model (rows are effects, several per --study; metafor's rma.mv with "
    "random = ~ 1 | study/es_id, REML).",
)
@click.option(
    "--effect-id",
    "effect_id",
    default=None,
    metavar="COL",
    help="With --multilevel: column naming each effect within its study (default: the "
    "rows' order within the study).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def meta(
    file: str,
    measure: str,
    method: str,
    hk: bool,
    test: str | None,
    columns: str,
    study_column: str | None,
    level: float,
    mods: str | None,
    categorical_mods: tuple[str, ...],
    permutations: int,
    seed: int | None,
    predict: tuple[str, ...],
    multilevel: bool,
    effect_id: str | None,
    as_json: bool,
) -> None:
    """Meta-analysis of the studies in FILE (one study per row), or with --mods a
    meta-regression, or with --multilevel a three-level model of several effects per
    study."""
    measure, method = measure.upper(), method.upper()
    name = Path(file).stem
    try:
        frame = _read_csv(file)
        mapping = parse_column_mapping(columns, required_roles(measure))
        spec = RunSpec.from_options(
            kind=Kind.AGGREGATE,
            measure=measure,
            method=method,
            datasets=[name],
            harmonisation={
                "columns": mapping,
                "study": study_column,
                "moderators": [c.strip() for c in (mods or "").split(",") if c.strip()],
                "categorical_moderators": list(categorical_mods),
                "effect_id": effect_id,
            },
            options={
                "multilevel": multilevel,
                "hk": hk,
                "test": test,
                "level": level,
                "permutations": permutations,
                "seed": seed,
                "predict": list(predict),
            },
        )
        computed = execute(spec, {name: frame}, primary_only=True)
    except (AnalysisInputError, ConvergenceError) as exc:
        raise click.ClickException(str(exc)) from None
    if spec.multilevel:
        stored = computed.results["multilevel"]
        if as_json:
            click.echo(json.dumps(stored, indent=2, allow_nan=False))
        else:
            click.echo(format_multilevel(stored))
        return
    pooled = computed.pooled
    assert pooled is not None  # an aggregate run always pools
    result = with_options(pooled, input={"file": file, "columns": mapping, "study": study_column})
    regression = computed.moderators
    if as_json:
        out = result.to_dict()
        if regression is not None:
            out["meta_regression"] = regression.to_dict()
        click.echo(json.dumps(out, indent=2, allow_nan=False))
    else:
        click.echo(format_result(result))
        if regression is not None:
            click.echo("")
            click.echo(format_regression(regression))


def format_multilevel(stored: dict[str, Any]) -> str:
    """A three-level fit as stored by a run: the numbers, then the same in plain words."""
    c = stored["coefficients"][0]
    ratio = stored["scale"] == "log"
    shown = "exp" if ratio else "estimate"
    lines = [
        f"Three-level model ({stored['measure']}, REML): {stored['n_effects']} effects "
        f"in {stored['n_studies']} studies",
        f"Estimate {_num(c['estimate'])} (SE {_num(c['se'])}), "
        f"CI {_num(c['ci_low'])} to {_num(c['ci_high'])}, z = {_num(c['statistic'], 2)}, "
        f"p {_p(c['pvalue'])}",
    ]
    if ratio:
        lines.append(
            f"{shown}: {_num(stored['estimate_exp'])} "
            f"(CI {_num(stored['ci_low_exp'])} to {_num(stored['ci_high_exp'])})"
        )
    lines += [
        f"Variance between studies {_num(stored['sigma2_study'])}, within studies "
        f"{_num(stored['sigma2_within'])}",
        f"I2 total {_num(stored['i2_total'], 1)}%, between studies "
        f"{_num(stored['i2_study'], 1)}%, within studies {_num(stored['i2_within'], 1)}%",
        f"Q({stored['q_df']}) = {_num(stored['q'], 2)}, p {_p(stored['q_pvalue'])}",
        f"Prediction interval {_num(stored['pi_low'])} to {_num(stored['pi_high'])}",
        "",
        *stored["in_plain_words"].values(),
        *stored["notes"],
    ]
    return "\n".join(lines)


def _read_csv(path: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise AnalysisInputError(f"cannot read {path} as CSV: {exc}", field="file") from None
    if frame.empty:
        raise AnalysisInputError(f"{path} has no data rows", field="file")
    return frame


def _num(value: float | None, digits: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return "NA"
    return f"{value:.{digits}f}"


def _p(value: float) -> str:
    return "<.0001" if value < 1e-4 else f"{value:.4f}"


def format_result(result: MetaAnalysisResult) -> str:
    """Human-readable summary in the spirit of metafor's print method."""
    ratio = result.is_ratio
    pct = f"{result.level * 100:g}%"
    lines = []
    model = {
        "FE": "Fixed-effect model",
        "MH": "Mantel-Haenszel fixed-effect model",
        "PETO": "Peto fixed-effect model",
    }.get(result.method)
    if model is None:
        model = f"Random-effects model (tau^2 estimator: {result.method})"
    test = {"knha": ", Hartung-Knapp adjustment", "t": ", t tests"}.get(result.test, "")
    lines.append(f"{model}, k = {result.k}{test}")
    lines.append(
        f"Measure: {result.measure}" + (" (log scale; exponentiated where noted)" if ratio else "")
    )
    lines.append("")
    width = max(5, *(len(s.label) for s in result.studies))
    header = f"{'Study':<{width}}  {'yi':>9}  {pct + ' CI':>21}  {'Weight':>7}"
    natural_name = back_transform_name(result.measure)
    if ratio:
        header += f"  {'exp(yi)':>8}"
    elif natural_name:
        header += f"  {natural_name[:6] + '(yi)':>9}"
    lines.append(header)
    for s in result.studies:
        ci = f"[{_num(s.ci_low)}, {_num(s.ci_high)}]"
        weight = f"{s.weight:6.2f}%" if s.included else "     --"
        row = f"{s.label:<{width}}  {_num(s.yi):>9}  {ci:>21}  {weight:>7}"
        if ratio:
            row += f"  {_num(None if s.yi is None else math.exp(s.yi)):>8}"
        elif natural_name:
            row += f"  {_num(back_transform(result.measure, s.yi)):>9}"
        lines.append(row)
    lines.append("")
    if result.method not in ("FE", "MH", "PETO"):
        se = "" if result.tau2_se is None else f" (SE = {_num(result.tau2_se)})"
        lines.append(f"tau^2 = {_num(result.tau2)}{se} (tau = {_num(result.tau)})")
    lines.append(f"I^2 = {result.i2:.2f}%   H^2 = {_num(result.h2)}")
    q_p = "p < .0001" if result.q_pvalue < 1e-4 else f"p = {result.q_pvalue:.4f}"
    lines.append(f"Q(df = {result.q_df}) = {_num(result.q)}, {q_p}")
    lines.append("")
    stat = result.statistic_name + ("" if result.df is None else f"(df={result.df})")
    lines.append(f"{'estimate':>9} {'se':>8} {stat:>10} {'pval':>8} {'ci.lb':>9} {'ci.ub':>9}")
    lines.append(
        f"{_num(result.estimate):>9} {_num(result.se):>8} {_num(result.statistic):>10} "
        f"{_p(result.pvalue):>8} {_num(result.ci_low):>9} {_num(result.ci_high):>9}"
    )
    if ratio:
        lines.append(
            f"{result.measure} = {_num(result.estimate_exp)} "
            f"[{pct} CI {_num(result.ci_low_exp)}, {_num(result.ci_high_exp)}]"
        )
    natural = result.natural()
    scale = natural["natural_scale"]
    if scale:
        lines.append(
            f"As a {scale} ({natural['back_transform']}): "
            f"{_num(natural['estimate_natural'])} [{pct} CI "
            f"{_num(natural['ci_low_natural'])}, {_num(natural['ci_high_natural'])}]"
        )
    if result.pi_low is not None and result.pi_high is not None:
        lo, hi = result.pi_low, result.pi_high
        if natural["back_transform"]:
            lo, hi = natural["pi_low_natural"], natural["pi_high_natural"]
        lines.append(
            f"{pct} prediction interval: [{_num(lo)}, {_num(hi)}]"
            + (" (exponentiated)" if ratio else f" ({scale})" if scale else "")
        )
    for note in result.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def format_regression(analysis: ModeratorAnalysis) -> str:
    """The meta-regression as metafor prints it, then each result in plain words."""
    fit = analysis.fit
    lines = [f"Meta-regression (k = {fit.k}; tau^2 estimator: {fit.method})"]
    if fit.method != "FE":
        se = "" if fit.tau2_se is None else f" (SE = {_num(fit.tau2_se)})"
        lines.append(f"tau^2 (residual heterogeneity) = {_num(fit.tau2)}{se}")
        lines.append(f"I^2 = {fit.i2:.2f}%   H^2 = {_num(fit.h2)}")
    lines.append(f"R^2 (amount of heterogeneity accounted for) = {analysis.r2:.2f}%")
    lines.append(
        f"Test for residual heterogeneity: QE(df = {fit.qe_df}) = {_num(fit.qe)}, "
        f"p-val = {_p(fit.qe_pvalue)}"
    )
    if fit.df is None:
        qm = f"QM(df = {fit.qm_df}) = {_num(fit.qm)}"
    else:
        qm = f"F(df1 = {fit.qm_df}, df2 = {fit.df}) = {_num(fit.qm)}"
    perm = analysis.permutation
    lines.append(
        f"Test of moderators: {qm}, p-val = {_p(fit.qm_pvalue)}"
        + ("" if perm is None else f", permutation p-val = {_p(perm.qm_pvalue)}")
    )
    if perm is not None:
        how = "exact, all distinct" if perm.exact else f"random, seed {perm.seed}"
        lines.append(f"Permutations: {perm.iterations} ({how})")
    lines.append("")
    width = max(9, *(len(n) for n in fit.names))
    stat = "zval" if fit.df is None else "tval"
    header = (
        f"{'':<{width}} {'estimate':>9} {'se':>8} {stat:>8} {'pval':>8} {'ci.lb':>9} {'ci.ub':>9}"
    )
    if perm is not None:
        header += f" {'perm.p':>8}"
    lines.append(header)
    for i, name in enumerate(fit.names):
        row = (
            f"{name:<{width}} {_num(fit.coefficients[i]):>9} {_num(fit.se[i]):>8} "
            f"{_num(fit.statistic[i]):>8} {_p(fit.pvalue[i]):>8} {_num(fit.ci_low[i]):>9} "
            f"{_num(fit.ci_high[i]):>9}"
        )
        if perm is not None:
            row += f" {_p(perm.pvalues[i]):>8}"
        lines.append(row)
    for p in analysis.predictions:
        at = ", ".join(f"{k} = {v}" for k, v in p.at.items()) or "moderators at their mean"
        pi = "" if p.pi_low is None else f", PI [{_num(p.pi_low)}, {_num(p.pi_high)}]"
        lines.append(
            f"Predicted at {at}: {_num(p.estimate)} (SE {_num(p.se)}), "
            f"CI [{_num(p.ci_low)}, {_num(p.ci_high)}]{pi}"
        )
    lines.append("")
    lines.extend(plain_words(analysis).values())
    lines.extend(f"Note: {note}" for note in analysis.notes)
    return "\n".join(lines)


@click.command("ipd")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, readable=True),
)
@click.option("--outcome-type", required=True, type=click.Choice([t.value for t in OutcomeType]))
@click.option(
    "--spec",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="JSON harmonisation (Harmonisation.to_dict form, datasets keyed by file "
    "name); replaces the column options below.",
)
@click.option("--arm", help="Arm column.")
@click.option("--treatment", help="Value of the arm column meaning treatment.")
@click.option("--control", help="Value of the arm column meaning control.")
@click.option("--outcome", "outcome_column", help="Outcome column (binary or continuous).")
@click.option("--event", help="Event column (time-to-event; or binary outcome).")
@click.option(
    "--event-value",
    "event_values",
    multiple=True,
    help="Value meaning 'event' (repeatable; omit when coded 0/1).",
)
@click.option("--time", help="Follow-up time column (time-to-event).")
@click.option("--study", "study_column", help="Column with study labels (else one study per file).")
@click.option(
    "--covariate",
    "covariates",
    multiple=True,
    metavar="NAME[=COL]",
    help="Adjust for a covariate (repeatable).",
)
@click.option("--categorical", multiple=True, metavar="NAME", help="Covariate that is a category.")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="RULE",
    help="Row filter on analysis variables, e.g. 'age >= 50' (repeatable).",
)
@click.option("--stage", type=click.Choice(("one", "two")), default="two", show_default=True)
@click.option("--measure", default=None, help="Two-stage measure (default OR / MD / HR).")
@click.option(
    "--method",
    default="REML",
    show_default=True,
    type=click.Choice(_METHOD_CHOICES, case_sensitive=False),
    help="Two-stage pooling method.",
)
@click.option(
    "--study-effect",
    type=click.Choice([e.value for e in StudyEffect]),
    default="fixed",
    show_default=True,
    help="One-stage: study as a stratum (fixed), or a random study intercept (random; "
    "continuous and binary outcomes). Time-to-event outcomes have no random option: no "
    "shared-frailty Cox model or random treatment effect in the Cox model is offered; use "
    "the stratified Cox model or two-stage random-effects pooling.",
)
@click.option("--level", default=0.95, show_default=True, type=float)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def ipd(
    files: tuple[str, ...],
    outcome_type: str,
    spec: str | None,
    arm: str | None,
    treatment: str | None,
    control: str | None,
    outcome_column: str | None,
    event: str | None,
    event_values: tuple[str, ...],
    time: str | None,
    study_column: str | None,
    covariates: tuple[str, ...],
    categorical: tuple[str, ...],
    filters: tuple[str, ...],
    stage: str,
    measure: str | None,
    method: str,
    study_effect: str,
    level: float,
    as_json: bool,
) -> None:
    """Participant-level pooling of the trials in FILES (one participant per row)."""
    stems = [Path(path).stem for path in files]
    for i, name in enumerate(stems):
        if name in stems[:i]:
            raise click.ClickException(f"two files are named {name!r}; rename one")
    try:
        frames = {Path(path).stem: _read_csv(path) for path in files}
        pairs = dict(c.partition("=")[::2] for c in covariates)
        pairs = {k.strip(): (v.strip() or k.strip()) for k, v in pairs.items()}
        if spec:
            harmonisation = _read_spec(spec)
            stored = harmonisation.get("datasets")
            names = list(stored) if isinstance(stored, dict) else list(frames)
        else:
            harmonisation = _harmonisation(
                outcome_type,
                list(frames),
                arm=arm,
                treatment=treatment,
                control=control,
                outcome=outcome_column,
                event=event,
                time=time,
                event_values=list(event_values),
                covariates=pairs,
                study=study_column,
                categorical=list(categorical),
            )
            names = list(frames)
        run = RunSpec.from_options(
            kind=Kind.PARTICIPANT,
            measure=measure or OutcomeType(outcome_type).default_measure,
            method=method,
            datasets=names,
            harmonisation=harmonisation,
            options={
                "level": level,
                "stage": f"{stage}-stage",
                "covariates": list(pairs),
                "study_effect": study_effect,
                "filters": list(filters),
            },
        )
        result = execute(run, frames, primary_only=True)
    except (AnalysisInputError, ConvergenceError) as exc:
        raise click.ClickException(str(exc)) from None
    if result.one_stage is not None:
        out, text = result.one_stage.to_dict(), format_one_stage(result.one_stage)
    else:
        assert result.two_stage is not None  # a two-stage run always pools
        out, text = result.two_stage.to_dict(), format_result(result.two_stage.pooled)
    click.echo(json.dumps(out, indent=2, allow_nan=False) if as_json else text)


def _read_spec(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AnalysisInputError(f"cannot read {path} as JSON: {exc}", field="spec") from None
    if not isinstance(data, dict):
        raise AnalysisInputError(f"{path} holds no harmonisation object", field="spec")
    return data


def _harmonisation(
    outcome_type: str,
    names: list[str],
    *,
    covariates: dict[str, str],
    categorical: list[str],
    **mapping: Any,
) -> dict[str, Any]:
    """The harmonisation the column options describe: every file mapped the same way."""
    if not (mapping["arm"] and mapping["treatment"] is not None and mapping["control"] is not None):
        raise AnalysisInputError("give --arm, --treatment and --control (or --spec)", field="arm")
    for name in categorical:
        if name not in covariates:
            raise AnalysisInputError(
                f"categorical variable {name!r} is not one of the covariates", field=name
            )
    return {
        "outcome_type": outcome_type,
        "covariates": list(covariates),
        "categorical": categorical,
        "datasets": dict.fromkeys(names, {**mapping, "covariates": covariates}),
    }


def format_one_stage(result: OneStageResult) -> str:
    pct = f"{result.level * 100:g}%"
    lines = [
        f"One-stage model: {result.model}",
        f"n = {result.n} participants in {result.n_studies} studies"
        + (f", {result.events} events" if result.events is not None else ""),
    ]
    if result.tau2 is not None:
        lines.append(f"Between-study variance of the intercept: {_num(result.tau2)}")
        if result.measure == "OR":
            lines.append(f"Random-intercept SD: {_num(math.sqrt(result.tau2))}")
        if result.loglik is not None:
            lines.append(
                f"Log-likelihood: {_num(result.loglik)} "
                f"({'converged' if result.converged else 'NOT converged'})"
            )
        summary = result.random_effect_summary
        if summary:
            lines.append(summary)
    stat = "z" if result.df is None else f"t(df={result.df:g})"
    lines.append(f"{'estimate':>9} {'se':>8} {stat:>10} {'pval':>8} {'ci.lb':>9} {'ci.ub':>9}")
    lines.append(
        f"{_num(result.estimate):>9} {_num(result.se):>8} {_num(result.statistic):>10} "
        f"{_p(result.pvalue):>8} {_num(result.ci_low):>9} {_num(result.ci_high):>9}"
    )
    if result.is_ratio:
        lines.append(
            f"{result.measure} = {_num(math.exp(result.estimate))} [{pct} CI "
            f"{_num(math.exp(result.ci_low))}, {_num(math.exp(result.ci_high))}]"
        )
    lines.extend(f"Note: {note}" for note in result.notes)
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - exercised via subprocess in tests
    meta()
