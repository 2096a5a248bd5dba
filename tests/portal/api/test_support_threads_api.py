"""Support threads through /api/v1/communities/<slug>/threads: list, read, start."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from portal.community.support import services as support
from tests.portal.api.conftest import bearer
from tests.portal.api.test_schemathesis import CHECKS

API = "/api/v1/communities/colon-cancer/threads"
STORY = {"kind": "story", "title": "Ten years on", "body": "I am *still* here."}


def test_a_member_starts_a_thread_and_anyone_reads_it(client, community, person, token_for):
    sam = person("sam", member_of=(community,))
    token = token_for(sam)
    created = client.post(API, json={**STORY, "anonymous": True}, headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    thread = created.get_json()
    assert thread["kind"] == "story" and thread["title"] == "Ten years on"
    assert thread["anonymous"] and thread["author_label"] == "a member (you)"
    assert thread["author"] is None
    assert thread["url"].endswith(f"/communities/colon-cancer/support/{thread['id']}")

    listed = client.get(API).get_json()
    assert [t["id"] for t in listed["items"]] == [thread["id"]]
    assert listed["has_more"] is False and listed["page"] == 1
    detail = client.get(f"{API}/{thread['id']}").get_json()
    assert detail["body"] == "I am *still* here." and detail["posts"] == []
    assert detail["author_label"] == "a member"


def test_the_list_filters_orders_and_pages(client, community, person, session):
    sam = person("sam", member_of=(community,))
    fans = [person(name, member_of=(community,)) for name in ("ann", "bob")]
    made = [
        support.start_thread(session, community, sam, kind=kind, title=f"T{i}", body="b")
        for i, kind in enumerate(["story", "helped", "helped", "question"])
    ]
    for fan in fans:
        support.toggle_helped(session, made[1], fan)
    session.commit()
    helped = client.get(API + "?kind=helped&order=helped").get_json()
    assert [t["title"] for t in helped["items"]] == ["T1", "T2"]
    assert helped["items"][0]["helped"] == 2
    first = client.get(API + "?per_page=3").get_json()
    assert len(first["items"]) == 3 and first["has_more"] is True
    second = client.get(API + "?per_page=3&page=2").get_json()
    assert len(second["items"]) == 1 and second["has_more"] is False
    assert client.get(API + "?per_page=3&page=9").get_json()["items"] == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**STORY, "kind": "rant"}, 400, "kind"),
        ({**STORY, "body": "<script>alert(1)</script>"}, 400, "body"),
        ({**STORY, "title": " "}, 400, "title"),
        ({**STORY, "extra": 1}, 400, "extra"),
    ],
)
def test_bad_threads_are_refused_with_the_field_named(
    client, community, person, token_for, body, status, field
):
    token = token_for(person("sam", member_of=(community,)))
    response = client.post(API, json=body, headers=bearer(token))
    assert response.status_code == status
    assert response.get_json()["error"]["field"] == field
    assert client.get(API).get_json()["items"] == []


def test_only_members_with_a_token_start_threads(client, community, person, token_for):
    assert client.post(API, json=STORY).status_code in (400, 401)
    outsider = token_for(person("olga"))
    refused = client.post(API, json=STORY, headers=bearer(outsider))
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "membership_required"
    reader = token_for(person("rhea", member_of=(community,)), scope="read")
    assert client.post(API, json=STORY, headers=bearer(reader)).status_code == 403


def test_missing_and_hidden_threads_are_not_found(client, community, person, session):
    sam = person("sam", member_of=(community,))
    thread = support.start_thread(session, community, sam, kind="story", title="T", body="b")
    thread.hidden = True
    session.commit()
    assert client.get(f"{API}/{thread.id}").status_code == 404
    assert client.get(f"{API}/999999").status_code == 404
    assert client.get("/api/v1/communities/nowhere/threads").status_code == 404


@pytest.mark.slow
def test_generated_requests_to_a_real_community_conform(app, community, person, token_for, session):
    """The schemathesis run of test_schemathesis, aimed at a community that exists, so
    the generated queries and bodies reach the services instead of a 404."""
    sam = person("sam", member_of=(community,))
    thread = support.start_thread(session, community, sam, kind="story", title="T", body="b")
    session.commit()
    headers = bearer(token_for(sam))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [
        result.ok() for result in schema.include(path_regex="/threads").get_all_operations()
    ]
    assert len(operations) == 3

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            case.path_parameters["slug"] = community.slug
            if "thread_id" in case.path_parameters:
                case.path_parameters["thread_id"] = thread.id
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
