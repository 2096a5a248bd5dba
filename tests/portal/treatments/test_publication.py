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


def test_the_published_version_passes_screening_and_carries_no_identity(
    app, runner, session, treatment, add_reports, moderator
):
    members = add_reports(treatment, 5, consent=True)
    add_reports(treatment, 2, consent=False)
    result = publish(runner)
    assert result.exit_code == 0, result.output
    version = latest(session)
    assert version.is_published and version.dataset.is_published
    assert version.row_count == 5
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
    assert {row["weeks_used"] for row in rows} == {"20"}
    assert len({row["participant"] for row in rows}) == 5


def test_withdrawing_consent_removes_the_report_from_the_next_version(
    app, runner, session, community, treatment, add_reports, moderator
):
    members = add_reports(treatment, 5, consent=True)
    leaving = add_reports(treatment, 1, consent=True, dose="3 drops at bedtime")[0]
    assert publish(runner).exit_code == 0
    first = latest(session)
    assert "3 drops at bedtime" in {row["dose"] for row in rows_of(app, first)}

    report = services.own_report(session, treatment, leaving)
    services.set_consent(session, report, leaving, False)
    session.commit()
    assert publish(runner).exit_code == 0
    second = latest(session)
    assert second.dataset_id == first.dataset_id and second.number == first.number + 1
    rows = rows_of(app, second)
    assert len(rows) == 5 and "3 drops at bedtime" not in {row["dose"] for row in rows}
    # Ids are drawn afresh for every version: rows cannot be linked across versions.
    assert not ({r["participant"] for r in rows} & {r["participant"] for r in rows_of(app, first)})
    assert count(session, Dataset) == 1 and len(members) == 5


def test_fewer_than_k_consenting_members_publishes_nothing(
    runner, session, treatment, add_reports, moderator
):
    add_reports(treatment, 4, consent=True)
    add_reports(treatment, 3, consent=False)
    result = publish(runner)
    assert result.exit_code != 0 and "Fewer than 5 members" in result.output
    assert count(session, Dataset) == 0 and count(session, DatasetVersion) == 0


def test_an_identifier_typed_into_a_report_blocks_publication(
    runner, session, treatment, add_reports, moderator
):
    add_reports(treatment, 4, consent=True)
    add_reports(treatment, 1, consent=True, dose="ask me: jo.bloggs@example.org")
    result = publish(runner)
    assert result.exit_code != 0 and "screening refused" in result.output
    assert count(session, Dataset) == 0 and count(session, DatasetVersion) == 0


def test_only_researchers_moderators_and_admins_publish(
    runner, person, community, treatment, add_reports, session
):
    person("sam", member_of=community)
    add_reports(treatment, 5, consent=True)
    result = publish(runner, by="sam")
    assert result.exit_code != 0 and "Only researchers" in result.output
    assert count(session, Dataset) == 0


@pytest.mark.parametrize("username", ["moira"])
def test_a_moderator_publishes_from_the_page(
    login, session, treatment, add_reports, moderator, username
):
    add_reports(treatment, 5, consent=True)
    client = login(username)
    response = post_form(client, reports_url("/publish"), {}, token_from=reports_url("/"))
    assert response.status_code == 303
    dataset = session.scalar(select(Dataset))
    assert response.location.endswith(f"/datasets/{dataset.slug}")
    assert dataset.level == "participant" and dataset.is_published
    assert dataset.slug in client.get(reports_url("/")).text
