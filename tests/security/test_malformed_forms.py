"""A form body whose field names are not text is a 400 everywhere, never a 500.

Found by the schemathesis run: such a multipart part is parsed with a None key, on
which the CSRF check crashed.
"""

from __future__ import annotations

import pytest

BODY = (
    b'--XX\r\nContent-Disposition: form-data; name="a\x0bb\\"\r\n\r\nv\r\n'
    b'--XX\r\nContent-Disposition: form-data; name="\xc2\x8c>"\r\n\r\nv\r\n--XX--\r\n'
)


@pytest.mark.parametrize("url", ["/login", "/register", "/api/v1/analyses", "/api/v1/datasets"])
def test_form_fields_without_text_names_are_refused(client, url):
    response = client.post(url, data=BODY, content_type="multipart/form-data; boundary=XX")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/analyses/{n}",
        "/api/v1/puzzles/{n}",
        "/api/v1/questions/{n}",
        "/analyses/{n}",
        "/play/{n}",
        "/analyses/{n}/forest.svg",
    ],
)
def test_ids_too_large_for_the_database_are_a_404(client, url):
    assert client.get(url.format(n=2**31)).status_code == 404
    assert client.get(url.format(n="99999999999999999999")).status_code == 404
