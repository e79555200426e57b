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

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._api import confusion_curve, cutpoint_at_row
from .._counts import Counts
from .._curve import ConfusionCurve, Rule
from .._cutpoint import Cutpoint, Guarantee
from .._metrics import BoundMetric, MetricLike, get_metric
from .._validation import as_1d, check_choice
from ..errors import InfeasibleConstraintError, InvalidInputError, InvalidParameterError
from ..selection import TIE_RULES, Constraint, ConstraintLike, TieRule, as_constraints, select_rows

__all__ = ["clopper_pearson", "find_cutpoint_guaranteed"]

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
    >>> from cutpoints.uncertainty import clopper_pearson
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
    constraints: ConstraintLike | Iterable[ConstraintLike],
    *,
    metric: MetricLike | None = None,
    delta: float = 0.05,
    ties: TieRule = "highest",
    rule: Rule = ">=",
    sample_weight: Any = None,
    pos_label: Any = None,
    start: Start = "auto",
    grid: Any = None,
    n_candidates: int = 50,
) -> Cutpoint:
    """A threshold whose metric meets a bound on new data with probability >= 1 - delta.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples,)
        Calibration labels and scores: data *not* used to fit the model.
    constraints : str, Constraint or a list of one
        The bound to certify, on a metric with a binomial form, e.g.
        ``"precision >= 0.9"``, ``"recall >= 0.8"``, ``"fpr <= 0.01"``
        (see ``Metric.binomial``). Exactly one.
    metric : str, optional
        Which certified threshold to return: the best by this metric (ties broken by
        ``ties``, as in :func:`find_cutpoint`). By default the certified threshold
        furthest along the testing order: the one flagging most for ``start="high"``
        (e.g. the best recall that keeps the precision guarantee), fewest for
        ``"low"``; that is the metric ``"flagged"``, maximized or minimized.
    delta : float, default=0.05
        Allowed probability that a certified threshold does not meet the bound.
    ties : {'highest', 'lowest', 'median'}, default='highest'
        As in :func:`find_cutpoint`.
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold`` (``<=`` when lower scores mean positive).
    sample_weight : array-like of shape (n_samples,), optional
        Whole-number frequency weights (a row of weight 3 counts as three rows); the
        binomial bounds need whole counts, so fractional weights are refused.
    pos_label : object, optional
        The positive class when labels are not {0, 1}, {-1, 1} or boolean.
    start : {'auto', 'high', 'low'}
        Testing order. ``'auto'`` starts at the highest threshold for precision-like and
        specificity-like metrics, at the lowest for recall-like ones.
    grid : array-like, optional
        Candidate thresholds fixed in advance (the textbook setting). By default every
        distinct calibration score that could pass at all, thinned to ``n_candidates``.
    n_candidates : int, default=50
        How many thresholds the default grid tests, spread geometrically in rank from
        the start of the testing order (all are tested when the trials do not depend on
        the threshold, as for recall or specificity). Fewer, more separated tests make
        an early stop on one unlucky threshold less likely.

    Returns
    -------
    Cutpoint
        A cutpoint like :func:`find_cutpoint`'s (``predict``, ``save``, ``cutpoints
        apply`` and ``FixedCutpointClassifier`` all take it), with ``guarantee`` set:
        the certified bound, its confidence, the estimate, and every certified
        threshold.

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
    >>> cut = cp.find_cutpoint_guaranteed(y, s, "precision >= 0.8", delta=0.05)
    >>> g = cut.guarantee
    >>> bool(g.bound >= 0.8 and g.estimate >= g.bound), g.confidence
    (True, 0.95)
    >>> cut.predict([-1.0, 5.0]).tolist()
    [False, True]
    """
    c, order = _check_arguments(constraints, delta, start, n_candidates)
    check_choice(ties, "ties", TIE_RULES)
    curve = confusion_curve(
        y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule
    )
    if sample_weight is not None and not _whole(sample_weight):
        msg = (
            "'sample_weight' must be whole numbers (frequency weights) for a guarantee: "
            "the binomial bounds count rows"
        )
        raise InvalidInputError(msg)
    objective = get_metric("flagged") if metric is None else get_metric(metric)
    if not (curve.n_positive > 0 and curve.n_negative > 0):
        select_rows(curve, objective).raise_for_status()  # the one-class error
    rows, thresholds = _candidates(curve, grid, order)
    tested = _certify(curve, c, rows, float(delta), thin=grid is None, n_candidates=n_candidates)
    certified, bounds, seq, stop = tested
    if certified.size == 0:
        first = seq[0] if seq.size else 0
        tp, fp = curve.tp[rows[first]], curve.fp[rows[first]]
        msg = (
            f"no threshold can be certified for '{c}' at delta={delta:g}: the first "
            f"tested threshold {float(thresholds[first])!r} has bound "
            f"{bounds[first]:.4g} (tp={tp}, fp={fp})"
        )
        raise InfeasibleConstraintError(msg, [])
    # The kernel chooses among the certified thresholds, in curve order, exactly as
    # find_cutpoint would among feasible ones.
    by_row = np.argsort(rows[certified], kind="stable")
    chosen_at = certified[by_row]
    at = rows[chosen_at]
    counts = Counts(curve.tp[at], curve.fp[at], curve.n_positive, curve.n_negative)
    maximize = (order == "high") if metric is None else None
    selection = select_rows(counts, objective, (), ties=ties, maximize=maximize)
    selection.raise_for_status()
    pick = int(chosen_at[selection.index])
    return _guaranteed_cutpoint(
        curve,
        c,
        objective,
        selection.maximize,
        ties,
        float(delta),
        pick=pick,
        rows=rows,
        thresholds=thresholds,
        bounds=bounds,
        certified=certified,
        tested=seq[seq <= stop],
        optimal=tuple(float(thresholds[chosen_at[j]]) for j in selection.optimal_indices),
    )


