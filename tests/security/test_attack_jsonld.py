"""An outsider titles a dataset so that its JSON-LD block would end early or open an
HTML comment: the page must keep one intact JSON-LD script that reads back the title."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from tests.portal.reanalysis.conftest import BCG_CSV, Sharing

TITLE = "</script><script>alert(1)</script><!--<script>"


class Scripts(HTMLParser):
    """Every <script> element of a page, as a browser's tokenizer splits them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict, str]] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data):
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag):
        if tag == "script":
            self._open = None


def test_a_hostile_title_cannot_break_out_of_the_json_ld(client, auth, make_user):
    slug = Sharing(client, auth, make_user).share(TITLE, BCG_CSV)
    page = client.get(f"/datasets/{slug}").get_data(as_text=True)
    parser = Scripts()
    parser.feed(page)
    assert [attrs.get("type") for attrs, _ in parser.scripts] == ["application/ld+json"]
    text = parser.scripts[0][1]
    # Nothing in the block can end it or start a comment that swallows the page.
    assert "<" not in text and ">" not in text and "&" not in text
    document = json.loads(text)
    assert document["@type"] == "Dataset" and document["name"] == TITLE
    assert "<script>alert(1)" not in page  # elsewhere the title is escaped as HTML
