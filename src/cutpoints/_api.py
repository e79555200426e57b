"""The function API: validate at the edge, sweep once, select, report."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from ._constraints import Constraint, ConstraintLike, as_constraints
from ._curve import ConfusionCurve, Rule
from ._cutpoint import Cutpoint, MetricValues, Reference, closed_form_references
from ._metrics import BoundMetric, MetricLike, get_metric, summary_metrics
from ._selection import TIE_RULES, TieRule, select
from ._sweep import sweep_with_top
from ._validation import (
    check_choice,
    check_consistent_length,
    check_scores,
    check_target,
    check_weights,
)
from .errors import InvalidLabelsError, InvalidParameterError, UndefinedMetricError

__all__ = ["confusion_curve", "evaluate_threshold", "find_cutpoint", "select_cutpoint"]

N_RUNNERS_UP = 5


def _version() -> str:
    from . import __version__

    return __version__


def confusion_curve(
    y_true: Any,
    y_score: Any,
    *,
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
) -> ConfusionCurve:
    """Exact confusion counts at every distinct score: one sort, cumulative sums.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels: {0, 1}, {-1, 1}, booleans, or any two values with ``pos_label``.
        numpy, lists, pandas, polars and pyarrow are accepted.
    y_score : array-like of shape (n_samples,)
        Finite scores; higher means more likely positive (see ``rule``).
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights. Integer weights keep counts exact integers.
    pos_label : object, optional
        The positive class; needed unless labels are {0, 1}, {-1, 1} or boolean.
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold``; use ``'<='`` when lower scores mean positive.

    Returns
    -------
    ConfusionCurve
        Row 0 flags nothing (threshold ``+inf``); row i > 0 has threshold equal to the
        i-th largest distinct score, and element i of ``tp`` is the (weighted) number of
        positives with ``score >= thresholds[i]``.

    Examples
    --------
    >>> import cutpoints as cp
    >>> curve = cp.confusion_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> curve.thresholds
    array([ inf, 0.8 , 0.4 , 0.35, 0.1 ])
    >>> curve.tp, curve.fp
    (array([0, 1, 1, 2, 2]), array([0, 0, 1, 1, 2]))
    """
    check_choice(rule, "rule", (">=", "<="))
    score = check_scores(y_score, "y_score")
    target = check_target(y_true, pos_label, "y_true")
    weight = check_weights(sample_weight, len(score)) if sample_weight is not None else None
    check_consistent_length(y_true=target.is_positive, y_score=score)
    internal = score if rule == ">=" else -score
    # Row 0 flags nothing: without it, "flag nothing" could never be chosen.
    thresholds, tp, fp = sweep_with_top(internal, target.is_positive, weight)
    if rule == "<=":
        thresholds = -thresholds  # row 0 becomes -inf: "score <= -inf" flags nothing
    return ConfusionCurve(
        thresholds,
        tp,
        fp,
        n_positive=tp[-1].item(),
        n_negative=fp[-1].item(),
        n_samples=len(score),
        rule=rule,
        weighted=weight is not None,
        positive_label=target.positive_label,
        negative_label=target.negative_label,
    )


def select_cutpoint(
    curve: ConfusionCurve,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    maximize: bool | None = None,
    ties: TieRule = "highest",
) -> Cutpoint:
    """Choose the best threshold on an existing curve (no new sort).

    Use it to try several metrics or constraints on one :func:`confusion_curve`.
    Parameters are those of :func:`find_cutpoint`.

    Examples
    --------
    >>> import cutpoints as cp
    >>> curve = cp.confusion_curve([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> [cp.select_cutpoint(curve, metric=m).threshold for m in ("f1", "youden", "accuracy")]
    [0.35, 0.7, 0.7]
    >>> cp.select_cutpoint(curve, metric="youden").optimal_thresholds
    (0.7, 0.35)
    """
    objective = get_metric(metric)
    check_choice(ties, "ties", TIE_RULES)
    constraint_list = as_constraints(constraints)
    try:
        selection = select(curve, objective, constraint_list, ties=ties, maximize=maximize)
    except UndefinedMetricError as exc:
        if curve.n_positive == 0 or curve.n_negative == 0:
            present = "positive" if curve.n_positive else "negative"
            msg = (
                f"'y_true' has only {present} rows ({curve.n_samples} rows, no "
                f"{'negatives' if curve.n_positive else 'positives'} with weight), and metric "
                f"'{objective.name}' is undefined without both classes"
            )
            raise InvalidLabelsError(msg) from exc
        raise
    i = selection.index
    score = float(selection.values[i])
    thresholds = curve.thresholds
    # Thresholds are sorted, so the observed extremes are the ends (row 0 is +/-inf).
    ends = (thresholds[1], thresholds[-1]) if len(thresholds) > 1 else (0.0, 0.0)
    probability_like = bool(min(ends) >= 0 and max(ends) <= 1)
    references = closed_form_references(objective, score) if probability_like else []
    runners = selection.ranked(N_RUNNERS_UP)
    return cutpoint_at_row(
        curve,
        i,
        objective,
        constraint_list,
        maximize=selection.maximize,
        ties=ties,
        score=score,
        optimal_thresholds=tuple(float(t) for t in thresholds[selection.optimal_indices]),
        references=tuple(references),
        runners_up=tuple((float(thresholds[j]), float(selection.values[j])) for j in runners),
    )


def cutpoint_at_row(
    curve: ConfusionCurve,
    i: int,
    objective: BoundMetric,
    constraints: Sequence[Constraint],
    *,
    maximize: bool,
    ties: str,
    threshold: float | None = None,
    score: float | None = None,
    optimal_thresholds: tuple[float, ...] | None = None,
    references: tuple[Reference, ...] = (),
    runners_up: tuple[tuple[float, float], ...] = (),
) -> Cutpoint:
    """The Cutpoint for row ``i`` of ``curve``: its counts, metrics and the curve's provenance.

    The one place a Cutpoint is built from a curve (the function API, the estimator's
    aggregated thresholds, the bootstrap's lower-bound choice). ``threshold`` defaults
    to the row's own (it differs for an aggregated, unobserved threshold that applies
    row ``i``); ``score`` defaults to the objective at the row.
    """
    counts = curve._counts_at(i)
    metrics = MetricValues(
        [*summary_metrics(), objective, *(c.metric for c in constraints)], counts
    )
    chosen = float(curve.thresholds[i]) if threshold is None else float(threshold)
    return Cutpoint(
        threshold=chosen,
        score=float(objective(*counts)[0]) if score is None else score,
        metric=objective.name,
        maximize=maximize,
        optimal_thresholds=(chosen,) if optimal_thresholds is None else optimal_thresholds,
        ties=ties,
        constraints=tuple(str(c) for c in constraints),
        tp=counts[0][0].item(),
        fp=counts[1][0].item(),
        tn=counts[2][0].item(),
        fn=counts[3][0].item(),
        metrics=metrics,
        rule=curve.rule,
        n_samples=curve.n_samples,
        n_positive=curve.n_positive,
        n_negative=curve.n_negative,
        weighted=curve.weighted,
        positive_label=curve.positive_label,
        negative_label=curve.negative_label,
        references=references,
        runners_up=runners_up,
        version=_version(),
        curve=curve,
    )


def find_cutpoint(
    y_true: Any,
    y_score: Any,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    maximize: bool | None = None,
    ties: TieRule = "highest",
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
) -> Cutpoint:
    """Find the threshold that is best for ``metric``, subject to ``constraints``. Exact.

    Every distinct score (and "flag nothing") is a candidate; the metric and every
    constraint are evaluated at all of them from one sort. No grid, no interpolation.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels: {0, 1}, {-1, 1}, booleans, or any two values with ``pos_label``.
    y_score : array-like of shape (n_samples,)
        Finite scores; higher means more likely positive (see ``rule``).
    metric : str, Metric or callable, default='f1'
        What to optimize: a catalog name (``"f1"``, ``"gmean"``, ``"youden"``, ``"mcc"``,
        ...), with parameters (``"fbeta(beta=2)"``, ``"cost(fp=1, fn=10)"``), or a
        function ``f(tp, fp, tn, fn)`` of count arrays. See :func:`list_metrics`.
    constraints : str or list, optional
        Bounds that must hold, e.g. ``["precision >= 0.9"]``, ``"flagged <= 5000"``,
        ``"flag_rate <= 2%"``. Any metric can be bounded; ops are ``>=, <=, >, <``.
    maximize : bool, optional
        Override the metric's direction (costs and error rates are minimized, the rest
        maximized, by default).
    ties : {'highest', 'lowest', 'median'}, default='highest'
        Which optimal threshold to choose when several attain the optimum exactly:
        the highest (flags fewest rows), the lowest (flags most) or the median of the
        tied set. Always an observed score.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative row weights; counts (and ``flagged``) become weighted sums.
    pos_label : object, optional
        The positive class when labels are not {0, 1}, {-1, 1} or boolean.
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold`` (or ``<=`` when lower scores mean positive).

    Returns
    -------
    Cutpoint
        ``threshold``, ``score`` (the objective there), ``optimal_thresholds`` (every
        threshold attaining the optimum), ``tp, fp, tn, fn``, ``metrics`` (every catalog
        metric there), ``predict()`` for new scores, and ``to_json()``.

    Raises
    ------
    InvalidInputError
        NaN or infinite scores, length mismatch, empty input, bad weights.
    InvalidLabelsError
        Labels that need ``pos_label``, more than two classes, or one class where the
        metric needs both.
    UnknownMetricError, ConstraintSyntaxError
        A misspelt metric or malformed constraint.
    InfeasibleConstraintError
        No threshold satisfies the constraints; the error reports the closest points.

    Notes
    -----
    A capacity constraint such as ``flagged <= 5000`` counts every row tied at a
    threshold: if the 5,000th and 5,001st highest scores are equal, flagging at that
    score flags both, so the constraint picks the next higher score instead.

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [0, 0, 1, 1, 0, 1, 0, 1]
    >>> s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3]
    >>> cut = cp.find_cutpoint(y, s, metric="f1")
    >>> cut.threshold, round(cut.score, 4), (cut.tp, cut.fp, cut.tn, cut.fn)
    (0.3, 0.8, (4, 2, 2, 0))
    >>> cp.find_cutpoint(y, s, metric="recall", constraints=["precision >= 0.6"]).threshold
    0.3
    >>> cp.find_cutpoint(y, s, metric="recall", constraints=["flagged <= 3"]).threshold
    0.6
    >>> cp.find_cutpoint(y, s, metric="cost(fp=1, fn=10)").threshold
    0.3
    """
    curve = confusion_curve(
        y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule
    )
    return select_cutpoint(
        curve, metric=metric, constraints=constraints, maximize=maximize, ties=ties
    )


def evaluate_threshold(
    y_true: Any,
    y_score: Any,
    threshold: float,
    *,
    metrics: Iterable[MetricLike] | None = None,
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
) -> dict[str, float]:
    """Counts and metrics at one given threshold (e.g. the default 0.5).

    Parameters
    ----------
    threshold : float
        Any value; rows with ``score >= threshold`` are flagged.
    metrics : iterable of str, optional
        Metrics to report; by default every catalog metric that needs no parameters.

    Returns
    -------
    dict
        ``threshold``, ``tp``, ``fp``, ``tn``, ``fn`` and one entry per metric.

    Examples
    --------
    >>> import cutpoints as cp
    >>> r = cp.evaluate_threshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], 0.5, metrics=["precision"])
    >>> r
    {'threshold': 0.5, 'tp': 1, 'fp': 0, 'tn': 2, 'fn': 1, 'precision': 1.0}
    """
    if math.isnan(float(threshold)):
        msg = "'threshold' must be a number, not NaN"
        raise InvalidParameterError(msg)
    curve = confusion_curve(
        y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule
    )
    out: dict[str, float] = dict(curve.at(threshold))
    out.update(curve.metrics_at(threshold, metrics))
    return out