def _check_arguments(
    constraints: Any, delta: Any, start: Any, n_candidates: Any
) -> tuple[Constraint, Literal["high", "low"]]:
    if isinstance(delta, bool) or not (isinstance(delta, (int, float)) and 0 < float(delta) < 1):
        msg = f"'delta' must be a probability strictly between 0 and 1 (got {delta!r})"
        raise InvalidParameterError(msg)
    if isinstance(n_candidates, bool) or not isinstance(n_candidates, int) or n_candidates < 1:
        msg = f"'n_candidates' must be a whole number >= 1 (got {n_candidates!r})"
        raise InvalidParameterError(msg)
    cons = as_constraints(constraints)
    if len(cons) != 1:
        msg = (
            f"'constraints' must be exactly one bound to certify (got {len(cons)}: "
            f"{[str(c) for c in cons]!r})"
        )
        raise InvalidParameterError(msg)
    c = cons[0]
    if c.metric.metric.binomial is None:
        msg = (
            f"'constraints' must bound a metric with a binomial form (successes out of "
            f"trials, e.g. precision, recall, specificity, fpr, npv, accuracy); got "
            f"{c.metric.name!r}"
        )
        raise InvalidParameterError(msg)
    check_choice(start, "start", ("auto", "high", "low"))
    return c, (_start(c) if start == "auto" else start)


def _whole(sample_weight: Any) -> bool:
    """Whether every weight is a whole number (a frequency weight), row by row: weights
    0.5 + 0.5 sum to a whole count but are not two observations of one row."""
    weights = as_1d(sample_weight, "sample_weight")  # already validated by the sweep
    return weights.dtype.kind in "iu" or bool(np.all(np.mod(weights, 1) == 0))


