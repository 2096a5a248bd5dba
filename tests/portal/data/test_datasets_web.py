"""A researcher shares a dataset: upload, check, fix, publish, version, download."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from portal.accounts.models import Role
from portal.audit import AuditEvent
from portal.data.models import Dataset, DatasetVersion
from portal.jobs.models import Job
from tests.portal.conftest import AuthActions, csrf_token
from tests.portal.data.conftest import GOOD_CSV, METADATA, DatasetActions


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_upload_creates_a_draft_visible_only_to_its_owner(
    app, client, auth, researcher, data_actions, make_user
):
    job = data_actions.follow_job(data_actions.upload())
    assert job["state"] == "finished", job
    assert job["result"]["url"] == "/datasets/aspirin-after-stroke?version=1"
    page = client.get("/datasets/aspirin-after-stroke")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "draft, visible only to you" in text
    assert "4 rows × 4 columns" in text
    assert "Valid: 4 rows and 4 columns" in text
    auth.logout()
    assert client.get("/datasets/aspirin-after-stroke").status_code == 404
    assert "Aspirin after stroke" not in client.get("/datasets/").get_data(as_text=True)
    make_user("moe")
    auth.login("moe")
    assert client.get("/datasets/aspirin-after-stroke").status_code == 404
    assert (
        client.get("/datasets/aspirin-after-stroke/versions/1/download/original").status_code == 404
    )


def test_publish_then_anyone_downloads_the_original_byte_for_byte(
    app, client, auth, researcher, data_actions, session
):
    data_actions.follow_job(data_actions.upload())
    response = data_actions.publish("aspirin-after-stroke", 1)
    assert response.status_code == 303
    auth.logout()
    page = client.get("/datasets/aspirin-after-stroke").get_data(as_text=True)
    assert "published" in page and 'type="application/ld+json"' in page
    with client.get("/datasets/aspirin-after-stroke/versions/1/download/original") as download:
        assert download.data == GOOD_CSV
    version = session.scalar(select(DatasetVersion))
    assert version.sha256 == hashlib.sha256(GOOD_CSV).hexdigest()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "dataset.published"))
    assert event.subject == "aspirin-after-stroke"


def test_json_ld_describes_the_dataset(client, researcher, data_actions):
    data_actions.follow_job(data_actions.upload())
    data_actions.publish("aspirin-after-stroke", 1)
    page = client.get("/datasets/aspirin-after-stroke").get_data(as_text=True)
    block = page.split('<script type="application/ld+json">')[1].split("</script>")[0]
    document = json.loads(block)
    assert document["@type"] == "Dataset"
    assert document["name"] == "Aspirin after stroke"


def test_csv_export_neutralises_formulas_and_datapackage_has_its_descriptor(
    client, researcher, data_actions
):
    content = b"id,note\n1,=cmd|' /C calc'!A0\n2,fine\n"
    data_actions.follow_job(
        data_actions.upload(content=content, filename="notes.csv", title="Notes")
    )
    with client.get("/datasets/notes/versions/1/download/csv") as export:
        assert export.status_code == 200
        assert b"'=cmd" in export.data
        assert b"\n1,=cmd" not in export.data
    with client.get("/datasets/notes/versions/1/download/datapackage") as package:
        archive = zipfile.ZipFile(io.BytesIO(package.data))
        descriptor = json.loads(archive.read("datapackage.json"))
        assert descriptor["resources"][0]["schema"]["fields"][0]["name"] == "id"
    with client.get("/datasets/notes/versions/1/download/original") as original:
        assert original.data == content, "the original stays byte-identical"


def test_members_who_are_not_researchers_cannot_upload(client, auth, make_user):
    make_user("moe")
    auth.login("moe")
    assert client.get("/datasets/new").status_code == 403


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "empty.csv", "empty"),
        (bytes(range(256)) * 40, "binary.csv", "binary"),
    ],
)
def test_unreadable_files_fail_with_a_reason_and_leave_nothing(
    client, researcher, data_actions, session, content, filename, message
):
    response = data_actions.upload(content=content, filename=filename)
    if response.status_code == 400:  # refused while spooling, before any job
        assert message in response.get_data(as_text=True).lower()
    else:
        job = data_actions.follow_job(response)
        assert job["state"] == "failed"
        assert message in job["error"].lower()
        assert "Traceback" not in job["error"]
    assert count(session, Dataset) == 0
    assert count(session, DatasetVersion) == 0


def test_a_picture_named_csv_is_refused_on_the_form_with_everything_typed_kept(
    client, researcher, data_actions, session
):
    png = b"\x89PNG\r\n\x1a\n" + bytes(2000)
    response = data_actions.upload(content=png, filename="trial.csv")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "PNG image" in page and "not a table" in page
    for value in METADATA.values():
        if isinstance(value, str) and value and "\n" not in value:
            assert escape(value) in page, value
    assert count(session, Job) == 0 and count(session, Dataset) == 0
    assert list((Path(client.application.config["DATA_DIR"]) / "incoming").iterdir()) == []


def test_bad_metadata_is_explained_and_no_job_starts(client, researcher, data_actions, session):
    response = data_actions.upload(doi="not a doi", registry_ids="NCT123")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert 'role="alert"' in text
    assert "DOI" in text or "doi" in text
    assert count(session, Dataset) == 0


def test_direct_identifiers_block_publication_until_fixed(
    client, researcher, data_actions, session
):
    content = (
        b"id,email,arm,outcome\n"
        b"1,ann@example.org,a,1\n2,bob@example.org,b,0\n3,cy@example.org,a,0\n"
    )
    data_actions.follow_job(data_actions.upload(content=content, title="With emails"))
    page = client.get("/datasets/with-emails").get_data(as_text=True)
    assert "Not publishable yet." in page and "email" in page
    assert "ann@example.org" not in page, "identifiers are never echoed in full"
    data_actions.publish("with-emails", 1)
    assert session.scalar(select(Dataset)).published_at is None

    version = session.scalar(select(DatasetVersion))
    finding = next(f for f in version.screening["findings"] if f["column"] == "email")
    assert finding["severity"] == "block"
    page = client.get("/datasets/with-emails")
    token = csrf_token(client, "/datasets/with-emails")
    options = page.get_data(as_text=True)
    assert "Remove the column &#39;email&#39;." in options
    index = re.search(r'value="(\d+)" data-fix="drop_column" data-column="email"', options).group(1)
    job = data_actions.follow_job(
        client.post(
            "/datasets/with-emails/versions/1/fix", data={"csrf_token": token, "fixes": index}
        )
    )
    assert job["state"] == "finished", job
    assert job["result"]["version"] == 2
    fixed = session.scalar(select(DatasetVersion).where(DatasetVersion.number == 2))
    assert "email" not in [f["name"] for f in fixed.schema["fields"]]
    assert fixed.fixes[0]["fix"] == "drop_column"
    assert data_actions.publish("with-emails", 2).status_code == 303
    session.expire_all()
    assert session.scalar(select(Dataset)).published_at is not None


def test_a_new_version_keeps_the_old_one_and_shows_what_changed(
    client, researcher, data_actions, session
):
    data_actions.follow_job(data_actions.upload())
    data_actions.publish("aspirin-after-stroke", 1)
    v2 = (
        GOOD_CSV.replace(b"outcome\n", b"outcome,site\n")
        .replace(b"1\n", b"1,A\n")
        .replace(b"0\n", b"0,B\n")
        + b"5,control,66,0,A\n"
    )
    job = data_actions.follow_job(data_actions.upload_version("aspirin-after-stroke", v2))
    assert job["state"] == "finished", job
    page = client.get("/datasets/aspirin-after-stroke?version=2").get_data(as_text=True)
    history = page[page.index('id="history"') :]
    assert "columns added: site" in history and "rows +1" in history, history
    with client.get("/datasets/aspirin-after-stroke/versions/1/download/original") as old:
        assert old.data == GOOD_CSV
    assert count(session, DatasetVersion) == 2


def test_the_data_dictionary_of_a_draft_can_be_corrected(client, researcher, data_actions, session):
    data_actions.follow_job(data_actions.upload())
    # What was confirmed was the first analysis: the corrected one is reviewed afresh.
    assert data_actions.confirm("aspirin-after-stroke", 1).status_code == 303
    assert "Confirmed</strong> by rita" in client.get("/datasets/aspirin-after-stroke").get_data(
        as_text=True
    )
    url = "/datasets/aspirin-after-stroke/versions/1/schema"
    form = {"csrf_token": csrf_token(client, url)}
    for index, (kind, role) in enumerate(
        [
            ("integer", "participant_id"),
            ("string", "arm"),
            ("integer", "covariate"),
            ("boolean", "outcome"),
        ]
    ):
        form[f"field-{index}-type"] = kind
        form[f"field-{index}-role"] = role
        form[f"field-{index}-missing"] = "NA"
    form["field-2-unit"] = "years"
    form["field-2-quasi"] = "on"
    job = data_actions.follow_job(client.post(url, data=form))
    assert job["state"] == "finished", job
    version = session.scalar(select(DatasetVersion))
    fields = {f["name"]: f for f in version.schema["fields"]}
    assert fields["age"]["unit"] == "years"
    assert fields["outcome"]["role"] == "outcome"
    assert version.screening["k_anonymity"]["quasi_identifiers"] == ["age"]
    assert version.reviews == []
    page = client.get("/datasets/aspirin-after-stroke").get_data(as_text=True)
    assert 'name="findings" value="age:3:age"' in page


def test_published_versions_never_change(client, researcher, data_actions, session):
    data_actions.follow_job(data_actions.upload())
    data_actions.publish("aspirin-after-stroke", 1)
    before = session.scalar(select(DatasetVersion)).schema
    url = "/datasets/aspirin-after-stroke/versions/1/schema"
    response = client.post(
        url, data={"csrf_token": csrf_token(client, "/datasets/new"), "field-0-type": "string"}
    )
    assert response.status_code == 303
    session.expire_all()
    assert session.scalar(select(DatasetVersion)).schema == before


def test_search_and_filters(client, researcher, data_actions):
    data_actions.follow_job(data_actions.upload())
    data_actions.publish("aspirin-after-stroke", 1)
    data_actions.follow_job(
        data_actions.upload(
            title="Colon surgery outcomes",
            conditions="Colon cancer",
            description="Adjuvant chemotherapy.",
            keywords="",
            interventions="FOLFOX",
        )
    )
    data_actions.publish("colon-surgery-outcomes", 1)

    def titles(**query):
        text = client.get("/datasets/", query_string=query).get_data(as_text=True)
        return [t for t in ("Aspirin after stroke", "Colon surgery outcomes") if t in text]

    assert titles() == ["Aspirin after stroke", "Colon surgery outcomes"]
    assert titles(q="chemotherapy") == ["Colon surgery outcomes"]
    assert titles(q="stroke") == ["Aspirin after stroke"]
    assert titles(q='NEAR( "bad * syntax') == []  # user input never breaks the query
    assert titles(condition="colon cancer") == ["Colon surgery outcomes"]
    assert titles(level="aggregate") == []


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(make_app, make_user, session):
    app = make_app(MAX_CONTENT_LENGTH=10_000)
    client = app.test_client()
    make_user("rita", role=Role.RESEARCHER)
    AuthActions(client).login("rita")
    response = DatasetActions(client).upload(content=b"a,b\n" + b"1,2\n" * 5000)
    assert response.status_code == 413
    assert "larger than this portal accepts" in response.get_data(as_text=True)
    assert count(session, Dataset) == 0


def test_a_version_without_a_validation_report_still_renders(
    client, researcher, data_actions, session
):
    """Versions are immutable and old ones may predate a report field: the page must
    say what it knows instead of failing."""
    from sqlalchemy import update

    from portal.data.models import DatasetVersion

    data_actions.follow_job(data_actions.upload())
    session.execute(update(DatasetVersion).values(report={}))
    session.commit()
    page = client.get("/datasets/aspirin-after-stroke")
    assert page.status_code == 200
    assert "Not validated" in page.get_data(as_text=True)
