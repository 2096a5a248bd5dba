"""Comment Markdown is sanitised: known XSS payloads come out harmless."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from portal.community.markdown import problems, render, render_with_mentions, sanitise

# In the style of the OWASP XSS filter evasion cheat sheet, plus Markdown's own ways in.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/xss.js></SCRIPT>",
    "<<SCRIPT>alert('XSS');//\\<</SCRIPT>",
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=javascript:alert('XSS')>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<base href=javascript:alert(1)//>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<style>@import 'javascript:alert(1)';</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<p onclick=alert(1)>text</p>",
    "<a href=x onmouseover=alert(1)>hover</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](https://evil.example/pixel.png)",
    '[x](https://example.org "title" onmouseover=alert(1))',
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "<!-- --><script>alert(1)</script><!-- -->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '[[dataset:x" onmouseover="alert(1)]]',
]

SAFE_SCHEMES = ("http:", "https:", "mailto:")
FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "img",
    "svg",
    "math",
    "form",
    "input",
    "button",
    "meta",
    "base",
    "link",
    "body",
    "details",
    "noscript",
}


class Inspector(HTMLParser):
    """Collects every tag and attribute the browser would see."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def inspect(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    inspector = Inspector()
    inspector.feed(markup)
    inspector.close()
    return inspector.tags


def assert_harmless(output: str) -> None:
    for tag, attrs in inspect(output):
        assert tag not in FORBIDDEN_TAGS, output
        for name, value in attrs.items():
            assert not name.startswith("on"), output
            assert name in {"href", "title", "rel", "class", "start"}, output
            if name == "href":
                # What the browser would follow, after decoding and trimming.
                target = html.unescape(value or "").strip().lower()
                scheme = target.split("/")[0].split("?")[0]
                assert ":" not in scheme or target.startswith(SAFE_SCHEMES), output
        if tag == "a":
            assert {"nofollow", "noopener"} <= set((attrs.get("rel") or "").split()), output


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_known_xss_payloads_come_out_harmless(payload):
    assert_harmless(str(render(payload)))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_the_sanitiser_alone_stops_them_too(payload):
    # Markdown already turns raw HTML into text; the sanitiser must hold on its own
    # in case that ever changes, so it gets the payloads as HTML.
    assert_harmless(sanitise(payload))


def test_raw_html_is_shown_as_text_not_dropped_silently():
    assert str(render("1 < 2 and <b>bold</b>")) == "<p>1 &lt; 2 and &lt;b&gt;bold&lt;/b&gt;</p>"


def test_markdown_formatting_survives():
    output = str(render("**strong**, *em*, `code`\n\n> quoted\n\n- one\n- two\n\n1. first"))
    for fragment in (
        "<strong>strong</strong>",
        "<em>em</em>",
        "<code>code</code>",
        "<blockquote>",
        "<ul>",
        "<li>one</li>",
        "<ol>",
    ):
        assert fragment in output


def test_links_get_rel_nofollow_noopener():
    assert str(render("[site](https://example.org/page)")) == (
        '<p><a href="https://example.org/page" rel="nofollow noopener">site</a></p>'
    )


def test_datasets_and_analyses_are_mentioned_by_link_or_shorthand():
    output, mentions = render_with_mentions(
        "Compare [[dataset:colon-trial]] with [the rerun](/analyses/42) and "
        "[elsewhere](https://example.org/datasets/x)."
    )
    assert '<a class="mention mention-dataset" href="/datasets/colon-trial"' in output
    assert '<a class="mention mention-analysis" href="/analyses/42"' in output
    assert [(m.kind, m.path, m.label) for m in mentions] == [
        ("dataset", "/datasets/colon-trial", "dataset: colon-trial"),
        ("analysis", "/analyses/42", "the rerun"),
    ]


def test_mention_shorthand_inside_code_is_left_alone():
    output, mentions = render_with_mentions("`[[dataset:x]]`")
    assert mentions == [] and "<code>[[dataset:x]]</code>" in output


# Payloads that show as harmless text (code, disabled images, text that is not a tag):
# they may be stored, and they render harmlessly (checked above).
SHOWN_AS_TEXT = {
    "![x](javascript:alert(1))",
    "![x](https://evil.example/pixel.png)",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    '[[dataset:x" onmouseover="alert(1)]]',
}


@pytest.mark.parametrize("payload", [p for p in XSS_PAYLOADS if p not in SHOWN_AS_TEXT])
def test_markup_that_tries_to_run_is_named_before_it_is_stored(payload):
    assert problems(payload), payload


@pytest.mark.parametrize(
    "text",
    [
        *SHOWN_AS_TEXT,
        "p < 0.05 in the data: see the table",
        "Read about `javascript:` links in prose, or write a <b>tag</b> as text.",
        "AT&amp;T &copy; and [a site](https://example.org) or [mail](mailto:a@example.org)",
        "    <script>indented code is code</script>",
        "[[dataset:colon]] and [a run](/analyses/3)",
    ],
)
def test_ordinary_comments_pass_the_check(text):
    assert problems(text) == []
