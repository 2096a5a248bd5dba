"""A network result as flat rows, for CSV downloads: one row per treatment effect, league
cell, P-score, direct/indirect split, Q test, node split and interaction tests, tagged by the
table it belongs to."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from .model import NetworkResult

COLUMNS = (
    "table",
    "first",
    "second",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "pvalue",
    "pscore",
    "rank",
    "n_studies",
    "direct",
    "direct_se",
    "indirect",
    "indirect_se",
    "proportion_direct",
    "q",
    "df",
    "tau2",
    "note",
)


def rows(result: NetworkResult) -> list[dict[str, Any]]:
    """Estimates on the analysis scale (log for OR and RR), as in the JSON."""
    out: list[dict[str, Any]] = []
    for e in result.effects:
        out.append({"table": "effect", **_estimate(e)})
    for row in result.league:
        out.extend({"table": "league", **_estimate(cell)} for cell in row if cell is not None)
    for place, name in enumerate(result.ranking, start=1):
        out.append(
            {"table": "ranking", "first": name, "pscore": result.pscores[name], "rank": place}
        )
    for s in result.splits:
        out.append(
            {
                "table": "split",
                "first": s.first,
                "second": s.second,
                "estimate": s.network,
                "se": s.network_se,
                "pvalue": s.pvalue,
                "n_studies": s.n_studies,
                "direct": s.direct,
                "direct_se": s.direct_se,
                "indirect": s.indirect,
                "indirect_se": s.indirect_se,
                "proportion_direct": s.proportion_direct,
            }
        )
    d = result.decomposition
    for name, test in (
        ("total", d.total),
        ("within_designs", d.within_designs),
        ("between_designs", d.between_designs),
    ):
        out.append({"table": "q", "first": name, "q": test.q, "df": test.df, "pvalue": test.pvalue})
    for n in result.nodesplits:
        # the estimate of a node split is the difference direct - indirect
        out.append(
            {
                "table": "nodesplit",
                "first": n.first,
                "second": n.second,
                "estimate": n.difference,
                "se": n.difference_se,
                "ci_low": n.ci_low,
                "ci_high": n.ci_high,
                "pvalue": n.pvalue,
                "n_studies": n.n_studies,
                "direct": n.direct,
                "direct_se": n.direct_se,
                "indirect": n.indirect,
                "indirect_se": n.indirect_se,
                "tau2": n.tau2,
                "note": n.note,
            }
        )
    dbt = result.design_by_treatment
    if dbt is not None:
        out.append(
            {"table": "design_by_treatment", "first": "consistency", "tau2": dbt.tau2_consistency}
        )
        out.append(
            {
                "table": "design_by_treatment",
                "first": "interaction",
                "q": dbt.wald,
                "df": dbt.df,
                "pvalue": dbt.pvalue,
                "tau2": dbt.tau2_interaction,
                "note": dbt.note,
            }
        )
        if dbt.lrt is not None or dbt.lrt_note:
            # the likelihood ratio of the ML fits; tau2 is the interaction model's ML estimate
            out.append(
                {
                    "table": "design_by_treatment",
                    "first": "likelihood_ratio",
                    "q": dbt.lrt,
                    "df": dbt.df,
                    "pvalue": dbt.lrt_pvalue,
                    "tau2": dbt.tau2_interaction_ml,
                    "note": dbt.lrt_note,
                }
            )
    return out


def _estimate(e: Any) -> dict[str, Any]:
    return {
        "first": e.first,
        "second": e.second,
        "estimate": e.estimate,
        "se": e.se,
        "ci_low": e.ci_low,
        "ci_high": e.ci_high,
        "pvalue": e.pvalue,
    }


def to_csv(result: NetworkResult) -> str:
    """CSV text; missing values (no indirect evidence, a test without degrees of freedom) are
    empty cells."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(result):
        writer.writerow(
            {
                key: ""
                if value is None or (isinstance(value, float) and not math.isfinite(value))
                else (repr(value) if isinstance(value, float) else value)
                for key, value in row.items()
            }
        )
    return buffer.getvalue()
