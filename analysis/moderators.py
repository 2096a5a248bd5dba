"""Meta-regression on study-level moderators, as metafor reports it.

* the model ``rma(yi, vi, mods = ~ ...)`` with continuous moderators as numbers and
  categorical ones as indicator columns against their first level (levels sorted,
  numerically when every level is a number, as R's ``factor`` of numbers);
* the omnibus test QM of all moderators (``anova``), a chi^2 Wald test, or an F test
  under the t and Hartung-Knapp tests;
* metafor's pseudo-R^2, ``max(0, 100 (tau2_0 - tau2) / tau2_0)`` with ``tau2_0`` the
  intercept-only model's tau^2 by the same method (none when that is 0 or the model
  is fixed-effect);
* ``permutest``: the rows of the model matrix are permuted, the model refitted, and
  each p-value is the share of permutations whose statistic is at least as extreme
  (``|z| >= |z_obs| - comptol``, ``QM >= QM_obs - comptol``).  When there are no more
  distinct permutations than asked for, every distinct one is used (metafor's exact
  test); otherwise random ones from a seeded generator, the first being the data as
  observed, so a run repeats with its recorded seed;
* ``predict(newmods = ...)``: ``x'b`` with SE ``sqrt(x' V x)``, its confidence
  interval and, for random-effects models, the prediction interval
  ``x'b +/- crit sqrt(se^2 + tau^2)``; ``crit`` is the normal quantile, or t(k - p)
  under the t and Hartung-Knapp tests.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats

from .effect_sizes import EffectSizes
from .errors import AnalysisInputError, ConvergenceError
from .heterogeneity import design
from .moderator_words import plain_words
from .pooling import resolve_test
from .pooling.regression import meta_regression, omnibus_test
from .pooling.uni import fit_inverse_variance
from .provenance import json_object, software_versions
from .results import MetaRegressionResult
from .vocabulary import RATIO_MEASURES

#: metafor's ``comptol``, ``.Machine$double.eps^0.5``: ties in the permutation counts
COMPTOL = float(np.finfo(float).eps) ** 0.5
MAX_PERMUTATIONS = 10_000
#: refits that fail are retried with another permutation, as metafor does, up to this
#: many failures in a row
_MAX_FAILED_REFITS = 100
#: points on the bubble plot's line
_LINE_POINTS = 60


@dataclass(frozen=True)
class Moderator:
    """One moderator: a column of numbers, or a category with its levels (the first
    is the reference the others are compared with)."""

    name: str
    categorical: bool = False
    levels: tuple[str, ...] = ()
    mean: float | None = None

    def columns(self) -> list[str]:
        """The model matrix's column names this moderator contributes."""
        if not self.categorical:
            return [self.name]
        return [f"{self.name}: {level}" for level in self.levels[1:]]

    def row(self, value: Any) -> list[float]:
        """This moderator's part of a model-matrix row for ``value``."""
        if not self.categorical:
            number = _number(value)
            if number is None:
                raise AnalysisInputError(
                    f"moderator {self.name!r} needs a number, not {value!r}", field="predict"
                )
            return [number]
        text = _category(value)
        if text not in self.levels:
            raise AnalysisInputError(
                f"{value!r} is not a category of {self.name!r} "
                f"(categories: {', '.join(self.levels)})",
                field="predict",
            )
        return [float(text == level) for level in self.levels[1:]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "categorical" if self.categorical else "continuous",
            "levels": list(self.levels),
            "reference": self.levels[0] if self.categorical else None,
            "mean": self.mean,
        }


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _category(value: Any) -> str:
    """A category's spelling: integer-valued numbers keep their integer form (1, not 1.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sorted_levels(values: Sequence[str]) -> tuple[str, ...]:
    distinct = set(values)
    numbers = {v: _number(v) for v in distinct}
    if all(n is not None for n in numbers.values()):
        return tuple(sorted(distinct, key=lambda v: (numbers[v], v)))
    return tuple(sorted(distinct))


@dataclass(frozen=True, eq=False)
class ModelMatrix:
    """The moderators' part of the design (no intercept column) for the studies used."""

    X: np.ndarray
    names: tuple[str, ...]
    moderators: tuple[Moderator, ...]
    used: np.ndarray
    notes: tuple[str, ...] = ()


