"""Which datasets could answer a question: Okapi BM25 over the words of their metadata.

Pure functions (no database, no Flask), so the score can be checked by hand.

Words are lower-cased, split at anything that is not a letter or digit (so column
names like ``time_to_death`` give "time", "death"), stripped of common words,
reduced to a crude stem (``smokers`` -> ``smoker``, ``therapies`` -> ``therapy``) and
mapped through a short synonym list to one term (``carcinoma`` -> ``cancer``).

For a question's terms q and a dataset d, the score is

    score(d) = sum over distinct q of  idf(q) * f(q,d) * (k1 + 1) / (f(q,d) + K(d))
    K(d)     = k1 * (1 - b + b * |d| / avgdl)
    idf(q)   = ln(1 + (N - n(q) + 0.5) / (n(q) + 0.5))

where f(q,d) counts the term in d with title and tag words counted ``FIELD_WEIGHTS``
times, |d| is d's weighted length, avgdl the mean over the N datasets and n(q) the
number of datasets that contain q. This idf is never negative, so a term that every
dataset shares adds little but never subtracts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from portal.community.questions.similarity import STOP_WORDS

K1 = 1.2
B = 0.75
#: Title and tag words say what a dataset is about; a description also says much else.
FIELD_WEIGHTS = {"title": 3, "tags": 3, "variables": 1, "description": 1}
#: Below this a match rests on one incidental word. On the demo questions and datasets
#: the right dataset scores 10 to 27 and the best wrong one at most 3.
MIN_SCORE = 4.0

FORMULA = (
    "score = Σ over the question's terms of idf × tf × (k1 + 1) / "
    "(tf + k1 × (1 − b + b × length / average length)), "
    f"idf = ln(1 + (N − n + 0.5) / (n + 0.5)); k1 = {K1}, b = {B}; "
    "title and tag words count three times; suggestions below "
    f"{MIN_SCORE:g} are not shown."
)

# Words every PICO question or dataset uses without saying what it is about.
_EXTRA_STOP = frozenset(
    """
    adult adults after before data dataset during effect effects group groups year years
    study studies trial trials randomised randomized controlled control any all other
    per one two three first number use used using given treated treatment vs plus
    improve improves better help helps benefit benefits no not alone day days week weeks
    month months
    """.split()  # noqa: SIM905 - a word list reads best as text
)

# Words that name the same thing in questions and in metadata; each maps to one term.
_SYNONYMS = {
    "carcinoma": "cancer",
    "tumour": "cancer",
    "tumor": "cancer",
    "neoplasm": "cancer",
    "malignancy": "cancer",
    "colorectal": "colon",
    "bowel": "colon",
    "cirrhosis": "cholangitis",
    "pbc": "cholangitis",
    "tb": "tuberculosis",
    "mycobacterium": "tuberculosis",
    "5fu": "fluorouracil",
    "fu": "fluorouracil",
    "lev": "levamisole",
    "mortality": "death",
    "dead": "death",
    "die": "death",
    "died": "death",
    "survival": "death",
    "survive": "death",
    "status": "",
    "tobacco": "smoking",
    "cigarette": "smoking",
    "smoker": "smoking",
    "smoke": "smoking",
    "quit": "cessation",
    "quitting": "cessation",
    "stop": "cessation",
    "nrt": "nicotine",
    "gum": "nicotine",
    "patch": "nicotine",
    "ursodiol": "ursodeoxycholic",
    "udca": "ursodeoxycholic",
    "indometacin": "indomethacin",
    "nsaid": "indomethacin",
    "ercp": "pancreatitis",
    "pep": "pancreatitis",
    "bcg": "vaccine",
    "vaccination": "vaccine",
    "relapse": "recurrence",
    "recur": "recurrence",
}

_WORD = re.compile(r"[^\W_]+")


def stem(word: str) -> str:
    """A crude English stem: enough to meet plural and -ing forms halfway."""
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + replacement
    return word


def terms(text: str) -> list[str]:
    """The matching terms of ``text``, in order, repeated as often as they occur."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word in STOP_WORDS or word in _EXTRA_STOP:
            continue
        stemmed = stem(word)
        term = _SYNONYMS.get(word, _SYNONYMS.get(stemmed, stemmed))
        # Synonyms are stemmed too, so "smoker" and "smoking" meet at one term.
        if len(term) > 1 and not term.isdigit():
            out.append(stem(term))
    return out


@dataclass(frozen=True)
class Document:
    """A dataset as far as matching is concerned."""

    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    variables: tuple[str, ...] = ()

    def weighted_terms(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for name, text in (
            ("title", self.title),
            ("description", self.description),
            ("tags", " ".join(self.tags)),
            ("variables", " ".join(self.variables)),
        ):
            for term in terms(text):
                counts[term] += FIELD_WEIGHTS[name]
        return counts


@dataclass(frozen=True)
class Suggestion:
    key: int
    score: float
    #: (term, its share of the score), largest first: why the dataset was suggested
    contributions: tuple[tuple[str, float], ...] = field(default=())

    @property
    def matched(self) -> list[str]:
        return [term for term, _ in self.contributions]


def rank(
    query: str,
    documents: Mapping[int, Document] | Iterable[tuple[int, Document]],
    *,
    min_score: float = MIN_SCORE,
    limit: int = 5,
) -> list[Suggestion]:
    """The ``limit`` documents that best match ``query``, best first, at or above
    ``min_score``; ties go to the lower key so the order is stable."""
    items = list(documents.items() if isinstance(documents, Mapping) else documents)
    wanted = set(terms(query))
    if not items or not wanted:
        return []
    counted = [(key, doc.weighted_terms()) for key, doc in items]
    lengths = [sum(counts.values()) for _, counts in counted]
    average = sum(lengths) / len(lengths) or 1.0
    total = len(counted)
    having = Counter(term for _, counts in counted for term in counts if term in wanted)
    out = []
    for (key, counts), length in zip(counted, lengths, strict=True):
        parts = []
        for term in wanted:
            tf = counts.get(term, 0)
            if not tf:
                continue
            idf = math.log(1 + (total - having[term] + 0.5) / (having[term] + 0.5))
            norm = K1 * (1 - B + B * length / average)
            parts.append((term, idf * tf * (K1 + 1) / (tf + norm)))
        score = sum(share for _, share in parts)
        if parts and score >= min_score:
            parts.sort(key=lambda part: (-part[1], part[0]))
            out.append(Suggestion(key, score, tuple(parts)))
    out.sort(key=lambda s: (-s.score, s.key))
    return out[:limit]
