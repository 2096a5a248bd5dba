"""Text similarity for spotting a question that has already been asked.

Trigram similarity, as PostgreSQL's pg_trgm computes it, but in Python so it
behaves the same on SQLite: each word (lower-cased, letters and digits only,
common words dropped) is padded as "  word " and cut into three-letter pieces;
the similarity of two texts is the Jaccard index of their sets of pieces,
|A & B| / |A | B|, from 0 (nothing shared) to 1 (the same words). Trigrams
tolerate typing slips and word forms ("smoker" / "smokers") that exact word
overlap would miss.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Below this a match is mostly shared filler; chosen by trying the demo questions.
DEFAULT_THRESHOLD = 0.2

# Words that every question shares and that say nothing about its subject.
STOP_WORDS = frozenset(
    """
    a an and are as at be by can compared could do does for from has have how if in
    into is it its more of on or than that the their there these this those to vs
    versus was were what when which who why will with without would people patients
    """.split()  # noqa: SIM905 - a word list reads best as text
)

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


def trigrams(text: str) -> frozenset[str]:
    grams: set[str] = set()
    for word in words(text):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Draft:
    """A question as far as similarity is concerned: its title and everything else."""

    title: str
    details: str = ""

    def grams(self) -> tuple[frozenset[str], frozenset[str]]:
        return trigrams(self.title), trigrams(f"{self.title} {self.details}")


def draft_similarity(a: Draft, b: Draft) -> float:
    """The better of title-to-title and whole-to-whole similarity.

    Comparing titles alone catches a duplicate while its author has typed only the
    title; comparing everything catches one whose title is worded differently.
    """
    a_title, a_all = a.grams()
    b_title, b_all = b.grams()
    return max(similarity(a_title, b_title), similarity(a_all, b_all))


@dataclass(frozen=True)
class Match:
    key: int
    score: float


def most_similar(
    draft: Draft,
    candidates: Iterable[tuple[int, Draft]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 5,
) -> list[Match]:
    """The ``limit`` candidates (key, draft) most like ``draft``, best first."""
    if not trigrams(f"{draft.title} {draft.details}"):
        return []
    scored = [Match(key, draft_similarity(draft, other)) for key, other in candidates]
    kept = [m for m in scored if m.score >= threshold]
    kept.sort(key=lambda m: (-m.score, m.key))
    return kept[:limit]
