"""Markdown for comments: rendered by Python-Markdown, then sanitised by nh3.

Two layers, so that one mistake is not enough for script to run:

1. Python-Markdown is told to treat raw HTML as text (``<b>`` shows as "<b>"),
   and images are off (an image would load from another site).
2. nh3 (the ammonia sanitiser) keeps only a short list of tags and attributes,
   allows only http, https, mailto and relative links, and sets
   rel="nofollow noopener" on every link.

Before anything is stored, ``problems`` looks for markup that tries to run: raw
script-like tags, event handlers (``onclick=``), and links to ``javascript:`` and
other non-web schemes. Such comments are refused with a message, so the author
learns what happened instead of seeing their text silently changed; the
sanitiser still stands behind that check when anything is shown.

Members mention datasets and analyses either by linking to their pages
(``[QUASAR](/datasets/quasar)``) or with the shorthand ``[[dataset:quasar]]`` /
``[[analysis:42]]``; such links get a "mention" class, and ``render`` reports them
so the question page can list what the discussion refers to.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass

import markdown as python_markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE
from markupsafe import Markup

#: Where mentioned resources live; the datasets and analyses features own these pages.
MENTION_PATHS = {"dataset": "/datasets/", "analysis": "/analyses/"}

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "hr",
    "h3",
    "h4",
    "h5",
    "h6",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_CLASSES = {"a": {"mention", "mention-dataset", "mention-analysis"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"

_SHORTHAND = r"\[\[(dataset|analysis):([A-Za-z0-9][A-Za-z0-9_.-]{0,99})\]\]"

# Tags that run script, load things or take input; raw HTML is shown as text, but a
# member who types them is trying something the portal should say no to.
_ACTIVE_TAG = re.compile(
    r"<\s*/?\s*(script|style|iframe|frame|frameset|object|embed|applet|svg|math|img|image|"
    r"video|audio|source|form|input|button|textarea|select|meta|link|base|body|html|"
    r"details|marquee)\b",
    re.IGNORECASE,
)
# "<" then a letter starts a tag; "p < 0.05" does not.
_EVENT_HANDLER = re.compile(r"<\s*(?=[a-z])[^>]*?\bon[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
_SCRIPT_URL_IN_TAG = re.compile(
    r"<\s*(?=[a-z])[^>]*?(?:(?:java|vb)script|data)\s*:", re.IGNORECASE | re.DOTALL
)
_HANDLER_IN_LINK = re.compile(r"\bon[a-z]+\s*=", re.IGNORECASE)
_ENTITY = re.compile(r"^&#?[a-z0-9]+;$", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


#: (kind, key) -> the title the reader may see, or None.
Titles = Callable[[str, str], str | None]


@dataclass(frozen=True)
class Mention:
    kind: str  # "dataset" or "analysis"
    path: str
    label: str


def _mention_kind(href: str) -> str | None:
    for kind, prefix in MENTION_PATHS.items():
        if href.startswith(prefix) and len(href) > len(prefix):
            return kind
    return None


class _ShorthandMention(InlineProcessor):
    def handleMatch(  # type: ignore[override]  # noqa: N802 - InlineProcessor's API
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element, int, int]:
        kind, key = m.group(1), m.group(2)
        link = etree.Element("a", {"href": MENTION_PATHS[kind] + key})
        titles: Titles | None = getattr(self.md, "portal_titles", None)
        title = titles(kind, key) if titles is not None else None
        # the reader sees what the dataset or analysis is called; the shorthand stays
        # as the fallback for what this reader may not see (a draft's title is private)
        link.text = title or f"{kind}: {key}"
        return link, m.start(0), m.end(0)


class _MarkMentions(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        found: list[Mention] = []
        for link in root.iter("a"):
            href = link.get("href", "")
            kind = _mention_kind(href)
            if kind is not None:
                link.set("class", f"mention mention-{kind}")
                label = "".join(link.itertext()).strip() or href
                found.append(Mention(kind=kind, path=href, label=label))
        self.md.portal_mentions = found  # type: ignore[attr-defined]


def _unsafe_href(href: str) -> bool:
    # Browsers ignore entities, spaces and control characters inside a scheme.
    target = _INVISIBLE.sub("", html.unescape(href)).lower()
    match = _SCHEME.match(target)
    return match is not None and match.group(1) not in URL_SCHEMES


class _FindActiveMarkup(Treeprocessor):
    """Records what in the source would try to run, ignoring code spans and blocks."""

    def run(self, root: etree.Element) -> None:
        found: list[str] = []
        text: list[str] = []

        def walk(element: etree.Element) -> None:
            if element.tag not in ("code", "pre"):
                text.append(element.text or "")
                for child in element:
                    walk(child)
            text.append(element.tail or "")

        walk(root)
        # Markdown sets entities aside (&#106; for "j"); put them back, but not the
        # code blocks it also sets aside, which may show HTML legitimately.
        stash = self.md.htmlStash.rawHtmlBlocks

        def entity(match: re.Match) -> str:
            index = int(match.group(1))
            held = str(stash[index]) if index < len(stash) else ""
            return held if _ENTITY.match(held) else ""

        restored = HTML_PLACEHOLDER_RE.sub(entity, "".join(text))
        # Decoded as a browser would read an attribute: entities resolved, and the tabs
        # and line breaks it ignores inside a URL dropped ("jav&#x09;ascript:").
        visible = re.sub(r"[\t\r\n]", "", html.unescape(restored))
        if match := _ACTIVE_TAG.search(visible):
            found.append(f"a <{match.group(1).lower()}> tag")
        if _EVENT_HANDLER.search(visible):
            found.append("an event handler such as onclick=")
        if _SCRIPT_URL_IN_TAG.search(visible):
            found.append("a javascript: or data: address")
        links = list(root.iter("a"))
        if any(_unsafe_href(link.get("href", "")) for link in links):
            found.append("a link that is not http, https or mailto")
        if any(
            _HANDLER_IN_LINK.search(link.get("href", "") + link.get("title", "")) for link in links
        ):
            found.append("an event handler such as onclick= in a link")
        self.md.portal_problems = found  # type: ignore[attr-defined]


class _PortalMarkdown(Extension):
    def extendMarkdown(self, md: python_markdown.Markdown) -> None:  # noqa: N802
        # Raw HTML becomes text instead of passing through.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        # No images: they would load from other sites, and the CSP blocks them anyway.
        md.inlinePatterns.deregister("image_link")
        md.inlinePatterns.deregister("image_reference")
        md.inlinePatterns.deregister("short_image_ref")
        md.inlinePatterns.register(_ShorthandMention(_SHORTHAND, md), "mention", 175)
        md.treeprocessors.register(_MarkMentions(md), "mentions", 5)
        md.treeprocessors.register(_FindActiveMarkup(md), "active_markup", 4)


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _convert(text: str, titles: Titles | None = None) -> tuple[str, python_markdown.Markdown]:
    # A fresh converter each time: Markdown objects keep state and are not thread-safe.
    converter = python_markdown.Markdown(
        extensions=["fenced_code", "sane_lists", _PortalMarkdown()], output_format="html"
    )
    converter.portal_titles = titles  # type: ignore[attr-defined]
    return converter.convert(text), converter


def problems(text: str) -> list[str]:
    """What in ``text`` tries to run (empty when the comment is fine to store)."""
    return list(getattr(_convert(text)[1], "portal_problems", []))


def render_with_mentions(text: str, titles: Titles | None = None) -> tuple[Markup, list[Mention]]:
    """The sanitised HTML and the mentions in it; ``titles(kind, key)`` names a
    ``[[dataset:slug]]`` or ``[[analysis:id]]`` shorthand for the reader, or None."""
    rendered, converter = _convert(text, titles)
    mentions: list[Mention] = getattr(converter, "portal_mentions", [])
    return Markup(sanitise(rendered)), mentions  # noqa: S704 - sanitised just above


def render(text: str, titles: Titles | None = None) -> Markup:
    return render_with_mentions(text, titles)[0]
