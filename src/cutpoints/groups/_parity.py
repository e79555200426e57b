"""Parity limits: bounds on the largest between-group difference of a catalog metric.

``"recall_gap <= 0.05"`` holds when the groups' recalls (each at its own threshold) lie
within 0.05 of each other: equal opportunity. ``flag_rate_gap`` is demographic parity,
``fpr_gap`` the false-alarm half of equalized odds; any catalog metric works. A group
where the metric is undefined (NaN) never satisfies a gap limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .._counts import evaluate_rows
from .._curve import ConfusionCurve
from .._metrics import BoundMetric, get_metric
from ..errors import ConstraintSyntaxError, InfeasibleConstraintError
from ..selection import Constraint, ConstraintLike, as_constraints

__all__ = ["GapConstraint", "smallest_gap", "split_constraints", "windows"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class GapConstraint:
    """``<metric>_gap <= bound``: max minus min of ``metric`` over the groups.

    Examples
    --------
    >>> from cutpoints.groups import GapConstraint
    >>> c = GapConstraint.parse("recall_gap <= 0.05")
    >>> c.metric.name, c.op, c.bound, str(c)
    ('recall', '<=', 0.05, 'recall_gap <= 0.05')
    """

    metric: BoundMetric
    op: str
    bound: float

    def __str__(self) -> str:
        return f"{self.metric.name}_gap {self.op} {self.bound!r}"

    def holds_array(self, gaps: FloatArray) -> BoolArray:
        """:meth:`holds` of each element."""
        out: BoolArray = gaps <= self.bound if self.op == "<=" else gaps < self.bound
        return out

    def holds(self, gap: float) -> bool:
        """Whether a gap of ``gap`` satisfies the limit (NaN never does)."""
        if math.isnan(gap):
            return False
        return gap <= self.bound if self.op == "<=" else gap < self.bound

    @classmethod
    def parse(cls, text: str) -> GapConstraint:
        """Read ``"<metric>_gap <= <value>"`` (``<`` also allowed; value may end in %)."""
        found: dict[str, bool] = {}

        def lookup(name: str) -> BoundMetric:
            if name.endswith("_gap"):
                found["gap"] = True
                return get_metric(name[: -len("_gap")])
            return get_metric(name)

        parsed = Constraint.parse(text, lookup=lookup)
        if not found:
            msg = f"a gap constraint must name '<metric>_gap' (got {text!r})"
            raise ConstraintSyntaxError(msg)
        return cls._checked(parsed.metric, parsed.op, parsed.bound, text)

    @classmethod
    def _checked(cls, metric: BoundMetric, op: str, bound: float, text: str) -> GapConstraint:
        if op not in ("<=", "<"):
            msg = f"a gap constraint must be an upper limit, '<=' or '<' (got {op!r} in {text!r})"
            raise ConstraintSyntaxError(msg)
        if bound < 0:
            msg = f"a gap limit must be >= 0 (got {bound!r} in {text!r})"
            raise ConstraintSyntaxError(msg)
        return cls(metric, op, float(bound))


def _is_gap_text(item: object) -> bool:
    if not isinstance(item, str):
        return False
    head = item
    for op in ("<=", ">=", "<", ">", "="):
        head = head.split(op, 1)[0]
    return head.strip().endswith("_gap")


def split_constraints(
    constraints: ConstraintLike | Iterable[ConstraintLike | GapConstraint] | GapConstraint | None,
) -> tuple[list[Constraint], list[GapConstraint]]:
    """Ordinary constraints (on counts) and gap constraints (between groups)."""
    if constraints is None:
        return [], []
    if isinstance(constraints, (str, Constraint, GapConstraint)) or (
        isinstance(constraints, tuple) and len(constraints) == 3 and isinstance(constraints[1], str)
    ):
        items: list[object] = [constraints]
    else:
        items = list(constraints)  # type: ignore[arg-type]
    gaps: list[GapConstraint] = []
    plain: list[ConstraintLike] = []
    for item in items:
        if isinstance(item, GapConstraint):
            gaps.append(item)
        elif _is_gap_text(item):
            gaps.append(GapConstraint.parse(item))  # type: ignore[arg-type]
        else:
            plain.append(item)  # type: ignore[arg-type]
    return as_constraints(plain), gaps


def group_values(curves: Sequence[ConfusionCurve], metric: BoundMetric) -> list[FloatArray]:
    """``metric`` at every row of every group's curve."""
    return [np.asarray(evaluate_rows(c, metric), dtype=np.float64) for c in curves]


def windows(values: Sequence[FloatArray], gap: GapConstraint) -> Iterator[list[BoolArray]]:
    """For each attainable lowest group value ``low``, the rows of each group whose value
    lies in ``[low, low + bound]`` (only windows where every group has a row).

    Every choice that satisfies the limit has its lowest value at some attained
    ``low``, and then every chosen row lies in that window: enumerating the windows and
    solving inside each is exact.
    """
    finite = [v[~np.isnan(v)] for v in values]
    if any(f.size == 0 for f in finite):
        return
    lows = np.unique(np.concatenate(finite))
    upper_all = min(float(f.max()) for f in finite)
    lower_all = max(float(f.min()) for f in finite)
    for low in lows:
        low = float(low)
        if low > upper_all:  # some group has no value this high
            break
        if not gap.holds(lower_all - low):  # some group has no value this low
            continue
        masks = []
        for v in values:
            inside = _inside(v, low, gap)
            if not inside.any():
                break
            masks.append(inside)
        else:
            yield masks


