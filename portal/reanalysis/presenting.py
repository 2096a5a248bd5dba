"""A run's results for people and programs: JSON, CSV and the numbers' printing."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import analysis
import analysis.filters
from analysis import transforms
from datasets.cells import csv_text
from portal.reanalysis import certainty, living, network
from portal.reanalysis.models import AnalysisRun, RunStatus

#: Which step of the builder fixes a failure in a field (roles such as "ai (BCGTB)" are
#: read by their first word).
_MAPPING_FIELDS = {
    *analysis.ROLE_LABELS,
    "columns",
    "study",
    "year",
    "subgroup",
    "arm",
    "treatment",
    "control",
    "outcome",
    "event",
    "time",
    "event_values",
    "covariate",
    "dataset",
    "moderators",
    "categorical_moderators",
    "effect_id",
}
_METHOD_FIELDS = {
    "measure",
    "method",
    "level",
    "hk",
    "test",
    "permutations",
    "seed",
    "predict",
    "stage",
    "study_effect",
    "covariates",
    "filters",
    "options",
    "multilevel",
}
_DATA_FIELDS = {"version", "sha256", "datasets"}
INTERNAL_ERROR = "Internal error"


def failure(run: AnalysisRun) -> dict[str, Any] | None:
    """A failed run's problem for people: a title, what went wrong and where in plain
    words, and the step of the builder that fixes it (``mapping``, ``method``, ``data``
    or None)."""
    if run.status != RunStatus.FAILED:
        return None
    if run.error.startswith(INTERNAL_ERROR) or not run.error:
        return {
            "title": "Something went wrong on our side",
            "what": "The analysis stopped because of a fault in the portal, not because of "
            "anything you chose. Nothing you chose is lost.",
            "where": None,
            "step": None,
            "advice": "Run it again. If it fails again, tell the site's administrators: "
            "the fault is in their log.",
        }
    field = run.error_field or ""
    first = field.split(" ")[0]
    column = field[field.find("(") + 1 : -1] if field.endswith(")") and "(" in field else None
    slugs = {i.version.dataset.slug: i.version.dataset.title for i in run.inputs}
    where = []
    if run.error_study:
        if run.error_study in slugs:
            where.append(f"in the dataset “{slugs[run.error_study]}”")
        else:
            where.append(f"in the study “{run.error_study}”")
    if first in analysis.ROLE_LABELS:
        named = f"the column for {analysis.ROLE_LABELS[first].lower()}"
        where.append(f"{named} (“{column}”)" if column else named)
    elif field:
        where.append(f"at “{field}”")
    what = run.error
    prefix_end = what.find(": ")
    if (
        (run.error_study or run.error_field)
        and prefix_end > 0
        and what.startswith(("study", "field"))
    ):
        what = what[prefix_end + 2 :]
    if first in _MAPPING_FIELDS:
        step = "mapping"
    elif first in _METHOD_FIELDS:
        step = "method"
    elif first in _DATA_FIELDS:
        step = "data"
    else:
        step = None
    advice = {
        "mapping": "The columns chosen for the analysis do not fit the data there. Edit the "
        "analysis and check the mapping of the variables.",
        "method": "The method chosen does not fit these data. Edit the analysis and choose "
        "another measure or method.",
        "data": "The data the analysis used are no longer available as they were. Start a "
        "new analysis on a published version.",
        None: "Edit the analysis to change what it uses, then run it again.",
    }[step]
    return {
        "title": "This analysis could not be computed",
        "what": what[:1].upper() + what[1:],
        "where": ", ".join(where) if where else None,
        "step": step,
        "advice": advice,
    }


def fmt_change(value: Any, digits: int = 3) -> str:
    """A change with its sign ("+0.012", "−0.300", "0"), or "–" when not computed."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return "–"
    if value == 0:
        return "no change"
    text = str(abs(value)) if isinstance(value, int) else f"{abs(value):.{digits}f}"
    if float(text) == 0:
        return "no change"
    return ("+" if value > 0 else "−") + text


def filters_text(filters: Any) -> str:
    """Stored filters as the lines a user types ("age >= 50")."""
    try:
        return "\n".join(str(f) for f in analysis.filters.as_filters(filters))
    except analysis.AnalysisInputError:
        return ""


