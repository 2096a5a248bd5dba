"""Ten uploads with the same title at the same moment (a script retrying, a double
click): each must become its own dataset with its own address."""

from __future__ import annotations

import io
import json
import threading

from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.data.models import Dataset
from tests.portal.api.conftest import bearer
from tests.portal.data.conftest import GOOD_CSV

UPLOADS = 10
METADATA = {
    "title": "Aspirin after stroke",
    "description": "A small trial.",
    "licence": "CC-BY-4.0",
    "level": "participant",
}


def test_concurrent_uploads_with_one_title_all_succeed_with_distinct_slugs(
    make_app, make_user, token_for, session
):
    # Run inline, each upload holds three connections at once (its request's, its
    # job's and its progress reports'): enough for ten of them at the same moment.
    # One member sends all ten, so the per-member job cap and upload rate are lifted:
    # this is about slugs, not quotas (tests/security/test_attack_resource_quotas.py).
    app = make_app(
        DB_POOL_SIZE=40, JOBS_ACTIVE_PER_USER=UPLOADS, UPLOAD_RATE_LIMIT="100 per minute"
    )
    make_user("rita", role=Role.RESEARCHER)
    token = token_for(session.scalar(select(User).where(User.username == "rita")))
    start = threading.Barrier(UPLOADS)
    jobs: list[dict] = []

    def upload() -> None:
        client = app.test_client()
        start.wait()
        response = client.post(
            "/api/v1/datasets",
            headers=bearer(token),
            data={"metadata": json.dumps(METADATA), "file": (io.BytesIO(GOOD_CSV), "t.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 202, response.get_data(as_text=True)
        jobs.append(response.get_json()["job"])

    threads = [threading.Thread(target=upload) for _ in range(UPLOADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(jobs) == UPLOADS
    assert [job["state"] for job in jobs] == ["finished"] * UPLOADS, [j["error"] for j in jobs]
    slugs = set(session.scalars(select(Dataset.slug)))
    assert slugs == {"aspirin-after-stroke"} | {f"aspirin-after-stroke-{n}" for n in range(2, 11)}
