"""The list orders "top", "new" and "trending", against hand-computed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.community.questions import ranking
from portal.community.questions.ranking import Rankable

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


@pytest.mark.parametrize(
    ("recent", "age_hours", "expected"),
    [
        (3, 10, 3 / 12**1.5),  # 3 / 41.569 = 0.07217
        (0, 1, 0.0),
        (1, 0, 1 / 2**1.5),  # a brand-new question: 1 / 2.828 = 0.35355
        (10, 166, 10 / 168**1.5),  # a week old: 10 / 2177.5 = 0.004592
    ],
)
def test_trending_score_is_recent_support_over_age_to_the_power_one_and_a_half(
    recent, age_hours, expected
):
    assert ranking.trending_score(recent, age_hours) == pytest.approx(expected, rel=1e-12)


def test_hand_computed_trending_values():
    assert ranking.trending_score(3, 10) == pytest.approx(0.072169, abs=1e-6)
    assert ranking.trending_score(1, 0) == pytest.approx(0.353553, abs=1e-6)


def ids(items, sort):
    return [r.id for r, _ in ranking.order([(r, None) for r in items], sort, NOW)]


def test_top_is_most_support_first_and_newer_first_on_ties():
    items = [
        Rankable(1, ago(50), support=5, recent_support=0),
        Rankable(2, ago(10), support=5, recent_support=0),
        Rankable(3, ago(1), support=2, recent_support=2),
        Rankable(4, ago(100), support=9, recent_support=0),
    ]
    assert ids(items, "top") == [4, 2, 1, 3]


def test_new_is_newest_first_and_the_later_id_first_within_one_instant():
    items = [Rankable(1, ago(5), 0, 0), Rankable(2, ago(1), 9, 9), Rankable(3, ago(1), 0, 0)]
    assert ids(items, "new") == [3, 2, 1]


def test_trending_favours_recent_support_on_young_questions():
    # Scores: 1: 20 / (200+2)^1.5 = 0.00697; 2: 4 / (10+2)^1.5 = 0.09623;
    #         3: 6 / (30+2)^1.5 = 0.03315;   4: 0 (no support this week).
    items = [
        Rankable(1, ago(200), support=40, recent_support=20),
        Rankable(2, ago(10), support=4, recent_support=4),
        Rankable(3, ago(30), support=6, recent_support=6),
        Rankable(4, ago(2), support=0, recent_support=0),
    ]
    assert ids(items, "trending") == [2, 3, 1, 4]


def test_the_formulas_are_written_out_for_the_pages():
    assert "s / (h + 2)^1.5" in ranking.FORMULAS["trending"]
    assert "last 7 days" in ranking.FORMULAS["trending"]
    assert set(ranking.FORMULAS) == set(ranking.SORTS) == set(ranking.PLAIN)


def test_unknown_sorts_are_refused():
    with pytest.raises(ValueError):
        ranking.sort_key(Rankable(1, NOW, 0, 0), "best", NOW)
