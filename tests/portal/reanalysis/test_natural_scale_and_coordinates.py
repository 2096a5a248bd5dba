"""A proportion pooled as log odds is read as a proportion on the results page, in the
CSV and in the JSON (metafor's predict(res, transf=transf.ilogit)); the diagnostic
plots' coordinates are in the API, the JSON and the CSV as well as on the plots."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import analysis
from analysis.diagnostics import all_coordinates
from tests.portal.reanalysis.conftest import BCG_CSV, new_token
from tests.portal.reanalysis.test_certainty_and_measures import PROPORTIONS_CSV
from tests.portal.reanalysis.test_reanalysis import bcg_body, bearer

COLUMNS = {"xi": "cured", "ni": "treated"}


def api_run(client, auth, member, slug, **body) -> dict:
    auth.login(member)
    token = new_token(client)
    response = client.post("/api/v1/analyses", json=bcg_body(slug, **body), headers=bearer(token))
    assert response.status_code == 202, response.get_json()
    got = client.get(f"/api/v1/analyses/{response.get_json()['analysis']['id']}").get_json()
    assert got["status"] == "finished", got["error"]
    return got


def test_a_log_odds_analysis_reads_as_a_proportion_everywhere(client, auth, sharing, member):
    slug = sharing.share("Cure rates", PROPORTIONS_CSV)
    got = api_run(
        client,
        auth,
        member,
        slug,
        measure="PLO",
        harmonisation={"columns": COLUMNS, "study": "study", "moderators": ["treated"]},
        options={"predict": [{"treated": 10}]},
    )
    pooled = got["results"]["pooled"]
    frame = pd.read_csv(io.StringIO(PROPORTIONS_CSV))
    expected = analysis.pool(
        analysis.effect_sizes_from_table(frame, "PLO", COLUMNS, study="study"), "REML"
    )
    assert pooled["back_transform"] == "ilogit" and pooled["natural_scale"] == "proportion"
    assert pooled["estimate_natural"] == pytest.approx(expit(expected.estimate), rel=1e-12)
    assert pooled["pi_high_natural"] == pytest.approx(expit(expected.pi_high), rel=1e-12)
    assert pooled["studies"][0]["yi_natural"] == pytest.approx(expit(expected.studies[0].yi))

    run_id = got["id"]
    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    assert f"Pooled proportion (PLO) = {expit(expected.estimate):.3f}" in page
    assert (
        f"{expit(expected.ci_low):.3f} to {expit(expected.ci_high):.3f}" in page
    )  # the CI on the same scale
    assert f"{expit(expected.pi_low):.3f} to {expit(expected.pi_high):.3f}" in page
    assert '<th scope="col">Proportion</th>' in page
    assert "turned back into a proportion for reading" in page
    # the formula sits behind "How is this computed?"
    formula = page.index('id="natural-scale-formula"')
    assert page.rfind("<details>", 0, formula) > page.rfind("</details>", 0, formula)
    assert "exp(x) / (1 + exp(x))" in page[formula : page.index("</p>", formula)]
    # metafor's predict(res, newmods = 10, transf = transf.ilogit)
    table = page[page.index('id="metareg-predictions"') :]
    table = table[: table.index("</table>")]
    predicted = got["results"]["meta_regression"]["predictions"][0]
    assert "Predicted proportion (PLO)" in table
    assert f"{expit(predicted['estimate']):.3f}" in table
    assert f"{expit(predicted['ci_low']):.3f} to {expit(predicted['ci_high']):.3f}" in table

    rows = list(csv.reader(io.StringIO(client.get(f"/analyses/{run_id}/results.csv").text)))
    header = rows[0]
    assert header[-3:] == ["yi_natural", "ci_low_natural", "ci_high_natural"]
    first = next(r for r in rows if r[0] == "study")
    assert float(first[header.index("yi_natural")]) == pytest.approx(expit(expected.studies[0].yi))
    pooled_row = next(r for r in rows if r[0] == "pooled")
    assert float(pooled_row[header.index("yi_natural")]) == pytest.approx(expit(expected.estimate))
    stats = {r[1]: r[2] for r in rows if r[0] == "statistic"}
    assert float(stats["pi_low_natural"]) == pytest.approx(expit(expected.pi_low))
    document = client.get(f"/analyses/{run_id}/results.json").get_json()
    assert document["results"]["pooled"]["ci_low_natural"] == pytest.approx(expit(expected.ci_low))
    forest = client.get(f"/analyses/{run_id}/forest.svg").get_data(as_text=True)
    assert "Proportion (drawn on the log-odds scale)" in forest


def test_the_diagnostic_coordinates_are_in_the_api_and_the_downloads(client, auth, bcg, member):
    got = api_run(client, auth, member, bcg)
    diagnostics = got["results"]["diagnostics"]
    assert set(diagnostics) == {"baujat", "radial", "labbe", "gosh"}
    studies = [s["study"] for s in got["results"]["pooled"]["studies"]]
    assert [r["study"] for r in diagnostics["baujat"]["studies"]] == studies
    assert [r["study"] for r in diagnostics["labbe"]["studies"]] == studies
    gosh = diagnostics["gosh"]
    # 13 studies: a seeded sample of 1,023 subsets, summarised rather than listed
    assert gosh["subsets"] == 1023 and not gosh["complete"] and gosh["subset_rows"] is None
    assert len(gosh["studies"]) == 13 and gosh["spread"]["i2"]["max"] <= 100

    run_id = got["id"]
    expected = all_coordinates(
        analysis.execute(
            analysis.RunSpec.from_options(
                kind="aggregate",
                measure="RR",
                method="REML",
                datasets=["b"],
                harmonisation=bcg_body(bcg)["harmonisation"],
            ),
            {"b": pd.read_csv(io.StringIO(BCG_CSV))},
        ).pooled
    )
    for plot, (x, y) in {"baujat": ("x", "y"), "radial": ("x", "z")}.items():
        ours, theirs = diagnostics[plot]["studies"], expected[plot]["studies"]
        assert [r["study"] for r in ours] == [r["study"] for r in theirs]
        for name in (x, y):
            np.testing.assert_allclose([r[name] for r in ours], [r[name] for r in theirs])

    rows = list(csv.reader(io.StringIO(client.get(f"/analyses/{run_id}/results.csv").text)))
    assert ["baujat columns", "study", "x", "y"] in rows
    baujat_rows = [r for r in rows if r[0] == "baujat"]
    assert [r[1] for r in baujat_rows] == studies
    assert float(baujat_rows[0][2]) == pytest.approx(diagnostics["baujat"]["studies"][0]["x"])
    assert ["gosh", "subsets", "1023", "sampled"] in rows
    assert sum(r[0] == "gosh spread" for r in rows) == 4
    assert sum(r[0] == "labbe" for r in rows) == 13
    document = client.get(f"/analyses/{run_id}/results.json").get_json()
    assert document["results"]["diagnostics"]["radial"] == diagnostics["radial"]


def test_the_openapi_schema_describes_the_coordinates(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    results = schemas["Analysis"]["properties"]["results"]
    assert "AnalysisResults" in str(results)
    plots = schemas["Diagnostics"]["properties"]
    assert set(plots) == {"baujat", "radial", "labbe", "gosh"}
    assert "spread" in schemas["GoshSummary"]["properties"]


def test_the_generalised_q_estimator_runs_from_the_api_and_is_named_on_the_page(
    client, auth, bcg, member
):
    got = api_run(client, auth, member, bcg, method="GENQ")
    pooled = got["results"]["pooled"]
    es = analysis.effect_sizes_from_table(
        pd.read_csv(io.StringIO(BCG_CSV)), "RR", bcg_body(bcg)["harmonisation"]["columns"]
    )
    expected = analysis.pool(es, "GENQ")
    assert pooled["method"] == "GENQ"
    assert pooled["tau2"] == pytest.approx(expected.tau2, rel=1e-12)
    assert pooled["estimate"] == pytest.approx(expected.estimate, rel=1e-12)
    page = client.get(f"/analyses/{got['id']}").get_data(as_text=True)
    assert "generalised Q (Jackson et al.), studies weighted by 1/SE" in page
    token = new_token(client)
    body = bcg_body(bcg, method="GENQ", options={"hk": True})
    response = client.post("/api/v1/analyses", json=body, headers=bearer(token))
    assert response.status_code in (400, 422)
    assert "Hartung-Knapp" in str(response.get_json())
