"""The function API: validate at the edge, sweep once, select, report."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt

from ._curve import ConfusionCurve, Rule
from ._cutpoint import Cutpoint, MetricValues, Reference, closed_form_references
from ._metrics import BoundMetric, MetricLike, get_metric, summary_metrics
from ._validation import (
    as_1d,
    check_choice,
    check_consistent_length,
    check_scores,
    check_target,
    check_weights_with_range,
)
from ._values import RowValues, check_values, value_curve
from .engines import Engine, PartialSweep, SelectiveEngine, get_engine
from .engines._histogram import BinnedCurve, HistogramEngine, ValueColumns
from .errors import InvalidInputError, InvalidParameterError
from .selection import (
    TIE_RULES,
    Constraint,
    ConstraintLike,
    Selection,
    TieRule,
    as_constraints,
    select_rows,
)

if TYPE_CHECKING:
    from .groups import GroupCutpoint

__all__ = ["confusion_curve", "evaluate_threshold", "find_cutpoint", "select_cutpoint"]

N_RUNNERS_UP = 5


def _version() -> str:
    from . import __version__

    return __version__


def confusion_curve(
    y_true: Any,
    y_score: Any = None,
    *,
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
    engine: str | Engine = "auto",
    values: Any = None,
    at: Any = None,
) -> ConfusionCurve:
    """Exact confusion counts at every distinct score: one sort, cumulative sums.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels: {0, 1}, {-1, 1}, booleans, or any two values with ``pos_label``.
        numpy, lists, pandas, polars and pyarrow are accepted.
        Or a :func:`cutpoints.scan` of files (then ``y_score`` is None): see ``at``.
    y_score : array-like of shape (n_samples,)
        Finite scores; higher means more likely positive (see ``rule``).
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights. Integer weights keep counts exact integers.
    pos_label : object, optional
        The positive class; needed unless labels are {0, 1}, {-1, 1} or boolean.
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold``; use ``'<='`` when lower scores mean positive.
    engine : {'auto', 'sort', 'histogram'} or engine, default='auto'
        Which engine computes the counts (see :mod:`cutpoints.engines`); every engine
        gives the same counts. A full curve needs every row sorted, so here the
        histogram engine (which saves work only when it knows what is being selected,
        see :func:`find_cutpoint`) sorts like the sort engine.
    values : dict, optional
        Per-row values (money) of each outcome: ``{"tp": a, "fp": b, "fn": c,
        "tn": d}``, each a number or an array of length n_samples (a missing outcome
        is worth 0). The curve then carries their cumulative sums from the same sort:
        ``curve.values.outcome("tp")``, ..., and ``curve.metric("value")``, the total
        (weighted by ``sample_weight``). See the guide "Deciding with money".
    at : array-like of float, optional
        For a :func:`cutpoints.scan` of a big input: thresholds whose counts must be
        exact. The curve is then a :class:`~cutpoints.engines.BinnedCurve` with exact
        counts at 65,536 bin edges plus every row of the bins holding these thresholds
        (one refining pass). Ignored for arrays (their curve has every row).

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
    # --- a scan (cutpoints._scan) [big-data work owns this block]
    if y_score is None or at is not None:
        from ._scan import Scan, curve_streamed

        if isinstance(y_true, Scan):
            extras = {"sample_weight": sample_weight, "pos_label": pos_label, "values": values}
            return curve_streamed(y_true, at=at, engine=engine, rule=rule, **extras)
        if y_score is None:
            msg = "'y_score' is required (got None), unless 'y_true' is a cp.scan(...)"
            raise InvalidInputError(msg)
    if _is_dask(y_true, y_score, sample_weight):
        # Dask arrays are counted where they live, never collected (as in find_cutpoint).
        from ._scan import _cluster_arrays, curve_streamed

        data = _cluster_arrays(y_true, y_score, sample_weight, pos_label, rule, values)
        if data is not None:
            return curve_streamed(data, at=at, engine=engine, rule=rule)
    # --- end of the scan block
    columns = _columns(y_true, y_score, sample_weight, pos_label, rule, engine, values=values)
    # Row 0 flags nothing: without it, "flag nothing" could never be chosen.
    return _full_curve(columns)


