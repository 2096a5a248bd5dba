"""Network meta-analysis runs: several treatments compared across the arm rows of one or
more study-level datasets. The statistics are ``analysis.network``'s; this module checks
the mapping an analyst chose, computes a run and stores what its page shows.

A network run's harmonisation is ``{"datasets": {slug: {role: column}}}`` with the roles
of :data:`analysis.network.command.ROLES`; its options hold the reference treatment,
whether small values are good, and the interval level.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from flask import Flask

import analysis
from analysis.network import (
    MEASURES,
    Decomposition,
    DesignByTreatment,
    Edge,
    Estimate,
    EvidenceSplit,
    NetworkResult,
    NodeSplit,
    QTest,
    network_from_arms,
)
from analysis.network.command import arms_from_frame, ranking_in_words
from analysis.network.contrasts import BINARY_MEASURES
from analysis.network.tables import COLUMNS, rows
from analysis.provenance import software_versions
from datasets.cells import csv_text
from portal.db import utcnow
from portal.errors import ServiceError
from portal.reanalysis.inputs import column_names, read_frame
from portal.reanalysis.models import AnalysisRun, RunStatus

KIND = "network"

#: What each role means, in the builder's words.
ROLE_LABELS = {
    "study": "Study",
    "treatment": "Treatment",
    "events": "Events (people with the outcome)",
    "n": "Total in the arm",
    "mean": "Mean",
    "sd": "Standard deviation",
}

MEASURE_LABELS = {
    "OR": "Odds ratio (events / total)",
    "RR": "Risk ratio (events / total)",
    "RD": "Risk difference (events / total)",
    "MD": "Mean difference (mean / SD / total)",
}


def needed_roles(measure: str) -> tuple[str, ...]:
    """The columns a measure needs in every dataset."""
    if measure in BINARY_MEASURES:
        return ("study", "treatment", "events", "n")
    return ("study", "treatment", "mean", "sd", "n")


def set_specification(
    run: AnalysisRun,
    *,
    harmonisation: dict[str, Any],
    measure: str,
    reference: str = "",
    small_values: str = "good",
    level: Any = 0.95,
) -> None:
    """Check and store the mapping and options of a draft network run. Raises
    ServiceError whose field is ``measure``, ``reference``, ``small_values``, ``level`` or
    ``datasets.<slug>.<role>``."""
    if not run.is_draft:
        raise ServiceError("This analysis has already run and is kept as it is.", None)
    measure = (measure or "").upper()
    if measure not in MEASURES:
        raise ServiceError(f"Choose a measure: one of {', '.join(MEASURES)}.", "measure")
    if small_values not in ("good", "bad"):
        raise ServiceError("Say whether small values are good or bad.", "small_values")
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise ServiceError("The interval level must be a number such as 0.95.", "level") from None
    if not 0.5 <= level < 1:
        raise ServiceError("The interval level must be between 0.5 and 1, such as 0.95.", "level")
    check_mapping(run, harmonisation, measure)
    run.harmonisation = harmonisation
    run.measure, run.method = measure, "REML"
    run.options = {
        "reference": (reference or "").strip() or None,
        "small_values": small_values,
        "level": level,
    }


def check_mapping(run: AnalysisRun, harmonisation: dict[str, Any], measure: str) -> None:
    """Every dataset maps each column the measure needs to a column it has, and no two
    roles to one column."""
    datasets = harmonisation.get("datasets") if isinstance(harmonisation, dict) else None
    if not isinstance(datasets, dict):
        raise ServiceError(
            'Map each dataset\'s columns: {"datasets": {slug: {role: column}}}.', "datasets"
        )
    for item in run.inputs:
        slug, title = item.version.dataset.slug, item.version.dataset.title
        mapped = datasets.get(slug) or {}
        if not isinstance(mapped, dict):
            raise ServiceError(f"{title}: map each role to a column name.", f"datasets.{slug}")
        columns = set(column_names(item.version))
        for role in needed_roles(measure):
            column = mapped.get(role)
            where = f"datasets.{slug}.{role}"
            if column and not isinstance(column, str):
                raise ServiceError(f"{title}: a column is named by text.", where)
            if not column:
                raise ServiceError(
                    f"{title}: choose the column holding the {ROLE_LABELS[role].lower()} "
                    f"({measure} needs it).",
                    where,
                )
            if column not in columns:
                raise ServiceError(f"{title}: there is no column {column!r}.", where)
        chosen = [mapped[r] for r in needed_roles(measure)]
        for role in needed_roles(measure):
            if chosen.count(mapped[role]) > 1:
                raise ServiceError(
                    f"{title}: the column {mapped[role]!r} is chosen for more than one role.",
                    f"datasets.{slug}.{role}",
                )


def compute(app: Flask, run: AnalysisRun) -> NetworkResult:
    """The network of every arm row of the run's dataset versions. Raises
    AnalysisInputError or ConvergenceError."""
    arms = []
    for item in run.inputs:
        version = item.version
        if not version.is_published:
            raise analysis.AnalysisInputError(
                f"version {version.number} is not published",
                study=version.dataset.slug,
                field="version",
            )
        frame = read_frame(app, version, item.sha256)
        mapped = run.harmonisation["datasets"][version.dataset.slug]
        arms.extend(arms_from_frame(frame, mapped, version.dataset.title))
    options = run.options or {}
    return network_from_arms(
        arms,
        run.measure,
        reference=options.get("reference"),
        small_values=options.get("small_values", "good"),
        level=options.get("level", 0.95),
    )


def record_success(run: AnalysisRun, result: NetworkResult) -> None:
    """The stored results: the network (without the covariance of the basic parameters,
    which no page shows) and the ranking in words."""
    network = result.to_dict()
    network.pop("cov")
    run.results = {
        "network": network,
        "ranking_words": ranking_in_words(result),
        "software": software_versions(),
    }
    run.software = run.results["software"]
    run.status = RunStatus.FINISHED
    run.error, run.error_study, run.error_field = "", None, None
    run.finished_at = utcnow()


def stored_result(run: AnalysisRun) -> NetworkResult:
    """The finished run's network, rebuilt from what was stored (for the graph and the
    CSV; the covariance, not stored, is empty)."""
    d = {k: v for k, v in run.results["network"].items() if k != "ranking"}
    d["treatments"] = tuple(d["treatments"])
    d["effects"] = tuple(Estimate(**e) for e in d["effects"])
    d["league"] = tuple(
        tuple(None if c is None else Estimate(**c) for c in row) for row in d["league"]
    )
    d["edges"] = tuple(Edge(**e) for e in d["edges"])
    d["splits"] = tuple(EvidenceSplit(**s) for s in d["splits"])
    d["decomposition"] = Decomposition(**{k: QTest(**v) for k, v in d["decomposition"].items()})
    # runs stored before node-splitting have neither key
    d["nodesplits"] = tuple(NodeSplit(**n) for n in d.get("nodesplits", ()))
    dbt = d.get("design_by_treatment")
    d["design_by_treatment"] = None if dbt is None else DesignByTreatment(**dbt)
    d["cov"] = np.empty((0, 0))
    return NetworkResult(**d)


def results_csv(run: AnalysisRun) -> str:
    """Every table as tagged rows (``analysis.network.tables``); treatment names come from
    uploaded data, so the text goes through the download writer that neutralises
    formulas."""
    table = rows(stored_result(run))
    return csv_text(list(COLUMNS), [[row.get(c, "") for c in COLUMNS] for row in table])


def _shown(network: dict[str, Any], value: float | None) -> float | None:
    """A value on the scale people read: ratios exponentiated."""
    if value is None:
        return None
    return math.exp(value) if network["measure"] in ("OR", "RR") else value


def _number(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.2f}"


def in_words(results: dict[str, Any]) -> dict[str, Any]:
    """What the results page prints: the league table's cells, and the ranking, the
    direct-against-indirect comparisons and the inconsistency test as sentences."""
    n = results["network"]
    pct = f"{n['level'] * 100:g}%"
    no_effect = 1.0 if n["measure"] in ("OR", "RR") else 0.0
    league = [
        [
            None
            if cell is None
            else {
                "estimate": _number(_shown(n, cell["estimate"])),
                "interval": f"{_number(_shown(n, cell['ci_low']))} to "
                f"{_number(_shown(n, cell['ci_high']))}",
                "clear": cell["pvalue"] < 1 - n["level"],
            }
            for cell in row
        ]
        for row in n["league"]
    ]
    effects = []
    for e in n["effects"]:
        low, high = _shown(n, e["ci_low"]), _shown(n, e["ci_high"])
        assert low is not None and high is not None
        if low <= no_effect <= high:
            verdict = f"the data cannot tell it apart from {e['second']}"
        else:
            verdict = f"it clearly differs from {e['second']}"
        effects.append(
            f"{e['first']} against {e['second']}: {n['measure']} "
            f"{_number(_shown(n, e['estimate']))} ({pct} interval {_number(low)} to "
            f"{_number(high)}); {verdict}."
        )
    splits = []
    for s in n["splits"]:
        pair = f"{s['first']} against {s['second']}"
        if s["indirect"] is None:
            splits.append(
                f"{pair}: only direct evidence ({s['n_studies']} "
                f"stud{'y' if s['n_studies'] == 1 else 'ies'}), so nothing to check it against."
            )
            continue
        agree = (
            "they disagree more than chance easily explains"
            if s["pvalue"] is not None and s["pvalue"] < 0.05
            else "they agree within what chance explains"
        )
        splits.append(
            f"{pair}: the studies comparing them directly give "
            f"{_number(_shown(n, s['direct']))}, the rest of the network "
            f"{_number(_shown(n, s['indirect']))}; {agree} "
            f"(p = {_number(s['pvalue'])}; {100 * s['proportion_direct']:.0f}% of the "
            "evidence is direct)."
        )
    between = n["decomposition"]["between_designs"]
    if between["pvalue"] is None or between["df"] == 0:
        inconsistency = (
            "There is no way to test whether the studies' designs disagree: no comparison "
            "is reached both directly and by another route."
        )
    elif between["pvalue"] < 0.05:
        inconsistency = (
            "Studies of different designs disagree more than chance easily explains "
            f"(p = {between['pvalue']:.3f}): the network's estimates mix evidence that may "
            "not fit together, so read them with care."
        )
    else:
        inconsistency = (
            "Studies of different designs agree within what chance explains "
            f"(p = {between['pvalue']:.3f}): there is no sign that the direct and indirect "
            "evidence contradict each other."
        )
    return {
        "league": league,
        "effects": effects,
        "splits": splits,
        "inconsistency": inconsistency,
        "nodesplits": [_nodesplit_in_words(n, s, pct) for s in n.get("nodesplits", [])],
        "interaction": _interaction_in_words(n.get("design_by_treatment")),
        "ranking": results.get("ranking_words", []),
        "level": pct,
    }


def _nodesplit_in_words(n: dict[str, Any], s: dict[str, Any], pct: str) -> str:
    pair = f"{s['first']} against {s['second']}"
    if s["difference"] is None:
        return f"{pair}: cannot be checked this way ({s['note']})."
    if n["measure"] in ("OR", "RR"):
        gap = f"the direct estimate is {_number(_shown(n, s['difference']))} times the indirect one"
    else:
        gap = f"direct minus indirect is {_number(s['difference'])}"
    agree = (
        "they disagree more than chance easily explains"
        if s["pvalue"] < 0.05
        else "they agree within what chance explains"
    )
    return (
        f"{pair}: direct {_number(_shown(n, s['direct']))}, indirect "
        f"{_number(_shown(n, s['indirect']))}; {gap} ({pct} interval "
        f"{_number(_shown(n, s['ci_low']))} to {_number(_shown(n, s['ci_high']))}), so {agree} "
        f"(p = {_number(s['pvalue'])})."
    )


def _interaction_in_words(dbt: dict[str, Any] | None) -> str:
    if dbt is None:
        return ""
    if dbt["wald"] is None:
        return f"This check cannot be done for this network: {dbt['note']}."
    spread = (
        f"The between-study variance is {dbt['tau2_consistency']:.4f} if all designs fit "
        f"together and {dbt['tau2_interaction']:.4f} if each design may differ."
    )
    if dbt["pvalue"] < 0.05:
        verdict = (
            "Even allowing for studies to differ from one another, the designs disagree more "
            f"than chance easily explains (p = {dbt['pvalue']:.3f})."
        )
    else:
        verdict = (
            "Allowing for studies to differ from one another, the designs agree within what "
            f"chance explains (p = {dbt['pvalue']:.3f})."
        )
    return f"{verdict} {spread}{_likelihood_ratio_in_words(dbt)}"


def _likelihood_ratio_in_words(dbt: dict[str, Any]) -> str:
    if dbt.get("lrt") is None:
        note = dbt.get("lrt_note")
        return f" The second check of this kind could not be done: {note}." if note else ""
    verdict = (
        "also finds more disagreement than chance easily explains"
        if dbt["lrt_pvalue"] < 0.05
        else "also finds no more disagreement than chance explains"
    )
    return (
        " A second check, asking how much better the data fit when each design may differ, "
        f"{verdict} (p = {dbt['lrt_pvalue']:.3f})."
    )
