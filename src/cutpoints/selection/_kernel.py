"""The selection kernel: the best row of a table of confusion counts, under constraints.

Every feature that chooses a threshold calls :func:`select_rows`: the function API, each
bootstrap resample and its lower-bound choice, repeated experiments, guarantees and the
estimator. It knows nothing of scores, engines or files: its input is counts (``tp`` and
``fp`` at candidate rows, ordered from the row that flags fewest to the one that flags
most, plus the class totals), an objective, constraints, a direction and a tie rule.

The objective's values and each constraint's mask are computed on the candidate rows at
once. Feasible rows are those where every constraint holds, the objective is defined
(not NaN) and the caller allows the row (``eligible``). The optimum is compared exactly
(no tolerance), every row that attains it is kept, and one is chosen by the tie rule.

With ``prune=True`` and an objective whose monotonicity in tp and fp is declared in the
metric registry, blocks of consecutive rows whose best possible value is below a value
already attained at a feasible block edge are skipped: exact, and much less work on long
curves evaluated many times (bootstrap resamples, binned engines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from .._counts import Column, Counts, CountsLike, evaluate_rows, float_counts
from .._metrics import BoundMetric
from ..errors import (
    ClosestPoint,
    CutpointsError,
    InfeasibleConstraintError,
    InvalidLabelsError,
    UndefinedMetricError,
)
from ._constraints import Constraint

__all__ = [
    "TIE_RULES",
    "Counts",
    "CountsLike",
    "Selection",
    "Status",
    "TieRule",
    "block_bounds",
    "evaluate_rows",
    "may_reach",
    "select_rows",
]

TieRule = Literal["highest", "lowest", "median"]
TIE_RULES: tuple[str, ...] = ("highest", "lowest", "median")
Status = Literal["ok", "infeasible", "undefined", "one_class"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_RANK_CHUNK = 1 << 18
_BLOCK = 1024  # rows per block when pruning
_SLACK = 1e-9  # relative: a rounding difference can never prune an optimal row


def _pick(optimal: IntArray, ties: str) -> int:
    if ties == "highest":
        return int(optimal[0])
    if ties == "lowest":
        return int(optimal[-1])
    # The median of the tied set, always one of its members: for an even count the
    # one of the two middle thresholds that flags fewer rows.
    return int(optimal[(len(optimal) - 1) // 2])


@dataclass(frozen=True)
class Selection:
    """Which rows are optimal, which one was chosen, or why none could be.

    Attributes
    ----------
    status : {'ok', 'infeasible', 'undefined', 'one_class'}
        ``'infeasible'``: no row satisfies the constraints; ``'undefined'``: the
        objective is NaN wherever they hold; ``'one_class'``: the counts hold one class
        only (no threshold is meaningful: with only positives, flagging everything has
        F1 = 1). :meth:`error` says why in words.
    index : int
        The chosen row (-1 unless ``status == 'ok'``).
    optimal_indices : ndarray of int64
        Every row attaining the optimum, in row order (fewest flagged first).
    values : ndarray of float64
        The objective at each evaluated row (see ``rows``).
    feasible : ndarray of bool
        Where every constraint holds, the objective is defined and the row is eligible,
        at each evaluated row.
    rows : ndarray of int64 or None
        The rows evaluated; None means every row (``values[i]`` is row ``i``).
    maximize : bool
        The direction that was optimized.
    """

    status: Status
    index: int
    optimal_indices: IntArray
    values: FloatArray
    feasible: BoolArray
    rows: IntArray | None
    maximize: bool
    objective: BoundMetric = field(repr=False, compare=False)
    constraints: tuple[Constraint, ...] = field(default=(), repr=False, compare=False)
    source: CountsLike | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether a row was chosen."""
        return self.status == "ok"

    @property
    def best_value(self) -> float:
        """The optimal objective value (NaN when nothing was chosen)."""
        if not self.ok:
            return math.nan
        return float(self.value_at(self.index))

    def value_at(self, row: int) -> float:
        """The objective at ``row`` (which must have been evaluated)."""
        if self.rows is None:
            return float(self.values[row])
        j = int(np.searchsorted(self.rows, row))
        if j >= len(self.rows) or self.rows[j] != row:
            msg = f"row {row} was not evaluated (pruned)"
            raise IndexError(msg)
        return float(self.values[j])

    def ranked(self, k: int) -> IntArray:
        """Up to ``k`` feasible non-optimal rows, best objective first (the runners-up).

        Rows with equal objective values are listed in row order.
        """
        if k <= 0 or not self.ok:
            return np.empty(0, dtype=np.int64)
        # Chunk by chunk, keep each chunk's k best by k passes of argmin (argmin's first
        # occurrence keeps row order among equals); then rank the survivors. For the
        # handful of runners-up shown, this beats a partition and stays chunk-sized.
        sign = -1.0 if self.maximize else 1.0  # rank by ascending sign * value
        rows = np.arange(len(self.values)) if self.rows is None else self.rows
        optimal = set(self.optimal_indices.tolist())
        kept_row: list[int] = []
        kept_key: list[float] = []
        for start in range(0, len(self.values), _RANK_CHUNK):
            stop = start + _RANK_CHUNK
            keys = np.where(self.feasible[start:stop], sign * self.values[start:stop], np.inf)
            for _ in range(min(k + len(optimal), keys.size)):
                i = int(np.argmin(keys))
                if keys[i] == np.inf:
                    break
                row = int(rows[start + i])
                if row not in optimal:
                    kept_row.append(row)
                    kept_key.append(float(keys[i]))
                keys[i] = np.inf
        order = np.lexsort((np.array(kept_row), np.array(kept_key)))[:k]
        return np.array(kept_row, dtype=np.int64)[order]

    def error(self) -> CutpointsError:
        """The exception that says why nothing was chosen (for ``status != 'ok'``)."""
        if self.ok:  # pragma: no cover - a programming error
            msg = "error() called on a successful selection"
            raise RuntimeError(msg)
        source = self.source
        assert source is not None
        if self.status == "infeasible":
            points = _closest(source, self.constraints)
            return InfeasibleConstraintError(_infeasible_message(points), points)
        n_pos, n_neg = source.n_positive, source.n_negative
        if self.status == "one_class":
            present = "positive" if n_pos else "negative"
            absent = "negative" if n_pos else "positive"
            msg = (
                f"'y_true' holds only one class: every row (with weight) is {present}, "
                f"none {absent}; choosing a threshold for '{self.objective.name}' needs "
                "both classes"
            )
            return InvalidLabelsError(msg)
        where = " where the constraints hold" if self.constraints else ""
        undefined = self.objective.metric.undefined or "its denominator is 0"
        msg = (
            f"metric '{self.objective.name}' is undefined at every threshold{where} "
            f"(it is NaN when {undefined}); the data has {n_pos} positive and {n_neg} "
            "negative (weighted) rows"
        )
        return UndefinedMetricError(msg)

    def raise_for_status(self) -> Selection:
        """Return self if a row was chosen, else raise :meth:`error`."""
        if not self.ok:
            raise self.error()
        return self