def _full_curve(columns: _Columns) -> ConfusionCurve:
    """Every row of the curve, with the value columns when there are per-row values."""
    if columns.values is None:
        return _curve(
            columns, *columns.engine.sweep(_float64(columns), columns.is_positive, columns.weight)
        )
    from .engines._sort import sweep_with_extra

    # Per-row values ride along the sort as extra cumulative columns. Engines get them
    # through their extra-column hook once they have one; until then every engine's
    # answer is the sort engine's, so the exact sort runs (never ignoring the values).
    names, extra, derived = columns.values.extra_columns(columns.is_positive, columns.weight)
    thresholds, tp, fp, sums = sweep_with_extra(
        _float64(columns), columns.is_positive, columns.weight, extra
    )
    curve = _curve(columns, thresholds, tp, fp)
    curve.values = value_curve(
        columns.values,
        curve.tp,
        curve.fp,
        names,
        sums,
        n_positive=curve.n_positive,
        n_negative=curve.n_negative,
        derived=derived,
    )
    return curve


def _binned_values_curve(
    columns: _Columns,
    engine: HistogramEngine,
    objective: BoundMetric,
    constraints: Sequence[Any],
    maximize: bool,
) -> ConfusionCurve:
    """The histogram engine's curve with per-row values: exact value columns at its rows."""
    assert columns.values is not None
    names, extra, derived = columns.values.extra_columns(columns.is_positive, columns.weight)
    row_values = columns.values

    def value_column(tp: Any, fp: Any, sums: Sequence[Any]) -> Any:
        return value_curve(
            row_values,
            tp,
            fp,
            names,
            list(sums),
            n_positive=tp[-1].item(),
            n_negative=fp[-1].item(),
            derived=derived,
        )

    partial = engine.sweep_for(
        columns.score,
        columns.is_positive,
        columns.weight,
        objective=objective,
        constraints=constraints,
        maximize=maximize,
        n_runners_up=N_RUNNERS_UP,
        values=ValueColumns(
            extra,
            columns.values.flag_gain(columns.is_positive, columns.weight),
            value_column,
        ),
    )
    curve = _curve(columns, partial.thresholds, partial.tp, partial.fp, partial)
    assert partial.extra is not None
    curve.values = value_column(curve.tp, curve.fp, partial.extra)
    if isinstance(curve, BinnedCurve):
        curve._source = lambda: _full_curve(columns)  # full() keeps the value columns
    return curve


def _is_dask(*arrays: Any) -> bool:
    """Whether any argument is a Dask collection (checked by module: dask is not imported)."""
    return any(type(a).__module__.split(".")[0] in ("dask", "dask_expr") for a in arrays)


@dataclass(frozen=True)
class _Columns:
    """Validated input: scores as the engine sees them (negated for ``rule='<='``).

    ``score`` is float64, or float32 as given when the engine is selective (it reads
    float32 directly: widening 1e8 scores would cost 0.8 GB and over a second).
    """

    score: npt.NDArray[np.float64] | npt.NDArray[np.float32]
    is_positive: npt.NDArray[np.bool_]
    weight: npt.NDArray[np.float64] | npt.NDArray[np.int64] | None
    engine: Engine
    rule: Rule
    positive_label: Any
    negative_label: Any
    values: RowValues | None = None
    # (min, max) of ``score`` when validation took them (float32 for a selective
    # engine): handed to the engine so that it does not scan the scores again.
    score_range: tuple[float, float] | None = None
    # (min, max) of integer weights, from validation: the engine's zero-weight and
    # cell-overflow checks need them (no second scan of the weights).
    weight_range: tuple[int, int] | None = None


