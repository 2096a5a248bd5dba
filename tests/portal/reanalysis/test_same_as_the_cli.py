"""A run on the portal and `portal meta` / `portal ipd` on the same files with the same
choices print the same numbers: both compute through analysis.execute."""

from __future__ import annotations

import json

from tests.portal.reanalysis.conftest import BCG_COLUMNS, BCG_CSV, new_token, trial_csv


def run_through_the_api(client, auth, member, body: dict) -> dict:
    auth.login(member)
    headers = {"Authorization": f"Bearer {new_token(client)}"}
    response = client.post("/api/v1/analyses", json=body, headers=headers)
    assert response.status_code == 202, response.get_json()
    run = client.get(f"/api/v1/analyses/{response.get_json()['analysis']['id']}").get_json()
    assert run["status"] == "finished", run["error"]
    return run["results"]


def test_an_aggregate_run_and_portal_meta(client, auth, bcg, member, runner, tmp_path):
    results = run_through_the_api(
        client,
        auth,
        member,
        {
            "title": "BCG, Paule-Mandel with Hartung-Knapp",
            "kind": "aggregate",
            "datasets": [{"slug": bcg, "version": 1}],
            "harmonisation": {"columns": BCG_COLUMNS, "study": "Study"},
            "measure": "OR",
            "method": "PM",
            "options": {"hk": True, "level": 0.9},
        },
    )
    path = tmp_path / "bcg.csv"
    path.write_text(BCG_CSV)
    columns = ",".join(f"{role}={column}" for role, column in BCG_COLUMNS.items())
    args = ["meta", str(path), "--measure", "OR", "--method", "PM", "--hk", "--level", "90"]
    result = runner.invoke(args=[*args, "--columns", columns, "--study", "Study", "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    del printed["options"]["input"]  # the command line also records its file
    assert printed == results["pooled"]


def test_a_one_stage_run_and_portal_ipd(client, auth, sharing, member, runner, tmp_path):
    texts = [
        trial_csv(("active", "placebo"), ("yes", "no"), (9, 60, 17, 58)),
        trial_csv(("drug", "control"), ("died", "alive"), (14, 90, 22, 93)),
    ]
    slugs = [sharing.share(f"Trial {i}", text, level="participant") for i, text in enumerate(texts)]
    arms = [("active", "placebo", "yes"), ("drug", "control", "died")]
    harmonisation = {
        "outcome_type": "binary",
        "datasets": {
            slug: {
                "arm": "arm",
                "treatment": treatment,
                "control": control,
                "outcome": "outcome",
                "event_values": [event],
                "covariates": {"score": "score"},
            }
            for slug, (treatment, control, event) in zip(slugs, arms, strict=True)
        },
    }
    results = run_through_the_api(
        client,
        auth,
        member,
        {
            "title": "Adjusted for the score",
            "kind": "participant",
            "datasets": [{"slug": slug, "version": 1} for slug in slugs],
            "harmonisation": harmonisation,
            "measure": "OR",
            "method": "REML",
            "options": {"stage": "one-stage", "covariates": ["score"], "filters": ["score > 2"]},
        },
    )
    files = []
    for slug, text in zip(slugs, texts, strict=True):
        files.append(tmp_path / f"{slug}.csv")  # the file's name is the dataset's name
        files[-1].write_text(text)
    (tmp_path / "spec.json").write_text(json.dumps(harmonisation))
    result = runner.invoke(
        args=["ipd", *map(str, files), "--outcome-type", "binary", "--stage", "one"]
        + ["--spec", str(tmp_path / "spec.json"), "--covariate", "score"]
        + ["--filter", "score > 2", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == results["one_stage"]
