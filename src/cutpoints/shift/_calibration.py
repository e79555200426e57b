"""Calibration checks: are the scores probabilities that closed-form rules may trust?

Closed-form thresholds (the Bayes rule of a cost matrix, half the best F1, a decision
curve's own ``pt``), odds re-basing to a new prevalence and the EM prevalence estimate
all assume calibrated probabilities. This module measures how far that holds, from the
exact confusion curve alone (no second pass over the scores): the positive and negative
weight at each distinct score are the steps of ``tp`` and ``fp``, so a reliability
diagram, the Brier score and the expected calibration error follow exactly, and a
:class:`~cutpoints.Cutpoint` that carries its curve is enough.

The most telling check for a threshold is the gap between the empirical optimum and the
closed-form threshold: :func:`check_calibration` reports it, with the objective lost by
using the closed-form threshold on this data, and warns (:class:`CalibrationWarning`)
when that loss is large.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint, Reference, closed_form_references, format_threshold
from .._metrics import BoundMetric, MetricLike, get_metric
from .._saved_curve import is_complete
from ..errors import InvalidParameterError
from ..selection import select_rows

__all__ = [
    "Calibration",
    "CalibrationWarning",
    "calibration_of",
    "check_calibration",
    "check_probabilities",
    "class_weights_by_score",
]

FloatArray = npt.NDArray[np.float64]
Strategy = Literal["uniform", "quantile"]

#: Default tolerance: warn when the closed-form threshold loses more than this share of
#: the optimal objective on the data (see :func:`check_calibration`).
GAP_TOLERANCE = 0.05

CALIBRATE_HINT = (
    "calibrate the model's probabilities first, e.g. with "
    "sklearn.calibration.CalibratedClassifierCV (method='isotonic' or 'sigmoid') on held-out "
    "data, or rely on empirical thresholds only"
)


class CalibrationWarning(UserWarning):
    """The scores do not behave as calibrated probabilities where it matters."""


def check_probabilities(curve: ConfusionCurve, what: str) -> None:
    """Raise unless the curve's scores are probabilities of the positive class.

    ``what`` names the method that needs them (it is in the message).
    """
    if curve.rule != ">=":
        msg = (
            f"{what} needs probabilities of the positive class, flagged with rule '>=' "
            f"(got rule {curve.rule!r})"
        )
        raise InvalidParameterError(msg)
    if len(curve) > 1:
        high, low = float(curve.thresholds[1]), float(curve.thresholds[-1])
        if low < 0 or high > 1:
            msg = (
                f"{what} needs probabilities in [0, 1] (got scores from {low!r} to {high!r}); "
                "use scores from predict_proba, or calibrate them first"
            )
            raise InvalidParameterError(msg)


def class_weights_by_score(curve: ConfusionCurve) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct scores (increasing) with the positive and negative weight at each.

    Row i > 0 of a '>=' curve adds the rows whose score equals ``thresholds[i]``, so the
    steps of ``tp`` and ``fp`` are the class weights there.
    """
    scores = curve.thresholds[:0:-1].astype(np.float64)
    positives = np.diff(np.asarray(curve.tp, dtype=np.float64))[::-1]
    negatives = np.diff(np.asarray(curve.fp, dtype=np.float64))[::-1]
    return scores, positives, negatives


def _edges(scores: FloatArray, weight: FloatArray, n_bins: int, strategy: str) -> FloatArray:
    if strategy == "uniform":
        return np.arange(n_bins + 1) / n_bins  # 3 / 10 is 0.3 exactly; linspace is not
    # Quantile bins hold about equal weight: the edges are weighted quantiles of the
    # distinct scores (sorted), ends pinned to [0, 1]; repeated edges merge bins.
    cumulative = np.cumsum(weight)
    targets = cumulative[-1] * np.arange(1, n_bins) / n_bins
    inner = scores[np.minimum(np.searchsorted(cumulative, targets), len(scores) - 1)]
    return np.unique(np.concatenate(([0.0], inner, [1.0])))