def _closest(source: CountsLike, constraints: tuple[Constraint, ...]) -> list[ClosestPoint]:
    thresholds = getattr(source, "thresholds", None)
    points = []
    for c in constraints:
        values = evaluate_rows(source, c.metric)
        defined = ~np.isnan(values)
        if not defined.any():
            points.append(ClosestPoint(str(c), math.nan, math.nan, False))
            continue
        masked = np.where(defined, values, -np.inf if c.wants_large else np.inf)
        i = int(np.argmax(masked) if c.wants_large else np.argmin(masked))
        t = float(thresholds[i]) if thresholds is not None else math.nan
        points.append(ClosestPoint(str(c), t, float(values[i]), bool(c.mask(values).any())))
    return points


def _infeasible_message(points: list[ClosestPoint]) -> str:
    lines = []
    for p in points:
        if math.isnan(p.value):
            lines.append(f"'{p.constraint}': its metric is undefined at every threshold")
        elif p.satisfiable_alone:
            lines.append(
                f"'{p.constraint}' holds alone (best {p.value:.6g} at threshold {p.threshold!r})"
            )
        else:
            lines.append(
                f"'{p.constraint}' never holds; closest is {p.value:.6g} "
                f"at threshold {p.threshold!r}"
            )
    if not points:
        return "no threshold is eligible"
    if all(p.satisfiable_alone for p in points) and len(points) > 1:
        head = "no threshold satisfies all constraints together, though each holds alone"
    else:
        head = "no threshold satisfies the constraints"
    return head + ": " + "; ".join(lines)