def model_matrix(
    effects: EffectSizes,
    data: Mapping[str, Sequence[Any]],
    moderators: Sequence[str],
    categorical: Sequence[str] = (),
) -> ModelMatrix:
    """The model matrix of ``moderators`` (each a key of ``data``, one value per
    study); studies without an estimate or with a moderator missing are left out, as
    metafor leaves out rows with NA, and a note names them."""
    if not moderators:
        raise AnalysisInputError("choose at least one moderator", field="moderators")
    if len(set(moderators)) != len(moderators):
        raise AnalysisInputError("a moderator is chosen twice", field="moderators")
    stray = [c for c in categorical if c not in moderators]
    if stray:
        raise AnalysisInputError(
            f"{stray[0]!r} is marked categorical but is not a moderator", field="categorical"
        )
    k = effects.k
    used = effects.included.copy()
    values: dict[str, list[Any]] = {}
    for name in moderators:
        if name not in data:
            raise AnalysisInputError(f"no column {name!r}", field="moderators")
        column = list(data[name])
        if len(column) != k:
            raise AnalysisInputError(
                f"moderator {name!r} has {len(column)} values for {k} studies", field="moderators"
            )
        values[name] = column
        used &= np.array([not _missing(v) for v in column], dtype=bool)
    notes = []
    left_out = [effects.labels[i] for i in range(k) if effects.included[i] and not used[i]]
    if left_out:
        notes.append(
            f"{len(left_out)} stud{'y' if len(left_out) == 1 else 'ies'} without a value "
            f"for every moderator left out: {', '.join(left_out)}."
        )
    rows = np.flatnonzero(used)
    specs: list[Moderator] = []
    blocks: list[np.ndarray] = []
    for name in moderators:
        column = [values[name][i] for i in rows]
        if name in categorical:
            texts = [_category(v) for v in column]
            levels = _sorted_levels(texts)
            if len(levels) < 2:
                raise AnalysisInputError(
                    f"categorical moderator {name!r} has only one category among the "
                    "studies used; a moderator must vary",
                    field="moderators",
                )
            specs.append(Moderator(name, True, levels))
            blocks.append(np.array([[float(t == lv) for lv in levels[1:]] for t in texts]))
            continue
        numbers = []
        for i, v in zip(rows, column, strict=True):
            number = _number(v)
            if number is None:
                raise AnalysisInputError(
                    f"moderator {name!r} is not a number ({v!r}); mark it categorical "
                    "if its values are categories",
                    study=effects.labels[i],
                    field="moderators",
                )
            numbers.append(number)
        mean = float(np.mean(numbers)) if numbers else None
        specs.append(Moderator(name, False, (), mean))
        blocks.append(np.array(numbers, dtype=float)[:, None])
    X = np.column_stack(blocks) if blocks and len(rows) else np.empty((len(rows), 0))
    names = tuple(c for spec in specs for c in spec.columns())
    return ModelMatrix(X, names, tuple(specs), used, tuple(notes))


@dataclass(frozen=True)
class PermutationTest:
    """``permutest``: a p-value per coefficient and for QM."""

    pvalues: tuple[float, ...]
    qm_pvalue: float
    iterations: int
    exact: bool
    seed: int | None
    #: permutations whose refit failed (left out of the p-values, as metafor does)
    failed: int = 0

    def to_dict(self, names: Sequence[str]) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "exact": self.exact,
            "seed": self.seed,
            "failed": self.failed,
            "qm_pvalue": self.qm_pvalue,
            "pvalues": dict(zip(names, self.pvalues, strict=True)),
        }


def distinct_permutations(X: np.ndarray) -> int:
    """How many distinct orders the rows of ``X`` have (k! over the ties' factorials)."""
    counts = Counter(map(tuple, np.asarray(X).tolist()))
    total = math.factorial(len(X))
    for c in counts.values():
        total //= math.factorial(c)
    return total


