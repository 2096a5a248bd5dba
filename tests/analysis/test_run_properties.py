"""A whole aggregate run on random valid study tables, every measure and method: it
finishes, or refuses with a clear error naming the field, and what it stores is what
the later steps read (the GRADE draft, the back-transformed values, the diagnostic
plots' coordinates)."""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import AnalysisInputError, ConvergenceError, RunSpec, execute
from analysis.certainty import Rating, draft
from analysis.vocabulary import Measure, StudyTable

MEASURES = tuple(m for t in StudyTable for m in t.measures)
METHODS = ("FE", "DL", "REML", "PM", "ML", "HE", "SJ", "EB", "HS", "HSK", "GENQ")


@st.composite
def tables(draw, measure: Measure) -> pd.DataFrame:
    k = draw(st.integers(1, 9))
    counts = st.integers(0, 60)
    rows = []
    for i in range(k):
        row: dict[str, object] = {"study": f"S{i}"}
        table = measure.table
        if table is StudyTable.COUNTS:
            n1, n2 = draw(st.integers(1, 80)), draw(st.integers(1, 80))
            row.update(ai=draw(st.integers(0, n1)), n1i=n1, ci=draw(st.integers(0, n2)), n2i=n2)
        elif table is StudyTable.SUMMARIES:
            mean = st.floats(0.1, 50) if measure is Measure.ROM else st.floats(-50, 50)
            for arm in ("1", "2"):
                row.update(
                    {
                        f"m{arm}i": draw(mean),
                        f"sd{arm}i": draw(st.floats(0.01, 20)),
                        f"n{arm}i": draw(st.integers(2, 200)),
                    }
                )
        elif table is StudyTable.CORRELATIONS:
            row.update(ri=round(draw(st.floats(-0.99, 0.99)), 3), ni=draw(st.integers(5, 500)))
        elif table is StudyTable.PROPORTIONS:
            n = draw(st.integers(1, 300))
            row.update(xi=draw(st.integers(0, n)), ni=n)
        else:
            row.update(
                x1i=draw(counts),
                t1i=draw(st.floats(1, 1000)),
                x2i=draw(counts),
                t2i=draw(st.floats(1, 1000)),
            )
        rows.append(row)
    return pd.DataFrame(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_run_finishes_or_refuses_clearly_and_its_results_are_graded(data):
    measure = data.draw(st.sampled_from(MEASURES))
    method = data.draw(st.sampled_from(METHODS))
    frame = data.draw(tables(measure))
    test = data.draw(st.sampled_from(("z", "t", "knha")))
    try:
        spec = RunSpec.from_options(
            kind="aggregate",
            measure=measure,
            method=method,
            datasets=["d"],
            harmonisation={"columns": {r: r for r in measure.roles}, "study": "study"},
            options={"test": test},
        )
        results = execute(spec, {"d": frame}).results
    except AnalysisInputError as error:
        assert error.reason
        return
    except ConvergenceError as error:
        assert str(error)
        return
    json.dumps(results, allow_nan=False)
    pooled = results["pooled"]
    summary = draft(results)
    assert summary.certainty in ("High", "Moderate", "Low", "Very low")
    assert all(d.rating in tuple(Rating) and d.reason for d in summary.domains)
    json.dumps(summary.to_dict(), allow_nan=False)
    natural = pooled["estimate_natural"]
    if pooled["back_transform"] in ("ilogit", "iarcsin"):
        assert 0 <= natural <= 1
        assert pooled["ci_low_natural"] <= natural <= pooled["ci_high_natural"]
    elif pooled["back_transform"] == "ztor":
        assert -1 <= natural <= 1
    elif pooled["back_transform"] == "exp":
        assert natural > 0 or natural == 0.0
    else:
        assert natural is None
    diagnostics = results["diagnostics"]
    assert set(diagnostics) == {"baujat", "radial", "labbe", "gosh"}
    for plot in diagnostics.values():
        assert plot.get("unavailable") or len(plot["studies"]) >= 1
