"""Command-line interface: ``meta`` pools a study-level CSV file.

Attach to another click group with ``group.add_command(meta)``; it also runs
standalone::

    python -m analysis.commands FILE.csv --measure RR --method REML \\
        --columns ai=tpos,n1i=n1,ci=cpos,n2i=n2 --study trial --json

Every input problem exits with status 1 and a one-line message naming the
study (row) and field; no traceback.
"""

from __future__ import annotations

import json
import math

import click
import pandas as pd

from .effect_sizes import effect_sizes_from_table, required_roles
from .errors import AnalysisInputError, ConvergenceError
from .pooling import METHODS, pool, with_options
from .results import MetaAnalysisResult
from .validation import parse_column_mapping

_MEASURE_CHOICES = ("OR", "RR", "RD", "MD", "SMD")


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
    type=click.Choice(METHODS, case_sensitive=False),
    help="FE, DL, REML, PM (inverse variance); MH (Mantel-Haenszel); PETO.",
)
@click.option(
    "--hk", is_flag=True, help="Hartung-Knapp(-Sidik-Jonkman) adjustment (t distribution, k-1 df)."
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
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def meta(
    file: str,
    measure: str,
    method: str,
    hk: bool,
    columns: str,
    study_column: str | None,
    level: float,
    as_json: bool,
) -> None:
    """Meta-analysis of the studies in FILE (one study per row)."""
    measure, method = measure.upper(), method.upper()
    try:
        frame = _read_csv(file)
        mapping = parse_column_mapping(columns, required_roles(measure))
        effects = effect_sizes_from_table(frame, measure, mapping, study=study_column)
        result = pool(effects, method, hk=hk, level=level)
    except (AnalysisInputError, ConvergenceError) as exc:
        raise click.ClickException(str(exc)) from None
    result = with_options(result, input={"file": file, "columns": mapping, "study": study_column})
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        click.echo(format_result(result))


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
    lines.append(f"{model}, k = {result.k}" + (", Hartung-Knapp adjustment" if result.df else ""))
    lines.append(
        f"Measure: {result.measure}" + (" (log scale; exponentiated where noted)" if ratio else "")
    )
    lines.append("")
    width = max(5, *(len(s.label) for s in result.studies))
    header = f"{'Study':<{width}}  {'yi':>9}  {pct + ' CI':>21}  {'Weight':>7}"
    if ratio:
        header += f"  {'exp(yi)':>8}"
    lines.append(header)
    for s in result.studies:
        ci = f"[{_num(s.ci_low)}, {_num(s.ci_high)}]"
        weight = f"{s.weight:6.2f}%" if s.included else "     --"
        row = f"{s.label:<{width}}  {_num(s.yi):>9}  {ci:>21}  {weight:>7}"
        if ratio:
            row += f"  {_num(None if s.yi is None else math.exp(s.yi)):>8}"
        lines.append(row)
    lines.append("")
    if result.method not in ("FE", "MH", "PETO"):
        lines.append(f"tau^2 = {_num(result.tau2)} (tau = {_num(result.tau)})")
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
    if result.pi_low is not None and result.pi_high is not None:
        lo, hi = result.pi_low, result.pi_high
        if ratio:
            lo, hi = math.exp(lo), math.exp(hi)
        lines.append(
            f"{pct} prediction interval: [{_num(lo)}, {_num(hi)}]"
            + (" (exponentiated)" if ratio else "")
        )
    for note in result.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - exercised via subprocess in tests
    meta()
