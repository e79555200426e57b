"""The result of a bootstrap: per-resample thresholds and metrics, intervals, bands."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from .._display import shown_metrics
from .._metrics import BoundMetric, MetricLike, get_metric
from .._validation import check_choice
from ..errors import InvalidParameterError
from ..selection import as_constraints
from ._intervals import (
    DEFAULT_BAND_METRICS,
    DEFAULT_PERCENTILES,
    bca_interval,
    check_percentiles,
    is_rate,
    jackknife,
    percentile_bands,
    quantiles,
    threshold_quantiles,
)
from ._resample import Plan, map_batches, positions, replay_batch

__all__ = ["STATUS", "BootstrapResult", "metric_values"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Kind = Literal["in_bag", "out_of_bag", "at_threshold"]

#: Kernel status -> code stored per resample.
STATUS: dict[str, int] = {"ok": 0, "infeasible": 1, "undefined": 2, "one_class": 3}
#: How the summary labels out-of-bag totals (counts, unnormalized costs) it scaled.
SCALED = "out_of_bag_scaled"


def metric_values(
    metrics: Sequence[BoundMetric],
    tp: np.ndarray,
    fp: np.ndarray,
    n_pos: np.ndarray,
    n_neg: np.ndarray,
    valid: npt.NDArray[np.bool_] | None = None,
    columns: Mapping[str, np.ndarray] | None = None,
) -> dict[str, FloatArray]:
    """Each metric on arrays of counts (NaN where ``valid`` is False).

    A metric that reads extra ``columns`` (the total ``"value"``) gets them; without
    them it is left out.
    """
    tn, fn = n_neg - fp, n_pos - tp
    columns = columns or {}
    out = {}
    for m in metrics:
        if any(c not in columns for c in m.columns):
            continue
        v = m(tp, fp, tn, fn, **{c: columns[c] for c in m.columns})
        if valid is not None:
            v = np.where(valid, v, np.nan)
        out[m.name] = v
    return out


def _row_value(plan: Plan, key: str, start: int, stop: int, weight: FloatArray) -> FloatArray:
    """Each row's ``weight * value`` of outcome ``key``, at plan positions start:stop."""
    assert plan.row_values is not None
    entry = plan.row_values.entries.get(key)
    if entry is None:
        return np.zeros(stop - start)
    if not isinstance(entry, np.ndarray):
        return entry * weight
    source, sign = (plan.value_derived or {}).get(key, (key, 1.0))
    column = plan.value_columns[plan.value_names.index(source)]
    return np.asarray(sign * column[start:stop], dtype=np.float64)


def value_jackknife(
    plan: Plan, row: int, base: Sequence[float], value: float, metric: BoundMetric
) -> tuple[FloatArray, FloatArray]:
    """Leave-one-row-out values of a metric of the total ``value`` at curve ``row``.

    As :func:`~cutpoints.uncertainty._intervals.jackknife`, grouped by (cell, weight,
    the row's ``weight * value``): leaving a row out removes its weight from its cell
    and its value from the total.
    """
    counts = np.asarray(base, dtype=np.float64)
    a, b, n = plan.pos_end[row], plan.neg_end[row], plan.order.size
    cells = [(0, "tp", 0, a), (1, "fp", plan.n_pos, b), (2, "tn", b, n), (3, "fn", a, plan.n_pos)]
    vals, mult = [], []
    for cell, key, start, stop in cells:
        if stop <= start:
            continue
        w = (
            np.ones(stop - start)
            if plan.weight is None
            else np.asarray(plan.weight[start:stop], dtype=np.float64)
        )
        pairs, sizes = np.unique(
            np.column_stack((w, _row_value(plan, key, start, stop, w))), axis=0, return_counts=True
        )
        for (wi, vi), c in zip(pairs, sizes, strict=True):
            left = counts.copy()
            left[cell] -= wi
            cells_ = [left[i : i + 1] for i in range(4)]
            out = metric(*cells_, **{name: np.array([value - vi]) for name in metric.columns})
            vals.append(float(out[0]))
            mult.append(float(c))
    return np.asarray(vals), np.asarray(mult)


