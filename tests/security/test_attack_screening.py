"""Identifiers hidden where the screening did not look, and publishing past its warnings.

Each test is what a careless or hurried uploader does: share a file through the
upload form (the real ingest job), then press "Publish". The identifier must be
found by content whatever the column is called, and the version must stay a draft
until the finding is handled (fixed, or confirmed by a named person, or, for a
re-identification risk over the limits, accepted by a curator with a reason).
"""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.audit import AuditEvent
from portal.data.models import Dataset, DatasetVersion, ScreeningReview
from tests.portal.data.conftest import DatasetActions
from tests.portal.fixtures import CSRF_PATTERN

FIRST_NAMES = ["Grace", "John", "Maria", "David", "Linda", "James"] * 2
WEEKS = [str(4 * (i % 3 + 1)) for i in range(12)]


def table(**columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", *columns, "weeks"])
    for i in range(len(WEEKS)):
        writer.writerow([i + 1, *(values[i] for values in columns.values()), WEEKS[i]])
    return out.getvalue().encode()


class Uploader(DatasetActions):
    def share(self, content: bytes, title: str) -> str:
        job = self.follow_job(self.upload(content, filename="visits.csv", title=title))
        assert job["state"] == "finished", job
        return job["result"]["dataset"]

    def page(self, slug: str, number: int) -> str:
        return self.client.get(f"/datasets/{slug}?version={number}").get_data(as_text=True)

    def try_publish(self, slug: str, number: int) -> str:
        """Publish without confirming anything: the refusal, on the publish step."""
        response = self.publish(slug, number, confirm=False)
        assert response.status_code == 409
        return html.unescape(response.get_data(as_text=True))

    def fix(self, slug: str, number: int, fix: str, column: str) -> int:
        """Apply one offered fix; the number of the new draft."""
        page = self.page(slug, number)
        offered = re.findall(
            r'name="fixes" value="(\d+)" data-fix="([a-z0-9_]+)" data-column="([^"]*)"', page
        )
        index = next(value for value, kind, name in offered if (kind, name) == (fix, column))
        token = CSRF_PATTERN.search(page)
        assert token
        job = self.follow_job(
            self.client.post(
                f"/datasets/{slug}/versions/{number}/fix",
                data={"csrf_token": token.group(1), "fixes": [index]},
            )
        )
        assert job["state"] == "finished", job
        return int(job["result"]["version"])


@pytest.fixture
def uploader(client, auth, make_user) -> Uploader:
    make_user("rita", role=Role.RESEARCHER)
    auth.login("rita")
    return Uploader(client)


def version(session, slug: str, number: int) -> DatasetVersion:
    session.expire_all()
    dataset = session.scalar(select(Dataset).where(Dataset.slug == slug))
    return next(v for v in dataset.versions if v.number == number)


def findings(session, slug: str, number: int, column: str) -> dict[str, dict]:
    screening = version(session, slug, number).screening
    return {f["kind"]: f for f in screening["findings"] if f["column"] == column}


def assert_refused(uploader: Uploader, session, slug: str, number: int, *expected: str) -> None:
    page = uploader.try_publish(slug, number)
    assert "Not publishable yet" in page
    for text in expected:
        assert text in page, text
    assert not version(session, slug, number).is_published


def test_first_names_under_a_header_that_does_not_say_so(uploader, session):
    slug = uploader.share(table(given=FIRST_NAMES), "Given names")
    name = findings(session, slug, 1, "given")["name"]
    assert (name["category"], name["severity"], name["evidence"]) == ("direct", "block", "content")
    page = uploader.page(slug, 1)
    assert "Grace" not in page and "G****" in page  # the preview and the report mask them
    assert_refused(uploader, session, slug, 1, "Direct identifiers", "given")
    fixed = uploader.fix(slug, 1, "drop_column", "given")
    assert uploader.publish(slug, fixed).status_code == 303
    assert version(session, slug, fixed).is_published


def test_five_digit_zip_codes_under_area(uploader, session):
    zips = ["02139", "02141", "02142", "02138", "02140", "02144"]
    zips += ["10001", "10002", "10003", "10004", "10005", "10006"]
    slug = uploader.share(table(area=zips), "ZIP codes")
    found = findings(session, slug, 1, "area")["zip-code"]
    assert found["severity"] == "block" and "US ZIP codes" in found["message"]
    assert_refused(uploader, session, slug, 1, "Direct identifiers", "area")
    # Reduced to ZIP3 (groups of six), it is a quasi-identifier someone must confirm.
    fixed = uploader.fix(slug, 1, "zips_to_3", "area")
    assert findings(session, slug, fixed, "area")["geography"]["severity"] == "warn"
    assert_refused(uploader, session, slug, fixed, "column 'area' (geography)")
    assert uploader.publish(slug, fixed).status_code == 303
    assert version(session, slug, fixed).is_published


def test_a_name_inside_free_text_notes(uploader, session):
    notes = [
        f"visit {i}: " + text
        for i, text in enumerate(
            [
                "no adverse events at the week four visit",
                "mild nausea that resolved without treatment",
                "Grace Evans reports dizziness after the second dose",
                "headache on day two that settled with rest",
            ]
            * 3
        )
    ]
    slug = uploader.share(table(notes=notes), "Visit notes")
    found = findings(session, slug, 1, "notes")
    assert found["name"]["severity"] == "block" and found["name"]["rows"] == [4, 8, 12]
    assert found["free-text"]["severity"] == "warn"
    assert "Evans" not in uploader.page(slug, 1)
    assert_refused(uploader, session, slug, 1, "Direct identifiers", "notes")
    fixed = uploader.fix(slug, 1, "drop_column", "notes")
    assert uploader.publish(slug, fixed).status_code == 303


def test_social_security_numbers_without_dashes(uploader, session):
    ssns = ["219876543", "301456789", "412345678", "523456781", "134567892", "245678913"] * 2
    slug = uploader.share(table(ref=ssns), "Nine digits")
    assert findings(session, slug, 1, "ref")["national-id"]["severity"] == "block"
    assert "219876543" not in uploader.page(slug, 1)
    assert_refused(uploader, session, slug, 1, "Direct identifiers", "ref")


def test_an_e_mail_address_written_out_in_words(uploader, session):
    contacts = ["grace at gmail dot com"] + ["none"] * 11
    slug = uploader.share(table(contact=contacts), "Contacts")
    assert findings(session, slug, 1, "contact")["email"]["severity"] == "block"
    assert_refused(uploader, session, slug, 1, "Direct identifiers", "contact")


def test_publishing_past_a_warning_is_refused_until_a_named_person_confirms(
    uploader, session, client
):
    notes = [f"visit {i}: felt tired in the afternoons and slept badly" for i in range(12)]
    slug = uploader.share(table(notes=notes), "Unread notes")
    found = findings(session, slug, 1, "notes")
    assert set(found) == {"free-text"}  # nothing identifying was seen: a person must read it
    assert_refused(
        uploader, session, slug, 1, "must read and confirm", "column 'notes' (free text)"
    )
    # The API refuses too, naming what remains.
    refused = client.post(
        f"/api/v1/datasets/{slug}/versions/1/publish",
        headers={"X-CSRFToken": CSRF_PATTERN.search(uploader.page(slug, 1)).group(1)},
    )
    assert refused.status_code == 409
    assert "column 'notes' (free text)" in refused.get_json()["error"]["message"]
    # A key that is not one of this version's findings is refused, naming it.
    bad = uploader.confirm(slug, 1, ["name:1:id"])
    assert "Not a finding of version 1" in html.unescape(
        client.get(bad.headers["Location"]).get_data(as_text=True)
    )
    assert uploader.confirm(slug, 1).status_code == 303
    review = session.scalar(select(ScreeningReview))
    assert review.finding == "free-text:2:notes" and review.reviewer_name == "rita"
    assert review.details["kind"] == "free-text" and review.created_at is not None
    assert "Confirmed</strong> by rita" in uploader.page(slug, 1)
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "dataset.finding_confirmed")
    )
    assert event.actor_id == review.reviewer_id and event.details["finding"] == review.finding
    assert uploader.publish(slug, 1, confirm=False).status_code == 303
    assert version(session, slug, 1).is_published


