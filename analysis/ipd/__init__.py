"""Participant-level (IPD) pooling: harmonisation, two-stage and one-stage models.

* :mod:`~analysis.ipd.harmonise`: per-dataset mappings onto one set of analysis
  variables (:class:`Harmonisation`), applied to give one table of participants;
* :mod:`~analysis.ipd.two_stage`: the effect estimated in each study, then pooled;
* :mod:`~analysis.ipd.one_stage`: one regression on all participants, study as a
  stratum (or a random intercept for continuous outcomes).
"""

from __future__ import annotations

from ._design import covariate_matrix
from .harmonise import (
    OUTCOME_TYPES,
    DatasetMapping,
    Harmonisation,
    HarmonisedData,
    mapped_covariates,
)
from .one_stage import STUDY_EFFECTS, OneStageResult, one_stage
from .two_stage import TwoStageResult, two_stage

__all__ = [
    "OUTCOME_TYPES",
    "STUDY_EFFECTS",
    "DatasetMapping",
    "Harmonisation",
    "HarmonisedData",
    "OneStageResult",
    "TwoStageResult",
    "covariate_matrix",
    "mapped_covariates",
    "one_stage",
    "two_stage",
]
