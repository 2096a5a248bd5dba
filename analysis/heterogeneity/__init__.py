"""Between-study variance (tau^2) and heterogeneity, as ``metafor::rma.uni`` reports them.

One module per concern, as metafor has one function per job:

* :mod:`~analysis.heterogeneity.estimators`: the tau^2 estimators (DL, PM, REML, ML, EB,
  HE, SJ, HS, HSK) and :func:`estimate_tau2`, which picks one by name;
* :mod:`~analysis.heterogeneity.genq`: the generalised Q estimator (GENQ) and its weights;
* :mod:`~analysis.heterogeneity.standard_errors`: metafor's ``se.tau2`` of each estimator;
* :mod:`~analysis.heterogeneity.statistics`: Q, I^2, H^2 and the Knapp-Hartung scale;
* :mod:`~analysis.heterogeneity.confint`: the Q-profile intervals of tau^2, I^2 and H^2;
* ``_wls`` and ``_common``: the weighted least squares and traces of ``P`` they all use,
  and the estimate, the methods and the options they share.

All formulas use ``O(k p^2)`` operations (no ``k x k`` matrices), so tens of
thousands of studies are cheap.
"""

from __future__ import annotations

from ._common import DEFAULT_CONTROL, FIXED_METHODS, TAU2_METHODS, Tau2Estimate, resolve_control
from ._wls import design, wls
from .confint import HeterogeneityCI, generalised_q, tau2_confint
from .estimators import (
    estimate_tau2,
    tau2_dersimonian_laird,
    tau2_empirical_bayes,
    tau2_hedges,
    tau2_hedges_estimator,
    tau2_hunter_schmidt,
    tau2_ml,
    tau2_paule_mandel,
    tau2_reml,
    tau2_sidik_jonkman,
)
from .genq import check_genq_weights, jackson_weights, tau2_generalised_q
from .standard_errors import tau2_standard_error
from .statistics import Heterogeneity, cochran_q, hartung_knapp_scale, heterogeneity

__all__ = [
    "DEFAULT_CONTROL",
    "FIXED_METHODS",
    "TAU2_METHODS",
    "Heterogeneity",
    "HeterogeneityCI",
    "Tau2Estimate",
    "check_genq_weights",
    "cochran_q",
    "design",
    "estimate_tau2",
    "generalised_q",
    "hartung_knapp_scale",
    "heterogeneity",
    "jackson_weights",
    "resolve_control",
    "tau2_confint",
    "tau2_dersimonian_laird",
    "tau2_empirical_bayes",
    "tau2_generalised_q",
    "tau2_hedges",
    "tau2_hedges_estimator",
    "tau2_hunter_schmidt",
    "tau2_ml",
    "tau2_paule_mandel",
    "tau2_reml",
    "tau2_sidik_jonkman",
    "tau2_standard_error",
    "wls",
]
