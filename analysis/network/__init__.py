"""Network meta-analysis of several treatments compared across studies.

:mod:`.contrasts` turns arm-level data (or two-arm estimates) into contrasts with their
sampling covariance; :mod:`.model` fits the consistency model and derives the league
table, P-scores, direct against indirect evidence and the inconsistency test;
:mod:`.inconsistency` splits each node and tests the design-by-treatment interaction
under random effects.  The
network graph is drawn by :func:`analysis.plots.network_plot`.
"""

from __future__ import annotations

from .contrasts import MEASURES, Arm, Contrast, ContrastData, contrasts_from_arms
from .inconsistency import DesignByTreatment, NodeSplit
from .model import (
    Decomposition,
    Edge,
    Estimate,
    EvidenceSplit,
    NetworkResult,
    QTest,
    network_from_arms,
    network_from_contrasts,
)

__all__ = [
    "MEASURES",
    "Arm",
    "Contrast",
    "ContrastData",
    "Decomposition",
    "DesignByTreatment",
    "Edge",
    "Estimate",
    "EvidenceSplit",
    "NetworkResult",
    "NodeSplit",
    "QTest",
    "contrasts_from_arms",
    "network_from_arms",
    "network_from_contrasts",
]
