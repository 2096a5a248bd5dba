"""The fix page offers each column the rule its values call for, in words that say
what it does, and the new version records every fix in its dictionary and change log."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from portal.data.models import DatasetVersion
from portal.data.services import blob_store
from tests.portal.data.conftest import METADATA

PEOPLE = (
    "id,arm,age,postcode,zip,outcome\n"
    "1,a,45,M1 1AE,02139,1\n"
    "2,b,92,m11ae,10001-1234,0\n"
    "3,a,90,SW1A1AA,03601,0\n"
    "4,b,NA,not known,94110,1\n"
    "5,a,61,EC1A 1BB,60614,0\n"
)


def offered(page: str) -> dict[tuple[str, str], str]:
    return {
        (kind, column): value
        for value, kind, column in re.findall(
            r'name="fixes" value="(\d+)" data-fix="([a-z0-9_]+)" data-column="([^"]*)"', page
        )
    }


def test_postcodes_and_ages_get_their_own_rule_and_the_dictionary_says_so(
    app, client, researcher, data_actions, session
):
    upload = data_actions.upload(content=PEOPLE.encode(), title="Postcodes", n_participants="5")
    data_actions.follow_job(upload)
    page = client.get("/datasets/postcodes").get_data(as_text=True)
    options = offered(page)
    assert ("uk_outward_codes", "postcode") in options
    assert ("zips_to_3", "zip") in options
    assert ("top_code_ages", "age") in options
    # Never the generic cut where the values show the country, never a "90+" label.
    assert not [kind for kind, _ in options if kind in ("first_characters", "ages_to_90_plus")]
    assert "&#39;M1 1AE&#39; becomes &#39;M1&#39;" in page
    assert "Record ages of 90 and over in &#39;age&#39; as 90; the column stays a number." in page

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    chosen = [
        options[k]
        for k in [("uk_outward_codes", "postcode"), ("zips_to_3", "zip"), ("top_code_ages", "age")]
    ]
    job = data_actions.follow_job(
        client.post(
            "/datasets/postcodes/versions/1/fix", data={"csrf_token": token, "fixes": chosen}
        )
    )
    assert job["state"] == "finished", job
    fixed = session.scalar(select(DatasetVersion).where(DatasetVersion.number == 2))
    with blob_store(app).open(fixed.sha256) as stream:
        rows = list(csv.DictReader(io.TextIOWrapper(stream, encoding="utf-8")))
    assert [r["postcode"] for r in rows] == ["M1", "M1", "SW1A", "", "EC1A"]
    assert [r["zip"] for r in rows] == ["021", "100", "000", "941", "606"]
    assert [r["age"] for r in rows] == ["45", "90", "90", "NA", "61"]

    fields = {f["name"]: f for f in fixed.schema["fields"]}
    assert fields["age"]["type"] == "integer"
    assert "Values of 90 and over recorded as 90." in fields["age"]["description"]
    assert [t["fix"] for t in fields["age"]["transformations"]] == ["top_code_ages"]
    assert [t["fix"] for t in fields["postcode"]["transformations"]] == ["uk_outward_codes"]
    assert "values of 90 and over recorded as 90" in fixed.change_note
    assert "1 value(s) that are not UK postcodes were left empty" in fixed.change_note
    # Top-coded ages and outward codes no longer block; the page shows what was done.
    blocking = [f for f in fixed.screening["findings"] if f["severity"] == "block"]
    assert blocking == []
    page = client.get("/datasets/postcodes?version=2").get_data(as_text=True)
    assert "Values of 90 and over recorded as 90." in page
    assert METADATA["description"] in page


def test_a_draft_screened_before_still_offers_the_corrected_fixes(
    client, researcher, data_actions, session
):
    data_actions.follow_job(data_actions.upload(content=PEOPLE.encode(), title="Earlier"))
    version = session.scalar(select(DatasetVersion))
    findings = [dict(f) for f in version.screening["findings"]]
    for finding in findings:
        if finding["kind"] == "age-over-89":
            finding["suggested_fix"] = {"fix": "ages_to_90_plus", "column": "age"}
        if finding["kind"] == "postcode":
            finding["suggested_fix"] = {"fix": "postcodes_to_3", "column": "postcode"}
    version.screening = {**version.screening, "findings": findings}
    session.commit()
    options = offered(client.get("/datasets/earlier").get_data(as_text=True))
    assert ("top_code_ages", "age") in options
    assert ("first_characters", "postcode") in options
    assert ("ages_to_90_plus", "age") not in options
