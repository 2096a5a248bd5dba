"""Leave-one-out and cumulative meta-analysis agree with metafor's leave1out() and cumul()."""

from __future__ import annotations

import json

import numpy as np
import pytest
from analysis_reference_data import bcg
from numpy.testing import assert_allclose

from analysis import AnalysisInputError
from analysis.effect_sizes import binary_effect_sizes
from analysis.sensitivity import cumulative, leave_one_out


def effects(measure):
    d = bcg()
    return binary_effect_sizes(d.tpos, d.n1, d.cpos, d.n2, measure, labels=d.trial)


class TestLeaveOneOut:
    """First row of leave1out() from [MT] test_misc_influence.r (full precision)."""

    def test_random_effects_reml(self):
        first = leave_one_out(effects("RR")).row(0)
        assert first["estimate"] == pytest.approx(-0.707083788031436, rel=1e-12)
        assert first["se"] == pytest.approx(0.189961024702717, rel=1e-12)
        assert first["statistic"] == pytest.approx(-3.72225717953459, rel=1e-12)
        assert first["pvalue"] == pytest.approx(0.000197449759023198, rel=1e-10)
        assert first["ci_low"] == pytest.approx(-1.07940055491509, rel=1e-12)
        assert first["ci_high"] == pytest.approx(-0.334767021147788, rel=1e-12)
        assert first["q"] == pytest.approx(151.582572747109, rel=1e-12)
        assert first["q_pvalue"] == pytest.approx(7.0778599767807e-27, rel=1e-8)
        assert first["tau2"] == pytest.approx(0.336156745300306, rel=1e-12)
        assert first["i2"] == pytest.approx(93.2259349111223, rel=1e-12)
        assert first["h2"] == pytest.approx(14.762184698253, rel=1e-12)

    def test_mantel_haenszel(self):
        first = leave_one_out(effects("RR"), "MH").row(0)
        assert first["estimate"] == pytest.approx(-0.451379469928476, rel=1e-12)
        assert first["se"] == pytest.approx(0.0394350331703394, rel=1e-12)
        assert first["statistic"] == pytest.approx(-11.4461541842439, rel=1e-12)
        assert first["ci_low"] == pytest.approx(-0.528670714671484, rel=1e-12)
        assert first["q"] == pytest.approx(151.915260738878, rel=1e-12)
        assert first["i2"] == pytest.approx(92.7591211399706, rel=1e-12)
        assert first["h2"] == pytest.approx(13.8104782489889, rel=1e-12)

    def test_peto(self):
        first = leave_one_out(effects("OR"), "PETO").row(0)
        assert first["estimate"] == pytest.approx(-0.472177269248539, rel=1e-12)
        assert first["se"] == pytest.approx(0.0407784291562603, rel=1e-12)
        assert first["q"] == pytest.approx(167.200450619361, rel=1e-12)
        assert first["i2"] == pytest.approx(93.4210703623987, rel=1e-12)
        assert first["h2"] == pytest.approx(15.2000409653964, rel=1e-12)

    def test_odds_ratio_table(self):
        """leave1out(rma(measure="OR")) on dat.bcg, printed to 7 significant digits [CN]."""
        frame = leave_one_out(effects("OR")).to_frame()
        assert_allclose(
            frame.estimate,
            [
                -0.7367722,
                -0.6815577,
                -0.7154986,
                -0.6634357,
                -0.7975190,
                -0.7255622,
                -0.6862593,
                -0.8284272,
                -0.7744138,
                -0.6841357,
                -0.7912461,
                -0.7934176,
                -0.8112970,
            ],
            atol=5e-8,
        )
        assert_allclose(
            frame.se,
            [
                0.1963125,
                0.1866192,
                0.1923533,
                0.1860858,
                0.1980324,
                0.2052551,
                0.1878567,
                0.1859193,
                0.2031980,
                0.1916879,
                0.2020236,
                0.1882767,
                0.1916060,
            ],
            atol=5e-8,
        )
        assert_allclose(
            frame.tau2,
            [
                0.3616351,
                0.3142239,
                0.3464431,
                0.2971375,
                0.3515126,
                0.3790937,
                0.3202570,
                0.2941939,
                0.3751411,
                0.3264348,
                0.3646881,
                0.3310969,
                0.3257353,
            ],
            atol=5e-8,
        )
        assert_allclose(
            frame.q,
            [
                162.45415,
                155.83244,
                161.07330,
                106.97867,
                162.22626,
                129.60540,
                156.79642,
                72.71742,
                163.14194,
                150.51661,
                162.31937,
                161.70112,
                160.65390,
            ],
            atol=5e-6,
        )
        assert_allclose(
            frame.i2,
            [
                93.07946,
                92.07274,
                92.80794,
                90.53158,
                92.55136,
                91.22107,
                92.21927,
                86.78016,
                93.02196,
                92.16015,
                91.42509,
                92.50884,
                92.12891,
            ],
            atol=5e-6,
        )

    def test_row_i_omits_study_i(self):
        es = effects("RR")
        out = leave_one_out(es, "DL")
        assert out.labels == es.labels
        assert all(k == 12 for k in out.column("k"))

    def test_needs_two_studies(self):
        with pytest.raises(AnalysisInputError):
            leave_one_out(effects("RR").subset([0]))


