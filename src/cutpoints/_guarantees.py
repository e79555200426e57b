"""Thresholds with guarantees: a ratio metric at least (or at most) a bound, w.p. 1 - delta.

For a metric with a binomial form (``Metric.binomial``: precision is tp successes out of
tp + fp flagged trials), each candidate threshold t is a hypothesis test of
``H0(t): metric(t) < p`` using an exact one-sided Clopper–Pearson bound at level delta.
Testing many thresholds would inflate the error, so the thresholds are tested in a fixed
order (fixed-sequence testing, as in Learn-then-Test): starting from the threshold that
flags fewest rows (or most, for metrics that improve as more is flagged, like recall),
each is certified only while every earlier one was, and testing stops at the first
failure. That controls the family-wise error at delta with no Bonferroni penalty: with
probability at least 1 - delta, *every* certified threshold truly meets the bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._api import confusion_curve
from ._constraints import Constraint, ConstraintLike, as_constraints
from ._metrics import MetricLike, get_metric
from .errors import InfeasibleConstraintError, InvalidParameterError

__all__ = ["GuaranteedCutpoint", "clopper_pearson", "find_cutpoint_guaranteed"]

FloatArray = npt.NDArray[np.float64]
Start = Literal["auto", "high", "low"]


def _beta_ppf(q: float, a: np.ndarray, b: np.ndarray) -> FloatArray:
    try:
        from scipy.special import betaincinv
    except ImportError as exc:  # pragma: no cover - scipy ships with scikit-learn
        msg = 'exact Clopper–Pearson bounds need scipy: pip install "cutpoints[sklearn]"'
        raise ImportError(msg) from exc
    return np.asarray(betaincinv(a, b, q), dtype=np.float64)


def clopper_pearson(
    successes: Any, trials: Any, delta: float, side: Literal["lower", "upper"] = "lower"
) -> FloatArray:
    """Exact one-sided Clopper–Pearson bound of a binomial proportion at level ``delta``.

    ``P(p >= lower) >= 1 - delta`` (or ``P(p <= upper) >= 1 - delta``) for every true p.
    NaN where ``trials == 0``.

    Examples
    --------
    >>> from cutpoints._guarantees import clopper_pearson
    >>> clopper_pearson([9, 10], [10, 10], 0.05).round(4)
    array([0.6058, 0.7411])
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    k, n = np.broadcast_arrays(k, n)
    out = np.full(k.shape, np.nan)
    ok = n > 0
    if side == "lower":
        zero = ok & (k <= 0)
        rest = ok & (k > 0)
        out[zero] = 0.0
        out[rest] = _beta_ppf(delta, k[rest], n[rest] - k[rest] + 1)
    else:
        full = ok & (k >= n)
        rest = ok & (k < n)
        out[full] = 1.0
        out[rest] = _beta_ppf(1 - delta, k[rest] + 1, n[rest] - k[rest])
    return out


@dataclass(frozen=True)
class GuaranteedCutpoint:
    """A threshold certified to meet a bound on new data with probability 1 - delta.

    Attributes
    ----------
    threshold : float
        The chosen certified threshold (flag ``score >= threshold``).
    constraint : str
        The guaranteed statement, e.g. ``"precision >= 0.9"``.
    delta : float
        Allowed error probability.
    estimate : float
        The metric on the calibration data at ``threshold``.
    bound : float
        Its Clopper–Pearson confidence bound (lower for ``>=``, upper for ``<=``).
    certified : ndarray of float64
        Every certified threshold, in testing order.
    bounds : ndarray of float64
        The confidence bound at each tested threshold, in testing order (ending with the
        first failure, if any).
    tp, fp, tn, fn : int or float
        Calibration counts at ``threshold``.
    """

    threshold: float
    constraint: str
    delta: float
    estimate: float
    bound: float
    certified: FloatArray
    bounds: FloatArray
    tp: float
    fp: float
    tn: float
    fn: float

    def __str__(self) -> str:
        return (
            f"threshold {self.threshold:.6g}: {self.constraint} with probability >= "
            f"{1 - self.delta:g} (estimate {self.estimate:.4g}, bound {self.bound:.4g}; "
            f"{len(self.certified)} thresholds certified)"
        )


