"""``network``: network meta-analysis of the arms in one or more CSV files.

Each file holds one arm per row (a study label, a treatment, and events and totals, or
means, SDs and totals); the files are read as one network, so several datasets can each
contribute studies.  It runs standalone or as ``portal network``::

    python -m analysis.network.command arms.csv more_arms.csv --measure OR \\
        --reference placebo --small-values bad --json

Every input problem exits with status 1 and a one-line message naming the file, row
(study) and field; no traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import click
import pandas as pd

from ..errors import AnalysisInputError, ConvergenceError
from .contrasts import BINARY_MEASURES, MEASURES, Arm
from .model import NetworkResult, network_from_arms
from .tables import to_csv

ROLES = ("study", "treatment", "events", "n", "mean", "sd")


def arms_from_frame(frame: pd.DataFrame, columns: Mapping[str, str], source: str) -> list[Arm]:
    """Arms from a table whose columns are named by ``columns`` (role -> column); the role
    names are the defaults.  ``source`` names the table in errors."""
    wanted = {role: columns.get(role, role) for role in ROLES}
    for role in ("study", "treatment", "n"):
        if wanted[role] not in frame.columns:
            raise AnalysisInputError(
                f"{source} has no column {wanted[role]!r} for the {role}", field=role
            )
    arms = []
    for i, row in enumerate(frame.to_dict("records"), start=2):
        study, treatment = row[wanted["study"]], row[wanted["treatment"]]
        if pd.isna(study) or pd.isna(treatment):
            raise AnalysisInputError(
                f"{source} row {i} has no study or treatment", study=None, field="treatment"
            )

        values = {
            role: None
            if wanted[role] not in frame.columns or pd.isna(row[wanted[role]])
            else row[wanted[role]]
            for role in ("n", "events", "mean", "sd")
        }
        arms.append(
            Arm(
                str(study),
                str(treatment),
                n=values["n"],
                events=values["events"],
                mean=values["mean"],
                sd=values["sd"],
            )
        )
    return arms


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "NA"
    return f"{value:.{digits}f}"


def _shown(result: NetworkResult, value: float) -> float:
    return math.exp(value) if result.is_ratio else value


def ranking_in_words(result: NetworkResult) -> list[str]:
    """One plain sentence per treatment, best first."""
    better = "lower" if result.small_values == "good" else "higher"
    lines = [f"Ranking by P-score ({better} values of {result.measure} are better):"]
    for place, name in enumerate(result.ranking, start=1):
        score = result.pscores[name]
        lines.append(
            f"{place}. {name}: on average {100 * score:.0f}% likely to be better than "
            f"another treatment (P-score {score:.3f})"
        )
    return lines


def format_network(result: NetworkResult) -> str:
    """Human-readable summary: effects, league table, ranking, direct vs indirect, tests."""
    scale = f"{result.measure} (exponentiated)" if result.is_ratio else result.measure
    pct = f"{result.level * 100:g}%"
    lines = [
        f"Network meta-analysis, random effects (REML): {result.n_studies} studies, "
        f"{len(result.treatments)} treatments, {result.n_designs} designs",
        f"tau^2 = {_num(result.tau2, 4)}; measure {scale}",
        "",
        f"Against {result.reference}:",
    ]
    for e in result.effects:
        lines.append(
            f"  {e.first:<20} {_num(_shown(result, e.estimate)):>8} "
            f"[{pct} CI {_num(_shown(result, e.ci_low))}, {_num(_shown(result, e.ci_high))}]"
        )
    lines += ["", "League table (row against column):"]
    width = max(len(t) for t in result.treatments) + 2
    lines.append(" " * width + "".join(f"{t:>{width}}" for t in result.treatments))
    for name, row in zip(result.treatments, result.league, strict=True):
        cells = "".join(
            f"{name if c is None else _num(_shown(result, c.estimate)):>{width}}" for c in row
        )
        lines.append(f"{name:<{width}}{cells}")
    lines += ["", *ranking_in_words(result), "", "Direct and indirect evidence:"]
    for s in result.splits:
        indirect = "none (direct evidence only)"
        if s.indirect is not None:
            indirect = f"{_num(_shown(result, s.indirect))} (p for difference {_num(s.pvalue)})"
        lines.append(
            f"  {s.first} vs {s.second}: direct {_num(_shown(result, s.direct))} "
            f"({s.n_studies} studies, {100 * s.proportion_direct:.0f}% of the evidence), "
            f"indirect {indirect}"
        )
    d = result.decomposition
    lines += [
        "",
        f"Q total = {_num(d.total.q)} (df {d.total.df}); within designs = "
        f"{_num(d.within_designs.q)} (df {d.within_designs.df}); between designs "
        f"(inconsistency) = {_num(d.between_designs.q)} (df {d.between_designs.df}, "
        f"p = {_num(d.between_designs.pvalue, 4)})",
        "",
        *inconsistency_lines(result),
    ]
    return "\n".join(lines)


def inconsistency_lines(result: NetworkResult) -> list[str]:
    """The node splits and the random-effects design-by-treatment test, one line each."""
    pct = f"{result.level * 100:g}%"
    diff = "ratio" if result.is_ratio else "difference"
    lines = [f"Node-splitting (each split model with its own tau^2; {diff} = direct vs indirect):"]
    for n in result.nodesplits:
        pair = f"  {n.first} vs {n.second}:"
        if n.difference is None:
            lines.append(f"{pair} not estimable ({n.note})")
            continue
        assert n.direct is not None and n.indirect is not None
        assert n.ci_low is not None and n.ci_high is not None
        lines.append(
            f"{pair} direct {_num(_shown(result, n.direct))}, indirect "
            f"{_num(_shown(result, n.indirect))}, {diff} "
            f"{_num(_shown(result, n.difference))} [{pct} CI {_num(_shown(result, n.ci_low))}, "
            f"{_num(_shown(result, n.ci_high))}], p = {_num(n.pvalue, 4)}"
        )
    dbt = result.design_by_treatment
    if dbt is not None:
        if dbt.wald is None:
            lines.append(
                f"Design-by-treatment interaction (random effects): not tested ({dbt.note})"
            )
        else:
            lines.append(
                f"Design-by-treatment interaction (random effects): Wald chi^2 = "
                f"{_num(dbt.wald)} (df {dbt.df}, p = {_num(dbt.pvalue, 4)}); tau^2 "
                f"{_num(dbt.tau2_consistency, 4)} under consistency, "
                f"{_num(dbt.tau2_interaction, 4)} with the interaction"
            )
            if dbt.lrt is None:
                lines.append(f"  Likelihood-ratio test (ML fits): not tested ({dbt.lrt_note})")
            else:
                lines.append(
                    f"  Likelihood-ratio test (ML fits): LRT = {_num(dbt.lrt)} (df {dbt.df}, "
                    f"p = {_num(dbt.lrt_pvalue, 4)}); logLik {_num(dbt.loglik_consistency_ml)} "
                    f"under consistency, {_num(dbt.loglik_interaction_ml)} with the interaction"
                )
    return lines


def _read(paths: Sequence[str], columns: Mapping[str, str]) -> list[Arm]:
    arms: list[Arm] = []
    for path in paths:
        try:
            frame = pd.read_csv(path)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise AnalysisInputError(f"cannot read {path} as CSV: {exc}", field="file") from None
        arms.extend(arms_from_frame(frame, columns, Path(path).name))
    return arms


def _parse_columns(text: str) -> dict[str, str]:
    mapping = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        role, sep, column = pair.partition("=")
        if not sep or role.strip() not in ROLES or not column.strip():
            raise AnalysisInputError(
                f"{pair!r} is not role=column with a role among {', '.join(ROLES)}",
                field="columns",
            )
        mapping[role.strip()] = column.strip()
    return mapping


@click.command("network")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, readable=True)
)
@click.option(
    "--measure",
    required=True,
    type=click.Choice(MEASURES, case_sensitive=False),
    help="OR, RR, RD or MD.",
)
@click.option(
    "--reference", help="Treatment the others are compared with (default: first by name)."
)
@click.option(
    "--small-values",
    type=click.Choice(("good", "bad")),
    default="good",
    show_default=True,
    help="Whether small values of the measure are good (for the ranking).",
)
@click.option(
    "--columns",
    default="",
    help="role=column pairs for study, treatment, events, n, mean, sd (default: those names).",
)
@click.option("--level", default=0.95, show_default=True, type=float)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--csv", "as_csv", is_flag=True, help="Print every table as one CSV.")
def network(
    files: tuple[str, ...],
    measure: str,
    reference: str | None,
    small_values: str,
    columns: str,
    level: float,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Network meta-analysis of the arms in FILES (one arm per row)."""
    measure = measure.upper()
    try:
        mapping = _parse_columns(columns)
        arms = _read(files, mapping)
        if measure in BINARY_MEASURES and any(a.events is None for a in arms):
            raise AnalysisInputError(f"{measure} needs an events column", field="events")
        result = network_from_arms(
            arms, measure, reference=reference, small_values=small_values, level=level
        )
    except (AnalysisInputError, ConvergenceError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    elif as_csv:
        click.echo(to_csv(result), nl=False)
    else:
        click.echo(format_network(result))


if __name__ == "__main__":
    network()
