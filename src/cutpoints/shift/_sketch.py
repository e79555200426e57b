"""A mergeable, bounded-memory summary of unlabeled scores, for estimating a prevalence.

:func:`~cutpoints.shift.estimate_prevalence` needs, of the new scores, only:

- for adjusted classify-and-count: how many are flagged at the reference's threshold;
- for EM: the distribution of the scores, to evaluate sums over rows of a smooth function
  of each score.

A :class:`ScoreSketch` keeps exact flagged counts at thresholds named up front (every
candidate threshold of a validation curve, say, so the count at a re-targeted threshold is
exact too) and, for probabilities, 2**18 equal-width bins of the logit of the score with
the count and the sum of the scores in each. EM evaluated on the bins' means differs from
EM on the rows by far less than its stopping tolerance (the function summed is smooth and
a bin is 3e-4 wide in logit). Sketches of parts of the data merge by adding, so a file
larger than memory is read batch by batch, or in parallel, in one pass.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._validation import check_scores
from ..errors import InvalidParameterError

__all__ = ["FINE_BINS", "ScoreSketch"]

FloatArray = npt.NDArray[np.float64]

#: Bins of the logit of a probability: equal width on [-LOGIT_RANGE, LOGIT_RANGE].
FINE_BINS = 1 << 18
LOGIT_RANGE = 40.0  # beyond it p is within 4e-18 of 0 or 1: the end bins hold those


def clipped_logit(scores: FloatArray) -> FloatArray:
    """``log(p / (1 - p))`` clipped to [-LOGIT_RANGE, LOGIT_RANGE] (p = 0 and 1 included).

    One logarithm of the odds rather than ``log(p) - log1p(-p)``: half the cost, and the
    rounding of ``1 - p`` near 1 only moves a score within its bin.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        logit = np.subtract(1.0, scores)
        np.divide(scores, logit, out=logit)
        np.log(logit, out=logit)
    return np.clip(logit, -LOGIT_RANGE, LOGIT_RANGE, out=logit)


def logit_bin_index(scores: FloatArray, n_bins: int = FINE_BINS) -> npt.NDArray[np.intp]:
    """The bin of each probability among ``n_bins`` equal-width bins of its logit."""
    logit = clipped_logit(scores)
    logit += LOGIT_RANGE
    logit *= n_bins / (2.0 * LOGIT_RANGE)
    return np.minimum(logit.astype(np.intp), n_bins - 1)


class ScoreSketch:
    """Unlabeled scores summarized for :func:`~cutpoints.shift.estimate_prevalence`.

    Parameters
    ----------
    thresholds : array-like of float, optional
        Thresholds at which exact flagged counts are kept (for ACC, and for the count
        a re-targeted threshold flags).
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold`` (or ``<=``).

    Attributes
    ----------
    n_samples : int
        Scores seen.
    low, high : float
        The smallest and largest score seen.

    Examples
    --------
    >>> from cutpoints.shift import ScoreSketch
    >>> sketch = ScoreSketch(thresholds=[0.5, 0.9])
    >>> sketch.update([0.2, 0.6, 0.95])
    >>> sketch.update([0.5])
    >>> sketch.n_samples, sketch.flagged(0.5), sketch.flagged(0.9)
    (4, 3, 1)
    """

    def __init__(self, thresholds: Any = (), *, rule: str = ">=") -> None:
        if rule not in (">=", "<="):
            msg = f"'rule' must be '>=' or '<=' (got {rule!r})"
            raise InvalidParameterError(msg)
        values = np.unique(np.asarray(thresholds, dtype=np.float64).ravel())
        if np.isnan(values).any():
            msg = f"'thresholds' must not contain NaN (got {thresholds!r})"
            raise InvalidParameterError(msg)
        self.thresholds: FloatArray = values
        self.rule = rule
        self.n_samples = 0
        self.low = np.inf
        self.high = -np.inf
        # counts[k]: scores with exactly k thresholds <= them ('>='; '<' them for '<=').
        self._between = np.zeros(len(values) + 1, dtype=np.int64)
        self._bin_counts = np.zeros(FINE_BINS, dtype=np.int64)
        self._bin_sums = np.zeros(FINE_BINS, dtype=np.float64)
        self._not_probability: tuple[float, int] | None = None

    def update(self, scores: Any) -> None:
        """Add a batch of scores (finite numbers; checked)."""
        values = check_scores(scores, "scores")
        if not values.size:
            return
        side: Literal["left", "right"] = "right" if self.rule == ">=" else "left"
        where = np.searchsorted(self.thresholds, values, side=side)
        self._between += np.bincount(where, minlength=len(self._between))
        low, high = float(values.min()), float(values.max())
        if self._not_probability is None and (low < 0.0 or high > 1.0):
            bad = int(np.argmax((values < 0.0) | (values > 1.0)))
            self._not_probability = (values[bad].item(), self.n_samples + bad)
        if self._not_probability is None:
            index = logit_bin_index(values)
            self._bin_counts += np.bincount(index, minlength=FINE_BINS)
            self._bin_sums += np.bincount(index, weights=values, minlength=FINE_BINS)
        self.low, self.high = min(self.low, low), max(self.high, high)
        self.n_samples += len(values)

    def merge(self, other: ScoreSketch) -> ScoreSketch:
        """Add another sketch's scores (same thresholds and rule) into this one; returns it.

        Order matters only for which out-of-range score an EM error names.
        """
        if other.rule != self.rule or not np.array_equal(other.thresholds, self.thresholds):
            msg = "sketches merge only with the same thresholds and rule"
            raise InvalidParameterError(msg)
        if self._not_probability is None and other._not_probability is not None:
            value, index = other._not_probability
            self._not_probability = (value, self.n_samples + index)
        self._between += other._between
        self._bin_counts += other._bin_counts
        self._bin_sums += other._bin_sums
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        self.n_samples += other.n_samples
        return self

    def flagged(self, threshold: float) -> int:
        """How many scores the threshold flags; it must be one the sketch was made with."""
        j = int(np.searchsorted(self.thresholds, threshold))
        if j >= len(self.thresholds) or self.thresholds[j] != threshold:
            msg = (
                f"the sketch keeps exact counts only at the thresholds it was made with "
                f"(got {threshold!r}); pass it in ScoreSketch(thresholds=...)"
            )
            raise InvalidParameterError(msg)
        if self.rule == ">=":
            return int(self._between[j + 1 :].sum())
        return int(self._between[: j + 1].sum())

    @property
    def not_probability(self) -> tuple[float, int] | None:
        """The first score outside [0, 1] and its position, or None if all are in it."""
        return self._not_probability

    def bins(self, n_bins: int | None = None) -> tuple[FloatArray, FloatArray]:
        """(count, mean score) of the non-empty logit bins; about ``n_bins`` of them over
        the occupied range (merged fine bins), or every fine bin by default."""
        counts, sums = self._bin_counts, self._bin_sums
        filled = np.flatnonzero(counts)
        if n_bins is not None and filled.size:
            first, last = int(filled[0]), int(filled[-1])
            group = max(1, -(-(last - first + 1) // n_bins))
            edges = np.arange(first, last + 1, group)
            counts = np.add.reduceat(counts[first : last + 1], edges - first)
            sums = np.add.reduceat(sums[first : last + 1], edges - first)
            filled = np.flatnonzero(counts)
        kept = counts[filled].astype(np.float64)
        return kept, sums[filled] / kept
