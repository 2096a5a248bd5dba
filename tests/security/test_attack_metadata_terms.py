"""A researcher gives a condition longer than the catalogue keeps (200 characters).

It used to be accepted, and afterwards every save of the dataset's metadata failed with
a server error. Now it is refused where it is typed, naming the field, and a dataset
that already holds such a term can still be edited.
"""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from datasets.metadata import DatasetMetadata
from portal.accounts.models import Role, User
from portal.data import services
from portal.data.models import Dataset
from tests.portal.api.conftest import bearer
from tests.portal.conftest import csrf_token
from tests.portal.data.conftest import GOOD_CSV, METADATA, DatasetActions

LONG = "Chronic inflammatory demyelinating polyneuropathy " * 5  # 250 characters


def test_the_upload_form_refuses_a_long_condition_and_keeps_what_was_typed(
    client, auth, make_user, session
):
    make_user("rita", role=Role.RESEARCHER)
    auth.login("rita")
    response = DatasetActions(client).upload(conditions=f"Stroke; {LONG}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "each must be at most 200 characters" in page
    assert LONG.strip()[:40] in page  # the form shows what was typed
    assert session.scalar(select(Dataset)) is None


def test_the_api_refuses_a_long_condition_naming_the_field(client, make_user, token_for, session):
    make_user("rita", role=Role.RESEARCHER)
    token = token_for(session.scalar(select(User).where(User.username == "rita")))
    metadata = {
        "title": "Aspirin after stroke",
        "description": "A small trial.",
        "licence": "CC-BY-4.0",
        "conditions": ["Stroke", LONG],
    }
    response = client.post(
        "/api/v1/datasets",
        headers=bearer(token),
        data={"metadata": json.dumps(metadata), "file": (io.BytesIO(GOOD_CSV), "trial.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == "metadata.conditions" and "200 characters" in error["message"]


def test_a_dataset_holding_a_long_condition_can_still_be_edited(
    app, client, auth, make_user, session
):
    owner = session.get(User, make_user("rita", role=Role.RESEARCHER))
    # As stored before terms were limited: the metadata was never checked for length.
    legacy = DatasetMetadata(
        title="Legacy trial", description="Recorded long ago.", licence="CC-BY-4.0"
    )
    legacy.conditions = ["Stroke", LONG]
    dataset = services.create_dataset(session, owner, legacy)
    session.commit()
    slug = dataset.slug

    auth.login("rita")
    url = f"/datasets/{slug}/edit"
    page = client.get(url).get_data(as_text=True)
    assert LONG.strip()[:40] in page
    form = {**METADATA, "title": "Legacy trial, renamed", "csrf_token": csrf_token(client, url)}
    form["conditions"] = f"Stroke; {LONG}"
    kept = client.post(url, data=form)
    assert kept.status_code == 400  # said where, not a server error
    assert "each must be at most 200 characters" in kept.get_data(as_text=True)

    form["conditions"] = "Stroke; Chronic inflammatory demyelinating polyneuropathy"
    assert client.post(url, data=form).status_code == 303
    session.expire_all()
    saved = session.scalar(select(Dataset).where(Dataset.slug == slug))
    assert saved.title == "Legacy trial, renamed"
    assert sorted(t.label for t in saved.tags if t.kind == "condition") == [
        "Chronic inflammatory demyelinating polyneuropathy",
        "Stroke",
    ]


def test_a_legacy_long_term_kept_as_it_is_does_not_break_saving(app, make_user, session):
    """The service keys tags as stored, so saving the same long term twice is harmless."""
    owner = session.get(User, make_user("rita", role=Role.RESEARCHER))
    legacy = DatasetMetadata(title="Legacy", description="Long ago.", licence="CC-BY-4.0")
    legacy.conditions = [LONG]
    dataset = services.create_dataset(session, owner, legacy)
    session.commit()
    legacy.title = "Legacy, renamed"
    services.update_metadata(session, dataset, legacy, actor=owner)
    session.commit()
    session.expire_all()
    assert [t.value for t in session.get(Dataset, dataset.id).tags] == [LONG.lower()[:200]]
