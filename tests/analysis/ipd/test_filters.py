"""Row filters on harmonised participants: parsed, applied, recorded and reproduced."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import AnalysisInputError
from analysis.filters import RowFilter, apply_filters, as_filters, parse_filter
from analysis.ipd import one_stage, two_stage


class TestFilters:
    def test_filters_are_recorded_and_reproduce(self, indo):
        out = one_stage(indo, covariates=["age"], filters=["age >= 50", "study in 1_UM, 2_IU"])
        frame = indo.frame
        kept = frame[(frame.age >= 50) & frame.study.isin(["1_UM", "2_IU"])]
        assert out.n == len(kept)
        stored = json.loads(json.dumps(out.to_dict()))["options"]["filters"]
        assert stored == [
            {"column": "age", "op": ">=", "value": "50"},
            {"column": "study", "op": "in", "value": ["1_UM", "2_IU"]},
        ]
        again = one_stage(indo, covariates=["age"], filters=stored)
        assert again.estimate == out.estimate and again.n == out.n

    def test_two_stage_records_filters(self, indo):
        out = two_stage(indo, "OR", "FE", filters=["study != 4_Case"])
        assert out.pooled.options["ipd"]["filters"][0]["value"] == "4_Case"
        assert out.pooled.k == 3

    @pytest.mark.parametrize(
        "text, expected",
        [
            ("age >= 50", RowFilter("age", ">=", "50")),
            ("age<50", RowFilter("age", "<", "50")),
            ("sex = F", RowFilter("sex", "==", "F")),
            ("site not in 4_Case, 3_UK", RowFilter("site", "not in", ("4_Case", "3_UK"))),
            ("site IN a", RowFilter("site", "in", ("a",))),
        ],
    )
    def test_parse(self, text, expected):
        assert parse_filter(text) == expected

    @pytest.mark.parametrize("bad", ["age", "age >=", ">= 5", "age ~ 5"])
    def test_unreadable_filters(self, bad):
        with pytest.raises(AnalysisInputError) as err:
            parse_filter(bad)
        assert err.value.field == "filters"

    def test_unknown_variable_and_wrong_types(self, indo):
        for rule, message in [
            ("height > 2", "no analysis variable"),
            ("age > old", "not a number"),
            ("gender > 1", "needs a numeric variable"),
            ("age > 1000", "exclude every row"),
        ]:
            with pytest.raises(AnalysisInputError, match=message):
                apply_filters(indo.frame, as_filters([rule]))

    @given(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=30),
        st.floats(-1e6, 1e6, allow_nan=False),
        st.sampled_from(["<", "<=", ">", ">="]),
    )
    def test_numeric_filters_keep_exactly_the_rows_that_pass(self, values, threshold, op):
        frame = pd.DataFrame({"x": values})
        rule = RowFilter("x", op, repr(threshold))
        expected = frame.query(f"x {op} {threshold!r}")
        if expected.empty:
            with pytest.raises(AnalysisInputError):
                apply_filters(frame, [rule])
        else:
            kept, notes = apply_filters(frame, [rule])
            assert kept.x.tolist() == expected.x.tolist()
            assert notes == [f"filter {rule}: {len(frame) - len(kept)} row(s) excluded."]
