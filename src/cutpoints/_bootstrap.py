"""Bootstrap uncertainty of the optimal threshold, by re-weighting one sorted curve.

The scores are swept once (:func:`cutpoints.confusion_curve`). Each row is mapped to the
row of that curve holding its score, and packed with its label into one integer code
``2 * curve_row + is_positive``. A bootstrap resample is then a draw of row indices:
``np.bincount`` of their codes gives the positive and negative count at every distinct
score, and cumulative sums give the resample's confusion curve on the *full data's*
thresholds. No resample is ever sorted. Distinct scores absent from a resample are
masked out of the selection, so the chosen threshold is exactly the one
:func:`cutpoints.find_cutpoint` returns on the same resample built row by row.

Each resample draws from its own generator (spawned from ``random_state``), so results
do not depend on batching or on ``n_jobs``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._api import confusion_curve, cutpoint_at_row, select_cutpoint
from ._constraints import Constraint, ConstraintLike, as_constraints
from ._curve import ConfusionCurve, Rule
from ._cutpoint import Cutpoint
from ._metrics import BoundMetric, MetricLike, get_metric, summary_metrics
from ._selection import TIE_RULES, TieRule
from ._validation import check_choice, check_consistent_length, check_scores, check_target
from .errors import InfeasibleConstraintError, InvalidInputError, InvalidParameterError

__all__ = [
    "BootstrapResult",
    "BootstrapWarning",
    "bootstrap",
    "find_cutpoint_robust",
    "percentile_bands",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SelectRule = Literal["point", "lower_bound"]
DEFAULT_BAND_METRICS = ("precision", "recall", "f1", "flagged")
DEFAULT_PERCENTILES = (2.5, 50.0, 97.5)
DEFAULT_GRID_SIZE = 200


class BootstrapWarning(UserWarning):
    """Some resamples had no feasible threshold (they are counted, not dropped)."""


# --------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------

# Metrics that, with the class totals fixed, never decrease as tp grows and never
# increase as fp grows (+1), or the reverse (-1). For them a block of consecutive
# thresholds is bounded by its end points, so most blocks are skipped exactly.
_MONOTONE = {
    "fbeta": 1,
    "youden": 1,
    "accuracy": 1,
    "balanced_accuracy": 1,
    "precision": 1,
    "recall": 1,
    "specificity": 1,
    "gmean": 1,
    "jaccard": 1,
    "fowlkes_mallows": 1,
    "error_rate": -1,
    "fpr": -1,
    "fnr": -1,
    "cost": -1,
}
_BLOCK = 1024


def _monotone_sign(objective: BoundMetric) -> int:
    """+1 if the objective rises with tp and falls with fp (P, N fixed), -1 if the
    reverse, 0 if neither is known."""
    p = objective.params
    if objective.metric.name == "cost":
        # fn = P - tp and tn = N - fp: the slopes are tp - fn and fp - tn.
        return -1 if p["tp"] <= p["fn"] and p["fp"] >= p["tn"] else 0
    sign = _MONOTONE.get(objective.metric.name, 0)
    if any(float(v) < 0 for v in p.values()):
        return 0  # a negative beta: no longer monotone
    return sign


@dataclass(frozen=True)
class _Plan:
    """Everything a worker needs to evaluate resamples: sorted once, shared read-only.

    Rows are arranged by class, then by curve row: ``order`` lists the positive rows
    (``n_pos`` of them) then the negative rows, each by increasing curve row (decreasing
    score). A resample is a vector of draw counts over these positions; cumulative sums
    of the counts, read at ``pos_end[r]`` / ``neg_end[r]`` (positions with curve row
    <= r), are the resample's tp and fp at curve row ``r``.
    """

    order: IntArray
    weight: FloatArray | IntArray | None  # in ``order``
    n_pos: int
    n_neg: int
    pos_end: IntArray
    neg_end: IntArray
    n_curve: int
    stratified: bool
    integer_counts: bool


def _make_plan(
    curve: ConfusionCurve,
    score: FloatArray,
    is_pos: npt.NDArray[np.bool_],
    weight: FloatArray | IntArray | None,
    stratified: bool,
) -> _Plan:
    # One stable sort by decreasing score (the only sort); equal scores share a curve
    # row, numbered from 1 as in the curve (row 0 flags nothing).
    by_score = np.argsort(-score, kind="stable")
    ordered = score[by_score]
    rows = np.ones(ordered.size, dtype=np.int64)
    if ordered.size > 1:
        rows[1:] += np.cumsum(ordered[1:] != ordered[:-1])
    if rows.size and rows[-1] != len(curve) - 1:  # pragma: no cover - defensive
        msg = "internal error: the bootstrap plan disagrees with the curve"
        raise AssertionError(msg)
    label = is_pos[by_score]
    pos, neg = by_score[label], by_score[~label]
    every = np.arange(len(curve))
    order = np.concatenate((pos, neg)).astype(np.int64)
    return _Plan(
        order=order,
        weight=None if weight is None else weight[order],
        n_pos=pos.size,
        n_neg=neg.size,
        pos_end=np.searchsorted(rows[label], every, side="right").astype(np.int64),
        neg_end=np.searchsorted(rows[~label], every, side="right").astype(np.int64) + pos.size,
        n_curve=len(curve),
        stratified=stratified,
        integer_counts=curve.tp.dtype.kind == "i",
    )


def _positions(plan: _Plan, seed: np.random.SeedSequence) -> IntArray:
    """The drawn positions (into ``plan.order``) of one resample, with repetition."""
    rng = np.random.default_rng(seed)
    if plan.stratified:
        return np.concatenate(
            (
                rng.integers(0, plan.n_pos, plan.n_pos),
                rng.integers(0, plan.n_neg, plan.n_neg) + plan.n_pos,
            )
        )
    n = plan.n_pos + plan.n_neg
    return rng.integers(0, n, n)


def _cumulative(values: np.ndarray, integer: bool) -> np.ndarray:
    out = np.empty(values.size + 1, dtype=np.int64 if integer else np.float64)
    out[0] = 0
    np.cumsum(values, out=out[1:])
    return out


@dataclass
class _Resample:
    """Prefix sums of one resample's (weighted) draw counts over the sorted positions.

    Positions ``[0, n_pos)`` hold the positives, ``[n_pos, n)`` the negatives, each by
    curve row, so tp at curve row r is ``cum[pos_end[r]]`` and fp is
    ``cum[neg_end[r]] - cum[n_pos]``.
    """

    cum: np.ndarray
    drawn: np.ndarray  # unweighted prefix sums (for presence)
    plan: _Plan

    @classmethod
    def draw(cls, plan: _Plan, seed: np.random.SeedSequence) -> tuple[_Resample, np.ndarray]:
        n = plan.n_pos + plan.n_neg
        counts = np.bincount(_positions(plan, seed), minlength=n)
        weighted = counts if plan.weight is None else counts * plan.weight
        cum = _cumulative(weighted, plan.integer_counts)
        drawn = _cumulative(counts, True) if plan.weight is not None else cum
        return cls(cum, drawn, plan), counts

    def tp(self, rows: IntArray) -> np.ndarray:
        out: np.ndarray = self.cum[self.plan.pos_end[rows]]
        return out

    def fp(self, rows: IntArray) -> np.ndarray:
        out: np.ndarray = self.cum[self.plan.neg_end[rows]] - self.cum[self.plan.n_pos]
        return out

    def present(self, rows: IntArray) -> npt.NDArray[np.bool_]:
        prev = np.maximum(rows - 1, 0)
        pe, ne, d = self.plan.pos_end, self.plan.neg_end, self.drawn
        out: npt.NDArray[np.bool_] = ((d[pe[rows]] - d[pe[prev]]) + (d[ne[rows]] - d[ne[prev]])) > 0
        out[rows == 0] = True
        return out

    @property
    def n_positive(self) -> Any:
        return self.cum[self.plan.n_pos]

    @property
    def n_negative(self) -> Any:
        return self.cum[-1] - self.cum[self.plan.n_pos]


def _out_of_bag(plan: _Plan, counts: np.ndarray, row: int) -> tuple[Any, Any, Any, Any]:
    """(tp, fp, P, N) of the rows never drawn, at curve row ``row``."""
    left = counts == 0
    k, a, b = plan.n_pos, plan.pos_end[row], plan.neg_end[row]
    if plan.weight is None:
        return (
            np.count_nonzero(left[:a]),
            np.count_nonzero(left[k:b]),
            np.count_nonzero(left[:k]),
            np.count_nonzero(left[k:]),
        )
    w = plan.weight
    return (
        w[:a][left[:a]].sum(),
        w[k:b][left[k:b]].sum(),
        w[:k][left[:k]].sum(),
        w[k:][left[k:]].sum(),
    )


def _candidate_rows(
    r: _Resample, objective: BoundMetric, maximize: bool, good_high: bool
) -> IntArray:
    """Rows that may hold the optimum of a monotone objective; skips bounded-out blocks.

    Within a block of consecutive curve rows tp and fp only grow, so the objective's
    best case in the block is at (most tp, fewest fp) when that is the good direction
    (``good_high``), else at (fewest tp, most fp). A block whose best case is worse than
    a value attained at some block edge cannot hold the optimum. The comparison keeps a
    relative slack of 1e-9 so that rounding can never drop an optimal row.
    """
    d1 = r.plan.n_curve
    if d1 <= 4 * _BLOCK:
        return np.arange(d1)
    starts = np.arange(0, d1, _BLOCK)
    ends = np.minimum(starts + _BLOCK - 1, d1 - 1)
    p, n = r.n_positive, r.n_negative
    tp_s, tp_e, fp_s, fp_e = r.tp(starts), r.tp(ends), r.fp(starts), r.fp(ends)
    f = objective
    real = np.concatenate((f(tp_s, fp_s, n - fp_s, p - tp_s), f(tp_e, fp_e, n - fp_e, p - tp_e)))
    if np.isnan(real).all():
        return np.arange(d1)
    tp_b, fp_b = (tp_e, fp_s) if good_high else (tp_s, fp_e)
    bound = f(tp_b, fp_b, n - fp_b, p - tp_b)
    if maximize:
        best = np.nanmax(real)
        keep = ~(bound < best - 1e-9 * max(1.0, abs(best)))
    else:
        best = np.nanmin(real)
        keep = ~(bound > best + 1e-9 * max(1.0, abs(best)))
    return np.flatnonzero(np.repeat(keep, _BLOCK)[:d1])


def _select_one(
    r: _Resample,
    task: _Task,
) -> tuple[int, int]:
    """The :func:`cutpoints._selection.select` rule on one resample: (row, status).

    Status 0 ok, 1 infeasible constraints, 2 objective undefined where feasible.
    """
    if task.monotone and not task.constraints:
        # The best case is (most tp, fewest fp) when the direction optimized agrees
        # with the metric's monotone sign (maximizing f1, minimizing cost).
        good_high = task.maximize == (task.monotone > 0)
        rows = _candidate_rows(r, task.objective, task.maximize, good_high)
    else:
        rows = np.arange(r.plan.n_curve)
    tp, fp = r.tp(rows), r.fp(rows)
    tn, fn = r.n_negative - fp, r.n_positive - tp
    values = task.objective(tp, fp, tn, fn)
    allowed = r.present(rows)
    for c in task.constraints:
        allowed &= c.mask(c.metric(tp, fp, tn, fn))
    if not allowed.any():
        return -1, 1
    feasible = allowed & ~np.isnan(values)
    if not feasible.any():
        return -1, 2
    masked = np.where(feasible, values, -np.inf if task.maximize else np.inf)
    best = masked.max() if task.maximize else masked.min()
    optimal = np.flatnonzero(feasible & (values == best))
    if task.ties == "highest":
        i = optimal[0]
    elif task.ties == "lowest":
        i = optimal[-1]
    else:
        i = optimal[(len(optimal) - 1) // 2]
    return int(rows[i]), 0


def _metric_values(
    metrics: Sequence[BoundMetric],
    tp: np.ndarray,
    fp: np.ndarray,
    n_pos: np.ndarray,
    n_neg: np.ndarray,
    valid: npt.NDArray[np.bool_] | None = None,
) -> dict[str, FloatArray]:
    tn, fn = n_neg - fp, n_pos - tp
    out = {}
    for m in metrics:
        v = m(tp, fp, tn, fn)
        if valid is not None:
            v = np.where(valid, v, np.nan)
        out[m.name] = v
    return out


@dataclass(frozen=True)
class _Task:
    objective: BoundMetric
    constraints: tuple[Constraint, ...]
    maximize: bool
    ties: str
    fixed_row: int
    grid_rows: IntArray
    monotone: int


def _run_batch(plan: _Plan, task: _Task, seeds: list[np.random.SeedSequence]) -> dict[str, Any]:
    """Evaluate a batch of resamples; returns plain numpy arrays."""
    keys: tuple[str, ...] = ("chosen", "status", "tp", "fp", "n_pos", "n_neg", "oob_tp")
    keys += ("oob_fp", "oob_n_pos", "oob_n_neg", "fixed_tp", "fixed_fp")
    cols: dict[str, list[Any]] = {k: [] for k in (*keys, "grid_tp", "grid_fp")}
    fixed = np.array([task.fixed_row])
    for seed in seeds:
        r, counts = _Resample.draw(plan, seed)
        row, status = _select_one(r, task)
        at = np.array([max(row, 0)])
        o_tp, o_fp, o_pos, o_neg = _out_of_bag(plan, counts, max(row, 0))
        values = (
            row,
            status,
            r.tp(at)[0],
            r.fp(at)[0],
            r.n_positive,
            r.n_negative,
            o_tp,
            o_fp,
            o_pos,
            o_neg,
            r.tp(fixed)[0],
            r.fp(fixed)[0],
        )
        for k, v in zip(keys, values, strict=True):
            cols[k].append(v)
        cols["grid_tp"].append(r.tp(task.grid_rows))
        cols["grid_fp"].append(r.fp(task.grid_rows))
    out = {k: np.asarray(v) for k, v in cols.items() if not k.startswith("grid")}
    out["grid_tp"] = np.stack(cols["grid_tp"])
    out["grid_fp"] = np.stack(cols["grid_fp"])
    out["ok"] = out["status"] == 0
    return out


def _replay_batch(
    plan: _Plan, rows: IntArray, seeds: list[np.random.SeedSequence]
) -> dict[str, Any]:
    tp, fp, n_pos, n_neg = [], [], [], []
    for seed in seeds:
        r, _ = _Resample.draw(plan, seed)
        tp.append(r.tp(rows))
        fp.append(r.fp(rows))
        n_pos.append(r.n_positive)
        n_neg.append(r.n_negative)
    return {
        "tp": np.stack(tp),
        "fp": np.stack(fp),
        "n_pos": np.asarray(n_pos),
        "n_neg": np.asarray(n_neg),
    }


def _map(fn: Any, plan: _Plan, arg: Any, seeds: list[Any], n_jobs: int | None) -> dict[str, Any]:
    size = max(1, -(-len(seeds) // (4 * (1 if n_jobs in (None, 1) else abs(n_jobs) + 1))))
    batches = [seeds[i : i + size] for i in range(0, len(seeds), size)]
    if n_jobs is None or n_jobs == 1 or len(batches) == 1:
        parts = [fn(plan, arg, b) for b in batches]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(delayed(fn)(plan, arg, b) for b in batches)
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


# --------------------------------------------------------------------------------------
# Statistics helpers
# --------------------------------------------------------------------------------------


def _quantiles(values: np.ndarray, percentiles: Sequence[float], axis: int = 0) -> np.ndarray:
    """Percentiles ignoring NaN (NaN where every value is NaN), linear interpolation."""
    values = np.asarray(values, dtype=np.float64)
    q = np.asarray(percentiles, dtype=np.float64) / 100
    defined = ~np.isnan(values)
    if defined.all():
        result: np.ndarray = np.quantile(values, q, axis=axis)
        return result
    out = np.full((len(q), *np.delete(values.shape, axis)), np.nan)
    if values.ndim == 1:
        if defined.any():
            out[:] = np.quantile(values[defined], q)[:]
        return out
    moved = np.moveaxis(values, axis, 0)
    for j in range(moved.shape[1]):
        col = moved[:, j]
        col = col[~np.isnan(col)]
        if col.size:
            out[:, j] = np.quantile(col, q)
    return out


def _threshold_quantiles(values: FloatArray, percentiles: Sequence[float]) -> FloatArray:
    """Percentiles of thresholds as observed values (inverted CDF; +inf allowed)."""
    v = values[~np.isnan(values)]
    if v.size == 0:
        return np.full(len(percentiles), np.nan)
    q = np.asarray(percentiles, dtype=np.float64) / 100
    return np.quantile(v, q, method="inverted_cdf")


def percentile_bands(
    thresholds: FloatArray,
    values: dict[str, FloatArray],
    percentiles: Sequence[float] = DEFAULT_PERCENTILES,
) -> Any:
    """Long table of percentile bands: one row per (metric, threshold).

    ``values[name]`` has shape (n_runs, n_thresholds). Returns a pandas DataFrame with
    columns ``metric``, ``threshold`` and ``p{q:g}`` per percentile.
    """
    import pandas as pd

    frames = []
    columns = [f"p{float(q):g}" for q in percentiles]
    for name, v in values.items():
        qs = _quantiles(v, percentiles, axis=0)
        data: dict[str, Any] = {"metric": name, "threshold": thresholds}
        data.update({c: qs[i] for i, c in enumerate(columns)})
        frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


def _check_percentiles(percentiles: Iterable[float]) -> tuple[float, ...]:
    out = tuple(float(q) for q in percentiles)
    if not out or any(not (0 <= q <= 100) for q in out):
        msg = f"'percentiles' must be numbers in [0, 100] (got {percentiles!r})"
        raise InvalidParameterError(msg)
    return out


def default_grid(thresholds: FloatArray, size: int = DEFAULT_GRID_SIZE) -> FloatArray:
    """Up to ``size`` observed thresholds, evenly spread in rank, in curve order.

    Curve order is fewest flagged first: decreasing for ``>=``, increasing for ``<=``.
    """
    finite = thresholds[np.isfinite(thresholds)]
    finite = np.unique(finite)
    if thresholds.size > 1 and thresholds[0] > thresholds[-1]:  # ">=": decreasing
        finite = finite[::-1]
    if finite.size <= size:
        return finite
    pick = np.unique(np.linspace(0, finite.size - 1, size).round().astype(np.int64))
    out: FloatArray = finite[pick]
    return out


def _grid_rows(curve: ConfusionCurve, grid: FloatArray) -> IntArray:
    """Curve row that applies threshold ``g`` for each grid value, under the curve's rule.

    Rows count the distinct scores flagged by ``g``: those ``>= g`` (or ``<= g``).
    """
    distinct = curve.thresholds[1:]
    g = np.asarray(grid, dtype=np.float64)
    if curve.rule == ">=":
        return np.searchsorted(-distinct, -g, side="right").astype(np.int64)
    return np.searchsorted(distinct, g, side="right").astype(np.int64)


# --------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------

_STATUS = {0: "ok", 1: "infeasible", 2: "undefined"}


@dataclass
class BootstrapResult:
    """The bootstrap distribution of an optimal threshold and of the metrics around it.

    Attributes
    ----------
    cutpoint : Cutpoint
        The threshold chosen on the full data (with ``select="lower_bound"``, the
        threshold maximizing the lower confidence bound of the objective).
    threshold : float
        ``cutpoint.threshold``.
    metric : str
        The objective's name.
    confidence : float
        Coverage of the reported intervals (two-sided percentile intervals).
    n_resamples : int
    thresholds : ndarray of float64, shape (n_resamples,)
        The optimal threshold of each resample (NaN where it had none).
    status : ndarray of str, shape (n_resamples,)
        ``"ok"``, ``"infeasible"`` (no threshold met the constraints) or
        ``"undefined"`` (the objective was NaN wherever they held).
    in_bag, out_of_bag, at_threshold : dict of str to ndarray, shape (n_resamples,)
        Each catalog metric (and the objective): at each resample's own optimum on the
        resample (optimistic), at that threshold on the rows left out of the resample
        (the honest estimate, as in R's cutpointr), and on each resample at the fixed
        full-data ``threshold`` (for "at 0.26, precision is 0.58–0.61").
        Out-of-bag *counts* (``tp``, ``fp``, ``flagged``, ...) count only the rows left
        out of each resample, about 37% of the data: compare rates (``flag_rate``,
        ``precision``), not counts, with the full-data values.
    """

    cutpoint: Cutpoint
    metric: str
    confidence: float
    n_resamples: int
    thresholds: FloatArray
    status: npt.NDArray[np.str_]
    in_bag: dict[str, FloatArray]
    out_of_bag: dict[str, FloatArray]
    at_threshold: dict[str, FloatArray]
    select: str = "point"
    stratified: bool = True
    _curve: ConfusionCurve | None = field(default=None, repr=False)
    _plan: _Plan | None = field(default=None, repr=False)
    _seeds: list[Any] = field(default_factory=list, repr=False)
    _grid: FloatArray | None = field(default=None, repr=False)
    _grid_counts: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _n_jobs: int | None = field(default=None, repr=False)

    @property
    def threshold(self) -> float:
        """The chosen threshold (``cutpoint.threshold``)."""
        return self.cutpoint.threshold

    @property
    def n_infeasible(self) -> int:
        """Resamples with no threshold meeting the constraints, or an undefined objective."""
        return int((self.status != "ok").sum())

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence

    def _pcts(self) -> tuple[float, float]:
        return (100 * self.alpha / 2, 100 * (1 - self.alpha / 2))

    def interval(
        self,
        name: str = "threshold",
        *,
        kind: Literal["in_bag", "out_of_bag", "at_threshold"] = "out_of_bag",
        method: Literal["percentile", "bca"] = "percentile",
    ) -> tuple[float, float]:
        """The two-sided interval of the threshold or of one metric at ``confidence``.

        Parameters
        ----------
        name : str
            ``"threshold"`` or a metric name (``"f1"``, ``"precision"``, ...).
        kind : {'out_of_bag', 'in_bag', 'at_threshold'}
            Which estimate (ignored for ``"threshold"``).
        method : {'percentile', 'bca'}
            ``'bca'`` (bias-corrected and accelerated) is available for
            ``kind="at_threshold"``: the metric at the fixed threshold is a smooth
            function of the four cell counts, so its jackknife is exact and cheap (rows
            of one cell all give the same leave-one-out value). The acceleration uses
            the ordinary (unstratified) jackknife. NaN when the bias correction is
            infinite (every resample on one side of the estimate).
        """
        check_choice(method, "method", ("percentile", "bca"))
        if name == "threshold":
            if method == "bca":
                msg = "'method'='bca' is available only for kind='at_threshold' metrics"
                raise InvalidParameterError(msg)
            lo, hi = _threshold_quantiles(self.thresholds, self._pcts())
            return float(lo), float(hi)
        check_choice(kind, "kind", ("in_bag", "out_of_bag", "at_threshold"))
        table = {
            "in_bag": self.in_bag,
            "out_of_bag": self.out_of_bag,
            "at_threshold": self.at_threshold,
        }[kind]
        key = get_metric(name).name
        if key not in table:
            msg = f"'name' must be 'threshold' or one of {sorted(table)} (got {name!r})"
            raise InvalidParameterError(msg)
        if method == "bca":
            if kind != "at_threshold":
                msg = f"'method'='bca' is available only for kind='at_threshold' (got {kind!r})"
                raise InvalidParameterError(msg)
            return self._bca(key)
        lo, hi = _quantiles(table[key], self._pcts())
        return float(lo), float(hi)

    def _bca(self, key: str) -> tuple[float, float]:
        from statistics import NormalDist

        values = self.at_threshold[key]
        values = values[~np.isnan(values)]
        theta = float(self.cutpoint.metrics.get(key, math.nan))
        if values.size == 0 or math.isnan(theta):
            return math.nan, math.nan
        below = (np.count_nonzero(values < theta) + 0.5 * np.count_nonzero(values == theta)) / (
            values.size
        )
        if below <= 0 or below >= 1:
            return math.nan, math.nan
        normal = NormalDist()
        z0 = normal.inv_cdf(below)
        jack, mult = self._jackknife(get_metric(key))
        ok = ~np.isnan(jack)
        jack, mult = jack[ok], mult[ok]
        if mult.sum() == 0:
            return math.nan, math.nan
        mean = np.average(jack, weights=mult)
        d = mean - jack
        den = 6 * (np.sum(mult * d**2)) ** 1.5
        a = float(np.sum(mult * d**3) / den) if den > 0 else 0.0
        out = []
        for p in self._pcts():
            z = normal.inv_cdf(p / 100)
            adj = normal.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
            out.append(float(np.quantile(values, adj)))
        return out[0], out[1]

    def _jackknife(self, metric: BoundMetric) -> tuple[FloatArray, FloatArray]:
        """Leave-one-row-out values at the fixed threshold, grouped: (values, rows)."""
        cut, plan = self.cutpoint, self._plan
        assert plan is not None
        assert self._curve is not None
        k = int(np.flatnonzero(self._curve.thresholds == cut.threshold)[0])
        base = np.array([cut.tp, cut.fp, cut.tn, cut.fn], dtype=np.float64)
        a, b = plan.pos_end[k], plan.neg_end[k]
        cells = [(0, 0, a), (1, plan.n_pos, b), (2, b, plan.order.size), (3, a, plan.n_pos)]
        vals, mult = [], []
        for cell, start, stop in cells:
            if stop <= start:
                continue
            weights: np.ndarray
            counts: np.ndarray
            if plan.weight is None:
                weights, counts = np.array([1.0]), np.array([stop - start], dtype=np.float64)
            else:
                weights, counts = np.unique(plan.weight[start:stop], return_counts=True)
            for w, c in zip(weights, counts, strict=True):
                left = base.copy()
                left[cell] -= w
                vals.append(float(metric(*[left[i : i + 1] for i in range(4)])[0]))
                mult.append(float(c))
        return np.asarray(vals), np.asarray(mult)

    def resample_indices(self, i: int) -> IntArray:
        """The row indices (into the input arrays) of resample ``i``, with repetition."""
        if self._plan is None:
            msg = "this result holds no resampling plan"
            raise InvalidParameterError(msg)
        return self._plan.order[_positions(self._plan, self._seeds[i])]

    def summary(self) -> Any:
        """A tidy table: one row per (quantity, estimate).

        Columns: ``quantity`` (``"threshold"`` or a metric), ``estimate``
        (``"threshold"``, ``"in_bag"``, ``"out_of_bag"``, ``"at_threshold"``),
        ``point`` (the full-data value), ``mean``, ``std``, ``lower``, ``upper``
        (the percentile interval at ``confidence``), ``n`` (resamples where it
        was defined), and ``bca_lower``, ``bca_upper`` (the BCa interval, for the
        ``at_threshold`` rows; NaN elsewhere).
        """
        import pandas as pd

        nan = math.nan
        lo_p, hi_p = self._pcts()
        rows: list[dict[str, Any]] = []
        t = self.thresholds
        tf = t[np.isfinite(t)]
        lo, hi = _threshold_quantiles(t, (lo_p, hi_p))
        rows.append(
            {
                "quantity": "threshold",
                "estimate": "threshold",
                "point": self.threshold,
                "mean": float(tf.mean()) if tf.size else math.nan,
                "std": float(tf.std(ddof=1)) if tf.size > 1 else math.nan,
                "lower": float(lo),
                "upper": float(hi),
                "n": int((~np.isnan(t)).sum()),
                "bca_lower": nan,
                "bca_upper": nan,
            }
        )
        point = dict(self.cutpoint.metrics)
        for kind, table in (
            ("in_bag", self.in_bag),
            ("out_of_bag", self.out_of_bag),
            ("at_threshold", self.at_threshold),
        ):
            for name, v in table.items():
                d = v[~np.isnan(v)]
                lo, hi = _quantiles(v, (lo_p, hi_p))
                rows.append(
                    {
                        "quantity": name,
                        "estimate": kind,
                        "point": float(point.get(name, math.nan)),
                        "mean": float(d.mean()) if d.size else math.nan,
                        "std": float(d.std(ddof=1)) if d.size > 1 else math.nan,
                        "lower": float(lo),
                        "upper": float(hi),
                        "n": int(d.size),
                        **dict(
                            zip(
                                ("bca_lower", "bca_upper"),
                                self._bca(name) if kind == "at_threshold" else (nan, nan),
                                strict=True,
                            )
                        ),
                    }
                )
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        pct = f"{100 * self.confidence:g}%"
        lo, hi = self.interval("threshold")
        lines = [
            f"Bootstrap of the {self.metric} cutpoint: {self.n_resamples} resamples"
            f" ({'stratified' if self.stratified else 'simple'}), {pct} percentile intervals",
            f"  threshold  {self.threshold:.6g}  [{lo:.6g}, {hi:.6g}]"
            + (" (chosen by lower confidence bound)" if self.select == "lower_bound" else ""),
        ]
        if self.n_infeasible:
            lines.append(
                f"  {self.n_infeasible} of {self.n_resamples} resamples had no feasible threshold"
                " (counted; excluded from the threshold and in-bag/out-of-bag intervals)"
            )
        names = [self.metric] + [
            # flag_rate, not flagged: out-of-bag samples are ~37% of the rows, so their
            # counts are not comparable with the full data's, while rates are.
            m
            for m in ("precision", "recall", "f1", "flag_rate")
            if m != self.metric
        ]
        lines.append(f"  {'metric':<12}{'full data':>11}  {'at threshold':>22}  {'out-of-bag':>22}")
        for name in names:
            if name not in self.at_threshold:
                continue
            a = self.interval(name, kind="at_threshold")
            o = self.interval(name, kind="out_of_bag")
            full = self.cutpoint.metrics.get(name, math.nan)
            lines.append(
                f"  {name:<12}{full:>11.4g}  [{a[0]:>9.4g}, {a[1]:>9.4g}]"
                f"  [{o[0]:>9.4g}, {o[1]:>9.4g}]"
            )
        return "\n".join(lines)

    def _replay(self, rows: IntArray) -> dict[str, Any]:
        assert self._plan is not None
        return _map(_replay_batch, self._plan, rows, self._seeds, self._n_jobs)

    def bands(
        self,
        metrics: Sequence[MetricLike] = DEFAULT_BAND_METRICS,
        percentiles: Sequence[float] = DEFAULT_PERCENTILES,
        grid: Any = None,
    ) -> Any:
        """Percentile bands of metrics as functions of the threshold.

        Parameters
        ----------
        metrics : sequence of str
            Any catalog metrics; ``"flagged"`` is the (weighted) flagged count of a
            resample (same size as the data).
        percentiles : sequence of float, default=(2.5, 50, 97.5)
        grid : array-like of float, optional
            Thresholds to evaluate at (flag ``score >= g``). By default up to 200
            observed scores evenly spread in rank. A custom grid re-runs the resamples
            (same seeds, so the same resamples).

        Returns
        -------
        pandas.DataFrame
            Long format: ``metric``, ``threshold`` and one column ``p{q:g}`` per
            percentile (``p2.5``, ``p50``, ``p97.5``).
        """
        pcts = _check_percentiles(percentiles)
        assert self._curve is not None
        if grid is None:
            assert self._grid is not None
            g = self._grid
            c = self._grid_counts
        else:
            g = np.asarray(grid, dtype=np.float64).ravel()
            c = self._replay(_grid_rows(self._curve, g))
        bound = [get_metric(m) for m in metrics]
        n_pos, n_neg = c["n_pos"][:, None], c["n_neg"][:, None]
        values = _metric_values(bound, c["tp"], c["fp"], n_pos, n_neg)
        return percentile_bands(g, values, pcts)

    def plateau(self) -> Any:
        """Every threshold whose full-data objective lies within the objective's interval.

        The interval is the percentile interval of the objective at the chosen
        threshold across resamples (``at_threshold``). A wide plateau means the exact
        optimum is not much better than many neighbours: pick among them by other
        criteria (capacity, cost) without losing anything measurable.

        Returns
        -------
        pandas.DataFrame
            ``threshold``, the objective, ``flagged``; sorted by threshold, descending.
        """
        import pandas as pd

        assert self._curve is not None
        curve = self._curve
        obj = get_metric(self.metric)
        values = curve.evaluate(obj)
        lo, hi = self.interval(self.metric, kind="at_threshold")
        maximize = self.cutpoint.maximize
        inside = values >= lo if maximize else values <= hi
        inside &= ~np.isnan(values)
        for c in as_constraints(list(self.cutpoint.constraints)):
            inside &= c.mask(curve.evaluate(c.metric))
        idx = np.flatnonzero(inside)
        return pd.DataFrame(
            {
                "threshold": curve.thresholds[idx],
                self.metric: values[idx],
                "flagged": (curve.tp + curve.fp)[idx],
            }
        )


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def _seed_sequence(random_state: Any) -> np.random.SeedSequence:
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(int(random_state.integers(0, 2**63)))
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.SeedSequence(None if random_state is None else int(random_state))
    msg = (
        f"'random_state' must be None, an int, a SeedSequence or a Generator (got {random_state!r})"
    )
    raise InvalidParameterError(msg)


def bootstrap(
    y_true: Any,
    y_score: Any,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    n_resamples: int = 1000,
    confidence: float = 0.95,
    stratified: bool = True,
    sample_weight: Any = None,
    random_state: Any = None,
    n_jobs: int | None = None,
    maximize: bool | None = None,
    ties: TieRule = "highest",
    pos_label: Any = None,
    select: SelectRule = "point",
    rule: Rule = ">=",
) -> BootstrapResult:
    """Bootstrap the optimal threshold: its distribution and the metrics around it.

    The scores are sorted once; every resample re-weights the rows (draws row indices
    with replacement, then counts them per distinct score), so a resample costs a few
    O(n) passes and no sort. Each resample's optimum is exactly the one
    :func:`find_cutpoint` finds on that resample built row by row.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples,)
        Labels and scores, as for :func:`find_cutpoint`.
    metric, constraints, maximize, ties, pos_label :
        As for :func:`find_cutpoint`.
    n_resamples : int, default=1000
        Number of bootstrap resamples (>= 1).
    confidence : float, default=0.95
        Coverage of the two-sided percentile intervals, in (0, 1).
    stratified : bool, default=True
        Resample positives and negatives separately, keeping the class counts fixed
        (each class needs at least 2 rows). Otherwise resample all rows together.
    sample_weight : array-like, optional
        Row weights; a drawn row contributes its weight each time it is drawn.
    random_state : int, Generator or SeedSequence, optional
        Seeds the resamples; each resample has its own child seed, so the result does
        not depend on ``n_jobs``.
    n_jobs : int, optional
        Processes for batches of resamples (joblib); None runs in this process.
    select : {'point', 'lower_bound'}, default='point'
        ``'point'`` chooses the full-data optimum. ``'lower_bound'`` chooses, among the
        thresholds feasible on the full data that were optimal in some resample or
        are among the 256 best on the full data, the one whose one-sided lower
        confidence bound of the objective (its ``(1 - confidence)`` quantile across
        resamples; the upper bound for minimized metrics) is best; ties go to the
        better full-data value, then the higher threshold. This prefers a threshold
        that is good in most resamples over a sharp, lucky peak. Costs a second pass.
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold``, or ``<=`` when lower scores mean positive; all
        thresholds (the chosen one, each resample's, the bands' grid) are in score units.

    Returns
    -------
    BootstrapResult

    Raises
    ------
    InvalidParameterError
        ``n_resamples < 1`` or ``confidence`` outside (0, 1).
    InvalidInputError
        Stratified resampling with a class of fewer than 2 rows.
    InfeasibleConstraintError
        The constraints hold in no resample (a warning counts partial failures).

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
    >>> s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3, 0.9, 0.05]
    >>> res = cp.bootstrap(y, s, metric="f1", n_resamples=200, random_state=0)
    >>> res.threshold, res.n_resamples, res.thresholds.shape
    (0.3, 200, (200,))
    >>> lo, hi = res.interval("precision", kind="at_threshold")
    >>> bool(0 <= lo <= hi <= 1)
    True
    >>> sorted(res.bands(metrics=["f1"]).columns)
    ['metric', 'p2.5', 'p50', 'p97.5', 'threshold']
    """
    if (
        isinstance(n_resamples, bool)
        or not isinstance(n_resamples, (int, np.integer))
        or n_resamples < 1
    ):
        msg = f"'n_resamples' must be an integer >= 1 (got {n_resamples!r})"
        raise InvalidParameterError(msg)
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, (int, float, np.floating))
        or not (0 < float(confidence) < 1)
    ):
        msg = f"'confidence' must be a number strictly between 0 and 1 (got {confidence!r})"
        raise InvalidParameterError(msg)
    check_choice(ties, "ties", TIE_RULES)
    check_choice(select, "select", ("point", "lower_bound"))
    confidence = float(confidence)
    n_resamples = int(n_resamples)

    score = check_scores(y_score, "y_score")
    target = check_target(y_true, pos_label, "y_true")
    check_consistent_length(y_true=target.is_positive, y_score=score)
    check_choice(rule, "rule", (">=", "<="))
    curve = confusion_curve(
        y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule
    )
    from ._validation import check_weights

    weight = check_weights(sample_weight, len(score)) if sample_weight is not None else None
    is_pos = target.is_positive
    pos_rows = np.flatnonzero(is_pos).astype(np.int64)
    neg_rows = np.flatnonzero(~is_pos).astype(np.int64)
    if stratified:
        for name, rows in (("positive", pos_rows), ("negative", neg_rows)):
            if rows.size < 2:
                msg = (
                    f"'stratified'=True needs at least 2 rows of each class in 'y_true' "
                    f"(got {rows.size} {name} rows); pass stratified=False or more data"
                )
                raise InvalidInputError(msg)

    cut = select_cutpoint(
        curve, metric=metric, constraints=constraints, maximize=maximize, ties=ties
    )
    objective = get_metric(metric)
    constraint_list = tuple(as_constraints(constraints))
    report = [*summary_metrics(), objective, *(c.metric for c in constraint_list)]
    unique: dict[str, BoundMetric] = {}
    for m in report:
        unique.setdefault(m.name, m)
    report = list(unique.values())

    # The plan orders rows as the curve does (fewest flagged first): by decreasing score
    # for ">=", by increasing score for "<=" (decreasing negated score).
    plan = _make_plan(curve, score if rule == ">=" else -score, is_pos, weight, bool(stratified))
    grid = default_grid(curve.thresholds)
    fixed_row = int(np.flatnonzero(curve.thresholds == cut.threshold)[0])
    task = _Task(
        objective=objective,
        constraints=constraint_list,
        maximize=cut.maximize,
        ties=ties,
        fixed_row=fixed_row,
        grid_rows=_grid_rows(curve, grid),
        monotone=_monotone_sign(objective),
    )
    seeds = _seed_sequence(random_state).spawn(n_resamples)
    out = _map(_run_batch, plan, task, seeds, n_jobs)

    ok = out["ok"]
    n_bad = int((~ok).sum())
    if n_bad == n_resamples:
        msg = (
            f"no feasible threshold in any of the {n_resamples} resamples for metric "
            f"'{objective.name}' with constraints {[str(c) for c in constraint_list]}"
        )
        raise InfeasibleConstraintError(msg, [])
    if n_bad:
        import warnings

        n_inf = int((out["status"] == 1).sum())
        warnings.warn(
            f"{n_bad} of {n_resamples} resamples had no feasible threshold "
            f"({n_inf} with infeasible constraints, {n_bad - n_inf} with the objective "
            "undefined); they are counted in 'status' and excluded from the threshold, "
            "in-bag and out-of-bag intervals",
            BootstrapWarning,
            stacklevel=2,
        )
    thresholds = np.where(
        ok, curve.thresholds[np.where(out["chosen"] < 0, 0, out["chosen"])], np.nan
    )
    in_bag = _metric_values(report, out["tp"], out["fp"], out["n_pos"], out["n_neg"], ok)
    oob = _metric_values(
        report, out["oob_tp"], out["oob_fp"], out["oob_n_pos"], out["oob_n_neg"], ok
    )
    fixed = _metric_values(report, out["fixed_tp"], out["fixed_fp"], out["n_pos"], out["n_neg"])
    result = BootstrapResult(
        cutpoint=cut,
        metric=objective.name,
        confidence=confidence,
        n_resamples=n_resamples,
        thresholds=thresholds,
        status=np.array([_STATUS[int(s)] for s in out["status"]]),
        in_bag=in_bag,
        out_of_bag=oob,
        at_threshold=fixed,
        select=select,
        stratified=bool(stratified),
        _curve=curve,
        _plan=plan,
        _seeds=seeds,
        _grid=grid,
        _grid_counts={
            "tp": out["grid_tp"],
            "fp": out["grid_fp"],
            "n_pos": out["n_pos"],
            "n_neg": out["n_neg"],
        },
        _n_jobs=n_jobs,
    )
    if select == "lower_bound":
        _choose_lower_bound(result, objective, constraint_list, report, ties)
    return result


def _choose_lower_bound(
    result: BootstrapResult,
    objective: BoundMetric,
    constraints: tuple[Constraint, ...],
    report: list[BoundMetric],
    ties: str,
) -> None:
    """Re-choose the threshold by the lower confidence bound of the objective (in place)."""
    curve = result._curve
    assert curve is not None
    cut = result.cutpoint
    maximize = cut.maximize
    full = curve.evaluate(objective)
    feasible = ~np.isnan(full)
    for con in constraints:
        feasible &= con.mask(curve.evaluate(con.metric))
    ranked = np.flatnonzero(feasible)
    key = full[ranked] if maximize else -full[ranked]
    top = ranked[np.argsort(-key, kind="stable")[:256]]
    seen = result.thresholds[~np.isnan(result.thresholds)]
    seen_rows = np.flatnonzero(np.isin(curve.thresholds, seen))
    candidates = np.union1d(top, seen_rows[feasible[seen_rows]]).astype(np.int64)
    c = result._replay(candidates)
    n_pos, n_neg = c["n_pos"][:, None], c["n_neg"][:, None]
    vals = objective(c["tp"], c["fp"], n_neg - c["fp"], n_pos - c["tp"])
    q = 100 * (1 - result.confidence) if maximize else 100 * result.confidence
    bound = _quantiles(vals, (q,), axis=0)[0]
    score = np.where(np.isnan(bound), -np.inf, bound if maximize else -bound)
    best = score.max()
    tied = candidates[score == best]
    fv = full[tied] if maximize else -full[tied]
    tied = tied[fv == fv.max()]
    row = int(tied[0] if ties != "lowest" else tied[-1])
    j = int(np.flatnonzero(candidates == row)[0])
    new_cut = cutpoint_at_row(
        curve, row, objective, constraints, maximize=maximize, ties=cut.ties, score=float(full[row])
    )
    result.cutpoint = new_cut
    result.at_threshold = _metric_values(
        report, c["tp"][:, j], c["fp"][:, j], c["n_pos"], c["n_neg"]
    )


def find_cutpoint_robust(
    y_true: Any,
    y_score: Any,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    n_resamples: int = 1000,
    confidence: float = 0.95,
    random_state: Any = None,
    **kwargs: Any,
) -> Cutpoint:
    """The threshold maximizing a lower confidence bound of ``metric`` (not its estimate).

    Shorthand for ``bootstrap(..., select="lower_bound").cutpoint``; see
    :func:`bootstrap` for how the bound and the candidates are defined.

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
    >>> s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3, 0.9, 0.05]
    >>> cut = cp.find_cutpoint_robust(y, s, n_resamples=100, random_state=0)
    >>> cut.threshold in s
    True
    """
    return bootstrap(
        y_true,
        y_score,
        metric=metric,
        constraints=constraints,
        n_resamples=n_resamples,
        confidence=confidence,
        random_state=random_state,
        select="lower_bound",
        **kwargs,
    ).cutpoint