class TestCumulative:
    """cumul(res, order=year) on dat.bcg from [MT] test_misc_cumul.r."""

    def test_random_effects_in_order_of_year(self):
        out = cumulative(effects("RR"), bcg().year)
        assert_allclose(
            out.column("estimate"),
            [
                -0.889311,
                -1.325003,
                -0.97208,
                -1.001094,
                -1.101424,
                -0.973464,
                -0.901251,
                -0.788566,
                -0.865607,
                -0.785211,
                -0.708206,
                -0.794768,
                -0.714532,
            ],
            atol=5e-7,
        )
        # ties (two trials in 1973) keep the input order, like R's order()
        assert out.labels[7:9] == ("5", "7")

    def test_collapse_adds_tied_studies_together(self):
        out = cumulative(effects("RR"), bcg().year, collapse=True)
        assert len(out) == 12
        assert_allclose(
            np.exp(out.column("estimate")),
            [
                0.410939,
                0.265802,
                0.378296,
                0.367477,
                0.332398,
                0.377772,
                0.406061,
                0.420796,
                0.456024,
                0.492527,
                0.451686,
                0.489421,
            ],
            atol=5e-7,
        )

    def test_mantel_haenszel(self):
        out = cumulative(effects("RR"), bcg().year, "MH")
        assert_allclose(
            out.column("estimate"),
            [
                -0.889311,
                -1.351739,
                -0.827295,
                -0.837892,
                -0.894003,
                -0.850672,
                -0.835785,
                -0.774442,
                -0.789605,
                -0.666015,
                -0.635076,
                -0.775798,
                -0.45371,
            ],
            atol=5e-7,
        )

    def test_peto(self):
        out = cumulative(effects("OR"), bcg().year, "PETO")
        assert_allclose(
            out.column("estimate"),
            [
                -0.860383,
                -1.240086,
                -0.957016,
                -0.964222,
                -1.000315,
                -0.940979,
                -0.924632,
                -0.850145,
                -0.871198,
                -0.726791,
                -0.691247,
                -0.816134,
                -0.474446,
            ],
            atol=5e-7,
        )

    def test_last_step_is_the_full_analysis_and_first_is_the_first_study(self):
        es = effects("RR")
        out = cumulative(es, bcg().year)
        assert out.row(-1)["k"] == 13
        assert out.row(0)["estimate"] == pytest.approx(es.yi[0])

    def test_order_must_match_and_be_complete(self):
        with pytest.raises(AnalysisInputError) as err:
            cumulative(effects("RR"), [1, 2, 3])
        assert err.value.field == "order"
        years = bcg().year.to_numpy(dtype=float, copy=True)
        years[4] = np.nan
        with pytest.raises(AnalysisInputError) as err:
            cumulative(effects("RR"), years)
        assert (err.value.study, err.value.field) == ("5", "order")


def test_to_dict_is_json():
    data = json.loads(json.dumps(leave_one_out(effects("OR"), "DL").to_dict(), allow_nan=False))
    assert data["kind"] == "leave-one-out" and len(data["rows"]) == 13
    assert {"study", "estimate", "ci_low", "tau2", "i2", "estimate_exp"} <= set(data["rows"][0])