@dataclass(frozen=True)
class Calibration:
    """How well scores behave as probabilities, and what that means for the threshold.

    Built by :func:`check_calibration`. Per-bin arrays have one element per bin of the
    reliability diagram; empty bins have NaN means.

    Attributes
    ----------
    edges : ndarray of shape (n_bins + 1,)
        Bin edges on [0, 1]; bin b holds scores in ``[edges[b], edges[b+1])`` (the last
        bin also holds 1.0).
    counts : ndarray of shape (n_bins,)
        (Weighted) number of rows in each bin: the reliability diagram's bin counts.
    positives : ndarray of shape (n_bins,)
        (Weighted) number of positives in each bin.
    mean_predicted : ndarray of shape (n_bins,)
        Mean score in each bin (x of the reliability diagram).
    fraction_positive : ndarray of shape (n_bins,)
        Share of positives in each bin (y of the reliability diagram).
    brier : float
        Brier score: mean of ``(score - label)**2`` (0 is perfect).
    ece : float
        Expected calibration error: the count-weighted mean over bins of
        ``|fraction_positive - mean_predicted|``.
    mce : float
        Maximum calibration error over non-empty bins.
    strategy : {'uniform', 'quantile'}
        How the bins were made.
    metric : BoundMetric or None
        The objective whose thresholds are compared.
    optimum : float
        The empirical optimum of ``metric`` over every threshold, without constraints
        (NaN without a metric).
    reference : Reference or None
        The closed-form threshold for calibrated probabilities, where one exists.
    gap : float
        ``optimum - reference.threshold`` (NaN without a reference).
    regret : float
        How much worse the objective is at the closed-form threshold than at the
        optimum, on this data (>= 0; NaN without a reference).
    relative_regret : float
        ``regret`` as a share of ``|objective at the optimum|``.
    tolerance : float
        The ``relative_regret`` above which the gap counts as large.
    """

    edges: FloatArray
    counts: FloatArray
    positives: FloatArray
    mean_predicted: FloatArray
    fraction_positive: FloatArray
    brier: float
    ece: float
    mce: float
    strategy: str
    metric: BoundMetric | None = None
    optimum: float = math.nan
    reference: Reference | None = None
    gap: float = math.nan
    regret: float = math.nan
    relative_regret: float = math.nan
    tolerance: float = GAP_TOLERANCE

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return len(self.counts)

    @property
    def large_gap(self) -> bool:
        """Whether the closed-form threshold loses more than ``tolerance`` of the optimum."""
        return bool(self.relative_regret > self.tolerance)

    @property
    def message(self) -> str:
        """The gap in words (what the warning says), or ``""`` without a reference."""
        if self.reference is None or self.metric is None:
            return ""
        ref = self.reference
        text = (
            f"the empirical optimum of {self.metric.name} is at {format_threshold(self.optimum)}, "
            f"the closed-form threshold for calibrated probabilities ({ref.name}) at "
            f"{format_threshold(ref.threshold)} (gap {self.gap:+.4g}); using the closed-form "
            f"threshold on this data would lose {100 * self.relative_regret:.3g}% of the "
            f"optimal {self.metric.name}"
        )
        if self.large_gap:
            text += (
                ". The scores are probably not calibrated probabilities: closed-form "
                "thresholds, odds re-basing to a new prevalence and EM prevalence estimates "
                f"assume they are; {CALIBRATE_HINT}. The empirical optimum remains the "
                "best threshold for this data"
            )
        return text

    def to_frame(self) -> Any:
        """The reliability diagram as a pandas DataFrame, one row per bin (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "bin_low": self.edges[:-1],
                "bin_high": self.edges[1:],
                "count": self.counts,
                "positives": self.positives,
                "mean_predicted": self.mean_predicted,
                "fraction_positive": self.fraction_positive,
            }
        )

    def __str__(self) -> str:
        lines = [
            f"Calibration ({self.n_bins} {self.strategy} bins): Brier {self.brier:.4g}, "
            f"ECE {self.ece:.4g}, MCE {self.mce:.4g}"
        ]
        if self.message:
            lines.append(self.message)
        return "\n".join(lines)


def _reliability(
    curve: ConfusionCurve, n_bins: int, strategy: str
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, float]:
    """Bin edges, per-bin weight, positives and score sums; and the Brier score."""
    scores, pos, neg = class_weights_by_score(curve)
    weight = pos + neg
    total = float(weight.sum())
    edges = _edges(scores, weight, n_bins, strategy)
    # Scores are sorted, so each bin is a contiguous run: find the run starts, not bins
    # of every score (searchsorted of the few edges into the many scores).
    starts = np.searchsorted(scores, edges[:-1], side="left")
    starts[0] = 0
    ends = np.append(starts[1:], len(scores))

    def per_bin(values: FloatArray) -> FloatArray:
        cumulative = np.concatenate(([0.0], np.cumsum(values)))
        return np.asarray(cumulative[ends] - cumulative[starts], dtype=np.float64)

    counts = per_bin(weight)
    positives = per_bin(pos)
    score_sums = per_bin(scores * weight)
    brier = float(np.sum(pos * (1.0 - scores) ** 2 + neg * scores**2) / total)
    return edges, counts, positives, score_sums, brier


def _every_score(curve: ConfusionCurve) -> ConfusionCurve:
    """The class weights at every distinct score are what the checks read: a binned
    curve that kept its data (the histogram engine's, in memory) is completed (one sort);
    one without it is used as it is (see the Notes of :func:`check_calibration`)."""
    if is_complete(curve):
        return curve
    try:
        return curve.full()  # type: ignore[attr-defined, no-any-return]
    except InvalidParameterError:
        return curve


def calibration_of(
    curve: ConfusionCurve,
    *,
    metric: MetricLike | None = None,
    ties: str = "highest",
    n_bins: int = 10,
    strategy: Strategy = "uniform",
    tolerance: float = GAP_TOLERANCE,
    what: str = "a calibration check",
) -> Calibration:
    """The calibration checks of a curve of probabilities (no warning; see
    :func:`check_calibration`). ``what`` names the caller in error messages."""
    check_probabilities(curve, what)
    if not curve.n_positive or not curve.n_negative:
        msg = (
            f"{what} needs both classes (got n_positive="
            f"{curve.n_positive}, n_negative={curve.n_negative})"
        )
        raise InvalidParameterError(msg)
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        msg = f"'n_bins' must be a positive integer (got {n_bins!r})"
        raise InvalidParameterError(msg)
    if strategy not in ("uniform", "quantile"):
        msg = f"'strategy' must be 'uniform' or 'quantile' (got {strategy!r})"
        raise InvalidParameterError(msg)
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0):
        msg = f"'tolerance' must be a non-negative number (got {tolerance!r})"
        raise InvalidParameterError(msg)
    edges, counts, positives, score_sums, brier = _reliability(
        _every_score(curve), int(n_bins), strategy
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = score_sums / counts
        fraction = positives / counts
    filled = counts > 0
    errors = np.abs(fraction[filled] - mean_predicted[filled])
    ece = float(np.sum(counts[filled] * errors) / counts.sum())
    mce = float(errors.max()) if errors.size else math.nan
    result = Calibration(
        edges=edges,
        counts=counts,
        positives=positives,
        mean_predicted=mean_predicted,
        fraction_positive=fraction,
        brier=brier,
        ece=ece,
        mce=mce,
        strategy=strategy,
        tolerance=float(tolerance),
    )
    if metric is None:
        return result
    return _with_gap(result, curve, get_metric(metric), ties)


def _with_gap(
    result: Calibration, curve: ConfusionCurve, objective: BoundMetric, ties: str
) -> Calibration:
    """Add the empirical optimum, the closed-form reference and the objective lost."""
    from dataclasses import replace

    # The closed form ignores constraints, so compare with the unconstrained optimum.
    selection = select_rows(curve, objective, ties=ties)
    if not selection.ok:
        return replace(result, metric=objective)
    best = selection.best_value
    optimum = float(curve.thresholds[selection.index])
    refs = closed_form_references(objective, best)
    if not refs:
        return replace(result, metric=objective, optimum=optimum)
    ref = refs[0]
    at_ref = float(objective(*curve._counts_at(curve.index_at(ref.threshold)))[0])
    regret = (best - at_ref) if selection.maximize else (at_ref - best)
    # Undefined at the reference (NaN) stays NaN: no evidence either way.
    regret = max(regret, 0.0) if not math.isnan(regret) else math.nan
    scale = abs(best)
    relative = regret / scale if scale > 0 else (0.0 if regret == 0 else math.inf)
    return replace(
        result,
        metric=objective,
        optimum=optimum,
        reference=ref,
        gap=optimum - ref.threshold,
        regret=regret,
        relative_regret=relative,
    )


def check_calibration(
    y_true: Any = None,
    y_score: Any = None,
    *,
    cutpoint: Cutpoint | None = None,
    curve: ConfusionCurve | None = None,
    metric: MetricLike | None = None,
    n_bins: int = 10,
    strategy: Strategy = "uniform",
    tolerance: float = GAP_TOLERANCE,
    sample_weight: Any = None,
    pos_label: Any = None,
    warn: bool = True,
) -> Calibration:
    """Check whether scores behave as calibrated probabilities: reliability, Brier, ECE, gap.

    Give the data (``y_true``, ``y_score``), a :class:`~cutpoints.Cutpoint` that carries
    its curve (from :func:`~cutpoints.find_cutpoint`), or a
    :class:`~cutpoints.ConfusionCurve`. Everything is computed exactly from the curve.

    The gap: where the objective has a closed-form optimal threshold for calibrated
    probabilities (cost, utility, accuracy, F-beta, net benefit), the empirical optimum
    (without constraints) is compared with it, and the objective lost by using the
    closed-form threshold on this data is measured. When that loss exceeds ``tolerance``
    of the optimum, a :class:`CalibrationWarning` says the scores are probably not
    calibrated and points at :class:`sklearn.calibration.CalibratedClassifierCV`.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples,), optional
        Labels and probabilities of the positive class.
    cutpoint : Cutpoint, optional
        Uses its curve, and its metric unless ``metric`` is given.
    curve : ConfusionCurve, optional
        A curve of probabilities.
    metric : str or metric, optional
        The objective whose closed-form threshold is compared (default: the cutpoint's;
        none for data or a curve, so no gap).
    n_bins : int, default=10
        Bins of the reliability diagram.
    strategy : {'uniform', 'quantile'}, default='uniform'
        Equal-width bins on [0, 1], or bins of about equal (weighted) count.
    tolerance : float, default=0.05
        The share of the optimal objective the closed-form threshold may lose before the
        gap counts as large.
    sample_weight, pos_label :
        As for :func:`~cutpoints.find_cutpoint` (with data).
    warn : bool, default=True
        Emit :class:`CalibrationWarning` when the gap is large.

    Returns
    -------
    Calibration
        Bin counts, mean score and share of positives per bin, ``brier``, ``ece``,
        ``mce``, and ``optimum``, ``reference``, ``gap``, ``regret``, ``large_gap``.

    Raises
    ------
    InvalidParameterError
        Scores outside [0, 1], rule '<=', one class only, or no input.

    Notes
    -----
    Exact for curves with one row per distinct score, and for a curve from the
    histogram engine (:class:`~cutpoints.engines.BinnedCurve`) that kept its data (a
    cutpoint found in memory): the checks need the class weights at every distinct
    score, so that curve is completed first (one sort of the scores). A binned curve
    without its data (saved with a cutpoint: ``SavedCurve``) places the scores of an
    unsaved stretch at its lowest known threshold, so the Brier score and the bins'
    mean scores are then exact only to within that stretch's width.

    Examples
    --------
    >>> import cutpoints as cp
    >>> from cutpoints.shift import check_calibration
    >>> y = [0, 0, 0, 1, 0, 1, 1, 1]
    >>> p = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]
    >>> cal = check_calibration(y, p, n_bins=2)
    >>> cal.counts.tolist(), cal.fraction_positive.tolist(), round(cal.brier, 4)
    ([4.0, 4.0], [0.25, 0.75], 0.125)
    """
    # Long only for its docstring: the numbers come from calibration_of.
    source = _source(y_true, y_score, cutpoint, curve, sample_weight, pos_label)
    if metric is None and cutpoint is not None:
        metric = cutpoint.metric
    ties = cutpoint.ties if cutpoint is not None else "highest"
    result = calibration_of(
        source, metric=metric, ties=ties, n_bins=n_bins, strategy=strategy, tolerance=tolerance
    )
    if warn and result.large_gap:
        warnings.warn(
            result.message[0].upper() + result.message[1:], CalibrationWarning, stacklevel=2
        )
    return result


def _source(
    y_true: Any,
    y_score: Any,
    cutpoint: Cutpoint | None,
    curve: ConfusionCurve | None,
    sample_weight: Any,
    pos_label: Any,
) -> ConfusionCurve:
    given = [y_score is not None, cutpoint is not None, curve is not None]
    if sum(given) != 1 or (y_score is None) != (y_true is None):
        got = ", ".join(
            f"{name}={'given' if value is not None else None}"
            for name, value in (("y_true", y_true), ("y_score", y_score), ("cutpoint", cutpoint))
        )
        msg = (
            "check_calibration() needs exactly one of: y_true and y_score, cutpoint=, or "
            f"curve= (got {got}, curve={'given' if curve is not None else None})"
        )
        raise InvalidParameterError(msg)
    if curve is not None:
        if not isinstance(curve, ConfusionCurve):
            msg = f"'curve' must be a cutpoints.ConfusionCurve (got {type(curve).__name__})"
            raise InvalidParameterError(msg)
        return curve
    if cutpoint is not None:
        if not isinstance(cutpoint, Cutpoint):
            msg = f"'cutpoint' must be a cutpoints.Cutpoint (got {type(cutpoint).__name__})"
            raise InvalidParameterError(msg)
        if cutpoint.curve is None:
            msg = (
                "'cutpoint' has no curve (loaded from JSON?): pass the tuning data as "
                "check_calibration(y_true, y_score, metric=cutpoint.metric)"
            )
            raise InvalidParameterError(msg)
        return cutpoint.curve
    from .._api import confusion_curve

    return confusion_curve(y_true, y_score, sample_weight=sample_weight, pos_label=pos_label)
