"""Interval statistics: percentiles, percentile bands of curves, the BCa jackknife.

Pure functions of arrays of resample (or repeat) values; nothing here draws or selects.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

from .._metrics import BoundMetric
from ..errors import InvalidParameterError
from ._resample import Plan

__all__ = [
    "DEFAULT_BAND_METRICS",
    "DEFAULT_GRID_SIZE",
    "DEFAULT_PERCENTILES",
    "bca_interval",
    "check_percentiles",
    "default_grid",
    "is_rate",
    "jackknife",
    "percentile_bands",
    "quantiles",
    "threshold_quantiles",
]

FloatArray = npt.NDArray[np.float64]
DEFAULT_BAND_METRICS = ("precision", "recall", "f1", "flagged")
DEFAULT_PERCENTILES = (2.5, 50.0, 97.5)
DEFAULT_GRID_SIZE = 200


def quantiles(values: np.ndarray, percentiles: Sequence[float], axis: int = 0) -> np.ndarray:
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


def threshold_quantiles(values: FloatArray, percentiles: Sequence[float]) -> FloatArray:
    """Percentiles as observed values (inverted CDF, NaN ignored; +inf allowed).

    Used for thresholds, and for counts that are whole numbers, so an interval's ends
    are values that occurred, never fractions between them.
    """
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
        qs = quantiles(v, percentiles, axis=0)
        data: dict[str, Any] = {"metric": name, "threshold": thresholds}
        data.update({c: qs[i] for i, c in enumerate(columns)})
        frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


def check_percentiles(percentiles: Iterable[float]) -> tuple[float, ...]:
    """Validate ``percentiles`` (numbers in [0, 100], at least one)."""
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


def is_rate(metric: BoundMetric, counts: Sequence[float]) -> bool:
    """Whether ``metric`` is a rate (unchanged when every count is scaled), not a total.

    Checked on ``counts`` (tp, fp, tn, fn) and on two count vectors of opposite shape:
    scaling by 4 is exact in floating point, so a ratio of counts gives identical bits
    and a sum (``tp``, ``flagged``, an unnormalized cost) gives four times the value.
    """
    probes = np.array([list(counts), [3.0, 1.0, 5.0, 7.0], [11.0, 13.0, 2.0, 1.0]])
    tp, fp, tn, fn = (probes[:, j] for j in range(4))
    with np.errstate(all="ignore"):
        base = np.asarray(metric(tp, fp, tn, fn), dtype=np.float64)
        scaled = np.asarray(metric(4 * tp, 4 * fp, 4 * tn, 4 * fn), dtype=np.float64)
    return bool(np.array_equal(base, scaled, equal_nan=True))


def jackknife(
    plan: Plan, row: int, base: Sequence[float], metric: BoundMetric
) -> tuple[FloatArray, FloatArray]:
    """Leave-one-row-out values of ``metric`` flagging at curve ``row``, grouped.

    ``base`` is (tp, fp, tn, fn) on the full data. Rows of one confusion cell (and one
    weight) give the same leave-one-out value, so the jackknife is exact and costs one
    evaluation per (cell, weight): returns (values, how many rows give each).
    """
    counts = np.asarray(base, dtype=np.float64)
    a, b = plan.pos_end[row], plan.neg_end[row]
    cells = [(0, 0, a), (1, plan.n_pos, b), (2, b, plan.order.size), (3, a, plan.n_pos)]
    vals, mult = [], []
    for cell, start, stop in cells:
        if stop <= start:
            continue
        weights: np.ndarray
        sizes: np.ndarray
        if plan.weight is None:
            weights, sizes = np.array([1.0]), np.array([stop - start], dtype=np.float64)
        else:
            weights, sizes = np.unique(plan.weight[start:stop], return_counts=True)
        for w, c in zip(weights, sizes, strict=True):
            left = counts.copy()
            left[cell] -= w
            vals.append(float(metric(*[left[i : i + 1] for i in range(4)])[0]))
            mult.append(float(c))
    return np.asarray(vals), np.asarray(mult)


def bca_interval(
    values: FloatArray,
    theta: float,
    jack: FloatArray,
    mult: FloatArray,
    percentiles: Sequence[float],
) -> tuple[float, float]:
    """The bias-corrected and accelerated interval of resample ``values`` around ``theta``.

    ``jack``/``mult`` are grouped jackknife values (:func:`jackknife`). NaN when the
    bias correction is infinite: every resample on one side of ``theta`` (a count that
    resampling cannot move, such as ``tp + fn`` in a stratified bootstrap, or a metric
    pinned at a bound of its range).
    """
    values = values[~np.isnan(values)]
    if values.size == 0 or math.isnan(theta):
        return math.nan, math.nan
    below = (np.count_nonzero(values < theta) + 0.5 * np.count_nonzero(values == theta)) / (
        values.size
    )
    if below <= 0 or below >= 1:
        return math.nan, math.nan
    normal = NormalDist()
    z0 = normal.inv_cdf(below)
    ok = ~np.isnan(jack)
    jack, mult = jack[ok], mult[ok]
    if mult.sum() == 0:
        return math.nan, math.nan
    mean = np.average(jack, weights=mult)
    d = mean - jack
    den = 6 * (np.sum(mult * d**2)) ** 1.5
    a = float(np.sum(mult * d**3) / den) if den > 0 else 0.0
    out = []
    for p in percentiles:
        z = normal.inv_cdf(p / 100)
        adj = normal.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
        out.append(float(np.quantile(values, adj)))
    return out[0], out[1]
