"""The confusion curve: confusion counts at every candidate threshold.

Engines build it; everything else (metrics, selection, plots, reports) reads it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from ._counts import evaluate_rows
from ._metrics import BoundMetric, MetricLike, get_metric
from .errors import InvalidParameterError

if TYPE_CHECKING:
    from ._counts import Column
    from ._values import ValueCurve

__all__ = ["ConfusionCurve", "Rule"]

Rule = Literal[">=", "<="]


def _readonly(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


class ConfusionCurve:
    """Confusion counts at every candidate threshold, from one exact sweep.

    Row ``i`` describes the decision "flag a row iff ``score >= thresholds[i]``" (or
    ``<=`` with ``rule="<="``). Candidates are every distinct observed score plus a
    first row that flags nothing (``+inf``; ``-inf`` for ``rule="<="``), so every
    column has the same length. Thresholds are ordered from the one that flags fewest to
    the one that flags most.

    Build one with :func:`cutpoints.confusion_curve`.

    Attributes
    ----------
    thresholds : ndarray of float64, shape (n_thresholds,)
        ``+inf`` then the distinct scores in decreasing order (for ``rule="<="``:
        ``-inf`` then increasing).
    tp, fp, tn, fn : ndarray, shape (n_thresholds,)
        Element i is the (weighted) count of true positives, false positives, true
        negatives and false negatives when flagging ``score >= thresholds[i]``. int64
        for unweighted or integer-weighted data, float64 otherwise.
    n_positive, n_negative : int or float
        The (weighted) class totals P and N.
    n_samples : int
        The number of rows, whatever their weights.
    rule : {'>=', '<='}
        The decision rule the thresholds are for.
    weighted : bool
        Whether sample weights were given.
    positive_label, negative_label : object
        The label values of the two classes (``negative_label`` is None if unknown).
    values : ValueCurve or None
        With per-row values (``confusion_curve(..., values=...)``): the value of each
        outcome at every threshold (``values.outcome("tp")``, ...) and their total
        (``values[rows]``, the column the metric ``"value"`` reads).
    """

    def __init__(
        self,
        thresholds: npt.NDArray[np.float64],
        tp: np.ndarray,
        fp: np.ndarray,
        *,
        n_positive: float,
        n_negative: float,
        n_samples: int,
        rule: Rule = ">=",
        weighted: bool = False,
        positive_label: Any = 1,
        negative_label: Any = 0,
        values: ValueCurve | None = None,
    ) -> None:
        if not (len(thresholds) == len(tp) == len(fp)):
            lengths = f"{len(thresholds)}, {len(tp)}, {len(fp)}"
            msg = f"thresholds, tp and fp must have equal lengths (got {lengths})"
            raise InvalidParameterError(msg)
        self.thresholds = _readonly(np.asarray(thresholds, dtype=np.float64))
        self.tp = _readonly(np.asarray(tp))
        self.fp = _readonly(np.asarray(fp))
        self.n_positive = n_positive
        self.n_negative = n_negative
        self.n_samples = int(n_samples)
        self.rule: Rule = rule
        self.weighted = bool(weighted)
        self.positive_label = positive_label
        self.negative_label = negative_label
        if values is not None and len(values) != len(self.thresholds):
            msg = f"values must have one row per threshold (got {len(values)}, {len(self)})"
            raise InvalidParameterError(msg)
        self.values = values

    def column(self, name: str) -> Column | None:
        """An extra column metrics may read: ``"value"`` (the total value), or None."""
        if name == "value":
            return self.values
        return None

    def _columns_at(self, rows: Any) -> dict[str, np.ndarray]:
        """Every extra column at ``rows`` (for metrics that read them)."""
        return {} if self.values is None else {"value": self.values[rows]}

    @cached_property
    def tn(self) -> np.ndarray:
        """True negatives at each threshold: ``n_negative - fp``."""
        return _readonly(self.n_negative - self.fp)

    @cached_property
    def fn(self) -> np.ndarray:
        """False negatives at each threshold: ``n_positive - tp``."""
        return _readonly(self.n_positive - self.tp)

    @property
    def n_total(self) -> float:
        """The (weighted) number of rows, P + N."""
        return self.n_positive + self.n_negative

    @property
    def prevalence(self) -> float:
        """Share of (weighted) rows that are positive."""
        return float(self.n_positive / self.n_total) if self.n_total else math.nan

    @property
    def probability_like(self) -> bool:
        """Whether every observed score lies in [0, 1], as probabilities do.

        Closed-form references (Bayes, F1/2, Chow) and probability-only views apply only
        then. Thresholds are sorted, so the extremes are the ends (row 0 is +/-inf).
        """
        if len(self.thresholds) < 2:
            return False
        ends = (float(self.thresholds[1]), float(self.thresholds[-1]))
        return min(ends) >= 0 and max(ends) <= 1

    def provenance(self) -> dict[str, Any]:
        """What a result chosen on this curve records about it: the rule, class totals,
        row count, weighting, labels and the curve itself (keyword arguments of
        :class:`~cutpoints.Cutpoint` and :class:`~cutpoints.RejectBand`)."""
        return {
            "rule": self.rule,
            "n_samples": self.n_samples,
            "n_positive": self.n_positive,
            "n_negative": self.n_negative,
            "weighted": self.weighted,
            "positive_label": self.positive_label,
            "negative_label": self.negative_label,
            "curve": self,
        }

    def __len__(self) -> int:
        return len(self.thresholds)

    def __repr__(self) -> str:
        return (
            f"ConfusionCurve(n_thresholds={len(self)}, n_samples={self.n_samples}, "
            f"n_positive={self.n_positive}, n_negative={self.n_negative}, rule='{self.rule}')"
        )

    def metric(self, metric: MetricLike, **params: Any) -> npt.NDArray[np.float64]:
        """The values of one metric at every threshold.

        Parameters
        ----------
        metric : str, Metric, BoundMetric or callable
            E.g. ``"f1"``, ``"gmean"``, ``"cost(fp=1, fn=10)"``.
        **params
            Metric parameters, overriding those in the text.

        Returns
        -------
        ndarray of float64, shape (n_thresholds,)
            Element i is the metric when flagging ``score >= thresholds[i]``; NaN where
            the metric is undefined.

        Examples
        --------
        >>> import cutpoints as cp
        >>> curve = cp.confusion_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> curve.metric("precision").round(3)
        array([  nan, 1.   , 0.5  , 0.667, 0.5  ])
        """
        return self.evaluate(get_metric(metric, **params))

    def evaluate(self, metric: BoundMetric) -> npt.NDArray[np.float64]:
        """A bound metric at every threshold, evaluated in chunks to bound memory."""
        return evaluate_rows(self, metric)

    def rows_at(self, thresholds: Any) -> npt.NDArray[np.int64]:
        """The rows whose decisions equal flagging with each of ``thresholds``. Vectorized.

        A threshold need not be an observed score: the counts of ``score >= t`` equal
        those of the smallest candidate ``>= t`` (for ``rule="<="``: the largest
        candidate ``<= t``). The one threshold-to-row lookup of the package.

        Examples
        --------
        >>> import cutpoints as cp
        >>> curve = cp.confusion_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> curve.rows_at([2.0, 0.8, 0.5, 0.35, -1.0]).tolist()
        [0, 1, 1, 3, 4]
        """
        t = np.asarray(thresholds, dtype=np.float64)
        if np.isnan(t).any():
            msg = f"'threshold' must not be NaN (got {thresholds!r})"
            raise InvalidParameterError(msg)
        if self.rule == ">=":
            # thresholds decrease; count candidates >= t, the last of them is the row.
            rows = np.searchsorted(-self.thresholds, -t, side="right") - 1
        else:
            rows = np.searchsorted(self.thresholds, t, side="right") - 1
        return np.asarray(rows, dtype=np.int64)

    def index_at(self, threshold: float) -> int:
        """The row whose decisions equal flagging with ``threshold`` (see :meth:`rows_at`)."""
        return int(self.rows_at(float(threshold)))

    def at(self, threshold: float) -> dict[str, float]:
        """Counts when flagging with ``threshold`` (any value, observed or not).

        Examples
        --------
        >>> import cutpoints as cp
        >>> cp.confusion_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).at(0.38)
        {'threshold': 0.38, 'tp': 1, 'fp': 1, 'tn': 1, 'fn': 1}
        """
        tp, fp, tn, fn = self._counts_at(self.index_at(threshold))
        return {
            "threshold": float(threshold),
            "tp": tp[0].item(),
            "fp": fp[0].item(),
            "tn": tn[0].item(),
            "fn": fn[0].item(),
        }

    def metrics_at(
        self, threshold: float, metrics: Iterable[MetricLike] | None = None
    ) -> dict[str, float]:
        """Metric values when flagging with ``threshold`` (observed or not).

        Parameters
        ----------
        threshold : float
            Rows with ``score >= threshold`` are flagged.
        metrics : iterable of str or metric, optional
            Which metrics; by default every catalog metric that needs no parameter.

        Examples
        --------
        >>> import cutpoints as cp
        >>> curve = cp.confusion_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> curve.metrics_at(0.35, ["precision", "recall"])
        {'precision': 0.6666666666666666, 'recall': 1.0}
        """
        from ._metrics import summary_metrics

        i = self.index_at(threshold)
        counts = self._counts_at(i)
        chosen = summary_metrics() if metrics is None else [get_metric(m) for m in metrics]
        if metrics is None and self.values is not None:
            chosen.append(get_metric("value"))
        columns = self._columns_at(slice(i, i + 1))
        return {
            m.name: float(m(*counts, **{k: columns[k] for k in m.columns if k in columns})[0])
            for m in chosen
        }

    def _counts_at(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(tp, fp, tn, fn) at row i as length-1 arrays, without building all of tn, fn."""
        tp, fp = self.tp[i : i + 1], self.fp[i : i + 1]
        return tp, fp, self.n_negative - fp, self.n_positive - tp

    def to_dict(
        self, metrics: list[MetricLike] | tuple[MetricLike, ...] = ()
    ) -> dict[str, np.ndarray]:
        """Columns ``threshold, tp, fp, tn, fn`` plus the named metrics, as arrays.

        With per-row values also ``value`` (the total) and ``value_tp``, ``value_fp``,
        ``value_fn``, ``value_tn`` (each outcome's value).
        """
        out: dict[str, np.ndarray] = {
            "threshold": self.thresholds,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
        }
        if self.values is not None:
            out["value"] = self.values[:]
            for key in ("tp", "fp", "fn", "tn"):
                out[f"value_{key}"] = self.values.outcome(key)
        for m in metrics:
            bound = get_metric(m)
            out[bound.name] = self.evaluate(bound)
        return out

    def to_frame(self, metrics: list[MetricLike] | tuple[MetricLike, ...] = ()) -> Any:
        """A pandas DataFrame, one row per threshold, with the counts and named metrics.

        Needs pandas (``pip install "cutpoints[pandas]"``).

        Examples
        --------
        >>> import cutpoints as cp
        >>> cp.confusion_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).to_frame(["f1"])
           threshold  tp  fp  tn  fn        f1
        0        inf   0   0   2   2       0.0
        1       0.80   1   0   2   1  0.666667
        2       0.40   1   1   1   1       0.5
        3       0.35   2   1   1   0       0.8
        4       0.10   2   2   0   0  0.666667
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - exercised without pandas
            msg = 'ConfusionCurve.to_frame() needs pandas: pip install "cutpoints[pandas]"'
            raise ImportError(msg) from exc
        return pd.DataFrame(self.to_dict(metrics))

    def fingerprint(self) -> str:
        """A hash of the curve: equal for data sets with the same (score, label, weight) rows.

        The curve is a sufficient statistic for threshold choice, so this identifies the
        tuning data up to row order.
        """
        digest = hashlib.sha256()
        digest.update(self.rule.encode())
        for array in (self.thresholds, self.tp, self.fp):
            digest.update(str(array.dtype).encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(repr((self.n_positive, self.n_negative, self.n_samples)).encode())
        if self.values is not None:  # only then: curves without values keep their hash
            digest.update(self.values.fingerprint_bytes())
        return "sha256:" + digest.hexdigest()[:32]