def block_bounds(
    source: CountsLike,
    lower: IntArray,
    upper: IntArray,
    metric: BoundMetric,
    *,
    maximize: bool,
) -> FloatArray | None:
    """The best value ``metric`` can take in each block of rows; None if unknown.

    Block ``i`` holds every row whose counts lie between those of rows ``lower[i]``
    and ``upper[i]`` of ``source`` (``tp[lower] <= tp <= tp[upper]``, likewise fp):
    consecutive rows of a curve, or the rows of a score bin between two bin edges. A
    metric with declared signs (s_tp, s_fp) in tp and fp is at most its value at the
    corner (tp at ``upper`` if s_tp > 0 else at ``lower``, likewise fp), and at least
    its value at the opposite corner; ``maximize`` says which of the two is wanted.
    None when the metric declares no monotonicity: then nothing can be bounded.
    NaN where the metric is undefined at the corner (callers keep such blocks).
    """
    signs = metric.monotonicity
    if signs is None:
        return None
    s_tp, s_fp = signs
    tp_at = upper if (s_tp > 0) == maximize else lower
    fp_at = upper if (s_fp > 0) == maximize else lower
    tp = np.asarray(source.tp[tp_at], dtype=np.float64)
    fp = np.asarray(source.fp[fp_at], dtype=np.float64)
    bound: FloatArray = metric(tp, fp, float(source.n_negative) - fp, float(source.n_positive) - tp)
    return bound


def may_reach(bounds: FloatArray, target: float, *, maximize: bool) -> BoolArray:
    """Where a block whose best value is ``bounds`` could reach ``target`` (or beat it).

    Conservative: a relative slack absorbs rounding (a metric evaluated at a corner
    and at a row inside the block may differ in the last bits), and a NaN bound --
    unknown -- always could. Blocks where this is False can be skipped exactly.
    """
    slack = _SLACK * max(1.0, abs(target))
    if maximize:
        out: BoolArray = ~(bounds < target - slack)
    else:
        out = ~(bounds > target + slack)
    return out


def _prunable_rows(
    source: CountsLike,
    objective: BoundMetric,
    constraints: tuple[Constraint, ...],
    maximize: bool,
    eligible: Column | None,
) -> IntArray | None:
    """Rows that may hold the optimum, skipping bounded-out blocks; None to keep all.

    Within a block of consecutive rows tp and fp only grow, so :func:`block_bounds`
    bounds the objective there. A block whose best case is worse than a value attained
    at a feasible, eligible block edge cannot hold the optimum (nor any row tied with
    it), so it is skipped.
    """
    n = len(source.tp)
    if objective.monotonicity is None or n <= 4 * _BLOCK:
        return None
    starts = np.arange(0, n, _BLOCK, dtype=np.int64)
    ends = np.minimum(starts + _BLOCK - 1, n - 1)
    edges = np.concatenate((starts, ends))
    edge_values = evaluate_rows(source, objective, edges)
    usable = ~np.isnan(edge_values)
    if eligible is not None:
        usable &= np.asarray(eligible[edges], dtype=bool)
    if constraints:
        edge_counts = float_counts(source, edges)
        for c in constraints:
            usable &= c.mask(c.metric(*edge_counts))
    if not usable.any():
        return None
    best = float(np.max(edge_values[usable]) if maximize else np.min(edge_values[usable]))
    bound = block_bounds(source, starts, ends, objective, maximize=maximize)
    assert bound is not None  # monotonicity was checked above
    keep = may_reach(bound, best, maximize=maximize)
    rows = (starts[keep, None] + np.arange(_BLOCK, dtype=np.int64)).ravel()
    return rows[rows < n]