def run_json(run: AnalysisRun, url_for) -> dict[str, Any]:
    out = {
        "id": run.id,
        "title": run.title,
        "description": run.description,
        "kind": run.kind,
        "status": run.status,
        "owner": run.owner.username,
        "measure": run.measure or None,
        "method": run.method or None,
        "options": run.options,
        "datasets": [
            {
                "slug": i.version.dataset.slug,
                "version": i.version.number,
                "version_id": i.version_id,
                "sha256": i.sha256,
                "url": url_for(
                    "data.show",
                    slug=i.version.dataset.slug,
                    version=i.version.number,
                    _external=True,
                ),
            }
            for i in run.inputs
        ],
        "harmonisation": run.harmonisation,
        "software": run.software or None,
        "error": (
            {"message": run.error, "study": run.error_study, "field": run.error_field}
            if run.status == RunStatus.FAILED
            else None
        ),
        "rerun_of": run.rerun_of_id,
        "job": run.job_id,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "url": url_for("reanalysis.show", run_id=run.id, _external=True),
    }
    if run.is_finished:
        out["results"] = run.results
        out["certainty"] = certainty.summary(run)
        out["newer_versions"] = [
            {
                "slug": n.used.dataset.slug,
                "used": n.used.number,
                "newest": n.newest.number,
                "published_at": n.newest.published_at.isoformat()
                if n.newest.published_at
                else None,
            }
            for n in living.newer_versions(run)
        ]
        compared = living.comparison(run)
        out["comparison"] = (
            {"with": run.rerun_of_id, **compared.to_dict()} if compared is not None else None
        )
        if run.kind == network.KIND:
            out["in_plain_words"] = network.in_words(run.results)
    return out


def fmt(value: Any, digits: int = 3) -> str:
    # Runs are immutable records: one made by an older version lacks newer fields.
    if (
        not isinstance(value, (int, float, np.number))
        or isinstance(value, bool)
        or not math.isfinite(value)
    ):
        return "–"
    if isinstance(value, (int, np.integer)):
        return str(value)
    return f"{value:.{digits}f}"


#: How each back-transformation reads, for the sentence under the pooled estimate.
NATURAL_WORDS = {
    "PLO": "the inverse logit, exp(x) / (1 + exp(x)), as metafor's transf.ilogit",
    "ZCOR": "the inverse of Fisher's z, tanh(z), as metafor's transf.ztor",
    "PAS": "sin(x)² after holding x between 0 and π/2, as metafor's transf.iarcsin",
}


def natural_scale(measure: Any) -> str | None:
    """ "proportion" or "correlation" for a measure pooled on a transformed scale and
    read back on that one (PLO, ZCOR, PAS); None for the others (the ratio measures
    are read exponentiated, the rest as pooled)."""
    return transforms.natural_scale(str(measure)) or None


def nat(measure: Any, value: Any) -> Any:
    """A stored number on the scale it is read on: back-transformed where the measure is
    pooled on a transformed scale, unchanged otherwise."""
    if natural_scale(measure) is None or not isinstance(value, (int, float)):
        return value
    return transforms.back_transform(str(measure), float(value))


