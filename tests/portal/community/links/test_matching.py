"""Matching a question's PICO to dataset metadata: BM25 against hand-computed values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.community.links import matching as m
from portal.community.links.matching import Document


def test_the_score_is_bm25_as_written_on_the_page():
    documents = {1: Document(title="Colon cancer trial"), 2: Document(title="Tuberculosis")}
    # Document 1: "colon" and "cancer" in the title, each weighted 3 ("trial" is a
    # stop word), so |d1| = 6; |d2| = 3; avgdl = 4.5; N = 2; each term in one dataset.
    idf = math.log(1 + (2 - 1 + 0.5) / (1 + 0.5))
    per_term = idf * 3 * (1.2 + 1) / (3 + 1.2 * (1 - 0.75 + 0.75 * 6 / 4.5))
    [best] = m.rank("colon cancer", documents, min_score=0.0)
    assert best.key == 1
    assert best.score == sapprox(2 * per_term)
    assert dict(best.contributions) == {"colon": sapprox(per_term), "cancer": sapprox(per_term)}


def sapprox(value: float):
    return pytest.approx(value, rel=1e-12)


def test_a_term_every_dataset_shares_still_adds_a_little():
    documents = {1: Document(title="colon"), 2: Document(title="colon")}
    scores = [s.score for s in m.rank("colon", documents, min_score=0.0)]
    assert scores == [sapprox(math.log(1 + 0.5 / 2.5) * 3 * 2.2 / (3 + 1.2))] * 2


def test_synonyms_and_word_forms_meet():
    assert m.terms("bowel carcinoma") == m.terms("colon cancers")
    assert m.terms("smokers") == m.terms("smoking") == m.terms("tobacco")
    assert m.terms("5-FU") == m.terms("fluorouracil")
    # Column names split at underscores.
    assert "death" in m.terms("time_to_death")


def test_variables_and_tags_count_not_only_the_title():
    documents = {
        1: Document(title="Trial A", variables=("indomethacin", "pancreatitis_within_week")),
        2: Document(title="Trial B", tags=("Smoking cessation",)),
        3: Document(title="Trial C", description="Nothing relevant here at all"),
    }
    ranked = m.rank(
        "Does rectal indomethacin prevent pancreatitis after ERCP?", documents, min_score=0.0
    )
    assert [s.key for s in ranked] == [1]
    assert set(ranked[0].matched) == {"indomethacin", "pancreatiti"}


def test_weak_matches_are_not_suggested_and_empty_input_gives_nothing():
    documents = {1: Document(title="Colon cancer", description="colon " * 50 + "survival")}
    assert m.rank("survival", {**documents, 2: Document(title="Colon")}) == []
    assert m.rank("", documents) == []
    assert m.rank("the of and", documents) == []
    assert m.rank("colon", {}) == []


words = st.sampled_from(
    [
        "colon",
        "cancer",
        "survival",
        "tuberculosis",
        "nicotine",
        "liver",
        "fluorouracil",
        "placebo",
        "smoking",
        "ercp",
        "the",
        "adults",
    ]
)
texts = st.lists(words, max_size=8).map(" ".join)


@given(query=texts, titles=st.lists(texts, max_size=6), limit=st.integers(1, 4))
def test_rankings_are_sorted_thresholded_limited_and_explained(query, titles, limit):
    documents = {i: Document(title=t) for i, t in enumerate(titles)}
    ranked = m.rank(query, documents, limit=limit)
    assert len(ranked) <= limit
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    for suggestion in ranked:
        assert suggestion.score >= m.MIN_SCORE
        assert suggestion.score == sapprox(sum(share for _, share in suggestion.contributions))
        assert all(share > 0 for _, share in suggestion.contributions)
        assert set(suggestion.matched) <= set(m.terms(query))