def select_rows(
    source: CountsLike,
    objective: BoundMetric,
    constraints: tuple[Constraint, ...] | list[Constraint] = (),
    *,
    ties: TieRule | str = "highest",
    maximize: bool | None = None,
    eligible: Column | None = None,
    prune: bool = False,
) -> Selection:
    """Choose the best row of a table of confusion counts. The one selection kernel.

    Parameters
    ----------
    source : CountsLike
        Counts at candidate rows (a :class:`~cutpoints.ConfusionCurve`, a
        :class:`Counts`, a resample's counts): ``tp``, ``fp``, ``n_positive``,
        ``n_negative``; rows ordered from fewest flagged to most.
    objective : BoundMetric
        The metric to optimize.
    constraints : sequence of Constraint
        All must hold at the chosen row.
    ties : {'highest', 'lowest', 'median'}, default='highest'
        Which of several optimal rows to choose: the first (highest threshold, flags
        fewest), the last (flags most), or the median of the tied set (a member of it).
    maximize : bool, optional
        Override the metric's own direction.
    eligible : ndarray of bool, shape (n_rows,), or a Column of bools, optional
        Rows that may be chosen at all (e.g. scores present in a bootstrap resample).
    prune : bool, default=False
        Skip blocks of rows that cannot hold the optimum, using the objective's declared
        monotonicity. Same answer; ``values`` then covers only the evaluated ``rows``.

    Notes
    -----
    Counts with one class only (no positive or no negative weight) give the status
    ``'one_class'``: a threshold chosen there means nothing (with only positives,
    flagging everything has precision, recall and F1 = 1), so no path answers it.

    Returns
    -------
    Selection
        ``status`` says whether a row was chosen; never raises for infeasibility
        (call :meth:`Selection.raise_for_status`).
    """
    maximize = objective.greater_is_better if maximize is None else bool(maximize)
    cons = tuple(constraints)
    empty = np.empty(0, dtype=np.int64)
    if not (source.n_positive > 0 and source.n_negative > 0):
        # Nothing to evaluate: no threshold means anything on one class.
        nothing = np.empty(0, dtype=np.float64)
        return Selection(
            "one_class", -1, empty, nothing, nothing.astype(bool), empty, maximize,
            objective, cons, source,
        )  # fmt: skip
    rows = _prunable_rows(source, objective, cons, maximize, eligible) if prune else None
    values = evaluate_rows(source, objective, rows)
    allowed: BoolArray | None = None
    for c in cons:
        mask = c.mask(evaluate_rows(source, c.metric, rows))
        allowed = mask if allowed is None else np.logical_and(allowed, mask, out=allowed)
    if eligible is not None:
        here = np.array(eligible[slice(None) if rows is None else rows], dtype=bool)
        allowed = here if allowed is None else np.logical_and(allowed, here, out=allowed)

    def result(status: Status, feasible: BoolArray, optimal: IntArray = empty) -> Selection:
        index = _pick(optimal, ties) if optimal.size else -1
        return Selection(
            status, index, optimal, values, feasible, rows, maximize, objective, cons, source
        )

    if allowed is not None and not allowed.any():
        return result("infeasible", allowed)
    feasible = np.isnan(values)
    np.logical_not(feasible, out=feasible)
    if allowed is not None:
        feasible &= allowed
    del allowed
    if not feasible.any():
        return result("undefined", feasible)
    if maximize:
        best = np.max(values, where=feasible, initial=-np.inf)
    else:
        best = np.min(values, where=feasible, initial=np.inf)
    is_best = np.equal(values, best)
    is_best &= feasible
    optimal = np.flatnonzero(is_best).astype(np.int64)
    if rows is not None:
        optimal = rows[optimal]
    return result("ok", feasible, optimal)