def fmt_p(value: Any) -> str:
    """A p-value as journals print it: "< 0.0001" rather than a row of zeros."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "= –"
    return "< 0.0001" if value < 0.0001 else f"= {value:.4f}"


def results_csv(run: AnalysisRun) -> str:
    """Per-study rows then the pooled row, numbers at full precision.

    Study names come from uploaded data, so the text goes through the download
    writer that neutralises formulas; numbers stay numbers.
    """
    if run.results.get("multilevel"):
        return multilevel_csv(run.results["multilevel"])
    pooled = run.results.get("pooled", {})
    ratio = pooled.get("scale") == "log"
    measure = pooled.get("measure")
    natural = natural_scale(measure) is not None
    rows: list[list[Any]] = []
    header = ["row", "study", "yi", "se", "ci_low", "ci_high", "weight_percent"]
    if ratio:
        header += ["yi_exp", "ci_low_exp", "ci_high_exp"]
    if natural:
        header += ["yi_natural", "ci_low_natural", "ci_high_natural"]
    for s in pooled.get("studies", []):
        row = ["study", s["study"], s["yi"], s["se"], s["ci_low"], s["ci_high"], s["weight"]]
        if ratio:
            row += [s["yi_exp"], s["ci_low_exp"], s["ci_high_exp"]]
        if natural:
            row += [nat(measure, s[n]) for n in ("yi", "ci_low", "ci_high")]
        rows.append(row)
    row = [
        "pooled",
        f"{pooled.get('method')} ({pooled.get('measure')})",
        pooled.get("estimate"),
        pooled.get("se"),
        pooled.get("ci_low"),
        pooled.get("ci_high"),
        100.0,
    ]
    if ratio:
        row += [pooled.get("estimate_exp"), pooled.get("ci_low_exp"), pooled.get("ci_high_exp")]
    if natural:
        row += [nat(measure, pooled.get(n)) for n in ("estimate", "ci_low", "ci_high")]
    rows.append(row)
    for name in ("tau2", "tau2_se", "i2", "q", "q_df", "q_pvalue", "pvalue", "pi_low", "pi_high"):
        rows.append(["statistic", name, pooled.get(name)])
    if natural:
        for name in ("pi_low", "pi_high"):
            rows.append(["statistic", f"{name}_natural", nat(measure, pooled.get(name))])
    for name in ("tau2_ci_low", "tau2_ci_high", "i2_ci_low", "i2_ci_high"):
        if pooled.get(name) is not None:
            rows.append(["statistic", name, pooled.get(name)])
    one = run.results.get("one_stage")
    if one:
        row = [
            "one-stage",
            one["model"],
            one["estimate"],
            one["se"],
            one["ci_low"],
            one["ci_high"],
            "",
        ]
        if ratio:
            row += [one.get("estimate_exp"), one.get("ci_low_exp"), one.get("ci_high_exp")]
        rows.append(row)
        for name in ("pvalue", "n", "events", "tau2", "random_sd", "loglik", "converged"):
            if name in ("pvalue", "n", "events", "tau2") or one.get(name) is not None:
                rows.append(["one-stage statistic", name, one.get(name)])
        if one.get("random_effect_summary"):
            rows.append(["one-stage statistic", "in plain words", one["random_effect_summary"]])
    summary = certainty.summary(run)
    if summary:
        rows.append(["certainty", "overall", summary["certainty"], "", "", "", ""])
        for d in summary["domains"]:
            rows.append(["certainty", d["label"], d["rating"], d["reason"], d["source"], "", ""])
    rows.extend(_regression_rows(run.results.get("meta_regression")))
    rows.extend(_influence_rows(run.results.get("influence")))
    rows.extend(_diagnostic_rows(run.results.get("diagnostics")))
    subgroups = run.results.get("subgroups") or {}
    between = subgroups.get("test_for_subgroup_differences")
    if between:
        rows.append(
            [
                "subgroup test",
                "Q between",
                between["statistic"],
                "",
                "",
                "",
                "",
                between.get("in_plain_words", ""),
            ]
        )
        rows.append(["subgroup test", "pvalue", between["pvalue"]])
    return csv_text(header, rows)


def multilevel_csv(ml: dict[str, Any]) -> str:
    """A three-level run: each effect, then the pooled row and the model's numbers, each
    with its plain words in the last column."""
    ratio = ml.get("scale") == "log"
    header = ["row", "study", "effect_id", "yi", "vi", "ci_low", "ci_high", "in_plain_words"]
    rows: list[list[Any]] = [
        ["effect", e["study"], e["effect_id"], e["yi"], e["vi"]] for e in ml["effects"]
    ]
    words = ml.get("in_plain_words", {})
    c = ml["coefficients"][0]
    rows.append(
        ["pooled", f"REML ({ml['measure']})", "", c["estimate"], c["se"] ** 2]
        + [c["ci_low"], c["ci_high"], words.get("estimate", "")]
    )
    if ratio:
        rows.append(
            ["pooled (exp)", "", "", ml["estimate_exp"], ""]
            + [ml["ci_low_exp"], ml["ci_high_exp"], ""]
        )
    rows.append(["statistic", "pvalue", "", c["pvalue"]])
    rows.append(["statistic", "sigma2_study", "", ml["sigma2_study"], "", "", "", words["between"]])
    rows.append(
        ["statistic", "sigma2_within", "", ml["sigma2_within"], "", "", "", words["within"]]
    )
    for name in ("i2_total", "i2_study", "i2_within"):
        rows.append(
            [
                "statistic",
                name,
                "",
                ml[name],
                "",
                "",
                "",
                words["shares"] if name == "i2_total" else "",
            ]
        )
    for name in ("q", "q_df", "q_pvalue", "loglik", "n_studies", "n_effects"):
        rows.append(["statistic", name, "", ml[name]])
    if ml.get("pi_low") is not None:
        rows.append(
            ["statistic", "prediction interval", "", "", ""]
            + [ml["pi_low"], ml["pi_high"], words.get("prediction", "")]
        )
        if ratio:
            rows.append(
                ["statistic", "prediction interval (exp)", "", "", ""]
                + [ml["pi_low_exp"], ml["pi_high_exp"], ""]
            )
    for note in ml.get("notes", []):
        rows.append(["note", "", "", "", "", "", "", note])
    return csv_text(header, rows)


def _regression_rows(mr: Any) -> list[list[Any]]:
    """A meta-regression's numbers, each row with its plain words in the last column
    (under the header's columns: name, estimate, se, ci_low, ci_high, p)."""
    if not isinstance(mr, dict) or "unavailable" in mr:
        return []
    words = mr.get("in_plain_words", {})
    perm = mr.get("permutation") or {}
    rows: list[list[Any]] = [
        [
            "meta-regression columns",
            "name",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "pvalue",
            "in plain words",
        ]
    ]
    for c in mr["coefficients"]:
        rows.append(
            [
                "meta-regression coefficient",
                c["name"],
                c["estimate"],
                c["se"],
                c["ci_low"],
                c["ci_high"],
                c["pvalue"],
                words.get(c["name"], ""),
            ]
        )
        if perm:
            rows.append(["meta-regression permutation p", c["name"], c.get("permutation_pvalue")])
    rows.append(["meta-regression", "QM", mr["qm"], "", "", "", mr["qm_pvalue"], words.get("qm")])
    rows.append(["meta-regression", "R2_percent", mr["r2"], "", "", "", "", words.get("r2")])
    rows.append(
        [
            "meta-regression",
            "tau2 (residual)",
            mr["tau2"],
            mr.get("tau2_se"),
            "",
            "",
            mr["qe_pvalue"],
            words.get("residual"),
        ]
    )
    if perm:
        rows.append(
            [
                "meta-regression",
                f"QM permutation p ({perm['iterations']} permutations, "
                f"{'exact' if perm['exact'] else 'seed ' + str(perm['seed'])})",
                perm["qm_pvalue"],
                "",
                "",
                "",
                "",
                words.get("permutation"),
            ]
        )
    for q in mr.get("predictions", []):
        at = "; ".join(f"{k} = {v}" for k, v in q["at"].items())
        rows.append(
            [
                "meta-regression prediction",
                at,
                q["estimate"],
                q["se"],
                q["ci_low"],
                q["ci_high"],
                "",
                f"prediction interval {q['pi_low']} to {q['pi_high']}"
                if q["pi_low"] is not None
                else "",
            ]
        )
    return rows


#: The columns of each diagnostic plot's rows in the CSV (the study first).
_DIAGNOSTIC_COLUMNS = {
    "baujat": ("x", "y"),
    "radial": ("x", "z"),
    "labbe": ("control", "treatment"),
    "gosh": ("subsets_with", "estimate_with", "estimate_without", "i2_with", "i2_without"),
}


def _diagnostic_rows(diagnostics: Any) -> list[list[Any]]:
    """One header and one row per study for each diagnostic plot; GOSH's subsets are
    summarised by study and by the spread of each statistic, as in the JSON."""
    if not isinstance(diagnostics, dict):
        return []
    rows: list[list[Any]] = []
    for plot, columns in _DIAGNOSTIC_COLUMNS.items():
        coords = diagnostics.get(plot)
        if not isinstance(coords, dict) or "unavailable" in coords:
            continue
        rows.append([f"{plot} columns", "study", *columns])
        rows.extend([plot, r["study"], *(r[c] for c in columns)] for r in coords["studies"])
        if plot == "radial":
            rows.append([plot, "slope", coords["slope"]])
        if plot == "gosh":
            rows.append(
                [
                    plot,
                    "subsets",
                    coords["subsets"],
                    "complete" if coords["complete"] else "sampled",
                ]
            )
            rows.append(
                [
                    "gosh spread columns",
                    "statistic",
                    "min",
                    "q05",
                    "q25",
                    "median",
                    "q75",
                    "q95",
                    "max",
                ]
            )
            for name, spread in coords["spread"].items():
                rows.append(["gosh spread", name, *spread.values()])
    return rows


def _influence_rows(inf: Any) -> list[list[Any]]:
    if not isinstance(inf, dict) or "unavailable" in inf:
        return []
    rows: list[list[Any]] = [
        ["influence columns", "study", "rstudent", "dffits", "cook_d", "cov_r", "hat", "flag"]
    ]
    for r in inf["rows"]:
        rows.append(
            [
                "influence",
                r["study"],
                r["rstudent"],
                r["dffits"],
                r["cook_d"],
                r["cov_r"],
                r["hat"],
                "influential" if r["influential"] else "",
            ]
        )
    if inf.get("in_plain_words"):
        rows.append(["influence", "in plain words", "", "", "", "", "", inf["in_plain_words"]])
    return rows
