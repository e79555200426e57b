"""Selection: the best threshold on a confusion curve under constraints.

The objective's values and each constraint's mask are computed on the whole curve at
once. Feasible thresholds are those where every constraint holds and the objective is
defined (not NaN). The optimum is compared exactly (no tolerance), every threshold that
attains it is kept, and one is chosen by the tie rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from ._constraints import Constraint
from ._curve import ConfusionCurve
from ._metrics import BoundMetric
from .errors import ClosestPoint, InfeasibleConstraintError, UndefinedMetricError

__all__ = ["TIE_RULES", "Selection", "TieRule", "select"]

TieRule = Literal["highest", "lowest", "median"]
TIE_RULES: tuple[str, ...] = ("highest", "lowest", "median")
_CHUNK = 1 << 18


@dataclass(frozen=True)
class Selection:
    """Which rows of a curve are optimal, and which one was chosen.

    Attributes
    ----------
    index : int
        The chosen row of the curve.
    optimal_indices : ndarray of int64
        Every row attaining the optimum, in curve order (fewest flagged first).
    values : ndarray of float64, shape (n_thresholds,)
        The objective at every threshold.
    feasible : ndarray of bool, shape (n_thresholds,)
        Where every constraint holds and the objective is defined.
    maximize : bool
        The direction that was optimized.
    """

    index: int
    optimal_indices: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    feasible: npt.NDArray[np.bool_]
    maximize: bool

    def ranked(self, k: int) -> npt.NDArray[np.int64]:
        """Up to ``k`` feasible non-optimal rows, best objective first (the runners-up).

        Rows with equal objective values are listed in curve order.
        """
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        # Chunk by chunk, keep each chunk's k best by k passes of argmin (argmin's first
        # occurrence keeps curve order among equals); then rank the survivors. For the
        # handful of runners-up shown, this beats a partition and stays chunk-sized.
        sign = -1.0 if self.maximize else 1.0  # rank by ascending sign * value
        kept_index: list[int] = []
        kept_key: list[float] = []
        for start in range(0, len(self.values), _CHUNK):
            stop = start + _CHUNK
            keys = np.where(self.feasible[start:stop], sign * self.values[start:stop], np.inf)
            inside = self.optimal_indices[
                (self.optimal_indices >= start) & (self.optimal_indices < stop)
            ]
            keys[inside - start] = np.inf
            for _ in range(min(k, keys.size)):
                i = int(np.argmin(keys))
                if keys[i] == np.inf:
                    break
                kept_index.append(start + i)
                kept_key.append(float(keys[i]))
                keys[i] = np.inf
        order = np.lexsort((np.array(kept_index), np.array(kept_key)))[:k]
        return np.array(kept_index, dtype=np.int64)[order]


def _pick(optimal: npt.NDArray[np.int64], ties: str) -> int:
    if ties == "highest":
        return int(optimal[0])
    if ties == "lowest":
        return int(optimal[-1])
    # The median of the tied set, always one of its members: for an even count the
    # one of the two middle thresholds that flags fewer rows.
    return int(optimal[(len(optimal) - 1) // 2])


def _closest(curve: ConfusionCurve, constraints: list[Constraint]) -> list[ClosestPoint]:
    points = []
    for c in constraints:
        values = curve.evaluate(c.metric)
        defined = ~np.isnan(values)
        if not defined.any():
            points.append(ClosestPoint(str(c), math.nan, math.nan, False))
            continue
        masked = np.where(defined, values, -np.inf if c.wants_large else np.inf)
        i = int(np.argmax(masked) if c.wants_large else np.argmin(masked))
        points.append(
            ClosestPoint(
                str(c), float(curve.thresholds[i]), float(values[i]), bool(c.mask(values).any())
            )
        )
    return points


def _infeasible_message(points: list[ClosestPoint]) -> str:
    lines = []
    for p in points:
        if math.isnan(p.value):
            lines.append(f"'{p.constraint}': its metric is undefined at every threshold")
        elif p.satisfiable_alone:
            lines.append(
                f"'{p.constraint}' holds alone (best {p.value:.6g} at threshold {p.threshold:.6g})"
            )
        else:
            lines.append(
                f"'{p.constraint}' never holds; closest is {p.value:.6g} "
                f"at threshold {p.threshold:.6g}"
            )
    if all(p.satisfiable_alone for p in points) and len(points) > 1:
        head = "no threshold satisfies all constraints together, though each holds alone"
    else:
        head = "no threshold satisfies the constraints"
    return head + ": " + "; ".join(lines)


def select(
    curve: ConfusionCurve,
    objective: BoundMetric,
    constraints: list[Constraint] | tuple[Constraint, ...] = (),
    *,
    ties: TieRule = "highest",
    maximize: bool | None = None,
) -> Selection:
    """Choose the best row of ``curve``.

    Parameters
    ----------
    curve : ConfusionCurve
    objective : BoundMetric
        The metric to optimize.
    constraints : list of Constraint
        All must hold at the chosen threshold.
    ties : {'highest', 'lowest', 'median'}, default='highest'
        Which of several optimal thresholds to choose: the highest (flags fewest), the
        lowest (flags most), or the median of the tied set (an observed threshold).
    maximize : bool, optional
        Override the metric's own direction.

    Returns
    -------
    Selection

    Raises
    ------
    InfeasibleConstraintError
        No threshold satisfies every constraint; the error carries the closest points.
    UndefinedMetricError
        The objective is NaN at every threshold that satisfies the constraints.
    """
    maximize = objective.greater_is_better if maximize is None else bool(maximize)
    values = curve.evaluate(objective)
    allowed = None
    for c in constraints:
        mask = c.mask(curve.evaluate(c.metric))
        allowed = mask if allowed is None else np.logical_and(allowed, mask, out=allowed)
    if allowed is not None and not allowed.any():
        points = _closest(curve, list(constraints))
        raise InfeasibleConstraintError(_infeasible_message(points), points)
    feasible = np.isnan(values)
    np.logical_not(feasible, out=feasible)
    if allowed is not None:
        feasible &= allowed
    del allowed
    if not feasible.any():
        where = " where the constraints hold" if constraints else ""
        msg = (
            f"metric '{objective.name}' is undefined at every threshold{where} "
            f"(it is NaN when {objective.metric.undefined or 'its denominator is 0'}); "
            f"the data has {curve.n_positive} positive and {curve.n_negative} negative "
            "(weighted) rows"
        )
        raise UndefinedMetricError(msg)
    if maximize:
        best = np.max(values, where=feasible, initial=-np.inf)
    else:
        best = np.min(values, where=feasible, initial=np.inf)
    is_best = np.equal(values, best)
    is_best &= feasible
    optimal = np.flatnonzero(is_best).astype(np.int64)
    del is_best
    return Selection(_pick(optimal, ties), optimal, values, feasible, maximize)
