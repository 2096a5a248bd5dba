"""The Baujat, radial, L'Abbé and GOSH plots on an aggregate run's results page."""

from __future__ import annotations

import re

from portal.reanalysis import figures
from portal.reanalysis.models import AnalysisRun
from tests.portal.reanalysis.test_reanalysis import run_through_pages


def test_the_results_page_shows_the_diagnostic_plots_and_serves_them(
    app, client, auth, bcg, member, session
):
    auth.login(member)
    run_id, job = run_through_pages(client, bcg)
    assert job["state"] == "finished", job
    run = session.get(AnalysisRun, run_id)
    # the job drew them while it had the results
    for plot in figures.DIAGNOSTIC_PLOTS:
        assert figures.path(app, run, plot, "svg").read_bytes().startswith(b"<?xml")

    page = client.get(f"/analyses/{run_id}").get_data(as_text=True)
    section = page[page.index('id="diagnostics-heading"') :]
    section = section[: section.index("</section>")]
    for plot, caption in [
        ("baujat", "Baujat plot"),
        ("radial", "Radial (Galbraith) plot"),
        ("labbe", "L&#39;Abbé plot"),
        ("gosh", "GOSH plot"),
    ]:
        assert f'src="/analyses/{run_id}/{plot}.svg"' in section
        assert caption in section
    assert section.count("<summary>How is this computed?</summary>") == 4
    assert "Studies far to the right disagree most with the others" in section
    # formulas only inside the disclosures
    outside = re.sub(r"<details>.*?</details>", "", section, flags=re.S)
    assert "<sub>" not in outside and "<sub>" in section

    auth.logout()  # anyone may read a finished run of published data
    for plot in figures.DIAGNOSTIC_PLOTS:
        response = client.get(f"/analyses/{run_id}/{plot}.svg")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data
    assert client.get(f"/analyses/{run_id}/gosh.png").data.startswith(b"\x89PNG")
    baujat = client.get(f"/analyses/{run_id}/baujat.svg").get_data(as_text=True)
    assert "Influence on overall result" in baujat
    assert "random sample" in client.get(f"/analyses/{run_id}/gosh.svg").get_data(as_text=True)


def test_which_runs_have_which_diagnostic_plot():
    studies = [{"ai": 1, "bi": 9, "ci": 2, "di": 8}] * 3
    pooled = {"k": 3, "method": "REML", "measure": "RR", "studies": studies}

    def has(plot: str, **changes) -> bool:
        return figures._has_diagnostic({**pooled, **changes}, plot)

    assert all(has(plot) for plot in figures.DIAGNOSTIC_PLOTS)
    # Mantel-Haenszel has no inverse-variance model to re-fit
    assert not has("baujat", method="MH") and not has("gosh", method="PETO")
    assert has("radial", method="MH") and has("labbe", method="MH")
    # L'Abbé needs 2x2 tables
    assert not has("labbe", measure="SMD", studies=[{"m1i": 1.0}] * 3)
    assert not has("labbe", measure="RR", studies=[{"yi": 0.1}] * 3)
    assert not has("radial", k=1)
