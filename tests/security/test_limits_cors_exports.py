"""Rate limits answer 429 in the API's error shape; CORS is closed; exports carry no formulas."""

from __future__ import annotations

import csv
import io

import pytest

from tests.portal.api.conftest import bearer
from tests.portal.community.conftest import form_data, pico
from tests.portal.conftest import AuthActions, csrf_token
from tests.portal.reanalysis.conftest import Sharing


@pytest.fixture
def limited_app(make_app):
    return make_app(POST_RATE_LIMIT="2 per minute", VOTE_RATE_LIMIT="3 per minute")


def test_posting_questions_and_comments_through_the_api_is_rate_limited(
    limited_app, community, person, token_for
):
    client = limited_app.test_client()
    token = token_for(person("sam", member_of=(community,)))
    for n in range(2):
        answer = client.post(
            "/api/v1/communities/colon-cancer/questions",
            headers=bearer(token),
            json=form_data(pico(f"Does treatment number {n} improve survival in colon cancer?")),
        )
        assert answer.status_code == 201, answer.get_json()
    question_id = answer.get_json()["id"]
    limited = client.post(
        "/api/v1/communities/colon-cancer/questions",
        headers=bearer(token),
        json=form_data(pico("Does a third treatment improve survival in colon cancer at all?")),
    )
    assert limited.status_code == 429
    error = limited.get_json()["error"]
    assert error["code"] == "too_many_requests" and set(error) >= {"message", "field"}
    # Comments share the posting budget: the member has used it up.
    limited = client.post(
        f"/api/v1/questions/{question_id}/comments",
        headers=bearer(token),
        json={"body": "One more thing."},
    )
    assert limited.status_code == 429
    # Another member is counted separately.
    other = token_for(person("priya", member_of=(community,)))
    answer = client.post(
        f"/api/v1/questions/{question_id}/comments",
        headers=bearer(other),
        json={"body": "My own first comment."},
    )
    assert answer.status_code == 201


def test_voting_through_the_api_and_the_pages_is_rate_limited(
    limited_app, community, person, token_for, session
):
    from portal.community.questions import services as questions

    sam = person("sam", member_of=(community,))
    question = questions.propose(session, community, sam, pico())
    session.commit()
    client = limited_app.test_client()
    token = token_for(sam)
    statuses = [
        client.post(f"/api/v1/questions/{question.id}/{action}", headers=bearer(token)).status_code
        for action in ("support", "withdraw", "support", "withdraw")
    ]
    assert statuses == [200, 200, 200, 429]

    # The pages draw on the same budget: the member has used it up through the API,
    # while another member still votes from the page.
    url = f"/communities/colon-cancer/questions/{question.id}"
    for name, expected in (("sam", 429), ("priya", 303)):
        if name == "priya":
            person("priya", member_of=(community,))
        pages = limited_app.test_client()
        AuthActions(pages).login(name)
        response = pages.post(f"{url}/support", data={"csrf_token": csrf_token(pages, url)})
        assert response.status_code == expected


def test_registration_is_rate_limited(make_app):
    app = make_app(REGISTER_RATE_LIMIT="1 per minute")
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.register("first").status_code == 302
    assert auth.register("second").status_code == 429


def test_cors_is_closed_by_default(client):
    evil = {"Origin": "https://evil.example"}
    for url in ("/api/v1/datasets", "/api/v1/openapi.json", "/"):
        response = client.get(url, headers=evil)
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options(
        "/api/v1/datasets",
        headers={
            **evil,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert not any(h.startswith("Access-Control-Allow") for h, _value in preflight.headers.items())


FORMULAS_CSV = (
    "study,events,total,note\n"
    "A,4,123,=IMPORTXML(A1;B1)\n"
    "B,6,306,+cmd|' /C calc'!A0\n"
    "C,3,231,@SUM(1+1)\n"
    "D,5,200,-2+3\n"
)


def test_csv_downloads_never_carry_spreadsheet_formulas(client, auth, make_user):
    slug = Sharing(client, auth, make_user).share("Formulas", FORMULAS_CSV)
    response = client.get(f"/datasets/{slug}/versions/1/download/csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    response.close()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    notes = [row[3] for row in rows[1:]]
    assert len(notes) == 4
    for cell in notes:
        assert cell[0] not in "=+-@", cell
    assert notes[0] == "'=IMPORTXML(A1;B1)"
    # The original bytes are what was uploaded, on purpose: that is the "original" download.
    original = client.get(f"/datasets/{slug}/versions/1/download/original")
    assert original.get_data(as_text=True) == FORMULAS_CSV
    original.close()
