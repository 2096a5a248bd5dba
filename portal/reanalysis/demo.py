"""Demo analyses (idempotent): the BCG trials pooled, and indomethacin pooled across centres
(two-stage, and one-stage with covariates and a row filter).

Both run through the job runner, synchronously, on the published demo dataset versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.data.models import Dataset
from portal.jobs import runner
from portal.reanalysis import building
from portal.reanalysis.models import AnalysisRun, RunStatus

DEMO_ANALYSES: list[dict[str, Any]] = [
    {
        "title": "BCG vaccine and tuberculosis: pooled risk ratio (REML)",
        "description": "The 13 BCG trials pooled as log risk ratios with a REML random-effects "
        "model, with a cumulative meta-analysis by year (as in metafor's dat.bcg).",
        "kind": "aggregate",
        "datasets": ["BCG vaccine and tuberculosis: 13 controlled trials"],
        "harmonisation": {
            "columns": {"ai": "BCGTB", "n1i": "BCGVacc", "ci": "NoVaccTB", "n2i": "NoVacc"},
            "study": "Study",
            "year": "Year",
            "subgroup": None,
        },
        "measure": "RR",
        "method": "REML",
    },
    {
        "title": "Rectal indomethacin and post-ERCP pancreatitis: two-stage pooling across centres",
        "description": "Participant-level data of the indomethacin trial analysed per study "
        "centre (2x2 table in each), then pooled as odds ratios (REML).",
        "kind": "participant",
        "datasets": ["Rectal indomethacin to prevent post-ERCP pancreatitis"],
        "harmonisation": {
            "outcome_type": "binary",
            "missing": "drop",
            "datasets": {
                "@0": {
                    "arm": "rx",
                    "treatment": "1_indomethacin",
                    "control": "0_placebo",
                    "outcome": "outcome",
                    "event_values": ["1_yes"],
                    "study": "site",
                }
            },
        },
        "measure": "OR",
        "method": "REML",
    },
    {
        "title": "Rectal indomethacin and post-ERCP pancreatitis: one-stage logistic regression "
        "adjusted for sex and risk score",
        "description": "All participants in one logistic regression with the study centre as a "
        "stratum, adjusted for sex and the baseline risk score (age is not "
        "used: the shared data top-code it at 90); the three-patient centre "
        "without events is filtered out.",
        "kind": "participant",
        "datasets": ["Rectal indomethacin to prevent post-ERCP pancreatitis"],
        "harmonisation": {
            "outcome_type": "binary",
            "missing": "drop",
            "categorical": ["sex"],
            "datasets": {
                "@0": {
                    "arm": "rx",
                    "treatment": "1_indomethacin",
                    "control": "0_placebo",
                    "outcome": "outcome",
                    "event_values": ["1_yes"],
                    "study": "site",
                    "covariates": {"sex": "gender", "risk": "risk"},
                }
            },
        },
        "measure": "OR",
        "method": "FE",
        "participant": {
            "stage": "one-stage",
            "covariates": ["sex", "risk"],
            "filters": ["study != 4_Case"],
        },
    },
]


def load_analyses(
    session: Session, app: Flask, owner: User, echo: Callable[[str], None] = lambda _: None
) -> list[int]:
    """Run every demo analysis the owner has not finished yet (matched by title)."""
    created = []
    finished = set(
        session.scalars(
            select(AnalysisRun.title).where(
                AnalysisRun.owner_id == owner.id, AnalysisRun.status == RunStatus.FINISHED
            )
        )
    )
    for spec in DEMO_ANALYSES:
        if spec["title"] in finished:
            continue
        versions = []
        for title in spec["datasets"]:
            dataset = session.scalar(select(Dataset).where(Dataset.title == title))
            version = dataset.latest_published() if dataset is not None else None
            if version is None:
                echo(f"  ! analysis {spec['title']!r} skipped: no published {title!r}")
                break
            versions.append(version)
        else:
            harmonisation = dict(spec["harmonisation"])
            if "datasets" in harmonisation:  # "@i" stands for the i-th dataset's slug
                harmonisation["datasets"] = {
                    versions[int(key[1:])].dataset.slug: value
                    for key, value in harmonisation["datasets"].items()
                }
            run = building.create_run(
                session,
                owner,
                title=spec["title"],
                kind=spec["kind"],
                versions=versions,
                description=spec["description"],
            )
            building.set_harmonisation(run, harmonisation)
            building.set_method(
                run,
                measure=spec["measure"],
                method=spec["method"],
                participant=spec.get("participant"),
            )
            # Nobody is looking at the plots while the demo loads: the first request for
            # each draws it, so `make run` reaches its first page without matplotlib.
            job = building.queue(session, run, draw_plots=False)
            session.commit()
            runner.run_job(app, job.id)
            session.refresh(run)
            echo(f"  + analysis {run.title} ({run.status})")
            created.append(run.id)
    return created
