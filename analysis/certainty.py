"""A GRADE-style summary of findings drafted from a fitted run, and the analyst's edits.

:func:`draft` reads a run's stored results (the pooled model, the per-study data,
Egger's and the rank correlation tests, trim and fill) and rates the five GRADE
domains.  Three are rated from the numbers:

* **imprecision**: serious when the confidence interval includes no effect, or when
  the participants fall short of the optimal information size (OIS; the size of one
  adequately powered trial: alpha 0.05, power 0.8, a 25% relative risk reduction
  from the control-arm risk for binary outcomes, 0.2 SD for a standardised mean
  difference, 400 participants for a mean difference or ratio of means, GRADE's
  rule of thumb); very serious when, for a ratio measure, the interval includes both
  an appreciable benefit and an appreciable harm (below 0.75 and above 1.25);
* **inconsistency**: serious when I^2 is 50% or more, or when the prediction
  interval includes no effect while the confidence interval does not; very serious
  when I^2 is 75% or more and the prediction interval includes no effect;
* **publication bias**: suspected (serious, one level) when, with 10 studies or
  more, Egger's test or the rank correlation test has p < 0.10; with fewer studies
  the tests are too weak to rate it, which the reason says.

**Risk of bias** and **indirectness** need judgement the numbers cannot give: they
are drafted as "not assessed" for the analyst to set.  Certainty starts high (four
levels, randomised evidence) and loses one level per serious and two per very
serious rating, down to very low.  :func:`apply_edits` lays the analyst's ratings,
each with its reason, over the draft; :func:`check_edit` refuses one that could not
be kept.  Pure: no web, no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ._distributions import norm_isf
from .errors import AnalysisInputError
from .transforms import back_transform
from .vocabulary import RATIO_MEASURES, Measure


class Rating(StrEnum):
    """How serious a concern in one domain is, and the levels it costs."""

    NOT_SERIOUS = "not serious"
    SERIOUS = "serious"
    VERY_SERIOUS = "very serious"
    NOT_ASSESSED = "not assessed"

    @property
    def downgrade(self) -> int:
        return {"serious": 1, "very serious": 2}.get(self.value, 0)


class Domain(StrEnum):
    RISK_OF_BIAS = "risk_of_bias"
    INCONSISTENCY = "inconsistency"
    INDIRECTNESS = "indirectness"
    IMPRECISION = "imprecision"
    PUBLICATION_BIAS = "publication_bias"

    @property
    def label(self) -> str:
        return DOMAIN_LABELS[self]


DOMAIN_LABELS = {
    Domain.RISK_OF_BIAS: "Risk of bias",
    Domain.INCONSISTENCY: "Inconsistency",
    Domain.INDIRECTNESS: "Indirectness",
    Domain.IMPRECISION: "Imprecision",
    Domain.PUBLICATION_BIAS: "Publication bias",
}
CERTAINTY_LABELS = {4: "High", 3: "Moderate", 2: "Low", 1: "Very low"}
CERTAINTY_MEANING = {
    4: "We are very confident that the true effect lies close to the estimate.",
    3: "We are moderately confident: the true effect is likely close to the estimate, "
    "but may be substantially different.",
    2: "Our confidence is limited: the true effect may be substantially different.",
    1: "We have very little confidence: the true effect is likely substantially different.",
}

#: Appreciable benefit and harm of a ratio measure (GRADE's default thresholds).
APPRECIABLE = (0.75, 1.25)
#: Relative risk reduction the OIS of a binary outcome is powered for.
RRR = 0.25
ALPHA, POWER = 0.05, 0.80
SMD_OIS_EFFECT = 0.2
MD_OIS = 400
MAX_REASON = 1000
#: No effect on the analysis scale (ratio measures are stored on the log scale).
NULL = 0.0
#: Single-group measures, which compare with no "no effect" value.
NO_NULL = frozenset({Measure.PR, Measure.PLO, Measure.PAS})


@dataclass(frozen=True)
class DomainRating:
    domain: Domain
    rating: Rating
    reason: str
    drafted: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain.value,
            "label": self.domain.label,
            "rating": self.rating.value,
            "downgrade": self.rating.downgrade,
            "reason": self.reason,
            "source": "draft" if self.drafted else "analyst",
        }


@dataclass(frozen=True)
class SummaryOfFindings:
    """The five domains, the certainty they leave, and the numbers they were read from."""

    domains: tuple[DomainRating, ...]
    participants: int | None
    ois: float | None

    @property
    def level(self) -> int:
        return max(1, 4 - sum(d.rating.downgrade for d in self.domains))

    @property
    def certainty(self) -> str:
        return CERTAINTY_LABELS[self.level]

    @property
    def not_assessed(self) -> list[str]:
        return [d.domain.label for d in self.domains if d.rating is Rating.NOT_ASSESSED]

    def rating(self, domain: Domain | str) -> DomainRating:
        return next(d for d in self.domains if d.domain == domain)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "analysis.certainty/1",
            "certainty": self.certainty,
            "level": self.level,
            "meaning": CERTAINTY_MEANING[self.level],
            "provisional": bool(self.not_assessed),
            "not_assessed": self.not_assessed,
            "participants": self.participants,
            "optimal_information_size": self.ois,
            "domains": [d.to_dict() for d in self.domains],
        }


def draft(results: Mapping[str, Any]) -> SummaryOfFindings:
    """The draft summary of findings of a run's stored ``results``.

    Raises :class:`AnalysisInputError` when the run has no pooled estimate."""
    pooled = results.get("pooled")
    if not isinstance(pooled, Mapping) or pooled.get("estimate") is None:
        raise AnalysisInputError(
            "a summary of findings needs a pooled estimate; this run has none", field="pooled"
        )
    measure = str(pooled.get("measure", ""))
    studies = (results.get("effect_sizes") or {}).get("studies") or []
    participants = _participants(studies)
    ois = optimal_information_size(measure, studies)
    domains = (
        DomainRating(
            Domain.RISK_OF_BIAS,
            Rating.NOT_ASSESSED,
            "Not assessed: judge the studies' design and conduct, then set this rating.",
        ),
        _inconsistency(pooled, measure),
        DomainRating(
            Domain.INDIRECTNESS,
            Rating.NOT_ASSESSED,
            "Not assessed: judge whether the studies' people, treatments and outcomes "
            "match the question, then set this rating.",
        ),
        _imprecision(pooled, measure, participants, ois),
        _publication_bias(results, int(pooled.get("k") or 0)),
    )
    return SummaryOfFindings(domains, participants, ois)


def _includes(low: Any, high: Any, value: float) -> bool:
    return low is not None and high is not None and float(low) <= value <= float(high)


def _shown(value: Any, measure: str) -> str:
    """A bound as the page reports it (ratios exponentiated, Fisher's z as a correlation);
    a dash when absent."""
    if value is None:
        return "–"
    natural = back_transform(measure, float(value))
    return f"{float(value) if natural is None else natural:.3g}"


def _participants(studies: list[Mapping[str, Any]]) -> int | None:
    total = 0.0
    for row in studies:
        if not row.get("included", True):
            continue
        if row.get("n1i") is not None and row.get("n2i") is not None:
            total += float(row["n1i"]) + float(row["n2i"])
        elif row.get("ni") is not None:
            total += float(row["ni"])
        else:
            return None
    return round(total) if studies else None


def optimal_information_size(measure: str, studies: list[Mapping[str, Any]]) -> float | None:
    """Total participants of one trial powered (0.8, two-sided 0.05) to find the effect
    GRADE's OIS is set for; None for measures without a conventional one."""
    z = norm_isf(ALPHA / 2) + norm_isf(1 - POWER)
    if measure in (Measure.OR, Measure.RR, Measure.RD):
        events = sum(float(r.get("ci") or 0) for r in studies if r.get("included", True))
        total = sum(float(r.get("n2i") or 0) for r in studies if r.get("included", True))
        if total <= 0:
            return None
        p2 = events / total
        p1 = p2 * (1 - RRR)
        if p2 <= 0 or p2 >= 1:
            return None
        per_arm = z**2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2
        return float(2 * math.ceil(per_arm))
    if measure == Measure.SMD:
        return float(2 * math.ceil(2 * z**2 / SMD_OIS_EFFECT**2))
    if measure in (Measure.MD, Measure.ROM):
        return float(MD_OIS)
    return None


def _imprecision(
    pooled: Mapping[str, Any], measure: str, participants: int | None, ois: float | None
) -> DomainRating:
    low, high = pooled.get("ci_low"), pooled.get("ci_high")
    if measure in NO_NULL:
        return DomainRating(
            Domain.IMPRECISION,
            Rating.NOT_ASSESSED,
            "Not assessed: a single-group proportion has no 'no effect' value to compare "
            "the confidence interval with; judge whether its width matters, then set this "
            "rating.",
        )
    null = NULL
    crosses = _includes(low, high, null)
    short = participants is not None and ois is not None and participants < ois
    ci_text = f"the confidence interval runs from {_shown(low, measure)} to {_shown(high, measure)}"
    size_text = (
        f"{participants} participants against an optimal information size of {ois:.0f}"
        if participants is not None and ois is not None
        else "no optimal information size is set for this measure"
    )
    if measure in RATIO_MEASURES and low is not None and high is not None:
        both = math.exp(float(low)) < APPRECIABLE[0] and math.exp(float(high)) > APPRECIABLE[1]
        if both:
            return DomainRating(
                Domain.IMPRECISION,
                Rating.VERY_SERIOUS,
                f"Very serious: {ci_text}, including both an appreciable benefit (below "
                f"{APPRECIABLE[0]}) and an appreciable harm (above {APPRECIABLE[1]}); "
                f"{size_text}.",
            )
    if crosses or short:
        why = []
        if crosses:
            why.append(f"{ci_text}, which includes no effect")
        if short:
            why.append(f"only {size_text}")
        return DomainRating(Domain.IMPRECISION, Rating.SERIOUS, "Serious: " + "; ".join(why) + ".")
    return DomainRating(
        Domain.IMPRECISION,
        Rating.NOT_SERIOUS,
        f"Not serious: {ci_text}, which excludes no effect; {size_text}.",
    )


def _inconsistency(pooled: Mapping[str, Any], measure: str) -> DomainRating:
    k = int(pooled.get("k") or 0)
    if k < 2:
        return DomainRating(
            Domain.INCONSISTENCY,
            Rating.NOT_SERIOUS,
            "Not serious: one study cannot disagree with itself.",
        )
    i2 = float(pooled.get("i2") or 0.0)
    tau2 = pooled.get("tau2")
    null = NULL
    pi_low, pi_high = pooled.get("pi_low"), pooled.get("pi_high")
    has_pi = pi_low is not None and pi_high is not None
    compared = measure not in NO_NULL
    pi_crosses = compared and has_pi and _includes(pi_low, pi_high, null)
    ci_crosses = compared and _includes(pooled.get("ci_low"), pooled.get("ci_high"), null)
    parts = [f"I² = {i2:.0f}%"]
    if tau2 is not None:
        parts.append(f"τ² = {float(tau2):.3g}")
    if has_pi:
        parts.append(
            f"the prediction interval runs from {_shown(pi_low, measure)} to "
            f"{_shown(pi_high, measure)}" + (", including no effect" if pi_crosses else "")
        )
    facts = "; ".join(parts)
    if i2 >= 75 and (pi_crosses or not has_pi):
        return DomainRating(
            Domain.INCONSISTENCY,
            Rating.VERY_SERIOUS,
            f"Very serious: the studies disagree considerably ({facts}).",
        )
    if i2 >= 50 or (pi_crosses and not ci_crosses):
        return DomainRating(
            Domain.INCONSISTENCY,
            Rating.SERIOUS,
            f"Serious: the studies disagree substantially or a new study could find no "
            f"effect ({facts}).",
        )
    return DomainRating(
        Domain.INCONSISTENCY, Rating.NOT_SERIOUS, f"Not serious: the studies agree ({facts})."
    )


def _pvalue(results: Mapping[str, Any], name: str) -> float | None:
    test = results.get(name)
    if isinstance(test, Mapping) and test.get("pvalue") is not None:
        return float(test["pvalue"])
    return None


def _publication_bias(results: Mapping[str, Any], k: int) -> DomainRating:
    egger, rank = _pvalue(results, "egger"), _pvalue(results, "ranktest")
    trimfill = results.get("trimfill") or {}
    k0 = trimfill.get("k0") if isinstance(trimfill, Mapping) else None
    found = []
    if egger is not None:
        found.append(f"Egger's test p = {egger:.3g}")
    if rank is not None:
        found.append(f"rank correlation test p = {rank:.3g}")
    if k0:
        found.append(f"trim and fill adds {k0} stud{'y' if k0 == 1 else 'ies'}")
    facts = "; ".join(found) or "no small-study test could be computed"
    if k < 10:
        return DomainRating(
            Domain.PUBLICATION_BIAS,
            Rating.NOT_SERIOUS,
            f"Not serious as far as can be told: with {k} studies (fewer than 10) the "
            f"small-study tests are too weak to rate it ({facts}).",
        )
    if any(p is not None and p < 0.10 for p in (egger, rank)):
        return DomainRating(
            Domain.PUBLICATION_BIAS,
            Rating.SERIOUS,
            f"Suspected: smaller studies show different effects ({facts}).",
        )
    return DomainRating(
        Domain.PUBLICATION_BIAS,
        Rating.NOT_SERIOUS,
        f"Not serious: no sign that smaller studies differ ({facts}).",
    )


def check_edit(domain: str, rating: str, reason: str) -> tuple[Domain, Rating, str]:
    """An analyst's rating of one domain, checked: a known domain and rating, and a
    reason (what the rating rests on) of at most :data:`MAX_REASON` characters."""
    if domain not in tuple(Domain):
        raise AnalysisInputError(
            f"unknown domain {domain!r}; the domains are {', '.join(Domain)}", field="domain"
        )
    if rating not in tuple(Rating):
        raise AnalysisInputError(
            f"rating must be one of {', '.join(Rating)}", field=f"rating_{domain}"
        )
    reason = (reason or "").strip()
    if not reason:
        raise AnalysisInputError(
            f"say why {Domain(domain).label.lower()} is rated {rating}", field=f"reason_{domain}"
        )
    if len(reason) > MAX_REASON:
        raise AnalysisInputError(
            f"the reason is {len(reason)} characters long; keep it to {MAX_REASON}",
            field=f"reason_{domain}",
        )
    return Domain(domain), Rating(rating), reason


def apply_edits(summary: SummaryOfFindings, edits: Mapping[str, Any]) -> SummaryOfFindings:
    """``summary`` with the analyst's ratings (``{domain: {"rating", "reason"}}``) in
    place of the drafted ones; an edit that no longer checks is ignored."""
    domains = []
    for d in summary.domains:
        edit = edits.get(d.domain.value) if isinstance(edits, Mapping) else None
        if isinstance(edit, Mapping):
            try:
                _, rating, reason = check_edit(
                    d.domain.value, str(edit.get("rating")), str(edit.get("reason") or "")
                )
            except AnalysisInputError:
                domains.append(d)
                continue
            domains.append(DomainRating(d.domain, rating, reason, drafted=False))
        else:
            domains.append(d)
    return SummaryOfFindings(tuple(domains), summary.participants, summary.ois)
