"""A researcher compares two versions cell by cell, keeps the dictionary across
versions, and publishes through a confirmation that says who can be singled out."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.data.models import DatasetVersion
from tests.portal.conftest import csrf_token
from tests.portal.data.conftest import DatasetActions

HEADER = "patient_id,arm,age,sex,time,status\n"
ROWS = [
    f"P{i:03d},{'treatment' if i % 2 else 'control'},{40 + i},"
    f"{'F' if i % 3 else 'M'},{100 + i},{i % 2}"
    for i in range(1, 21)
]
V1 = (HEADER + "\n".join(ROWS) + "\n").encode()
#: Two participants withdrawn, five survival times corrected.
CORRECTED = {"P002": 132, "P007": 137, "P013": 143, "P016": 146, "P020": 150}


def corrected() -> bytes:
    rows = []
    for row in ROWS:
        cells = row.split(",")
        if cells[0] in ("P004", "P011"):
            continue
        if cells[0] in CORRECTED:
            cells[4] = str(CORRECTED[cells[0]])
        rows.append(",".join(cells))
    return (HEADER + "\n".join(rows) + "\n").encode()


SLUG = "aspirin-after-stroke"


@pytest.fixture
def two_versions(researcher, data_actions: DatasetActions) -> str:
    assert data_actions.follow_job(data_actions.upload(V1))["state"] == "finished"
    job = data_actions.follow_job(data_actions.upload_version(SLUG, corrected(), "Times fixed."))
    assert job["state"] == "finished", job
    return SLUG


def test_the_page_shows_the_five_changed_survival_times(client, two_versions) -> None:
    show = client.get(f"/datasets/{SLUG}?version=2").get_data(as_text=True)
    assert "Compare version 1 with version 2 cell by cell" in show
    page = client.get(f"/datasets/{SLUG}/compare?from=1&to=2")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Rows matched on <code>patient_id</code>" in text
    assert "<strong>5</strong> rows changed (5 cells)" in text
    assert "<strong>2</strong> rows removed" in text
    assert "P004, P011" in text
    for key, time in CORRECTED.items():
        assert f"<td>{key}</td><td>time</td>" in text
        assert f"<ins>{time}</ins>" in text


def test_the_changes_download_as_csv(client, two_versions) -> None:
    with client.get(f"/datasets/{SLUG}/compare.csv?from=1&to=2") as response:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert "v1-to-v2-changes.csv" in response.headers["Content-Disposition"]
        lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert lines[0] == ["key", "change", "column", "old value", "new value"]
    assert ["P002", "changed", "time", "102", "132"] in lines
    assert ["P011", "row removed", "", "", ""] in lines
    assert len(lines) == 1 + 5 + 2


def test_many_changes_are_paged_with_how_many_more(client, researcher, data_actions) -> None:
    data_actions.follow_job(data_actions.upload(V1))
    recoded = []
    for row in ROWS:
        pid, arm, age, sex, time, status = row.split(",")
        recoded.append(f"{pid},{arm.upper()},{int(age) + 1},{sex},{time},{1 - int(status)}")
    shifted = (HEADER + "\n".join(recoded) + "\n").encode()
    data_actions.follow_job(data_actions.upload_version(SLUG, shifted, "Recoded."))
    text = client.get(f"/datasets/{SLUG}/compare?from=1&to=2").get_data(as_text=True)
    assert "Showing 1–50 of 60 changed cells (10 more)" in text
    assert "Next 50" in text and "Download all changes (CSV)" in text
    second = client.get(f"/datasets/{SLUG}/compare?from=1&to=2&page=2").get_data(as_text=True)
    assert "Showing 51–60 of 60 changed cells." in second
    assert "Previous 50" in second and "Next 50" not in second
    beyond = client.get(f"/datasets/{SLUG}/compare?from=1&to=2&page=9").get_data(as_text=True)
    assert "There are only 60 changed cells." in beyond


def test_the_api_compares_the_same_way(client, two_versions) -> None:
    token = csrf_token(client, f"/datasets/{SLUG}")
    body = client.get(
        f"/api/v1/datasets/{SLUG}/compare?from=1&to=2&limit=2&offset=1",
        headers={"X-CSRFToken": token},
    ).get_json()
    assert body["key"] == "patient_id"
    assert body["rows"] == {
        "old": 20,
        "new": 18,
        "added": 0,
        "removed": 2,
        "changed": 5,
        "unchanged": 13,
    }
    assert body["columns"]["changes"]["time"] == 5
    assert [c["key"] for c in body["cells"]] == ["P007", "P013"]
    assert body["csv"].endswith(f"/datasets/{SLUG}/compare.csv?from=1&to=2&key=patient_id")


@pytest.mark.parametrize(
    ("content", "key", "message"),
    [
        (
            HEADER + "P001,a,1,F,1,0\nP001,b,2,M,2,1\n",
            "",
            "Version 2 has 1 key value in &#39;patient_id&#39; used by more than one row",
        ),
        (
            HEADER + "P001,a,1,F,1,0\n,b,2,M,2,1\n",
            "",
            "Version 2 has 1 row with no value in the key column &#39;patient_id&#39; (rows 3)",
        ),
        (HEADER + "P001,a,1,F,1,0\n", "nosuch", "Version 1 has no column &#39;nosuch&#39;"),
    ],
)
def test_rows_that_cannot_be_matched_are_explained_not_a_500(
    client, researcher, data_actions, content, key, message
) -> None:
    data_actions.follow_job(data_actions.upload(V1))
    data_actions.follow_job(data_actions.upload_version(SLUG, content.encode(), "Bad keys."))
    page = client.get(f"/datasets/{SLUG}/compare?from=1&to=2&key={key}")
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    with client.get(f"/datasets/{SLUG}/compare.csv?from=1&to=2&key={key}") as download:
        assert download.status_code == 400
    api = client.get(
        f"/api/v1/datasets/{SLUG}/compare?from=1&to=2&key={key}",
        headers={"X-CSRFToken": csrf_token(client, f"/datasets/{SLUG}")},
    )
    assert api.status_code == 400 and api.get_json()["error"]["field"] == "key"


def test_a_draft_cannot_be_compared_by_anyone_else(client, auth, make_user, two_versions) -> None:
    auth.logout()
    make_user("otto")
    auth.login("otto")
    assert client.get(f"/datasets/{SLUG}/compare?from=1&to=2").status_code == 404
    with client.get(f"/datasets/{SLUG}/compare.csv?from=1&to=2") as download:
        assert download.status_code == 404


def test_the_dictionary_and_quasi_identifiers_carry_into_the_next_version(
    client, session, researcher, data_actions
) -> None:
    data_actions.follow_job(data_actions.upload(V1))
    url = f"/datasets/{SLUG}/versions/1/schema"
    form = {"csrf_token": csrf_token(client, url)}
    names = HEADER.strip().split(",")
    for i, name in enumerate(names):
        form[f"field-{i}-type"] = {"age": "integer", "time": "number", "status": "integer"}.get(
            name, "string"
        )
        form[f"field-{i}-missing"] = "-99" if name == "age" else ""
        form[f"field-{i}-role"] = {"patient_id": "participant_id", "time": "time"}.get(name, "")
    form |= {
        "field-2-unit": "years",
        "field-2-title": "Age at randomisation",
        "field-4-description": "Days to death or censoring",
        "field-0-required": "on",
        "field-2-quasi": "on",
        "field-3-quasi": "on",
    }
    job = data_actions.follow_job(client.post(url, data=form))
    assert job["state"] == "finished", job
    second = V1.replace(b"P003,treatment,43", b"P003,treatment,-99")
    assert data_actions.follow_job(data_actions.upload_version(SLUG, second))["state"] == "finished"
    session.expire_all()
    v2 = session.scalar(select(DatasetVersion).where(DatasetVersion.number == 2))
    fields = {f["name"]: f for f in v2.schema["fields"]}
    assert v2.quasi_identifiers == ["age", "sex"]
    assert v2.screening["k_anonymity"]["quasi_identifiers"] == ["age", "sex"]
    assert fields["age"]["unit"] == "years" and fields["age"]["title"] == "Age at randomisation"
    assert "-99" in fields["age"]["missingValues"]
    assert fields["time"]["type"] == "number"  # the researcher's type, not the inferred integer
    assert fields["time"]["description"] == "Days to death or censoring"
    assert fields["arm"].get("role") is None
    assert v2.report["valid"], v2.report["errors"][:3]
    # The draft's dictionary stays editable.
    assert client.get(f"/datasets/{SLUG}/versions/2/schema").status_code == 200


def test_a_carried_type_the_new_values_do_not_fit_is_inferred_again(
    session, researcher, data_actions
) -> None:
    data_actions.follow_job(data_actions.upload(V1))
    third = V1.replace(b"P003,treatment,43", b"P003,treatment,43.5")
    data_actions.follow_job(data_actions.upload_version(SLUG, third))
    session.expire_all()
    v2 = session.scalar(select(DatasetVersion).where(DatasetVersion.number == 2))
    assert {f["name"]: f["type"] for f in v2.schema["fields"]}["age"] == "number"
    assert v2.report["valid"]


def test_publishing_asks_for_confirmation_and_says_who_can_be_singled_out(
    client, session, researcher, data_actions
) -> None:
    data_actions.follow_job(data_actions.upload(V1))
    data_actions.confirm(SLUG, 1)
    show = client.get(f"/datasets/{SLUG}?version=1").get_data(as_text=True)
    assert f'href="/datasets/{SLUG}/versions/1/publish"' in show
    page = client.get(f"/datasets/{SLUG}/versions/1/publish")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Publishing cannot be undone" in text
    assert "<dt>Rows</dt><dd>20</dd>" in text
    assert "Confirmed</strong> by rita" in text
    assert "20 participants can be singled out by age" in text
    token = csrf_token(client, f"/datasets/{SLUG}/versions/1/publish")
    refused = client.post(f"/datasets/{SLUG}/versions/1/publish", data={"csrf_token": token})
    assert refused.status_code == 400
    assert "confirm that version 1 may become public for good" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(DatasetVersion.published_at)) is None
    done = client.post(
        f"/datasets/{SLUG}/versions/1/publish", data={"csrf_token": token, "confirm": "y"}
    )
    assert done.status_code == 303
    session.expire_all()
    assert session.scalar(select(DatasetVersion.published_at)) is not None


def test_only_the_owner_reaches_the_publish_step(client, auth, make_user, two_versions) -> None:
    auth.logout()
    make_user("moe", role=Role.MODERATOR)
    auth.login("moe")
    assert client.get(f"/datasets/{SLUG}/versions/1/publish").status_code == 404
