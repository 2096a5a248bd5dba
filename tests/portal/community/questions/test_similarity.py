"""Trigram similarity, used to show similar questions while a member types."""

from __future__ import annotations

import pytest

from portal.community.questions.similarity import Draft, most_similar, similarity, trigrams


def test_trigrams_are_taken_from_padded_lower_case_words_without_filler():
    assert trigrams("The Cat") == frozenset({"  c", " ca", "cat", "at "})


def test_similarity_is_the_jaccard_index_of_trigram_sets():
    # "cat": {"  c"," ca","cat","at "}; "cap": {"  c"," ca","cap","ap "}: 2 shared of 6.
    assert similarity(trigrams("cat"), trigrams("cap")) == pytest.approx(2 / 6)
    assert similarity(trigrams("levamisole"), trigrams("Levamisole!")) == 1.0
    assert similarity(trigrams(""), trigrams("anything")) == 0.0


QUESTIONS = [
    (1, Draft("Does levamisole plus fluorouracil improve survival in colon cancer?")),
    (2, Draft("Do more positive lymph nodes mean more benefit from chemotherapy?")),
    (3, Draft("How do side effects of chemotherapy affect quality of life?")),
]


def test_a_reworded_duplicate_is_found_first():
    matches = most_similar(
        Draft("Levamisole and fluorouracil: better colon cancer survival?"), QUESTIONS
    )
    assert matches[0].key == 1


def test_word_forms_and_typing_slips_still_match():
    assert [m.key for m in most_similar(Draft("lymph node chemotheraphy benefit"), QUESTIONS)][
        :1
    ] == [2]


def test_unrelated_text_finds_nothing():
    assert most_similar(Draft("Does BCG vaccination prevent tuberculosis?"), QUESTIONS) == []
    assert most_similar(Draft("the and of"), QUESTIONS) == []
