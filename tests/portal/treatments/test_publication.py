"""Consenting reports become versions of an open dataset that passes the datasets screening."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from datasets.screening import BLOCK
from portal.data import services as data
from portal.data.models import Dataset, DatasetVersion
from portal.treatments import services
from portal.treatments.publication import COLUMNS
from tests.portal.treatments.conftest import SLUG, count, post_form, reports_url


def publish(runner, by: str = "moira"):
    return runner.invoke(args=["treatments", "publish", SLUG, "--by", by])


def rows_of(app, version: DatasetVersion) -> list[dict[str, str]]:
    with data.blob_store(app).open(version.sha256) as handle:
        return list(csv.DictReader(io.StringIO(handle.read().decode("utf-8"))))


def latest(session) -> DatasetVersion:
    session.expire_all()
    return session.scalar(select(DatasetVersion).order_by(DatasetVersion.id.desc()))


def consenting_mix(add_reports, treatment, n: int = 10, **overrides):
    """n consenting members, half finding it helped moderately, half not at all."""
    helped = add_reports(treatment, n // 2, consent=True, effectiveness="moderate", **overrides)
    return helped + add_reports(
        treatment, n - n // 2, consent=True, effectiveness="none", **overrides
    )


def test_the_published_version_passes_screening_and_carries_no_identity(
    app, runner, session, treatment, add_reports, moderator
):
    members = consenting_mix(add_reports, treatment)
    add_reports(treatment, 2, consent=False)
    result = publish(runner)
    assert result.exit_code == 0, result.output
    version = latest(session)
    assert version.is_published and version.dataset.is_published
    assert version.row_count == 10
    assert version.report["valid"] is True
    assert not version.screening["blocking"]
    assert not [f for f in version.screening["findings"] if f["severity"] == BLOCK]
    assert data.publication_problems(version) == []
    rows = rows_of(app, version)
    assert list(rows[0]) == list(COLUMNS)
    text = " ".join(" ".join(row.values()) for row in rows)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)  # durations, never dates
    assert all(member.username not in text for member in members)
    assert all(re.fullmatch(r"R[0-9a-f]{10}", row["participant"]) for row in rows)
    assert {row["weeks_used"] for row in rows} == {"13-26"}  # 20 weeks, in a band
    assert len({row["participant"] for row in rows}) == 10


def test_withdrawing_consent_removes_the_report_from_the_next_version(
    app, runner, session, community, treatment, add_reports, moderator
):
    members = consenting_mix(add_reports, treatment)
    assert publish(runner).exit_code == 0
    first = latest(session)
    assert first.row_count == 10

    leaving = members[:5]
    for member in leaving:
        report = services.own_report(session, treatment, member)
        services.set_consent(session, report, member, False)
    consenting_mix(add_reports, treatment)
    session.commit()
    assert publish(runner).exit_code == 0, "5 left and 10 came: 15 changed"
    second = latest(session)
    assert second.dataset_id == first.dataset_id and second.number == first.number + 1
    rows = rows_of(app, second)
    assert len(rows) == 15
    # Ids are drawn afresh for every version: rows cannot be linked across versions.
    assert not ({r["participant"] for r in rows} & {r["participant"] for r in rows_of(app, first)})
    assert count(session, Dataset) == 1


def test_fewer_than_k_consenting_members_publishes_nothing(
    runner, session, treatment, add_reports, moderator
):
    add_reports(treatment, 4, consent=True)
    add_reports(treatment, 3, consent=False)
    add_reports(treatment, 3, consent=True, fresh=True)  # new accounts do not count
    result = publish(runner)
    assert result.exit_code != 0 and "Fewer than 5 established members" in result.output
    assert count(session, Dataset) == 0 and count(session, DatasetVersion) == 0


def test_an_identifier_typed_into_a_report_blocks_publication(
    runner, session, treatment, add_reports, moderator
):
    # Five members typing the same dose keep it in the file: screening still reads it.
    consenting_mix(add_reports, treatment, dose="ask me: jo.bloggs@example.org")
    result = publish(runner)
    assert result.exit_code != 0 and "screening refused" in result.output
    assert count(session, Dataset) == 0 and count(session, DatasetVersion) == 0


def test_only_researchers_moderators_and_admins_publish(
    runner, person, community, treatment, add_reports, session
):
    person("sam", member_of=community)
    consenting_mix(add_reports, treatment)
    result = publish(runner, by="sam")
    assert result.exit_code != 0 and "Only researchers" in result.output
    assert count(session, Dataset) == 0


@pytest.mark.parametrize("username", ["moira"])
def test_a_moderator_publishes_from_the_page(
    login, session, treatment, add_reports, moderator, username
):
    consenting_mix(add_reports, treatment)
    client = login(username)
    response = post_form(client, reports_url("/publish"), {}, token_from=reports_url("/"))
    assert response.status_code == 303
    dataset = session.scalar(select(Dataset))
    assert response.location.endswith(f"/datasets/{dataset.slug}")
    assert dataset.level == "participant" and dataset.is_published
    assert dataset.slug in client.get(reports_url("/")).text


def test_a_dose_only_one_member_wrote_is_not_published(
    app, runner, session, treatment, add_reports, moderator
):
    consenting_mix(add_reports, treatment, n=9)
    add_reports(treatment, 1, consent=True, effectiveness="none", dose="3 drops at bedtime")
    assert publish(runner).exit_code == 0
    doses = {row["dose"] for row in rows_of(app, latest(session))}
    # "other" would have been one member's group, so the dose column is withheld.
    assert "3 drops at bedtime" not in doses and doses == {"withheld"}


def test_a_new_version_waits_until_k_consenting_reports_changed(
    app, runner, session, treatment, add_reports, moderator
):
    """Version differencing: one new consenting member's row would be version N+1
    minus version N; the next version waits for k of them."""
    consenting_mix(add_reports, treatment)
    assert publish(runner).exit_code == 0
    consenting_mix(add_reports, treatment, n=4)
    refused = publish(runner)
    assert refused.exit_code != 0 and "4 consenting reports changed" in refused.output
    assert count(session, DatasetVersion) == 1
    consenting_mix(add_reports, treatment, n=1)
    assert publish(runner).exit_code == 0
    assert latest(session).row_count == 15


def test_a_treatment_with_fewer_than_k_consenting_members_is_left_out(
    app, runner, session, community, moderator, treatment, add_reports
):
    rare = services.propose(session, community, moderator, name="Acupuncture", kind="non-drug")
    session.commit()
    consenting_mix(add_reports, treatment)
    consenting_mix(add_reports, rare, n=4)
    assert publish(runner).exit_code == 0
    assert {row["treatment"] for row in rows_of(app, latest(session))} == {"Propranolol"}


def test_members_who_all_rated_alike_are_not_published(
    app, runner, session, treatment, add_reports, moderator
):
    add_reports(treatment, 8, consent=True, effectiveness="major")
    result = publish(runner)
    assert result.exit_code != 0 and "without singling anyone out" in result.output
