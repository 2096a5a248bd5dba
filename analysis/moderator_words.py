"""A meta-regression's results in plain words (the ``in_plain_words`` of
:class:`~analysis.moderators.ModeratorAnalysis`): the test of moderators, R^2, the
residual heterogeneity, each coefficient and the permutation test, a sentence each."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .moderators import ModeratorAnalysis


def _p(value: float) -> str:
    if not math.isfinite(value):
        return "not computable"
    return "below 0.0001" if value < 0.0001 else f"{value:.4f}".rstrip("0").rstrip(".")


def plain_words(analysis: ModeratorAnalysis) -> dict[str, str]:
    """Each result in a sentence a lay reader can follow."""
    fit = analysis.fit
    ratio = analysis.is_ratio
    names = ", ".join(m.name for m in analysis.moderators)
    words: dict[str, str] = {}
    if not math.isfinite(fit.qm_pvalue):
        words["qm"] = (
            f"The moderators ({names}) cannot be tested together: the model fits every "
            "study exactly, so the adjusted variance of the coefficients is 0."
        )
    else:
        differ = "do" if fit.qm_pvalue < 0.05 else "do not clearly"
        words["qm"] = (
            f"Taken together, the moderators ({names}) {differ} explain differences "
            f"between the studies' results (test of moderators p = {_p(fit.qm_pvalue)})."
        )
    if fit.method == "FE":
        words["r2"] = (
            f"The moderators account for about {analysis.r2:.0f}% of the spread of the "
            "studies' results (a fixed-effect model's adjusted R²)."
        )
    else:
        words["r2"] = (
            f"The moderators account for about {analysis.r2:.0f}% of the differences "
            "between studies that chance alone does not explain."
        )
    words["residual"] = (
        f"After allowing for the moderators, the studies still differ more than chance "
        f"would make them (p = {_p(fit.qe_pvalue)})."
        if fit.qe_pvalue < 0.05
        else f"After allowing for the moderators, the remaining differences between "
        f"studies are within what chance would give (p = {_p(fit.qe_pvalue)})."
    )
    for i, name in enumerate(fit.names[1:], start=1):
        b = fit.coefficients[i]
        spec = next(m for m in analysis.moderators if name in m.columns())
        if spec.categorical:
            level = name.split(": ", 1)[1]
            subject = f"Studies with {spec.name} {level} (compared with {spec.levels[0]})"
        else:
            subject = f"Each one-unit increase in {spec.name}"
        if spec.categorical:
            change = (
                f"have a ratio {math.exp(b):.4g} times as large"
                if ratio
                else f"have an effect that differs by {b:+.4g}"
            )
        else:
            change = (
                f"multiplies the ratio by {math.exp(b):.4g}"
                if ratio
                else f"changes the effect by {b:+.4g}"
            )
        words[name] = f"{subject} {change} (p = {_p(fit.pvalue[i])})."
    if analysis.permutation is not None:
        perm = analysis.permutation
        how = (
            f"all {perm.iterations} distinct reorderings"
            if perm.exact
            else f"{perm.iterations} random reorderings, seed {perm.seed}"
        )
        words["permutation"] = (
            f"Shuffling which study has which moderator values ({how}) gives a "
            f"p-value of {_p(perm.qm_pvalue)} for the moderators together; it does "
            "not rely on the normal approximation, which small sets of studies can strain."
        )
    return words
