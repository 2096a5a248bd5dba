"""Personal names recognised by content, from bundled lists of common given
names and surnames (see datasets/data/names/README.md for their source).

Two questions are answered: which cells of a column *are* names ("Grace",
"Grace Evans"), vectorised over an Arrow array; and whether a piece of free
text *mentions* a person: a known given name followed by a known surname
("Grace Evans reports dizziness"), or a title followed by a capitalised word
("seen by Dr Okafor"). Requiring both halves of the pair keeps ordinary
clinical sentences ("Severe Headache", "Blood Pressure") from counting.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DATA = Path(__file__).resolve().parent / "data" / "names"

#: Cells a person might be named in: two capitalised words, or a title.
#: A cheap first pass (RE2, vectorised) before the word lists are consulted.
TEXT_CANDIDATE = r"[A-Z][a-z'’-]+\s+[A-Z][a-zA-Z'’-]+|\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+[A-Z]"

_PAIR = re.compile(r"\b([A-Z][a-z'’-]+)(?=\s+([A-Z][a-zA-Z'’-]+)\b)")
# "Mallory Weiss tear", "Stevens Johnson syndrome": eponyms name a condition, not a person.
_EPONYM_AFTER = re.compile(
    r"\s*[-\s]?(?:['’]s\s+)?(?:tear|syndrome|disease|sign|test|score|scale|criteria|"
    r"procedure|operation|classification|reflex|phenomenon|palsy|lymphoma|sarcoma|"
    r"tumou?r|fracture|manoeuvre|maneuver|method|index|equation|formula)\b",
    re.IGNORECASE,
)
_TITLED = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+[A-Z][a-z'’-]+")


def _load(name: str) -> frozenset[str]:
    return frozenset((DATA / name).read_text(encoding="ascii").split())


@cache
def given_names() -> frozenset[str]:
    return _load("given.txt")


@cache
def surnames() -> frozenset[str]:
    return _load("surnames.txt")


_SEPARATORS = r"[\s,.]+"


@cache
def _all_names() -> pa.Array:
    return pa.array(sorted(given_names() | surnames()))


def name_cells(values: pa.Array, *, max_words: int = 3) -> np.ndarray:
    """For each cell, whether it is a personal name: one to ``max_words``
    words, every one of them a known given name or surname."""
    result: np.ndarray = np.zeros(len(values), dtype=bool)
    # Only short cells of one to ``max_words`` words can be a name: free text is
    # not split word by word. (Each repeat of the group holds at most one word.)
    words = rf"^[\s,.]*(?:[^\s,.]+[\s,.]*){{1,{max_words}}}$"
    fits = pc.and_(
        pc.less_equal(pc.utf8_length(values), 20 * max_words),
        pc.match_substring_regex(values, pattern=words),
    )
    short = np.flatnonzero(np.asarray(fits.fill_null(False)))
    if short.size == 0:
        return result
    result[short] = _name_cells(values.take(pa.array(short)), max_words)
    return result


def _name_cells(values: pa.Array, max_words: int) -> np.ndarray:
    words = pc.split_pattern_regex(pc.utf8_lower(values), pattern=_SEPARATORS)
    flat = pc.list_flatten(words)
    parents = pc.list_parent_indices(words).to_numpy(zero_copy_only=False)
    real = pc.greater(pc.utf8_length(flat), 0).to_numpy(zero_copy_only=False)
    known = pc.is_in(flat, value_set=_all_names()).to_numpy(zero_copy_only=False)
    known = np.asarray(known, dtype=bool) & np.asarray(real, dtype=bool)
    size = len(values)
    total = np.bincount(parents[real], minlength=size)
    named = np.bincount(parents[known], minlength=size)
    result: np.ndarray = (total >= 1) & (total <= max_words) & (named == total)
    return result


def mentions_name(text: str) -> bool:
    """Whether free text names a person (a given name and a surname, or a title)."""
    if _TITLED.search(text):
        return True
    given, family = given_names(), surnames()
    for match in _PAIR.finditer(text):
        first, second = match.group(1).lower(), match.group(2).lower()
        if first in given and second in family:
            end = text.find(match.group(2), match.end()) + len(match.group(2))
            if not _EPONYM_AFTER.match(text, end):
                return True
    return False
