"""Thresholds per group: each group's own optimum, or all chosen together.

``find_group_cutpoint`` (also reached as ``find_cutpoint(..., groups=...)``) returns a
:class:`GroupCutpoint`:

- ``mode="independent"``: each group's best threshold for the metric and constraints,
  chosen by the selection kernel on that group's exact curve;
- ``mode="joint"``: one threshold per group chosen together for ONE overall objective on
  the summed counts, under overall constraints (a shared ``flagged <= 5000``) and parity
  limits (``recall_gap <= 0.05``); exact (see :mod:`cutpoints.groups._joint`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .._api import _Columns, _version
from .._curve import ConfusionCurve, Rule
from .._cutpoint import Cutpoint
from .._metrics import BoundMetric, MetricLike, get_metric
from .._validation import check_choice
from ..engines import Engine
from ..errors import InfeasibleConstraintError, InvalidLabelsError, InvalidParameterError
from ..selection import TIE_RULES, Constraint, ConstraintLike, Selection, TieRule, select_rows
from ._binned import applicable, budget_curves, choose_binned
from ._cuts import CutpointFactory, LazyCutpoints, brief_items
from ._data import GroupedCurves, GroupedInput, curves_of, grouped_input
from ._joint import JointProblem, group_value_columns, linear_form, solve_joint
from ._parity import (
    GapConstraint,
    group_values,
    infeasible_gap_error,
    split_constraints,
    window_masks,
    windows,
    windows_by_bound,
)
from ._result import GroupCutpoint

__all__ = ["GapConstraint", "GroupCutpoint", "find_group_cutpoint"]

MODES = ("independent", "joint")
ENGINES = ("auto", "sort", "histogram")
#: Rows from which ``engine="auto"`` takes the grouped histogram path (independent mode).
AUTO_HISTOGRAM_MIN_ROWS = 200_000


def find_group_cutpoint(
    y_true: Any,
    y_score: Any,
    *,
    groups: Any,
    mode: str = "independent",
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike | GapConstraint] | None = (),
    maximize: bool | None = None,
    ties: TieRule = "highest",
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
    values: Any = None,
    engine: str | Engine = "auto",
) -> GroupCutpoint:
    """One threshold per group, each group's own optimum or chosen jointly. Exact.

    Parameters
    ----------
    y_true, y_score, metric, maximize, ties, sample_weight, pos_label, rule
        As in :func:`cutpoints.find_cutpoint`. In joint mode, among several optimal
        combinations of thresholds the one that uses the least of the budget is chosen
        (then the solver's fixed order decides): deterministic.
    groups : array-like of shape (n_samples,)
        Each row's group (text, integers or booleans; no NaN or None).
    mode : {'independent', 'joint'}, default='independent'
        ``'independent'``: each group gets the threshold best for ``metric`` under
        ``constraints`` on its own rows. ``'joint'``: the thresholds are chosen together
        to optimize ``metric`` on the overall counts (sums over groups) under overall
        ``constraints``; the objective must be a sum over groups (tp, recall, fpr,
        flagged, cost, utility, accuracy, youden, net benefit, ...) or a ratio of such
        sums (f1, fbeta, jaccard, precision), with at most one constraint on counts
        (the shared budget), plus any gap constraints.
    constraints : str or list, optional
        Bounds as in :func:`~cutpoints.find_cutpoint`, and parity limits
        ``"<metric>_gap <= bound"``: the largest between-group difference of any catalog
        metric (``recall_gap``: equal opportunity, ``flag_rate_gap``: demographic
        parity, ``fpr_gap``). Gap limits couple the groups: they need ``mode='joint'``.
    values : dict, optional
        Per-row values (money), as in :func:`~cutpoints.find_cutpoint`.
    engine : {'auto', 'sort', 'histogram'}, default='auto'
        How each group's counts are found; the answer is the same. ``'sort'``: every
        group's full curve (one sort of (group, score)). ``'histogram'``: in
        independent mode, one counting pass over (group, score bin) cells and a sort of
        only the rows of the bins that can hold an answer (see
        :mod:`cutpoints.groups._binned`); it falls back to ``'sort'`` for objectives
        without declared monotonicity, per-row values, fractional weights, joint mode,
        and to name a failing group. ``'auto'``: ``'histogram'`` from
        :data:`AUTO_HISTOGRAM_MIN_ROWS` rows.

    Returns
    -------
    GroupCutpoint
        ``.cutpoints`` (group -> Cutpoint), ``.thresholds``, overall ``.tp .fp .tn .fn``
        and ``.score``, ``predict(scores, groups)``, ``to_frame()``, ``to_json()``.

    Raises
    ------
    InvalidInputError
        Misaligned or missing group labels, bad scores or weights.
    InvalidLabelsError
        A group holding one class only (named).
    InfeasibleConstraintError
        A group where no threshold meets the constraints (named), or joint constraints
        no choice meets (a gap limit's error names the smallest attainable gap).

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [1, 0, 1, 0, 0, 1, 1, 0, 0, 0]
    >>> s = [0.9, 0.8, 0.7, 0.2, 0.1, 0.6, 0.5, 0.4, 0.3, 0.2]
    >>> g = ["a"] * 5 + ["b"] * 5
    >>> cp.find_cutpoint(y, s, groups=g, metric="f1").thresholds
    {'a': 0.7, 'b': 0.5}
    >>> joint = cp.find_cutpoint(y, s, groups=g, mode="joint", metric="tp",
    ...                          constraints=["flagged <= 3"])
    >>> joint.thresholds, joint.tp, joint.flagged
    ({'a': 0.9, 'b': 0.5}, 3, 3)
    """
    check_choice(mode, "mode", MODES)
    check_choice(ties, "ties", TIE_RULES)
    objective = get_metric(metric)
    plain, gaps = split_constraints(constraints)
    if gaps and mode != "joint":
        shown = ", ".join(repr(str(g)) for g in gaps)
        msg = (
            f"gap constraints ({shown}) couple the groups' thresholds: pass mode='joint' "
            "(and an overall objective) to use them"
        )
        raise InvalidParameterError(msg)
    # An engine object counts by its name (the grouped paths are the package's own).
    engine = engine if isinstance(engine, str) else str(getattr(engine, "name", engine))
    check_choice(engine, "engine", ENGINES)
    given = grouped_input(
        y_true,
        y_score,
        groups,
        sample_weight=sample_weight,
        pos_label=pos_label,
        rule=rule,
        values=values,
    )
    if values is None:
        _refuse_missing_values(objective, plain)
    direction = objective.greater_is_better if maximize is None else bool(maximize)
    if mode == "independent" and _binned_wanted(engine, given, objective):
        found = choose_binned(
            given.columns, given.labels, given.codes, objective, plain, direction, ties
        )
        if found is not None:  # else a group fails: the sort path names it
            return _result(
                given.labels, given.columns, found, mode, objective, direction, plain, gaps
            )
    data = None
    if mode == "joint" and not gaps and _binned_wanted(engine, given, None):
        data = _budget_curves(given, plain)
    if data is None:
        data = curves_of(given)
    _refuse_one_class(data, objective)
    if mode == "independent":
        cuts = _choose_independently(data, objective, plain, direction, ties)
    else:
        cuts = _choose_jointly(data, objective, plain, gaps, direction, ties)
    return _result(data.labels, data.columns, cuts, mode, objective, direction, plain, gaps)


def _budget_curves(given: GroupedInput, constraints: list[Constraint]) -> GroupedCurves | None:
    """Joint mode under one shared budget that only grows along every curve (flagged,
    flag_rate, tp, fp, ...): each group's curve needs exact rows only where it uses at
    most the whole budget (:func:`~cutpoints.groups._binned.budget_curves`). None: the
    sort path's full curves."""
    if len(constraints) != 1 or constraints[0].metric.columns:
        return None
    c = constraints[0]
    columns = given.columns
    positive = columns.is_positive
    if columns.weight is None:
        p = float(np.count_nonzero(positive))
        n = float(len(positive)) - p
    else:
        w = np.asarray(columns.weight, dtype=np.float64)
        p = float(w[positive].sum())
        n = float(w.sum()) - p
    form = linear_form(c.metric, p, n)
    if form is None:
        return None
    sign = 1.0 if c.op in ("<=", "<") else -1.0
    a, b = sign * form[1], sign * form[2]
    if a < 0 or b < 0 or not (a or b):
        return None
    curves = budget_curves(
        columns, given.codes, len(given.labels), a, b, sign * (c.bound - form[0])
    )
    return None if curves is None else GroupedCurves(given.labels, tuple(curves), columns)


def _binned_wanted(engine: str, given: GroupedInput, objective: BoundMetric | None) -> bool:
    if engine == "sort" or not applicable(given.columns, objective):
        return False
    return engine == "histogram" or len(given.codes) >= AUTO_HISTOGRAM_MIN_ROWS


def _refuse_missing_values(objective: BoundMetric, constraints: list[Constraint]) -> None:
    for metric in (objective, *(c.metric for c in constraints)):
        if "value" in metric.columns:
            msg = (
                f"metric '{metric.name}' reads the total value of per-row values: pass "
                "values= with the value of each outcome, e.g. "
                '{"tp": amount, "fp": -5, "fn": -amount} (got values=None)'
            )
            raise InvalidParameterError(msg)


def _refuse_one_class(data: GroupedCurves, objective: BoundMetric) -> None:
    for label, curve in zip(data.labels, data.curves, strict=True):
        if not (curve.n_positive > 0 and curve.n_negative > 0):
            present = "positive" if curve.n_positive else "negative"
            msg = (
                f"group {label!r} holds only one class: its {curve.n_samples} rows (with "
                f"weight) are all {present}; choosing a threshold for '{objective.name}' "
                "needs both classes in every group (merge it with another group, or "
                "leave it out and use a fallback when applying)"
            )
            raise InvalidLabelsError(msg)


def _choose_independently(
    data: GroupedCurves,
    objective: BoundMetric,
    constraints: list[Constraint],
    maximize: bool,
    ties: str,
) -> Mapping[Any, Cutpoint]:
    picks = []
    for label, curve in zip(data.labels, data.curves, strict=True):
        selection = select_rows(curve, objective, constraints, ties=ties, maximize=maximize)
        if not selection.ok:
            error = selection.error()
            # Same error class, with the group named (and the closest points kept).
            error.args = (f"group {label!r} ({curve.n_samples} rows): {error}", *error.args[1:])
            raise error
        picks.append((curve, selection.index, selection))
    return _cutpoints(data, picks, CutpointFactory(objective, constraints), maximize, ties)


def _cutpoints(
    data: GroupedCurves,
    picks: Sequence[tuple[ConfusionCurve, int, Selection | None]],
    make: CutpointFactory,
    maximize: bool,
    ties: str,
) -> Mapping[Any, Cutpoint]:
    """Each group's Cutpoint at its chosen row: built on access (see LazyCutpoints), or
    at once with per-row values (their Cutpoints carry the value split)."""

    def build(i: int) -> Cutpoint:
        curve, row, selection = picks[i]
        return make.at_row(curve, row, maximize=maximize, ties=ties, selection=selection)

    if data.columns.values is not None:
        return {label: build(i) for i, label in enumerate(data.labels)}
    briefs = [make.brief(curve, row, selection) for curve, row, selection in picks]
    return LazyCutpoints(data.labels, briefs, build)


def _choose_jointly(
    data: GroupedCurves,
    objective: BoundMetric,
    constraints: list[Constraint],
    gaps: list[GapConstraint],
    maximize: bool,
    ties: str,
) -> Mapping[Any, Cutpoint]:
    columns = group_value_columns(data.curves)
    problem = JointProblem(
        data.curves,
        objective,
        maximize,
        tuple(constraints),
        ties,
        None if columns is None else tuple(columns),
    )
    best: tuple[list[int], float] | None = None
    if not gaps:
        best = solve_joint(problem)
    else:
        gap_values = [group_values(data.curves, g.metric) for g in gaps]
        incumbent: list[tuple[list[int], float]] = []  # the best so far, read by the windows
        for masks in _candidate_windows(problem, gap_values, gaps, incumbent):
            found = solve_joint(problem, masks)
            if found is None:
                continue
            rows = found[0]
            if not all(g.holds(_spread(v, rows)) for g, v in zip(gaps, gap_values, strict=True)):
                continue  # pragma: no cover - a window's rows satisfy its limit by construction
            if best is None or _better(found[1], best[1], maximize):
                best = found
                incumbent[:] = [found]
        if best is None:
            for g, v in zip(gaps, gap_values, strict=True):
                if not any(True for _ in windows(v, g)):
                    raise infeasible_gap_error(g, v, others=False)
            raise infeasible_gap_error(gaps[0], gap_values[0], others=True)
    if best is None:
        _raise_joint_infeasible(problem)
    assert best is not None
    rows, _ = best
    picks: list[tuple[ConfusionCurve, int, Selection | None]] = [
        (curve, row, None) for curve, row in zip(data.curves, rows, strict=True)
    ]
    return _cutpoints(data, picks, CutpointFactory(objective, ()), maximize, ties)


def _candidate_windows(
    problem: JointProblem,
    gap_values: list[list[Any]],
    gaps: list[GapConstraint],
    incumbent: list[tuple[list[int], float]],
) -> Iterable[list[Any]]:
    """The windows to solve in: with one gap limit and an additive objective, best
    bound first, stopping once no window's bound can beat the best choice found."""
    p, n = problem.totals
    linear = linear_form(problem.objective, p, n)
    if len(gaps) != 1 or linear is None:
        yield from _gap_windows(gap_values, gaps)
        return
    c0, a, b = linear
    sign = 1.0 if problem.maximize else -1.0
    gains = [
        sign * (a * np.asarray(c.tp, dtype=float) + b * np.asarray(c.fp, dtype=float))
        for c in problem.curves
    ]
    lows, bounds = windows_by_bound(gap_values[0], gaps[0], gains)
    for low, bound in zip(lows.tolist(), bounds.tolist(), strict=True):
        if incumbent:
            reached = sign * (incumbent[0][1] - c0)
            if bound < reached - 1e-9 * max(1.0, abs(reached)):
                return  # no later window can do better (their bounds are lower still)
        yield window_masks(gap_values[0], gaps[0], low)


def _gap_windows(gap_values: list[list[Any]], gaps: list[GapConstraint]) -> Iterable[list[Any]]:
    """Every combination of windows, one per gap limit, as one allowed mask per group."""
    if not gaps:
        yield None  # type: ignore[misc]
        return
    for masks in windows(gap_values[0], gaps[0]):
        for rest in _gap_windows(gap_values[1:], gaps[1:]):
            if rest is None:
                yield masks
                continue
            combined = [a & b for a, b in zip(masks, rest, strict=True)]
            if all(m.any() for m in combined):
                yield combined


def _spread(values: list[Any], rows: list[int]) -> float:
    chosen = [float(v[r]) for v, r in zip(values, rows, strict=True)]
    if any(math.isnan(x) for x in chosen):
        return math.nan
    return max(chosen) - min(chosen)


def _better(a: float, b: float, maximize: bool) -> bool:
    return a > b if maximize else a < b


def _raise_joint_infeasible(problem: JointProblem) -> None:
    shown = ", ".join(repr(str(c)) for c in problem.constraints)
    msg = f"no choice of one threshold per group satisfies {shown} on the overall counts"
    c = problem.constraints[0] if problem.constraints else None
    signs = None if c is None else c.metric.monotonicity
    if c is not None and signs is not None and signs[0] * signs[1] >= 0 and any(signs):
        # Along every curve the metric moves one way: its best is at one end everywhere.
        grows = max(signs) > 0
        at_end = grows == c.wants_large
        tp = sum(float(cv.tp[-1 if at_end else 0]) for cv in problem.curves)
        fp = sum(float(cv.fp[-1 if at_end else 0]) for cv in problem.curves)
        p, n = problem.totals
        with np.errstate(all="ignore"):
            best = c.metric(np.array([tp]), np.array([fp]), np.array([n - fp]), np.array([p - tp]))
        where = "flagging everything" if at_end else "flagging nothing"
        msg += f"; the closest is {c.metric.name} = {float(best[0]):.6g}, {where} in every group"
    raise InfeasibleConstraintError(msg, [])


def _result(
    labels: tuple[Any, ...],
    columns: _Columns,
    cuts: Mapping[Any, Cutpoint],
    mode: str,
    objective: BoundMetric,
    maximize: bool,
    constraints: list[Constraint],
    gaps: list[GapConstraint],
) -> GroupCutpoint:
    briefs = [c for _, c in brief_items(cuts)]
    totals = {k: sum(getattr(c, k) for c in briefs) for k in ("tp", "fp", "tn", "fn")}
    counts = [np.array([float(totals[k])]) for k in ("tp", "fp", "tn", "fn")]
    at_total: dict[str, Any] = {}
    if "value" in objective.columns:
        # Total value is additive over groups: the sum of each group's value.
        total = math.fsum(sum(c.value_by_outcome.values()) for c in briefs)
        at_total["value"] = np.array([total])
    with np.errstate(all="ignore"):
        score = float(objective(*counts, **at_total)[0])
    return GroupCutpoint(
        cutpoints=cuts,
        mode=mode,
        metric=objective,
        maximize=maximize,
        constraints=tuple(constraints),
        gap_constraints=tuple(gaps),
        score=score,
        rule=columns.rule,
        positive_label=columns.positive_label,
        negative_label=columns.negative_label,
        version=_version(),
        **totals,
    )