def test_a_risk_over_the_limits_needs_a_curator_and_a_reason(
    uploader, session, client, auth, make_user
):
    # Everyone is confirmed "seen", yet sex x age x ZIP3 singles most people out.
    sex = ["F", "M"] * 6
    age = [str(30 + 3 * i) for i in range(12)]
    zip3 = ["021", "100", "606"] * 4
    slug = uploader.share(table(sex=sex, age=age, zip3=zip3), "Small cohort")
    assert uploader.confirm(slug, 1).status_code == 303
    page = uploader.try_publish(slug, 1)
    assert "Re-identification risk is too high" in page and "100.0% of rows are unique" in page
    assert not version(session, slug, 1).is_published
    # The owner cannot wave it through.
    token = CSRF_PATTERN.search(uploader.page(slug, 1)).group(1)
    own = client.post(
        f"/datasets/{slug}/versions/1/accept-risk", data={"csrf_token": token, "reason": "fine"}
    )
    assert own.status_code == 403
    auth.logout()
    make_user("cora", role=Role.ADMIN)
    auth.login("cora")
    url = f"/datasets/{slug}/versions/1/accept-risk"
    token = CSRF_PATTERN.search(uploader.page(slug, 1)).group(1)
    blank = client.post(url, data={"csrf_token": token, "reason": "  "})
    assert blank.status_code == 400 and "Say why the risk is acceptable" in blank.get_data(
        as_text=True
    )
    assert not version(session, slug, 1).reviews or all(
        r.decision != "risk_accepted" for r in version(session, slug, 1).reviews
    )
    reason = "Synthetic cohort for training; no real person behind any row."
    accepted = client.post(url, data={"csrf_token": token, "reason": reason})
    assert accepted.status_code == 303
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "dataset.risk_accepted"))
    assert event.details["reason"] == reason and event.details["min_class_size"] == 1
    assert "Accepted by curator cora" in uploader.page(slug, 1)
    auth.logout()
    auth.login("rita")
    assert uploader.publish(slug, 1, confirm=False).status_code == 303
    assert version(session, slug, 1).is_published
