"""The open dataset's rows: k-anonymous and 2-diverse whatever the reports, coarsened no
more than needed."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.treatments.anonymise import QUASI_IDENTIFIERS, STEPS, anonymise

row = st.fixed_dictionaries(
    {
        "user_id": st.integers(1, 10**6),
        "treatment": st.sampled_from(["A", "B", "C"]),
        "weeks": st.integers(0, 200),
        "weeks_used": st.just(""),
        "still_using": st.sampled_from(["yes", "no"]),
        "dose": st.sampled_from(["", "10 mg", "20 mg", "as needed", "my own mix"]),
        "reason_stopped": st.sampled_from(["", "finished", "cost", "side-effects"]),
        "cost_band": st.sampled_from(["none", "low", "high"]),
        "effectiveness": st.sampled_from(["worse", "none", "slight", "moderate", "major"]),
        "side_effects": st.lists(
            st.tuples(st.sampled_from(["nausea", "rash", "a rare one"]), st.just("mild")),
            unique_by=lambda pair: pair[0],
            max_size=2,
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(row, max_size=80), st.integers(2, 6))
def test_every_group_of_published_rows_holds_k_members_who_did_not_all_answer_alike(rows, k):
    result = anonymise(rows, k)
    groups: dict[tuple, list] = {}
    for published in result.rows:
        groups.setdefault(tuple(published[c] for c in QUASI_IDENTIFIERS), []).append(published)
    for group in groups.values():
        assert len(group) >= k
        assert len({member["effectiveness"] for member in group}) >= 2
    assert len(result.rows) + result.left_out == len(rows)
    per_treatment = Counter(published["treatment"] for published in result.rows)
    assert all(count >= k for count in per_treatment.values())
    for published in result.rows:
        named = Counter(
            name
            for other in rows
            if other["treatment"] == published["treatment"]
            for name, _ in other["side_effects"]
        )
        assert all(named[name] >= k for name, _ in published["side_effects"])


def base(n: int, **values) -> list[dict]:
    template = {
        "treatment": "A",
        "weeks": 20,
        "weeks_used": "",
        "still_using": "yes",
        "dose": "10 mg",
        "reason_stopped": "",
        "cost_band": "low",
        "side_effects": [],
    }
    ratings = ["none", "major"]
    return [{**template, "user_id": i, "effectiveness": ratings[i % 2], **values} for i in range(n)]


def test_rows_alike_enough_are_only_banded():
    result = anonymise(base(10), 5)
    assert result.steps == [STEPS[0][0]] and result.left_out == 0
    assert {row["weeks_used"] for row in result.rows} == {"13-26"}
    assert {row["dose"] for row in result.rows} == {"10 mg"}


def test_a_rare_cost_is_coarsened_away_rather_than_published():
    rows = base(10) + base(10, cost_band="high")[:1]
    result = anonymise(rows, 5)
    assert all(row["cost_band"] == "withheld" for row in result.rows)


def test_a_treatment_with_fewer_than_k_rows_is_left_out():
    result = anonymise(base(10) + base(4, treatment="B"), 5)
    assert {row["treatment"] for row in result.rows} == {"A"} and result.left_out == 4