def _columns(
    y_true: Any,
    y_score: Any,
    sample_weight: Any,
    pos_label: Any,
    rule: Rule,
    engine: str | Engine,
    *,
    selective: bool = False,
    values: Any = None,
) -> _Columns:
    """Validate once at the edge (the engine's name first, as before the data).

    ``selective``: the caller selects (``engine="auto"`` may then pick the histogram
    engine, by size).
    """
    check_choice(rule, "rule", (">=", "<="))
    get_engine(engine)
    array = as_1d(y_score, "y_score")
    chosen = get_engine(engine, n_rows=len(array), selective=selective)
    score: npt.NDArray[np.float64] | npt.NDArray[np.float32]
    score_range: tuple[float, float] | None = None
    low = high = None
    if isinstance(chosen, SelectiveEngine) and array.dtype == np.float32 and len(array):
        low, high = float(array.min()), float(array.max())
    if low is not None and high is not None and np.isfinite(low) and np.isfinite(high):
        score = array  # check_scores' own test (NaN and inf show in min or max)
        # With rule '<=' the engine reads -score, whose min is -max but whose zeros'
        # signs may differ from the engine's own min: it takes them itself then.
        score_range = (low, high) if rule == ">=" else None
    else:
        score = check_scores(array, "y_score")
    target = check_target(y_true, pos_label, "y_true")
    # A selective engine sums narrow weights (int32, float32) as given: no widened copy.
    as_given = isinstance(chosen, SelectiveEngine) and values is None
    weight, weight_range = check_weights_with_range(sample_weight, len(score), as_given=as_given)
    check_consistent_length(y_true=target.is_positive, y_score=score)
    return _Columns(
        score if rule == ">=" else -score,
        target.is_positive,
        weight,
        chosen,
        rule,
        target.positive_label,
        target.negative_label,
        None if values is None else check_values(values, len(score)),
        score_range,
        weight_range,
    )


def _float64(columns: _Columns) -> npt.NDArray[np.float64]:
    """The scores as float64 (they are, unless a selective engine reads float32)."""
    return np.asarray(columns.score, dtype=np.float64)


def _curve(
    columns: _Columns,
    thresholds: npt.NDArray[np.float64],
    tp: Any,
    fp: Any,
    partial: PartialSweep | None = None,
) -> ConfusionCurve:
    """The curve of an engine's counts (a :class:`BinnedCurve` for a partial sweep)."""
    fields: dict[str, Any] = {
        "n_positive": tp[-1].item(),
        "n_negative": fp[-1].item(),
        "n_samples": len(columns.score),
        "rule": columns.rule,
        "weighted": columns.weight is not None,
        "positive_label": columns.positive_label,
        "negative_label": columns.negative_label,
    }
    if partial is not None:
        source = (columns.engine, columns.score, columns.is_positive, columns.weight)
        return partial.curve(source=source, **fields)
    if columns.rule == "<=":
        thresholds = -thresholds  # row 0 becomes -inf: "score <= -inf" flags nothing
    return ConfusionCurve(thresholds, tp, fp, **fields)


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
    selection = select_rows(
        curve, objective, constraint_list, ties=ties, maximize=maximize
    ).raise_for_status()
    return cutpoint_from_selection(curve, selection, ties=ties)


