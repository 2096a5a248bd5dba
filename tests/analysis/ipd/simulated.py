"""Simulated trials coded the way datasets arrive on the portal, and the same
participants in the standard coding."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.ipd import DatasetMapping, Harmonisation, HarmonisedData


def simulate(seed: int, n: int, *, log_or=-0.5, md=1.5, log_hr=-0.4) -> pd.DataFrame:
    """Standard-coded participant data: treat 1/0, binary y, continuous score, survival."""
    rng = np.random.default_rng(seed)
    treat = rng.integers(0, 2, n)
    age = rng.normal(60, 10, n)
    p = 1 / (1 + np.exp(-(-1 + log_or * treat + 0.02 * (age - 60))))
    time = rng.exponential(1 / np.exp(log_hr * treat), n)
    censor = rng.exponential(2.0, n)
    return pd.DataFrame(
        {
            "treat": treat,
            "y": (rng.random(n) < p).astype(int),
            "age": age,
            "score": 50 + md * treat + 0.1 * age + rng.normal(0, 5, n),
            "time": np.minimum(time, censor).round(3),
            "event": (time <= censor).astype(int),
        }
    )


def harmonisation(outcome_type: str) -> Harmonisation:
    survival = outcome_type == "time-to-event"
    return Harmonisation(
        outcome_type,
        {
            "A": DatasetMapping(
                arm="arm",
                treatment="Active",
                control="Placebo",
                event="dead" if survival else "died",
                event_values=None if survival else "yes",
                non_event_values=None if survival else "no",
                outcome="score",
                time="fu",
                covariates={"age": "age_years"},
            ),
            "B": DatasetMapping(
                arm="group",
                treatment=1,
                control=2,
                event="status" if survival else "event",
                outcome="outcome",
                time="t",
                covariates={"age": "AGE"},
            ),
            "C": DatasetMapping(
                arm="allocation",
                treatment="drug",
                control="control",
                event="event" if survival else "bad",
                outcome="score",
                time="time",
                covariates={"age": "age"},
            ),
        },
        covariates=("age",),
    )


def coded(trials, outcome_type: str) -> HarmonisedData:
    """The same data, already in the standard coding."""
    frames = []
    for name, d in trials["coded"].items():
        f = pd.DataFrame(
            {"dataset": name, "study": name, "treat": d.treat.astype(float), "age": d.age}
        )
        if outcome_type == "binary":
            f["y"] = d.y.astype(float)
        elif outcome_type == "continuous":
            f["y"] = d.score
        else:
            f["time"], f["event"] = d.time, d.event.astype(float)
        frames.append(f)
    return HarmonisedData(pd.concat(frames, ignore_index=True), outcome_type, ("age",))