def _integral(values: FloatArray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(finite.size) and bool(np.all(finite == np.round(finite)))


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
        The selection kernel's status on each resample: ``"ok"``, ``"infeasible"`` (no
        threshold met the constraints), ``"undefined"`` (the objective was NaN
        wherever they held) or ``"one_class"`` (the resample drew one class only, with
        weight; possible without stratification). Where :func:`cutpoints.find_cutpoint`
        would raise on the resample, the status says why. Counted, never dropped.
    in_bag, out_of_bag, at_threshold : dict of str to ndarray, shape (n_resamples,)
        Each catalog metric (and the objective): at each resample's own optimum on the
        resample (optimistic), at that threshold on the rows left out of the resample
        (the honest estimate, as in R's cutpointr), and on each resample at the fixed
        full-data ``threshold`` (for "at 0.26, precision is 0.58–0.61").
        Out-of-bag *counts* (``tp``, ``fp``, ``flagged``, ...) count only the rows left
        out of each resample, about 37% of the data; :meth:`summary` scales them to the
        full data's size before comparing them with the full-data values.
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
    _plan: Plan | None = field(default=None, repr=False)
    _seeds: list[Any] = field(default_factory=list, repr=False)
    _grid: FloatArray | None = field(default=None, repr=False)
    _grid_counts: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _n_jobs: int | None = field(default=None, repr=False)
    _metrics: dict[str, BoundMetric] = field(default_factory=dict, repr=False)
    #: Per table (in_bag, out_of_bag, at_threshold): the extra columns its metrics read.
    _columns: dict[str, dict[str, FloatArray]] = field(default_factory=dict, repr=False)

    @property
    def threshold(self) -> float:
        """The chosen threshold (``cutpoint.threshold``)."""
        return self.cutpoint.threshold

    @property
    def n_infeasible(self) -> int:
        """Resamples with no threshold chosen (any status but ``"ok"``)."""
        return int((self.status != "ok").sum())

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence

    def _pcts(self) -> tuple[float, float]:
        return (100 * self.alpha / 2, 100 * (1 - self.alpha / 2))

    def _metric(self, name: str) -> BoundMetric:
        return self._metrics[name] if name in self._metrics else get_metric(name)

    def _point_counts(self) -> tuple[float, float, float, float]:
        c = self.cutpoint
        return (float(c.tp), float(c.fp), float(c.tn), float(c.fn))

    def _rate(self, name: str) -> bool:
        metric = self._metric(name)
        if not metric.columns:
            return is_rate(metric, self._point_counts())
        # A metric of the value columns too: a rate if scaling counts and columns by 4
        # (exact in floating point) leaves it unchanged, as for is_rate.
        cells = np.array([self._point_counts(), (3.0, 1.0, 5.0, 7.0)])
        extra = {
            c: np.array([float(self.cutpoint.metrics.get(c, 1.0)), -2.5]) for c in metric.columns
        }
        with np.errstate(all="ignore"):
            base = metric(*cells.T, **extra)
            scaled = metric(*(4 * cells.T), **{c: 4 * v for c, v in extra.items()})
        return bool(np.array_equal(base, scaled, equal_nan=True))

    def _ends(self, name: str, values: FloatArray) -> tuple[float, float]:
        """Percentile interval; for whole-number totals, ends that are observed values."""
        if not self._rate(name) and _integral(values):
            lo, hi = threshold_quantiles(values, self._pcts())
        else:
            lo, hi = quantiles(values, self._pcts())
        return float(lo), float(hi)

    def interval(
        self,
        name: str = "threshold",
        *,
        kind: Kind = "out_of_bag",
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

        Notes
        -----
        Percentile ends interpolate linearly between resample values, except for the
        threshold and for totals that are whole numbers (counts without weights or with
        integer weights): their ends are observed values, never fractions of a row.
        Out-of-bag totals are returned as counted (on the ~37% of rows left out);
        :meth:`summary` scales them to the full data.
        """
        check_choice(method, "method", ("percentile", "bca"))
        if name == "threshold":
            if method == "bca":
                msg = "'method'='bca' is available only for kind='at_threshold' metrics"
                raise InvalidParameterError(msg)
            lo, hi = threshold_quantiles(self.thresholds, self._pcts())
            return float(lo), float(hi)
        check_choice(kind, "kind", ("in_bag", "out_of_bag", "at_threshold"))
        table = self._table(kind)
        key = name if name in table else get_metric(name).name
        if key not in table:
            msg = f"'name' must be 'threshold' or one of {sorted(table)} (got {name!r})"
            raise InvalidParameterError(msg)
        if method == "bca":
            if kind != "at_threshold":
                msg = f"'method'='bca' is available only for kind='at_threshold' (got {kind!r})"
                raise InvalidParameterError(msg)
            return self._bca(key)
        return self._ends(key, table[key])

    def _table(self, kind: str) -> dict[str, FloatArray]:
        return {
            "in_bag": self.in_bag,
            "out_of_bag": self.out_of_bag,
            "at_threshold": self.at_threshold,
        }[kind]

    def _row(self) -> int:
        assert self._curve is not None
        return self._curve.index_at(self.cutpoint.threshold)

    def _bca(self, key: str) -> tuple[float, float]:
        theta = float(self.cutpoint.metrics.get(key, math.nan))
        values = self.at_threshold[key]
        if math.isnan(theta) or np.isnan(values).all():
            return math.nan, math.nan
        jack, mult = self._jackknife(self._metric(key))
        return bca_interval(values, theta, jack, mult, self._pcts())

    def _jackknife(self, metric: BoundMetric) -> tuple[FloatArray, FloatArray]:
        """Leave-one-row-out values at the fixed threshold, grouped: (values, rows)."""
        assert self._plan is not None
        if metric.columns:
            value = float(self.cutpoint.metrics.get("value", math.nan))
            return value_jackknife(self._plan, self._row(), self._point_counts(), value, metric)
        return jackknife(self._plan, self._row(), self._point_counts(), metric)

    def resample_indices(self, i: int) -> IntArray:
        """The row indices (into the input arrays) of resample ``i``, with repetition."""
        if self._plan is None:
            msg = "this result holds no resampling plan"
            raise InvalidParameterError(msg)
        return self._plan.order[positions(self._plan, self._seeds[i])]

    def _scaled_out_of_bag(self, name: str) -> FloatArray:
        """Out-of-bag values of a total, on counts scaled to the full data's size.

        Each resample's out-of-bag counts are multiplied by (full-data total weight) /
        (its out-of-bag total weight), so the value is what its out-of-bag rates imply
        on data as large as the full data: comparable with the full-data value.
        """
        oob = self.out_of_bag
        total = oob["tp"] + oob["fp"] + oob["tn"] + oob["fn"]
        c = self.cutpoint
        # An empty out-of-bag set (every row drawn) scales by inf: NaN, not a warning.
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = (c.n_positive + c.n_negative) / total
            cells = [oob[k] * scale for k in ("tp", "fp", "tn", "fn")]
            metric = self._metric(name)
            raw = self._columns.get("out_of_bag", {})
            extra = {c: raw[c] * scale for c in metric.columns}
            return np.asarray(metric(*cells, **extra), dtype=np.float64)

    def summary(self, *, bca: bool = False) -> Any:
        """A tidy table: one row per (quantity, estimate).

        Parameters
        ----------
        bca : bool, default=False
            Add ``bca_lower`` and ``bca_upper``: the bias-corrected and accelerated
            interval, defined only for the ``at_threshold`` rows (NaN on the others)
            and, among those, only where resampling moves the metric to both sides of
            its full-data value (NaN for a count that stratified resampling cannot
            change, such as ``tp + fn``, or for a metric pinned at a bound of its
            range). ``attrs["notes"]`` then says so.

        Returns
        -------
        pandas.DataFrame
            Columns: ``quantity`` (``"threshold"`` or a metric), ``estimate``
            (``"threshold"``, ``"in_bag"``, ``"out_of_bag"``, ``"out_of_bag_scaled"``,
            ``"at_threshold"``), ``point`` (the full-data value), ``mean``, ``std``,
            ``lower``, ``upper`` (the percentile interval at ``confidence``) and ``n``
            (resamples where it was defined).

            Out-of-bag rows cover only the rows left out of each resample (about 37% of
            the data). Rates (precision, flag rate, ...) are shown as they are; totals
            (``tp``, ``fp``, ``flagged``, an unnormalized cost) are shown on counts
            scaled to the full data's size, with estimate ``"out_of_bag_scaled"``, so
            that they compare with ``point``; scaled totals are fractional by design.
            Intervals of whole-number totals are observed values (see
            :meth:`interval`).
        """
        import pandas as pd

        lo_p, hi_p = self._pcts()
        rows: list[dict[str, Any]] = []
        t = self.thresholds
        tf = t[np.isfinite(t)]
        lo, hi = threshold_quantiles(t, (lo_p, hi_p))
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
            }
        )
        point = dict(self.cutpoint.metrics)
        for kind in ("in_bag", "out_of_bag", "at_threshold"):
            for name, v in self._table(kind).items():
                estimate = kind
                if kind == "out_of_bag" and not self._rate(name):
                    v, estimate = self._scaled_out_of_bag(name), SCALED
                d = v[~np.isnan(v)]
                lo, hi = self._ends(name, v) if estimate != SCALED else quantiles(v, self._pcts())
                row: dict[str, Any] = {
                    "quantity": name,
                    "estimate": estimate,
                    "point": float(point.get(name, math.nan)),
                    "mean": float(d.mean()) if d.size else math.nan,
                    "std": float(d.std(ddof=1)) if d.size > 1 else math.nan,
                    "lower": float(lo),
                    "upper": float(hi),
                    "n": int(d.size),
                }
                if bca:
                    pair = self._bca(name) if kind == "at_threshold" else (math.nan, math.nan)
                    row["bca_lower"], row["bca_upper"] = pair
                rows.append(row)
        frame = pd.DataFrame(rows)
        if bca:
            frame.attrs["notes"] = [
                "bca_lower/bca_upper: only for the at_threshold rows, and NaN where every "
                "resample falls on one side of the full-data value (the bias correction is "
                "then infinite)"
            ]
        return frame

    def __str__(self) -> str:
        pct = f"{100 * self.confidence:g}%"
        lo, hi = self.interval("threshold")
        lines = [
            f"Bootstrap of the {self.metric} cutpoint: {self.n_resamples} resamples"
            f" ({'stratified' if self.stratified else 'simple'}), {pct} percentile intervals",
            f"  threshold  {self.threshold!r}  [{lo!r}, {hi!r}]"
            + (" (chosen by lower confidence bound)" if self.select == "lower_bound" else ""),
        ]
        if self.n_infeasible:
            lines.append(
                f"  {self.n_infeasible} of {self.n_resamples} resamples had no feasible threshold"
                " (counted; excluded from the threshold and in-bag/out-of-bag intervals)"
            )
        objective = self._metrics.get(self.metric)
        names = [m.name for m in shown_metrics(objective, self.cutpoint.constraints)]
        lines.append(f"  {'metric':<18}{'full data':>11}  {'at threshold':>22}  {'out-of-bag':>23}")
        scaled = False
        for name in names:
            if name not in self.at_threshold:
                continue
            a = self.interval(name, kind="at_threshold")
            if self._rate(name):
                o, mark = self.interval(name, kind="out_of_bag"), ""
            else:
                lo_s, hi_s = quantiles(self._scaled_out_of_bag(name), self._pcts())
                o, mark, scaled = (float(lo_s), float(hi_s)), "*", True
            full = self.cutpoint.metrics.get(name, math.nan)
            lines.append(
                f"  {name:<18}{full:>11.4g}  [{a[0]:>9.4g}, {a[1]:>9.4g}]"
                f"  [{o[0]:>9.4g}, {o[1]:>9.4g}]{mark}"
            )
        if scaled:
            lines.append(
                "  * out-of-bag rows are about 37% of the data: totals scaled to the full "
                "data's size"
            )
        return "\n".join(lines)

    def _replay(self, rows: IntArray) -> dict[str, Any]:
        assert self._plan is not None
        return map_batches(replay_batch, self._plan, rows, self._seeds, self._n_jobs)

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
        pcts = check_percentiles(percentiles)
        assert self._curve is not None
        if grid is None:
            assert self._grid is not None
            g = self._grid
            c = self._grid_counts
        else:
            g = np.asarray(grid, dtype=np.float64).ravel()
            c = self._replay(self._curve.rows_at(g))
        bound = [get_metric(m) for m in metrics]
        for m in bound:
            if m.columns and not all(k in c for k in m.columns):
                msg = (
                    f"metric '{m.name}' reads per-row values: bootstrap with values= to "
                    f"get its bands (got metrics={list(metrics)!r})"
                )
                raise InvalidParameterError(msg)
        n_pos, n_neg = c["n_pos"][:, None], c["n_neg"][:, None]
        extra = {k: c[k] for k in ("value",) if k in c}
        values = metric_values(bound, c["tp"], c["fp"], n_pos, n_neg, columns=extra)
        return percentile_bands(g, values, pcts)

    def plateau(self) -> Any:
        """Every threshold whose full-data objective lies within the objective's interval.

        The interval is the percentile interval of the objective at the chosen
        threshold across resamples (``at_threshold``). A wide plateau means the exact
        optimum is not much better than many neighbours: pick among them by other
        criteria (capacity, cost) without losing anything measurable. Only thresholds
        that meet the constraints are listed.

        Returns
        -------
        pandas.DataFrame
            ``threshold``, the objective, ``flagged``; in curve order (fewest flagged
            first).
        """
        import pandas as pd

        assert self._curve is not None
        curve = self._curve
        obj = self._metric(self.metric)
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