def cutpoint_from_selection(curve: ConfusionCurve, selection: Selection, *, ties: str) -> Cutpoint:
    """The Cutpoint for a kernel selection on ``curve``: chosen row, ties, references."""
    i = selection.index
    score = selection.best_value
    thresholds = curve.thresholds
    objective = selection.objective
    references = closed_form_references(objective, score) if curve.probability_like else []
    runners = selection.ranked(N_RUNNERS_UP)
    return cutpoint_at_row(
        curve,
        i,
        objective,
        selection.constraints,
        maximize=selection.maximize,
        ties=ties,
        score=score,
        optimal_thresholds=tuple(float(t) for t in thresholds[selection.optimal_indices]),
        references=tuple(references),
        runners_up=tuple((float(thresholds[j]), selection.value_at(int(j))) for j in runners),
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
    values = getattr(curve, "values", None)
    extra = [] if values is None else [get_metric("value")]
    columns = {} if values is None else {"value": values[i : i + 1]}
    metrics = MetricValues(
        [*summary_metrics(), *extra, objective, *(c.metric for c in constraints)],
        counts,
        columns,
    )
    chosen = float(curve.thresholds[i]) if threshold is None else float(threshold)
    at_row = {k: columns[k] for k in objective.columns if k in columns}
    return Cutpoint(
        threshold=chosen,
        score=float(objective(*counts, **at_row)[0]) if score is None else score,
        value_by_outcome=None if values is None else values.split(i),
        metric=objective,
        maximize=maximize,
        optimal_thresholds=(chosen,) if optimal_thresholds is None else optimal_thresholds,
        ties=ties,
        constraints=tuple(constraints),
        tp=counts[0][0].item(),
        fp=counts[1][0].item(),
        tn=counts[2][0].item(),
        fn=counts[3][0].item(),
        metrics=metrics,
        references=references,
        runners_up=runners_up,
        version=_version(),
        **curve.provenance(),
    )


@overload
def find_cutpoint(
    y_true: Any,
    y_score: Any = None,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    maximize: bool | None = None,
    ties: TieRule = "highest",
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
    engine: str | Engine = "auto",
    groups: None = None,
    mode: str = "independent",
    values: Any = None,
) -> Cutpoint: ...


@overload
def find_cutpoint(
    y_true: Any,
    y_score: Any = None,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    maximize: bool | None = None,
    ties: TieRule = "highest",
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
    engine: str | Engine = "auto",
    groups: Any,
    mode: str = "independent",
    values: Any = None,
) -> GroupCutpoint: ...


def find_cutpoint(
    y_true: Any,
    y_score: Any = None,
    *,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    maximize: bool | None = None,
    ties: TieRule = "highest",
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
    engine: str | Engine = "auto",
    groups: Any = None,
    mode: str = "independent",
    values: Any = None,
) -> Cutpoint | GroupCutpoint:
    """Find the threshold that is best for ``metric``, subject to ``constraints``. Exact.

    Every distinct score (and "flag nothing") is a candidate; the metric and every
    constraint are evaluated at all of them from one sort. No grid, no interpolation.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,), or a :class:`~cutpoints.Scan`
        Binary labels: {0, 1}, {-1, 1}, booleans, or any two values with ``pos_label``.
        A :func:`~cutpoints.scan` of files (or of a Dask or Spark DataFrame) stands
        for both columns: the rows are streamed in passes, never all in memory.
        Dask arrays are accepted too.
    y_score : array-like of shape (n_samples,), optional
        Finite scores; higher means more likely positive (see ``rule``). Omitted
        with a scan.
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
    engine : {'auto', 'sort', 'histogram'} or engine, default='auto'
        How the counts are computed; the answer is identical. ``'sort'`` sorts every
        row. ``'histogram'`` counts rows in 65,536 score bins in one pass and sorts
        only the bins that could hold the optimum, a tied optimum or a runner-up;
        ``cut.curve`` is then a :class:`~cutpoints.engines.BinnedCurve` (exact counts
        at the bin edges and at every row of the refined bins). ``'auto'`` picks the
        histogram engine from :data:`~cutpoints.engines.AUTO_HISTOGRAM_MIN_ROWS` rows
        (measured crossover; see the big-data guide), the sort engine below.
    groups : array-like of shape (n_samples,), optional
        A segment label per row (region, product, hospital): then one threshold per
        group is chosen and a :class:`~cutpoints.GroupCutpoint` is returned. See the
        "Thresholds per group" guide.
    mode : {'independent', 'joint'}, default='independent'
        With ``groups``: each group's own optimum (``'independent'``), or thresholds
        chosen together for one overall objective under overall constraints, such as a
        shared ``flagged <= 5000`` budget or parity limits like ``recall_gap <= 0.05``
        (``'joint'``, exact).
    values : dict, optional
        Per-row values (money) of each outcome, for ``metric="value"`` (the total
        value, maximized) or a constraint on it: ``{"tp": gain, "fp": -review_cost,
        "fn": -amount, "tn": 0}``, each a number or an array of length n_samples (a
        missing outcome is worth 0; ``sample_weight`` multiplies each row's value).
        Summed exactly along the same sort as the counts. The cutpoint then reports
        ``metrics["value"]`` and ``value_by_outcome``. See "Deciding with money".

    Returns
    -------
    Cutpoint or GroupCutpoint
        ``threshold``, ``score`` (the objective there), ``optimal_thresholds`` (every
        threshold attaining the optimum), ``tp, fp, tn, fn``, ``metrics`` (every catalog
        metric there), ``predict()`` for new scores, and ``to_json()``.

    Raises
    ------
    InvalidInputError
        NaN or infinite scores, length mismatch, empty input, bad weights.
    InvalidLabelsError
        Labels that need ``pos_label``, more than two classes, or only one class.
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
    >>> amount = [5, 9, 120, 40, 7, 60, 3, 15]
    >>> cut = cp.find_cutpoint(y, s, metric="value",
    ...                        values={"tp": amount, "fp": -10, "fn": [-a for a in amount]})
    >>> cut.threshold, cut.score, cut.value_by_outcome
    (0.3, 215.0, {'tp': 235.0, 'fp': -20.0, 'fn': 0.0, 'tn': 0.0})
    """
    # --- dispatch: one threshold per group (cutpoints.groups) [groups work owns this block]
    if groups is not None:
        from .groups import find_group_cutpoint

        return find_group_cutpoint(
            y_true,
            y_score,
            groups=groups,
            mode=mode,
            metric=metric,
            constraints=constraints,
            maximize=maximize,
            ties=ties,
            sample_weight=sample_weight,
            pos_label=pos_label,
            rule=rule,
            values=values,
            engine=engine,
        )
    # --- dispatch: streamed and cluster sources (cutpoints._scan) [big-data work owns this]
    from ._scan import find_streamed

    streamed = find_streamed(
        y_true,
        y_score,
        metric=metric,
        constraints=constraints,
        maximize=maximize,
        ties=ties,
        sample_weight=sample_weight,
        pos_label=pos_label,
        rule=rule,
        engine=engine,
        values=values,
    )
    if streamed is not None:
        return streamed
    # --- end of dispatch
    columns = _columns(
        y_true, y_score, sample_weight, pos_label, rule, engine, selective=True, values=values
    )
    objective = get_metric(metric)
    check_choice(ties, "ties", TIE_RULES)
    constraint_list = as_constraints(constraints)
    chosen = columns.engine
    if columns.values is not None and isinstance(chosen, HistogramEngine):
        # Per-row values: the histogram engine sums them per bin and bounds "value" there.
        direction = objective.greater_is_better if maximize is None else bool(maximize)
        curve = _binned_values_curve(columns, chosen, objective, constraint_list, direction)
        selection = select_rows(curve, objective, constraint_list, ties=ties, maximize=maximize)
        if selection.status in ("infeasible", "undefined") and isinstance(curve, BinnedCurve):
            curve = _full_curve(columns)  # the error names points of the full curve
            selection = select_rows(curve, objective, constraint_list, ties=ties, maximize=maximize)
        return cutpoint_from_selection(curve, selection.raise_for_status(), ties=ties)
    if columns.values is not None or not isinstance(chosen, SelectiveEngine):
        # Per-row values: the full exact sweep with the value columns (see _full_curve).
        curve = _full_curve(columns)
        selection = select_rows(curve, objective, constraint_list, ties=ties, maximize=maximize)
        return cutpoint_from_selection(curve, selection.raise_for_status(), ties=ties)
    partial = chosen.sweep_for(
        columns.score,
        columns.is_positive,
        columns.weight,
        objective=objective,
        constraints=constraint_list,
        maximize=objective.greater_is_better if maximize is None else bool(maximize),
        n_runners_up=N_RUNNERS_UP,
        score_range=columns.score_range,
        weight_range=columns.weight_range,
    )
    curve = _curve(columns, partial.thresholds, partial.tp, partial.fp, partial)
    selection = select_rows(curve, objective, constraint_list, ties=ties, maximize=maximize)
    if selection.status in ("infeasible", "undefined") and not partial.complete:
        # Nothing to choose: the error names the closest points on the full curve,
        # which only a full sweep knows. A failure path, so the sort is affordable.
        curve = _curve(columns, *chosen.sweep(columns.score, columns.is_positive, columns.weight))
        selection = select_rows(curve, objective, constraint_list, ties=ties, maximize=maximize)
    return cutpoint_from_selection(curve, selection.raise_for_status(), ties=ties)


def evaluate_threshold(
    y_true: Any,
    y_score: Any,
    threshold: float,
    *,
    metrics: Iterable[MetricLike] | None = None,
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
    values: Any = None,
) -> dict[str, float]:
    """Counts and metrics at one given threshold (e.g. the default 0.5).

    Parameters
    ----------
    threshold : float
        Any value; rows with ``score >= threshold`` are flagged.
    metrics : iterable of str, optional
        Metrics to report; by default every catalog metric that needs no parameters.
    values : dict, optional
        Per-row values of each outcome, as for :func:`find_cutpoint`: adds ``value``
        (by default) and the value of each outcome, ``value_tp`` ... ``value_tn``.

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
        y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule, values=values
    )
    out: dict[str, float] = dict(curve.at(threshold))
    out.update(curve.metrics_at(threshold, metrics))
    if curve.values is not None:
        split = curve.values.split(curve.index_at(threshold))
        out.update({f"value_{k}": v for k, v in split.items()})
    return out