def _start(constraint: Constraint) -> Literal["high", "low"]:
    """Test first where the constraint is likeliest to hold, fixed before seeing data.

    Class-conditional rates (trials fixed by a class) are monotone in the threshold:
    recall rises as more is flagged, so test from the lowest threshold up; for the rest
    (specificity, fpr, and flag-conditional ratios like precision) start at the top.
    """
    m = constraint.metric
    few = m(np.array([1.0]), np.array([0.0]), np.array([9.0]), np.array([9.0]))[0]
    many = m(np.array([9.0]), np.array([9.0]), np.array([0.0]), np.array([1.0]))[0]
    b = m.metric.binomial
    assert b is not None
    trials_few = b(1.0, 0.0, 9.0, 9.0)[1]
    trials_many = b(9.0, 9.0, 0.0, 1.0)[1]
    if trials_few != trials_many:  # trials depend on how much is flagged: start at the top
        return "high"
    better_when_many = many > few if constraint.wants_large else many < few
    return "low" if better_when_many else "high"


def find_cutpoint_guaranteed(
    y_true: Any,
    y_score: Any,
    constraint: ConstraintLike,
    *,
    delta: float = 0.05,
    objective: MetricLike | None = None,
    start: Start = "auto",
    grid: Any = None,
    n_candidates: int = 50,
    pos_label: Any = None,
) -> GuaranteedCutpoint:
    """A threshold whose metric meets a bound on new data with probability >= 1 - delta.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples,)
        Calibration labels and scores: data *not* used to fit the model.
    constraint : str or Constraint
        A bound on a metric with a binomial form, e.g. ``"precision >= 0.9"``,
        ``"recall >= 0.8"``, ``"fpr <= 0.01"``. Checks ``Metric.binomial``.
    delta : float, default=0.05
        Allowed probability that a certified threshold does not meet the bound.
    objective : str, optional
        Which certified threshold to return: the best by this metric. By default the
        last one certified (flags most for ``start="high"``, fewest for ``"low"``).
    start : {'auto', 'high', 'low'}
        Testing order. ``'auto'`` starts at the highest threshold for precision-like and
        specificity-like metrics, at the lowest for recall-like ones.
    grid : array-like, optional
        Candidate thresholds fixed in advance (the textbook setting). By default every
        distinct calibration score that could pass at all, thinned to ``n_candidates``.
    n_candidates : int, default=50
        How many thresholds the default grid tests, spread geometrically in rank from
        the start of the testing order (all are tested when the trials do not depend on
        the threshold, as for recall or specificity). Fewer, more
        separated tests make an early stop on one unlucky threshold less likely.

    Returns
    -------
    GuaranteedCutpoint

    Notes
    -----
    Assumptions: the calibration rows and future rows are independent draws from the
    same distribution (no drift), the model was not fit on the calibration rows, and
    the guarantee is about the *population* metric (the precision over the stream of
    future flagged rows), not the metric on one small future batch. With a grid fixed
    in advance the guarantee is exact (Clopper–Pearson per threshold, fixed-sequence
    testing over thresholds). With the default grid of observed scores the candidates
    depend on the data; the coverage was checked by simulation (tests/test_guarantees.py)
    and is at or above the nominal rate there.

    Raises
    ------
    InfeasibleConstraintError
        No threshold can be certified (the first tested one fails).

    Examples
    --------
    >>> import numpy as np
    >>> import cutpoints as cp
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random(2000) < 0.3
    >>> s = rng.normal(size=2000) + 2 * y
    >>> g = cp.find_cutpoint_guaranteed(y, s, "precision >= 0.8", delta=0.05)
    >>> bool(g.bound >= 0.8 and g.estimate >= g.bound)
    True
    """
    if not (isinstance(delta, (int, float)) and 0 < float(delta) < 1):
        msg = f"'delta' must be a probability strictly between 0 and 1 (got {delta!r})"
        raise InvalidParameterError(msg)
    cons = as_constraints(constraint)
    if len(cons) != 1:
        msg = f"'constraint' must be exactly one bound (got {constraint!r})"
        raise InvalidParameterError(msg)
    c = cons[0]
    if c.metric.metric.binomial is None:
        msg = (
            f"'constraint' must bound a metric with a binomial form (successes out of "
            f"trials, e.g. precision, recall, specificity, fpr, npv, accuracy); got "
            f"{c.metric.name!r}"
        )
        raise InvalidParameterError(msg)
    if start not in ("auto", "high", "low"):
        msg = f"'start' must be 'auto', 'high' or 'low' (got {start!r})"
        raise InvalidParameterError(msg)
    order = _start(c) if start == "auto" else start
    curve = confusion_curve(y_true, y_score, pos_label=pos_label)
    if grid is None:
        rows = np.arange(1, len(curve))
        thresholds = curve.thresholds[rows]
    else:
        thresholds = np.unique(np.asarray(grid, dtype=np.float64))[::-1]
        rows = np.searchsorted(-curve.thresholds[1:], -thresholds, side="right")
    if order == "low":
        rows, thresholds = rows[::-1], thresholds[::-1]
    tp, fp = curve.tp[rows], curve.fp[rows]
    tn, fn = curve.n_negative - fp, curve.n_positive - tp
    successes, trials = c.metric.metric.binomial(tp, fp, tn, fn)
    trials = np.asarray(trials, dtype=np.float64)
    successes = np.asarray(successes, dtype=np.float64)
    side: Literal["lower", "upper"] = "lower" if c.wants_large else "upper"
    bounds = clopper_pearson(successes, trials, float(delta), side)
    # Thresholds where even a perfect record could not pass (too few trials; e.g. the
    # first few flagged rows for precision) carry no usable evidence. Which ones they are
    # depends on the trial counts only, never on the outcomes, so skipping them keeps the
    # testing order fixed given the scores. The rest are thinned to ``n_candidates``
    # spread geometrically in the order (also outcome-free): a stop at the first
    # failure is less likely when consecutive tests are not near-duplicates.
    best_case = clopper_pearson(
        trials if c.wants_large else np.zeros_like(trials), trials, float(delta), side
    )
    seq = np.flatnonzero((trials > 0) & c.mask(best_case))
    constant_trials = bool(trials.size) and bool((trials == trials[0]).all())
    if grid is None and seq.size > n_candidates and not constant_trials:
        # Geometric spacing in the testing order: dense where testing starts (the top
        # of the ranking, where imbalanced problems keep their positives), sparse later.
        pick_pos = np.unique(np.geomspace(1, seq.size, n_candidates).round().astype(np.int64))
        seq = seq[pick_pos - 1]
    passed = c.mask(bounds)
    fails = seq[~passed[seq]]
    stop = fails[0] if fails.size else len(rows)
    certified_idx = seq[seq < stop]
    if certified_idx.size == 0:
        first = seq[0] if seq.size else 0
        msg = (
            f"no threshold can be certified for '{c}' at delta={delta:g}: the first "
            f"tested threshold {thresholds[first]:.6g} has bound "
            f"{bounds[first]:.4g} ({successes[first]:g} of {trials[first]:g})"
        )
        raise InfeasibleConstraintError(msg, [])
    if objective is None:
        pick = int(certified_idx[-1])
    else:
        m = get_metric(objective)
        v = m(tp[certified_idx], fp[certified_idx], tn[certified_idx], fn[certified_idx])
        v = np.where(np.isnan(v), -np.inf if m.greater_is_better else np.inf, v)
        pick = int(certified_idx[np.argmax(v) if m.greater_is_better else np.argmin(v)])
    est = float(
        c.metric(
            tp[pick : pick + 1], fp[pick : pick + 1], tn[pick : pick + 1], fn[pick : pick + 1]
        )[0]
    )
    return GuaranteedCutpoint(
        threshold=float(thresholds[pick]),
        constraint=str(c),
        delta=float(delta),
        estimate=est,
        bound=float(bounds[pick]),
        certified=thresholds[certified_idx],
        bounds=bounds[seq[seq <= stop]],
        tp=tp[pick].item(),
        fp=fp[pick].item(),
        tn=tn[pick].item(),
        fn=fn[pick].item(),
    )