def _inside(v: FloatArray, low: float, gap: GapConstraint) -> BoolArray:
    """Rows whose value lies within the limit above ``low``: ``v >= low`` and ``v - low``
    within the bound, computed as the gap itself is (a difference), so a choice inside a
    window always passes ``GapConstraint.holds`` on its max minus min."""
    with np.errstate(invalid="ignore"):
        inside = v >= low
        inside &= gap.holds_array(v - low)
    return inside


def smallest_gap(values: Sequence[FloatArray]) -> float:
    """The smallest max-minus-min attainable with one row per group (NaN rows excluded)."""
    pairs = []
    for g, v in enumerate(values):
        distinct = np.unique(v[~np.isnan(v)])
        if distinct.size == 0:
            return math.nan
        pairs.append(np.stack([distinct, np.full(distinct.size, g, dtype=np.float64)], axis=1))
    merged = np.concatenate(pairs)
    merged = merged[np.lexsort((merged[:, 1], merged[:, 0]))]
    n_groups = len(values)
    counts = [0] * n_groups
    covered = 0
    best = math.inf
    left = 0
    vals = merged[:, 0].tolist()
    owners = merged[:, 1].astype(np.int64).tolist()
    for right, g in enumerate(owners):
        if counts[g] == 0:
            covered += 1
        counts[g] += 1
        while covered == n_groups:
            best = min(best, vals[right] - vals[left])
            h = owners[left]
            counts[h] -= 1
            if counts[h] == 0:
                covered -= 1
            left += 1
    return best


def infeasible_gap_error(
    gap: GapConstraint, values: Sequence[FloatArray], others: bool
) -> InfeasibleConstraintError:
    """The error for a gap limit no choice of thresholds meets: it names the smallest gap."""
    smallest = smallest_gap(values)
    if math.isnan(smallest):
        msg = (
            f"'{gap}' cannot hold: '{gap.metric.name}' is undefined at every threshold "
            "of some group"
        )
    elif gap.holds(smallest) and others:
        msg = (
            f"no thresholds satisfy '{gap}' together with the other constraints; alone "
            f"the smallest attainable {gap.metric.name} gap is {smallest:.6g}"
        )
    else:
        msg = (
            f"no thresholds satisfy '{gap}': the smallest attainable "
            f"{gap.metric.name} gap between groups is {smallest:.6g}"
        )
    return InfeasibleConstraintError(msg, [])


def window_masks(values: Sequence[FloatArray], gap: GapConstraint, low: float) -> list[BoolArray]:
    """The rows of each group whose value lies in ``[low, low + bound]``."""
    return [_inside(v, low, gap) for v in values]


def windows_by_bound(
    values: Sequence[FloatArray], gap: GapConstraint, gains: Sequence[FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """Every window's lowest value and an upper bound on its objective, best bound first.

    ``gains`` holds each row's additive contribution to the objective (larger is
    better): with no other constraint a window's optimum is each group's best row inside
    it, so the bound -- the sum over groups of the best gain in the window -- is attained.
    Range maxima come from a sparse table per group: O(n log n) for all windows at once.
    """
    finite = [v[~np.isnan(v)] for v in values]
    if any(f.size == 0 for f in finite):
        return np.empty(0), np.empty(0)
    lows = np.unique(np.concatenate(finite))
    total = np.zeros(len(lows))
    for v, gain in zip(values, gains, strict=True):
        keep = ~np.isnan(v)
        order = np.argsort(v[keep], kind="stable")
        sorted_v = v[keep][order]
        table = [gain[keep][order]]
        width = 1
        while 2 * width <= len(sorted_v):
            prev = table[-1]
            table.append(np.maximum(prev[:-width], prev[width:]))
            width *= 2
        left = np.searchsorted(sorted_v, lows, side="left")
        # The rows with v - low within the bound: found by search on low + bound, then
        # moved by the few rows where the sum and the difference round differently.
        highs = lows + gap.bound
        right = np.searchsorted(sorted_v, highs, side="right")
        while True:
            top = np.minimum(right, len(sorted_v) - 1)
            grow = (right < len(sorted_v)) & gap.holds_array(sorted_v[top] - lows)
            grow &= sorted_v[top] >= lows
            shrink = (right > left) & ~gap.holds_array(sorted_v[np.maximum(right - 1, 0)] - lows)
            if not (grow.any() or shrink.any()):
                break
            right = right + grow - shrink
        size = right - left
        empty = size <= 0
        level = np.zeros(len(lows), dtype=np.int64)
        level[~empty] = np.floor(np.log2(size[~empty])).astype(np.int64)
        best = np.full(len(lows), -np.inf)
        for k in np.unique(level[~empty]):
            at = np.flatnonzero(~empty & (level == k))
            row = table[int(k)]
            best[at] = np.maximum(row[left[at]], row[right[at] - (1 << int(k))])
        total += best
    order = np.argsort(-total, kind="stable")
    valid = np.isfinite(total[order])
    return lows[order][valid], total[order][valid]
