"""Aggregates appear only when at least k members contributed; below k, no numbers at all."""

from __future__ import annotations

import re

import pytest

from tests.portal.treatments.conftest import SLUG, reports_url

K = 5
API = f"/api/v1/communities/{SLUG}/treatments"


def treatment_page(client, treatment) -> str:
    response = client.get(reports_url(f"/{treatment.id}"))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_k_minus_one_reporters_show_nothing(client, treatment, add_reports):
    add_reports(treatment, K - 1, effectiveness="major")
    page = treatment_page(client, treatment)
    assert "Not enough reports yet" in page
    assert "<svg" not in page
    assert "reported using it" not in page
    assert not re.search(rf"\b{K - 1}\b", page.split("<main", 1)[1].split("</main>")[0])
    index = client.get(reports_url("/")).get_data(as_text=True)
    assert "<svg" not in index and "not enough reports yet" in index
    summary = client.get(API).get_json()
    assert summary["items"] == [
        {
            "treatment": {"id": treatment.id, "name": "Propranolol", "kind": "drug"},
            "enough_reports": False,
        }
    ]


def test_k_reporters_show_counts_distribution_side_effects_and_the_chart(
    client, treatment, add_reports
):
    add_reports(treatment, K - 2, effectiveness="major")
    add_reports(treatment, 2, effectiveness="worse", side_effects="nausea: severe")
    page = treatment_page(client, treatment)
    assert "Not enough reports yet" not in page
    assert f"<strong>{K}</strong> members reported using it" in page
    assert "n = 5 reports" in page and "<svg" in page
    assert "Made it worse: 2" in page and "Major: 3" in page
    assert "not trial evidence" in page.lower()
    assert "<td>nausea</td><td>2</td><td>0 / 0 / 2</td>" in page
    index = client.get(reports_url("/")).get_data(as_text=True)
    assert "effectiveness against popularity" in index
    assert "n = 5 reports across 1 treatment" in index
    summary = client.get(API).get_json()["items"][0]
    assert summary["reporters"] == K
    assert summary["effectiveness"] == {
        "worse": 2,
        "none": 0,
        "slight": 0,
        "moderate": 0,
        "major": 3,
    }


def test_the_chart_leaves_out_treatments_below_k(
    client, session, community, moderator, treatment, add_reports
):
    from portal.treatments import services

    rare = services.propose(session, community, moderator, name="Acupuncture", kind="non-drug")
    session.commit()
    add_reports(treatment, K)
    add_reports(rare, K - 1)
    index = client.get(reports_url("/")).get_data(as_text=True)
    chart = index[index.index("<svg") : index.index("</svg>")]
    assert "Propranolol" in chart and "Acupuncture" not in chart
    assert "n = 5 reports across 1 treatment" in chart


@pytest.mark.parametrize("k, shown", [(3, True), (4, False)])
def test_k_comes_from_the_configuration(make_app, community, treatment, add_reports, k, shown):
    add_reports(treatment, 3)
    client = make_app(TREATMENT_MIN_REPORTERS=k).test_client()
    page = client.get(reports_url(f"/{treatment.id}")).get_data(as_text=True)
    assert ("<svg" in page) is shown
    assert ("Not enough reports yet" in page) is not shown