def _candidates(
    curve: ConfusionCurve, grid: Any, order: str
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Curve rows to test and their thresholds, in testing order."""
    if grid is None:
        rows = np.arange(1, len(curve), dtype=np.int64)
        thresholds = curve.thresholds[rows]
    else:
        values = np.unique(np.asarray(grid, dtype=np.float64).ravel())
        if values.size == 0 or not np.isfinite(values).all():
            msg = f"'grid' must be finite thresholds (got {grid!r})"
            raise InvalidParameterError(msg)
        rows = curve.rows_at(values)
        by_row = np.argsort(rows, kind="stable")  # fewest flagged first, as the curve
        rows, thresholds = rows[by_row], values[by_row]
    if order == "low":
        rows, thresholds = rows[::-1], thresholds[::-1]
    return rows, thresholds


def _certify(
    curve: ConfusionCurve,
    c: Constraint,
    rows: npt.NDArray[np.int64],
    delta: float,
    *,
    thin: bool,
    n_candidates: int,
) -> tuple[npt.NDArray[np.int64], FloatArray, npt.NDArray[np.int64], int]:
    """Fixed-sequence testing: (certified positions, bounds, tested positions, stop)."""
    tp, fp = curve.tp[rows], curve.fp[rows]
    tn, fn = curve.n_negative - fp, curve.n_positive - tp
    binomial = c.metric.metric.binomial
    assert binomial is not None
    successes, trials = binomial(tp, fp, tn, fn)
    trials = np.asarray(trials, dtype=np.float64)
    successes = np.asarray(successes, dtype=np.float64)
    side: Literal["lower", "upper"] = "lower" if c.wants_large else "upper"
    bounds = clopper_pearson(successes, trials, delta, side)
    # Thresholds where even a perfect record could not pass (too few trials; e.g. the
    # first few flagged rows for precision) carry no usable evidence. Which ones they are
    # depends on the trial counts only, never on the outcomes, so skipping them keeps the
    # testing order fixed given the scores. The rest are thinned to ``n_candidates``
    # spread geometrically in the order (also outcome-free): a stop at the first
    # failure is less likely when consecutive tests are not near-duplicates.
    best_case = clopper_pearson(
        trials if c.wants_large else np.zeros_like(trials), trials, delta, side
    )
    seq = np.flatnonzero((trials > 0) & c.mask(best_case))
    constant_trials = bool(trials.size) and bool((trials == trials[0]).all())
    if thin and seq.size > n_candidates and not constant_trials:
        # Geometric spacing in the testing order: dense where testing starts (the top
        # of the ranking, where imbalanced problems keep their positives), sparse later.
        pick_pos = np.unique(np.geomspace(1, seq.size, n_candidates).round().astype(np.int64))
        seq = seq[pick_pos - 1]
    passed = c.mask(bounds)
    fails = seq[~passed[seq]]
    stop = int(fails[0]) if fails.size else len(rows)
    return seq[seq < stop], bounds, seq, stop


def _guaranteed_cutpoint(
    curve: ConfusionCurve,
    c: Constraint,
    objective: BoundMetric,
    maximize: bool,
    ties: str,
    delta: float,
    *,
    pick: int,
    rows: npt.NDArray[np.int64],
    thresholds: FloatArray,
    bounds: FloatArray,
    certified: npt.NDArray[np.int64],
    tested: npt.NDArray[np.int64],
    optimal: tuple[float, ...],
) -> Cutpoint:
    row = int(rows[pick])
    cut = cutpoint_at_row(
        curve,
        row,
        objective,
        (c,),
        maximize=maximize,
        ties=ties,
        threshold=float(thresholds[pick]),
        optimal_thresholds=optimal,
    )
    guarantee = Guarantee(
        constraint=c,
        confidence=1.0 - delta,
        bound=float(bounds[pick]),
        estimate=float(cut.metrics[c.metric.name]),
        certified=tuple(float(t) for t in thresholds[certified]),
        bounds=tuple(float(b) for b in bounds[tested]),
    )
    return replace(cut, guarantee=guarantee)
