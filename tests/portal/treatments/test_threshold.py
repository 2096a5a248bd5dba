"""Figures appear only from k trusted reporters, and every group of answers they show
rests on at least k of them; below that, no numbers at all."""

from __future__ import annotations

import re

import pytest

from portal.treatments.aggregates import floor
from tests.portal.treatments.conftest import SLUG, reports_url

K = 5
API = f"/api/v1/communities/{SLUG}/treatments"


def treatment_page(client, treatment) -> str:
    response = client.get(reports_url(f"/{treatment.id}"))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def main_of(page: str) -> str:
    return page.split("<main", 1)[1].split("</main>")[0]


def test_k_minus_one_reporters_show_nothing(client, treatment, add_reports):
    add_reports(treatment, K - 1, effectiveness="major")
    page = treatment_page(client, treatment)
    assert "Not enough reports yet" in page
    assert "<svg" not in page
    assert "reported using it" not in page
    assert not re.search(rf"\b{K - 1}\b", main_of(page))
    index = client.get(reports_url("/")).get_data(as_text=True)
    assert "<svg" not in index and "not enough reports yet" in index
    summary = client.get(API).get_json()
    assert summary["items"] == [
        {
            "treatment": {"id": treatment.id, "name": "Propranolol", "kind": "drug"},
            "enough_reports": False,
        }
    ]


def test_groups_of_at_least_k_are_shown_and_smaller_ones_never(client, treatment, add_reports):
    # Figures are released at 5 and at 10 reports (every k changed reports).
    add_reports(treatment, 5, effectiveness="major", side_effects="")
    add_reports(treatment, 5, effectiveness="worse", side_effects="nausea: severe")
    page = treatment_page(client, treatment)
    assert "<strong>10</strong> members reported using it" in page
    assert "Made it worse: 5" in page and "Major: 5" in page and "<svg" in page
    assert "not trial evidence" in page.lower()
    # Named by 5 of 10, not by 5: listed; its severities would all be "severe", one
    # group, which would tell the severity of anyone known to have named it.
    assert re.search(r"<td>nausea</td><td>5</td><td><span class=\"muted\">not shown", page)
    index = client.get(reports_url("/")).get_data(as_text=True)
    assert "effectiveness against popularity" in index
    figures = client.get(API).get_json()["items"][0]
    assert figures["reporters"] == 10 and figures["enough_reports"] is True
    assert [(c["label"], c["count"]) for c in figures["effectiveness"]] == [
        ("Made it worse", 5),
        ("None", 0),
        ("Slight", 0),
        ("Moderate", 0),
        ("Major", 5),
    ]
    assert figures["share_helped"] == 0.5


def test_answers_are_grouped_until_every_group_holds_k(client, treatment, add_reports):
    add_reports(treatment, 3, effectiveness="slight")
    add_reports(treatment, 2, effectiveness="major")
    add_reports(treatment, 3, effectiveness="none")
    add_reports(treatment, 2, effectiveness="worse")
    figures = client.get(API).get_json()["items"][0]
    # 2 worse, 3 none, 5 helped: only "did not help" 5 against "helped" 5 passes.
    assert [(c["label"], c["count"]) for c in figures["effectiveness"]] == [
        ("Did not help", 5),
        ("Helped", 5),
    ]


def test_a_table_where_everyone_gave_the_same_answer_is_not_shown(client, treatment, add_reports):
    add_reports(treatment, 10, effectiveness="major")
    page = treatment_page(client, treatment)
    assert "<strong>10</strong> members reported using it" in page
    assert "<svg" not in page and "everyone would have given the same answer" in page
    assert client.get(API).get_json()["items"][0]["effectiveness"] is None


def test_the_chart_leaves_out_treatments_below_k(
    client, session, community, moderator, treatment, add_reports
):
    from portal.treatments import services

    rare = services.propose(session, community, moderator, name="Acupuncture", kind="non-drug")
    session.commit()
    add_reports(treatment, 5, effectiveness="major")
    add_reports(treatment, 5, effectiveness="none")
    add_reports(rare, K - 1)
    index = client.get(reports_url("/")).get_data(as_text=True)
    chart = index[index.index("<svg") : index.index("</svg>")]
    assert "Propranolol" in chart and "Acupuncture" not in chart
    assert "n = 10 reports across 1 treatment" in chart and "50% helped" in chart


@pytest.mark.parametrize("k, shown", [(3, True), (4, False)])
def test_k_comes_from_the_configuration(make_app, community, treatment, add_reports, k, shown):
    app = make_app(TREATMENT_MIN_REPORTERS=k)
    add_reports(treatment, 3, effectiveness="major", floor=floor(app.config))
    add_reports(treatment, 3, effectiveness="worse", floor=floor(app.config))
    page = app.test_client().get(reports_url(f"/{treatment.id}")).get_data(as_text=True)
    assert ("<svg" in page) is shown
    assert "Not enough reports yet" not in page