def _arrangements(groups: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every distinct order of ``groups`` (a multiset), each once."""
    left = Counter(groups)
    keys = sorted(left)
    prefix: list[int] = []
    k = len(groups)

    def extend() -> Iterator[tuple[int, ...]]:
        if len(prefix) == k:
            yield tuple(prefix)
            return
        for key in keys:
            if left[key]:
                left[key] -= 1
                prefix.append(key)
                yield from extend()
                prefix.pop()
                left[key] += 1

    return extend()


def permutation_test(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    *,
    method: str,
    test: str,
    level: float,
    iterations: int = 1000,
    seed: int | None = None,
    control: Mapping[str, Any] | None = None,
) -> PermutationTest:
    """``permutest(rma(yi, vi, mods = X[, -1]), iter = iterations)`` for the full design
    ``X`` (intercept first).  ``seed`` drives the random permutations; it is not used
    (and reported as None) when every distinct permutation is taken."""
    if not 2 <= iterations <= MAX_PERMUTATIONS:
        raise AnalysisInputError(
            f"the number of permutations must be between 2 and {MAX_PERMUTATIONS}",
            field="permutations",
        )
    k = len(y)
    observed = fit_inverse_variance(y, v, X, method, False, level, control, test)
    z_obs = np.abs(observed["stat"])
    qm_obs, _ = omnibus_test(observed["beta"], observed["vb"], observed["df"])
    total = distinct_permutations(X)
    exact = total <= iterations

    def refit(rows: np.ndarray) -> tuple[np.ndarray, float] | None:
        try:
            fit = fit_inverse_variance(y, v, X[rows], method, False, level, control, test)
        except (AnalysisInputError, ConvergenceError, np.linalg.LinAlgError):
            return None
        return np.abs(fit["stat"]), omnibus_test(fit["beta"], fit["vb"], fit["df"])[0]

    stats_z: list[np.ndarray] = []
    stats_qm: list[float] = []
    attempted = 0
    if exact:
        keys = [tuple(r) for r in X.tolist()]
        first_row = {key: i for i, key in reversed(list(enumerate(keys)))}
        groups = [first_row[key] for key in keys]
        for arrangement in _arrangements(groups):
            attempted += 1
            got = refit(np.array(arrangement))
            if got is not None:
                stats_z.append(got[0])
                stats_qm.append(got[1])
        used_seed = None
    else:
        used_seed = seed
        attempted = iterations
        rng = np.random.default_rng(seed)
        stats_z.append(z_obs)
        stats_qm.append(qm_obs)
        failures = 0
        while len(stats_qm) < iterations:
            got = refit(rng.permutation(k))
            if got is None:
                failures += 1
                if failures > _MAX_FAILED_REFITS:
                    raise ConvergenceError(
                        "the model could not be refitted on the permuted data "
                        f"({failures} failures in a row)"
                    )
                continue
            failures = 0
            stats_z.append(got[0])
            stats_qm.append(got[1])
    if not stats_qm:
        raise ConvergenceError("the model could not be refitted on any permutation")
    z = np.array(stats_z)
    qm = np.array(stats_qm)
    with np.errstate(invalid="ignore"):
        pvalues = np.nanmean(z >= z_obs - COMPTOL, axis=0)
    return PermutationTest(
        pvalues=tuple(float(min(p, 1.0)) for p in pvalues),
        qm_pvalue=float(np.mean(qm >= qm_obs - COMPTOL)) if math.isfinite(qm_obs) else math.nan,
        iterations=attempted,
        exact=exact,
        seed=used_seed,
        failed=attempted - len(qm),
    )


@dataclass(frozen=True)
class Prediction:
    """The model's predicted effect at chosen moderator values."""

    at: dict[str, Any]
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    pi_low: float | None
    pi_high: float | None

    def to_dict(self, ratio: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at}
        for name in ("estimate", "se", "ci_low", "ci_high", "pi_low", "pi_high"):
            out[name] = getattr(self, name)
        for name in ("estimate", "ci_low", "ci_high", "pi_low", "pi_high"):
            value = getattr(self, name)
            out[f"{name}_exp"] = math.exp(value) if ratio and value is not None else None
        return out


def predict(
    fit: MetaRegressionResult,
    vb: np.ndarray,
    rows: np.ndarray,
) -> list[tuple[float, float, float, float, float | None, float | None]]:
    """``predict(fit, newmods = rows)`` for full design rows (intercept first)."""
    b = np.asarray(fit.coefficients)
    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    pred = rows @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", rows, vb, rows))
    crit = _critical(fit)
    out = []
    random = fit.method != "FE"
    for p, s in zip(pred, se, strict=True):
        half_pi = crit * math.sqrt(s**2 + fit.tau2)
        out.append(
            (
                float(p),
                float(s),
                float(p - crit * s),
                float(p + crit * s),
                float(p - half_pi) if random else None,
                float(p + half_pi) if random else None,
            )
        )
    return out


def _critical(fit: MetaRegressionResult) -> float:
    if fit.df is None:
        return float(stats.norm.isf((1 - fit.level) / 2))
    return float(stats.t.isf((1 - fit.level) / 2, fit.df))


def pseudo_r2(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    tau2: float,
    qe: float,
    *,
    method: str,
    test: str,
    level: float,
    control: Mapping[str, Any] | None = None,
) -> float:
    """metafor's R^2 in percent.  Random effects: the share of the intercept-only
    model's tau^2 (same method) that the moderators account for, 0 when that tau^2 is
    0.  Fixed effect: the adjusted R^2 of the weighted least-squares fit
    (``lm(yi ~ X, weights = 1/vi)``), ``1 - (QE / Q0) (k - 1) / (k - p)``."""
    k, p = X.shape
    if method.upper() == "FE":
        if np.var(y) == 0:
            return 0.0
        w = 1 / v
        q0 = float(np.sum(w * (y - np.sum(w * y) / np.sum(w)) ** 2))
        return _percent(100.0 * (1.0 - (qe / q0) * (k - 1) / (k - p)))
    base = fit_inverse_variance(y, v, design(k), method, False, level, control, test)
    tau2_0 = float(base["tau"].tau2)
    if tau2_0 == 0:
        return 0.0
    return _percent(100 * (tau2_0 - tau2) / tau2_0)


def _percent(value: float) -> float:
    # Rounding can leave a perfect fit at 100.00000000000001; metafor's floor at 0 and
    # the ceiling of a share keep R^2 a percentage.
    return float(min(100.0, max(0.0, value)))


@dataclass(frozen=True, eq=False)
class ModeratorAnalysis:
    """A meta-regression with its R^2, permutation test, predictions and the points and
    line of its bubble plot."""

    measure: str
    fit: MetaRegressionResult
    moderators: tuple[Moderator, ...]
    r2: float
    permutation: PermutationTest | None
    predictions: tuple[Prediction, ...]
    labels: tuple[str, ...]
    yi: np.ndarray
    vi: np.ndarray
    weights: np.ndarray
    X: np.ndarray
    vb: np.ndarray
    notes: tuple[str, ...] = ()
    software: dict[str, str] = field(default_factory=software_versions)

    @property
    def is_ratio(self) -> bool:
        return self.measure in RATIO_MEASURES

    def line(self, moderator: Moderator) -> dict[str, list[Any]]:
        """Predicted effects along one moderator (continuous: across its range;
        categorical: at each level), the others at their mean or reference level."""
        if moderator.categorical:
            points: list[Any] = list(moderator.levels)
        else:
            column = self.X[:, 1 + self._offset(moderator)]
            points = list(np.linspace(column.min(), column.max(), _LINE_POINTS))
        rows = np.array([self._row({moderator.name: value}) for value in points])
        predicted = predict(self.fit, self.vb, rows)
        return {
            "x": [p if isinstance(p, str) else float(p) for p in points],
            "estimate": [p[0] for p in predicted],
            "ci_low": [p[2] for p in predicted],
            "ci_high": [p[3] for p in predicted],
        }

    def _offset(self, moderator: Moderator) -> int:
        offset = 0
        for spec in self.moderators:
            if spec.name == moderator.name:
                return offset
            offset += len(spec.columns())
        raise KeyError(moderator.name)

    def _row(self, at: Mapping[str, Any]) -> list[float]:
        row = [1.0]
        for spec in self.moderators:
            if spec.name in at:
                row += spec.row(at[spec.name])
            elif spec.categorical:
                row += spec.row(spec.levels[0])
            else:
                row += [float(spec.mean or 0.0)]
        return row

    def to_dict(self) -> dict[str, Any]:
        ratio = self.is_ratio
        fit = self.fit
        names = fit.names
        coefficients = []
        for i, name in enumerate(names):
            numbers = fit.coefficient(name)
            row: dict[str, Any] = {"name": name, **numbers}
            if self.permutation is not None:
                row["permutation_pvalue"] = self.permutation.pvalues[i]
            row["estimate_exp"] = math.exp(numbers["estimate"]) if ratio else None
            coefficients.append(row)
        return json_object(
            {
                "schema": "analysis.moderators/1",
                "measure": self.measure,
                "scale": "log" if ratio else "identity",
                "method": fit.method,
                "test": fit.test,
                "level": fit.level,
                "k": fit.k,
                "df": fit.df,
                "moderators": [m.to_dict() for m in self.moderators],
                "coefficients": coefficients,
                "tau2": fit.tau2,
                "tau2_se": fit.tau2_se,
                "i2": fit.i2,
                "h2": fit.h2,
                "r2": self.r2,
                "qe": fit.qe,
                "qe_df": fit.qe_df,
                "qe_pvalue": fit.qe_pvalue,
                "qm": fit.qm,
                "qm_df": fit.qm_df,
                "qm_pvalue": fit.qm_pvalue,
                "qm_distribution": "chi2" if fit.df is None else "F",
                "permutation": None
                if self.permutation is None
                else self.permutation.to_dict(names),
                "predictions": [p.to_dict(ratio) for p in self.predictions],
                "studies": [
                    {
                        "study": label,
                        "yi": float(self.yi[i]),
                        "vi": float(self.vi[i]),
                        "weight": float(self.weights[i]),
                        **{
                            spec.name: value
                            for spec, value in zip(self.moderators, self._values(i), strict=True)
                        },
                    }
                    for i, label in enumerate(self.labels)
                ],
                "lines": {m.name: self.line(m) for m in self.moderators},
                "in_plain_words": plain_words(self),
                "notes": list(self.notes),
                "options": fit.options,
                "software": self.software,
            }
        )

    def _values(self, i: int) -> list[Any]:
        out: list[Any] = []
        for spec in self.moderators:
            offset = 1 + self._offset(spec)
            if spec.categorical:
                width = len(spec.levels) - 1
                hits = np.flatnonzero(self.X[i, offset : offset + width] == 1.0)
                out.append(spec.levels[1 + int(hits[0])] if len(hits) else spec.levels[0])
            else:
                out.append(float(self.X[i, offset]))
        return out


def analyse_moderators(
    effects: EffectSizes,
    data: Mapping[str, Sequence[Any]],
    moderators: Sequence[str],
    categorical: Sequence[str] = (),
    *,
    method: str = "REML",
    test: str | None = None,
    level: float = 0.95,
    permutations: int = 0,
    seed: int | None = None,
    predict_at: Sequence[Mapping[str, Any]] = (),
    control: Mapping[str, Any] | None = None,
) -> ModeratorAnalysis:
    """The meta-regression of ``effects`` on ``moderators`` (keys of ``data``), its R^2,
    an optional permutation test (``permutations`` > 0) and predictions at each mapping
    of ``predict_at`` (moderators it leaves out at their mean or reference level)."""
    method = method.upper()
    if method in ("MH", "PETO"):
        raise AnalysisInputError(
            f"meta-regression is an inverse-variance model, not {method}", field="method"
        )
    chosen = resolve_test(False, test)
    matrix = model_matrix(effects, data, moderators, categorical)
    y, v = effects.yi[matrix.used], effects.vi[matrix.used]
    k, p = len(y), 1 + matrix.X.shape[1]
    if k <= p:
        raise AnalysisInputError(
            f"a meta-regression with {p} coefficients needs more than {p} studies with "
            f"every moderator (got {k})",
            field="moderators",
        )
    full = design(k, matrix.X)
    if np.linalg.matrix_rank(full) < p:
        raise AnalysisInputError(
            "the moderators are collinear: one is a combination of the others among "
            "the studies used",
            field="moderators",
        )
    fit = meta_regression(
        y,
        v,
        matrix.X,
        names=list(matrix.names),
        method=method,
        level=level,
        test=chosen,
        control=control,
    )
    raw = fit_inverse_variance(y, v, full, method, False, fit.level, control, chosen)
    r2 = pseudo_r2(
        y,
        v,
        full,
        fit.tau2,
        fit.qe,
        method=method,
        test=chosen,
        level=fit.level,
        control=control,
    )
    perm = None
    if permutations:
        perm = permutation_test(
            y,
            v,
            full,
            method=method,
            test=chosen,
            level=fit.level,
            iterations=int(permutations),
            seed=seed,
            control=control,
        )
    result = ModeratorAnalysis(
        measure=effects.measure,
        fit=fit,
        moderators=matrix.moderators,
        r2=r2,
        permutation=perm,
        predictions=(),
        labels=tuple(effects.labels[i] for i in np.flatnonzero(matrix.used)),
        yi=y,
        vi=v,
        weights=100 * raw["w"] / raw["w"].sum(),
        X=full,
        vb=raw["vb"],
        notes=matrix.notes + tuple(raw["notes"]),
    )
    predictions = []
    for at in predict_at:
        unknown = [n for n in at if n not in {m.name for m in matrix.moderators}]
        if unknown:
            raise AnalysisInputError(
                f"{unknown[0]!r} is not one of the moderators", field="predict"
            )
        (values,) = predict(fit, raw["vb"], np.array([result._row(at)]))
        predictions.append(Prediction(dict(at), *values))
    return replace(result, predictions=tuple(predictions))
