"""Joint selection: one threshold per group, chosen together for one overall objective.

The overall counts are sums of the groups' counts, so a metric that is linear in
(tp, fp) at fixed class totals -- tp, recall, fpr, flagged, flag_rate, cost, utility,
accuracy, youden, net benefit, ... -- is a sum of one contribution per group, and so is
a linear constraint such as a shared ``flagged <= 5000``. Choosing one row per group
then is a multiple-choice knapsack. It is solved exactly by dynamic programming over
the groups on the Pareto-optimal (budget used, value) states: within a group only
Pareto-efficient rows matter (less budget, more value), states that cannot fit the
remaining groups' smallest use are dropped, and states whose value plus the LP bound of
the remaining groups (the greedy walk along each group's upper convex hull) cannot
reach a known feasible value are dropped too.

Per-row values (money, ``values=``) are additive too: each group's curve carries its
total value at every row (``curve.values``), so the objective ``"value"`` -- or a
constraint such as ``"value >= 1000"`` -- is one more linear term, the group's value
column, with coefficient 1. The same knapsack solves it exactly.

Ratios of linear forms -- F-beta, F1, Jaccard, precision -- are maximized exactly by
Dinkelbach's parametric method: with ``lam`` the best ratio found so far, maximize
``numerator - lam * denominator`` (a knapsack again); when that maximum is <= 0, no
choice beats ``lam``. It converges in a few knapsacks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .._curve import ConfusionCurve
from .._metrics import BoundMetric
from ..errors import InvalidParameterError
from ..selection import Constraint
from . import _kernels

__all__ = [
    "JointProblem",
    "group_value_columns",
    "linear_form",
    "ratio_form",
    "solve_joint",
    "value_coefficient",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Linear = tuple[float, float, float]  # c0 + a * tp + b * fp
_CHUNK = 1 << 22  # candidate (state, row) pairs formed at once
_REL = 1e-9


def linear_form(metric: BoundMetric, n_positive: float, n_negative: float) -> Linear | None:
    """``(c0, a, b)`` with ``metric(tp, fp) = c0 + a tp + b fp`` at these totals, or None.

    Checked numerically at several points spread over the count square. None for a
    metric that reads extra columns (``"value"``: see :func:`value_coefficient`).
    """
    p, n = float(n_positive), float(n_negative)
    if p <= 0 or n <= 0 or metric.columns:
        return None
    tp = np.array([0.0, p, 0.0, p, p / 2, p / 3, p / 7, 0.9 * p])
    fp = np.array([0.0, 0.0, n, n, n / 3, n / 2, n / 5, 0.1 * n])
    with np.errstate(all="ignore"):
        values = np.asarray(metric(tp, fp, n - fp, p - tp), dtype=np.float64)
    if not np.isfinite(values).all():
        return None
    c0 = float(values[0])
    a = (float(values[1]) - c0) / p
    b = (float(values[2]) - c0) / n
    predicted = c0 + a * tp + b * fp
    scale = max(1.0, float(np.abs(values).max()))
    if not np.allclose(predicted, values, rtol=1e-9, atol=1e-12 * scale):
        return None
    return c0, a, b


def value_coefficient(metric: BoundMetric, where: str) -> float:
    """1.0 for the metric ``"value"`` (the total of per-row values), 0.0 for a metric of
    counts alone; an error for other metrics reading extra columns."""
    if not metric.columns:
        return 0.0
    if metric.metric.name == "value":
        return 1.0
    msg = (
        f"mode='joint' sums each group's contribution: {where} '{metric.name}' reads the "
        f"columns {', '.join(metric.columns)}, which only the catalog metric 'value' may do"
    )
    raise InvalidParameterError(msg)


def group_value_columns(curves: Sequence[ConfusionCurve]) -> list[FloatArray] | None:
    """Each group's total value at every row of its curve, or None without values."""
    out = []
    for curve in curves:
        if curve.values is None:
            return None
        out.append(np.asarray(curve.values[:], dtype=np.float64))
    return out


def ratio_form(metric: BoundMetric, n_positive: float) -> tuple[Linear, Linear] | None:
    """(numerator, denominator) linear forms of a ratio metric, or None.

    F-beta = (1 + b^2) tp / (tp + fp + b^2 P); Jaccard = tp / (fp + P);
    precision = tp / (tp + fp).
    """
    name = metric.metric.name
    p = float(n_positive)
    if name == "fbeta":
        b2 = float(metric.params["beta"]) ** 2
        return (0.0, 1.0 + b2, 0.0), (b2 * p, 1.0, 1.0)
    if name == "jaccard":
        return (0.0, 1.0, 0.0), (p, 0.0, 1.0)
    if name == "precision":
        return (0.0, 1.0, 0.0), (0.0, 1.0, 1.0)
    return None


@dataclass(frozen=True)
class JointProblem:
    """The groups' curves with the overall objective and constraints."""

    curves: tuple[ConfusionCurve, ...]
    objective: BoundMetric
    maximize: bool
    constraints: tuple[Constraint, ...]
    ties: str = "highest"
    # Each group's total value at every row (with per-row values), else None.
    values: tuple[FloatArray, ...] | None = None

    @property
    def totals(self) -> tuple[float, float]:
        return (
            float(sum(c.n_positive for c in self.curves)),
            float(sum(c.n_negative for c in self.curves)),
        )


@dataclass(frozen=True)
class _Budget:
    """A linear constraint as ``sum of per-group w <= cap`` (``< cap`` if strict)."""

    form: Linear
    sign: float
    cap: float
    strict: bool
    value: float = 0.0  # the coefficient of the group's value column


def _budget(problem: JointProblem) -> _Budget | None:
    if not problem.constraints:
        return None
    if len(problem.constraints) > 1:
        shown = ", ".join(repr(str(c)) for c in problem.constraints)
        msg = (
            "mode='joint' takes at most one overall constraint on counts (a shared "
            f"budget such as 'flagged <= 5000'), plus any gap constraints (got {shown})"
        )
        raise InvalidParameterError(msg)
    c = problem.constraints[0]
    p, n = problem.totals
    sign = 1.0 if c.op in ("<=", "<") else -1.0
    if value_coefficient(c.metric, "the constraint") and problem.values is not None:
        # The total value: one more additive budget (float, so the Pareto-state DP).
        return _Budget((0.0, 0.0, 0.0), sign, sign * c.bound, c.op in ("<", ">"), sign)
    form = linear_form(c.metric, p, n)
    bound = c.bound
    if form is None:
        ratio = ratio_form(c.metric, p)
        if ratio is None:
            msg = (
                f"mode='joint' needs a constraint that is linear in the counts (flagged, "
                f"flag_rate, recall, fpr, cost, ...) or a ratio of them (precision, fbeta, "
                f"jaccard); got '{c}'"
            )
            raise InvalidParameterError(msg)
        # num / den op bound  <=>  num - bound * den op 0  (den > 0)
        (n0, na, nb), (d0, da, db) = ratio
        form = (n0 - bound * d0, na - bound * da, nb - bound * db)
        bound = 0.0
    c0, a, b = form
    return _Budget((0.0, sign * a, sign * b), sign, sign * (bound - c0), c.op in ("<", ">"))


def _pareto(w: FloatArray, v: FloatArray, tie: IntArray) -> IntArray:
    """Indices of the Pareto-efficient points (less w, more v), one per (w, v), by ``tie``."""
    step = np.diff(w)
    if w.size > 1 and (step > 0).all():  # a budget such as flagged grows along the curve
        order = np.arange(w.size)
    elif w.size > 1 and (step < 0).all():
        order = np.arange(w.size)[::-1]
    else:
        order = np.lexsort((tie, -v, w))
    vs = v[order]
    best_before = np.maximum.accumulate(np.concatenate(([-np.inf], vs[:-1])))
    keep = vs > best_before
    return order[keep]


#: Points from which a group's hull is found by the compiled pass (where numba runs):
#: below, numpy's few vectorized passes cost less than the call.
_COMPILED_HULL_MIN = 64


class _Items:
    """One group's Pareto-efficient rows: budget use ``w``, value ``v``, curve ``rows``."""

    def __init__(self, w: FloatArray, v: FloatArray, rows: IntArray) -> None:
        self.w, self.v, self.rows = w, v, rows
        self._hull: tuple[FloatArray, FloatArray] | None = None
        self.vertices: IntArray = np.zeros(1, dtype=np.int64)  # set with the hull

    def subset(self, keep: BoolArray) -> _Items:
        return _Items(self.w[keep], self.v[keep], self.rows[keep])

    def hull(self) -> tuple[FloatArray, FloatArray]:
        """The upper concave hull's segments (dw, dv), steepest first (w ascending)."""
        if self._hull is None:
            self._hull = self._upper_hull()
        return self._hull

    def _upper_hull(self) -> tuple[FloatArray, FloatArray]:
        w, v = self.w, self.v
        if len(w) > _COMPILED_HULL_MIN and _kernels.knapsack_worthwhile(len(w)):
            self.vertices = _kernels.upper_hull(w, v)  # the same passes, compiled
            return np.diff(w[self.vertices]), np.diff(v[self.vertices])
        idx = np.arange(len(w), dtype=np.int64)
        # A point on or below the chord between its two neighbours is no hull vertex:
        # drop all such points at once, until the chain is concave (a few passes).
        while len(idx) > 2:
            left, mid, right = idx[:-2], idx[1:-1], idx[2:]
            below = (v[mid] - v[left]) * (w[right] - w[left]) <= (v[right] - v[left]) * (
                w[mid] - w[left]
            )
            if not below.any():
                break
            keep = np.ones(len(idx), dtype=bool)
            keep[1:-1] = ~below
            idx = idx[keep]
        self.vertices = idx
        return np.diff(w[idx]), np.diff(v[idx])


def _items(
    curve: ConfusionCurve,
    value: Linear,
    budget: _Budget | None,
    allowed: BoolArray | None,
    ties: str,
    money: tuple[float, FloatArray | None] = (0.0, None),
) -> _Items:
    """``money``: the objective's coefficient of the group's value column, and the column."""
    rows = np.arange(len(curve.tp), dtype=np.int64)
    if allowed is not None:
        rows = rows[allowed]
    tp = np.asarray(curve.tp[rows], dtype=np.float64)
    fp = np.asarray(curve.fp[rows], dtype=np.float64)
    v = value[1] * tp + value[2] * fp
    column = None if money[1] is None else money[1][rows]
    if money[0] and column is not None:
        v = v + money[0] * column
    w = np.zeros_like(v) if budget is None else budget.form[1] * tp + budget.form[2] * fp
    if budget is not None and budget.value and column is not None:
        w = w + budget.value * column
    tie = rows if ties != "lowest" else -rows
    keep = _pareto(w, v, tie)
    return _Items(w[keep], v[keep], rows[keep])


class _LPBound:
    """Upper bound on the value of groups ``k..`` with budget ``c``: the LP relaxation."""

    def __init__(self, items: Sequence[_Items]) -> None:
        self.base_w: list[float] = []
        self.cum_w: list[FloatArray] = []
        self.cum_v: list[FloatArray] = []
        base_w = base_v = 0.0
        segments_w: list[FloatArray] = []
        segments_v: list[FloatArray] = []
        suffix: list[tuple[float, float, FloatArray, FloatArray]] = []
        for it in reversed(items):
            base_w += float(it.w[0])
            base_v += float(it.v[0])
            dw, dv = it.hull()
            segments_w.append(dw)
            segments_v.append(dv)
            sw = np.concatenate(segments_w)
            sv = np.concatenate(segments_v)
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = np.where(sw > 0, sv / np.where(sw > 0, sw, 1.0), np.inf)
            order = np.argsort(-slope, kind="stable")
            suffix.append(
                (
                    base_w,
                    base_v,
                    np.concatenate(([0.0], np.cumsum(sw[order]))),
                    np.concatenate(([0.0], np.cumsum(sv[order]))),
                )
            )
        suffix.reverse()
        self._suffix = suffix

    def __call__(self, k: int, capacity: FloatArray) -> FloatArray:
        """Bound for groups ``k..`` at each capacity (-inf where even the least use exceeds it)."""
        if k >= len(self._suffix):
            return np.where(capacity >= -_REL * np.maximum(1.0, np.abs(capacity)), 0.0, -np.inf)
        base_w, base_v, cw, cv = self._suffix[k]
        room = capacity - base_w
        out = base_v + np.interp(room, cw, cv, left=0.0, right=float(cv[-1]))
        return np.where(room >= -_REL * np.maximum(1.0, np.abs(capacity)), out, -np.inf)


def _knapsack(
    items: Sequence[_Items], cap: float, lower: float
) -> list[tuple[IntArray, FloatArray]]:
    """States after each group: (parent state, chosen item) per state, best value kept.

    ``lower`` is a value some feasible choice attains (or -inf): states whose LP bound
    falls below it are dropped. Returns per-stage back-pointers; the last stage's values
    are its second member.
    """
    slack = _REL * max(1.0, abs(cap))
    limit = cap + slack  # permissive: the caller re-checks the exact constraint
    bound = _LPBound(items)
    min_rest = np.concatenate((np.cumsum([float(it.w[0]) for it in items][::-1])[::-1], [0.0]))
    W = np.zeros(1)
    V = np.zeros(1)
    stages: list[tuple[IntArray, FloatArray]] = []
    for k, it in enumerate(items):
        parts_w, parts_v, parts_s, parts_i = [], [], [], []
        step = max(1, _CHUNK // max(1, len(it.w)))
        for s0 in range(0, len(W), step):
            cw = W[s0 : s0 + step, None] + it.w[None, :]
            cv = V[s0 : s0 + step, None] + it.v[None, :]
            ok = cw <= limit - min_rest[k + 1]
            if math.isfinite(lower):
                room = limit - cw
                ub = cv + bound(k + 1, room)
                ok &= ub >= lower - _REL * max(1.0, abs(lower))
            si, ii = np.nonzero(ok)
            parts_w.append(cw[si, ii])
            parts_v.append(cv[si, ii])
            parts_s.append(si.astype(np.int64) + s0)
            parts_i.append(ii.astype(np.int64))
        cw = np.concatenate(parts_w)
        if cw.size == 0:
            return []
        cv = np.concatenate(parts_v)
        cs = np.concatenate(parts_s)
        ci = np.concatenate(parts_i)
        keep = _pareto(cw, cv, cs * (len(it.w) + 1) + ci)
        W, V = cw[keep], cv[keep]
        parent = np.stack([cs[keep], ci[keep]], axis=1)
        stages.append((parent, V))
    return stages


def _greedy(items: Sequence[_Items], cap: float, strict: bool, *, tighten: bool = True) -> float:
    """A feasible value from the hull walk, taking whole segments only; -inf if none.

    The cap is tightened by a rounding slack (and strict caps kept strict), so that the
    solution it stands for really is feasible: it is used to discard states.
    """
    if tighten:  # float budgets: keep clear of rounding at the boundary
        cap = cap - _REL * max(1.0, abs(cap))
    if strict:
        cap = float(np.nextafter(cap, -np.inf))
    used = sum(float(it.w[0]) for it in items)
    value = sum(float(it.v[0]) for it in items)
    if used > cap:
        return -math.inf
    segments: list[tuple[float, int, int, float, float]] = []
    for g, it in enumerate(items):
        dw, dv = it.hull()
        segments.extend(
            (-float(dv[j] / dw[j]), g, j, float(dw[j]), float(dv[j])) for j in range(len(dw))
        )
    segments.sort()  # steepest first; one group's segments stay in order
    blocked: set[int] = set()
    at = [0] * len(items)  # each group's current row (a hull vertex)
    for _, g, j, dw_j, dv_j in segments:
        if g in blocked:
            continue
        it = items[g]
        if used + dw_j <= cap:
            used += dw_j
            value += dv_j
            at[g] = int(it.vertices[j + 1])
            continue
        # The LP would take part of this step: take instead the group's best row that
        # still fits (between hull vertices lie Pareto rows the hull skips); the group's
        # later steps depend on this one, so it stops here.
        here = at[g]
        fits = np.flatnonzero(it.w[here:] - it.w[here] <= cap - used) + here
        best = int(fits[np.argmax(it.v[fits])])
        used += float(it.w[best] - it.w[here])
        value += float(it.v[best] - it.v[here])
        blocked.add(g)
    return value


def _solve_linear(
    problem: JointProblem,
    value: Linear,
    allowed: Sequence[BoolArray] | None,
    money: float = 0.0,
) -> list[IntArray]:
    """Every Pareto-optimal final choice (rows per group, one array per group), best first.

    ``money``: the coefficient of each group's value column in the objective. Empty
    when nothing fits the budget.
    """
    budget = _budget(problem)
    columns = problem.values or [None] * len(problem.curves)
    items = [
        _items(
            c,
            value,
            budget,
            None if allowed is None else allowed[g],
            problem.ties,
            (money, columns[g]),
        )
        for g, c in enumerate(problem.curves)
    ]
    cap = math.inf if budget is None else budget.cap
    units = _integral_units(problem, budget, items)
    if units is not None:
        return _array_knapsack(items, *units)
    if budget is None:
        lower = -math.inf
        cap_used = 0.0
    else:
        lower = _greedy(items, cap, budget.strict) if math.isfinite(cap) else -math.inf
        cap_used = cap
    stages = _knapsack(items, cap_used, lower)
    if not stages:
        return []
    final_v = stages[-1][1]
    order = np.argsort(-final_v, kind="stable")
    n_groups = len(items)
    chosen = np.empty((n_groups, len(order)), dtype=np.int64)
    state = order.copy()
    for k in range(n_groups - 1, -1, -1):
        parent = stages[k][0]
        chosen[k] = items[k].rows[parent[state, 1]]
        state = parent[state, 0]
    return list(chosen)


_MAX_CELLS = 4_000_000_000  # (budget + 1) x items: beyond it, the Pareto-state DP


def _integral_units(
    problem: JointProblem, budget: _Budget | None, items: Sequence[_Items]
) -> tuple[list[IntArray], int, int] | None:
    """Each item's budget use in whole units from 0, and the budget in units; or None.

    When counts are whole numbers and the budget weighs tp, fp or tp + fp alone
    (flagged, flag_rate, tp, recall, fp, fpr, ...), its use is an integer: the knapsack is
    then a DP over an array indexed by the units used, exact and fast for budgets of up
    to millions of units.
    """
    if budget is None:
        return [np.zeros(len(it.w), dtype=np.int64) for it in items], 0, 0
    if budget.value:
        return None  # a budget on money is not in whole units
    _, a, b = budget.form
    if a != 0 and a == b:
        k, use = a, "both"
    elif a != 0 and b == 0:
        k, use = a, "tp"
    elif a == 0 and b != 0:
        k, use = b, "fp"
    else:
        return None
    raw = []
    for curve, it in zip(problem.curves, items, strict=True):
        tp = np.asarray(curve.tp[it.rows])
        fp = np.asarray(curve.fp[it.rows])
        u = tp + fp if use == "both" else tp if use == "tp" else fp
        if u.dtype.kind == "f" and (not np.array_equal(u, np.floor(u)) or u.max(initial=0) > 2**52):
            return None
        raw.append(u.astype(np.int64))
    limit = budget.cap / k
    slack = _REL * max(1.0, abs(limit))
    if k > 0:  # sum of u <= limit (or <)
        units = [u - u.min() for u in raw]
        top = math.ceil(limit - slack) - 1 if budget.strict else math.floor(limit + slack)
        exact = limit == math.floor(limit)  # an integral limit needs no rounding slack
        sure = math.ceil(limit - slack) - 1 if budget.strict else math.floor(limit - slack)
        if exact:
            sure = int(limit) - 1 if budget.strict else int(limit)
        cap, safe = (x - sum(int(u.min()) for u in raw) for x in (top, sure))
    else:  # sum of u >= limit (or >): count what each group leaves below its most
        units = [u.max() - u for u in raw]
        low = math.floor(limit + slack) + 1 if budget.strict else math.ceil(limit - slack)
        sure = math.floor(limit + slack) + 1 if budget.strict else math.ceil(limit + slack)
        if limit == math.floor(limit):
            sure = int(limit) + 1 if budget.strict else int(limit)
        cap, safe = (sum(int(u.max()) for u in raw) - x for x in (low, sure))
    if cap < 0:
        return [np.zeros(0, dtype=np.int64)], -1, -1
    if (cap + 1) * sum(int(np.count_nonzero(u <= cap)) for u in units) > _MAX_CELLS:
        return None
    return units, int(cap), int(safe)


def _reduce(items: Sequence[_Items], cap: float, lower: float) -> list[BoolArray]:
    """Per group, the rows that can be part of a choice worth at least ``lower``.

    Fixing group k at row j, the other groups are worth at most the LP relaxation of
    their problem at the budget left (the greedy walk along their hulls): a row whose
    value plus that bound is below ``lower`` is never optimal (the classic reduction).
    """
    hulls = [it.hull() for it in items]
    dw = np.concatenate([h[0] for h in hulls])
    dv = np.concatenate([h[1] for h in hulls])
    owner = np.concatenate([np.full(len(h[0]), g) for g, h in enumerate(hulls)])
    order = np.argsort(-(dv / np.where(dw > 0, dw, 1.0)), kind="stable")
    dw, dv, owner = dw[order], dv[order], owner[order]
    base_w = sum(float(it.w[0]) for it in items)
    base_v = sum(float(it.v[0]) for it in items)
    keep = []
    for g, it in enumerate(items):
        others = owner != g
        cw = np.concatenate(([0.0], np.cumsum(dw[others])))
        cv = np.concatenate(([0.0], np.cumsum(dv[others])))
        room = cap - it.w - (base_w - float(it.w[0]))
        rest = (base_v - float(it.v[0])) + np.interp(room, cw, cv, left=0.0, right=float(cv[-1]))
        ok = room >= -_REL * max(1.0, cap)
        ok &= it.v + rest >= lower
        ok[0] |= not ok.any()  # pragma: no cover - the greedy choice always survives
        keep.append(ok)
    return keep


def _array_knapsack(
    items: Sequence[_Items], units: list[IntArray], cap: int, safe: int
) -> list[IntArray]:
    """Exact multiple-choice knapsack over ``best[units used]``; Pareto-optimal finals.

    ``safe`` is a budget (<= ``cap``) that surely meets the constraint, rounding aside:
    the hull walk within it gives a value some feasible choice attains, and budget
    levels whose LP bound cannot reach that value are dropped; the groups that follow
    only extend the levels still alive.
    """
    if cap < 0:
        return []
    # Rows that use more than the whole budget are never chosen (each group's first
    # row uses 0 units, so every group keeps one).
    fit = [u <= cap for u in units]
    items = [it.subset(f) for it, f in zip(items, fit, strict=True)]
    units = [u[f] for u, f in zip(units, fit, strict=True)]
    in_units = [
        _Items(u.astype(np.float64), it.v, it.rows) for u, it in zip(units, items, strict=True)
    ]
    lower = _greedy(in_units, float(safe), False, tighten=False) if safe >= 0 else -math.inf
    tolerance = _REL * max(1.0, abs(lower)) if math.isfinite(lower) else 0.0
    if math.isfinite(lower):
        keep = _reduce(in_units, float(cap), lower - tolerance)
        items = [it.subset(k) for it, k in zip(items, keep, strict=True)]
        units = [u[k] for u, k in zip(units, keep, strict=True)]
        in_units = [it.subset(k) for it, k in zip(in_units, keep, strict=True)]
    bound = _LPBound(in_units)
    levels = np.arange(cap + 1, dtype=np.float64)
    best = np.full(cap + 1, -np.inf)
    best[0] = 0.0
    lo, hi = 0, 0  # the budget levels alive
    choices = []
    stage = _stage
    if _kernels.knapsack_worthwhile(sum(len(u) for u in units)):
        stage = _kernels.knapsack_stage  # the same loop, compiled
    for k, (it, u) in enumerate(zip(items, units, strict=True)):
        new = np.full(cap + 1, -np.inf)
        choice = np.full(cap + 1, -1, dtype=np.int64)
        stage(
            best,
            lo,
            hi,
            cap,
            np.ascontiguousarray(u, dtype=np.int64),
            np.ascontiguousarray(it.v, dtype=np.float64),
            new,
            choice,
        )
        if math.isfinite(lower):
            reach = new + bound(k + 1, cap - levels)
            new[reach < lower - tolerance] = -np.inf
        alive = np.flatnonzero(np.isfinite(new))
        if alive.size == 0:
            return []
        lo, hi = int(alive[0]), int(alive[-1])
        best = new
        choices.append(choice)
    # every budget level that improves on all smaller ones: the Pareto front of finals
    before = np.maximum.accumulate(np.concatenate(([-np.inf], best[:-1])))
    states = np.flatnonzero(np.isfinite(best) & (best > before))
    states = states[np.argsort(-best[states], kind="stable")]
    chosen = np.empty((len(items), len(states)), dtype=np.int64)
    used = states.copy()
    for g in range(len(items) - 1, -1, -1):
        j = choices[g][used]
        chosen[g] = items[g].rows[j]
        used = used - units[g][j]
    return list(chosen)


def _stage(
    best: FloatArray,
    lo: int,
    hi: int,
    cap: int,
    units: IntArray,
    values: FloatArray,
    new: FloatArray,
    choice: IntArray,
) -> None:
    """One group's DP stage in numpy (the oracle of the compiled
    :func:`~cutpoints.groups._kernels.knapsack_stage`): each item, in order, over the
    alive budget levels at once."""
    for j in np.flatnonzero(units <= cap - lo):
        uj = int(units[j])
        stop = min(hi, cap - uj) + 1
        candidate = best[lo:stop] + values[j]
        target = new[lo + uj : stop + uj]
        better = candidate > target  # strict: the earlier item keeps a tie
        target[better] = candidate[better]
        choice[lo + uj : stop + uj][better] = j


def _totals(problem: JointProblem, chosen: Sequence[IntArray]) -> tuple[FloatArray, FloatArray]:
    tp = np.zeros(len(chosen[0]))
    fp = np.zeros(len(chosen[0]))
    for curve, rows in zip(problem.curves, chosen, strict=True):
        tp += np.asarray(curve.tp[rows], dtype=np.float64)
        fp += np.asarray(curve.fp[rows], dtype=np.float64)
    return tp, fp


def _columns_at(problem: JointProblem, chosen: Sequence[IntArray]) -> dict[str, FloatArray]:
    """The extra columns on the overall counts: the total value (summed over groups)."""
    if problem.values is None:
        return {}
    total = np.zeros(len(chosen[0]))
    for column, rows in zip(problem.values, chosen, strict=True):
        total += column[rows]
    return {"value": total}


def _evaluate(
    metric: BoundMetric, counts: tuple[FloatArray, ...], columns: dict[str, FloatArray]
) -> FloatArray:
    """``metric`` on the summed counts, with the columns it reads."""
    wanted = {k: columns[k] for k in metric.columns if k in columns}
    return np.asarray(metric(*counts, **wanted), dtype=np.float64)


def _exact_pick(
    problem: JointProblem, chosen: Sequence[IntArray]
) -> tuple[list[int], float] | None:
    """The best candidate by the real metric and real constraints on the summed counts."""
    if not chosen or len(chosen[0]) == 0:
        return None
    p, n = problem.totals
    tp, fp = _totals(problem, chosen)
    counts = (tp, fp, n - fp, p - tp)
    columns = _columns_at(problem, chosen)
    with np.errstate(all="ignore"):
        values = _evaluate(problem.objective, counts, columns)
        ok = ~np.isnan(values)
        for c in problem.constraints:
            ok &= c.mask(_evaluate(c.metric, counts, columns))
    if not ok.any():
        return None
    key = np.where(ok, values if problem.maximize else -values, -np.inf)
    best = int(np.argmax(key))  # first among equals: the knapsack's own order
    return [int(rows[best]) for rows in chosen], float(values[best])


def solve_joint(
    problem: JointProblem, allowed: Sequence[BoolArray] | None = None
) -> tuple[list[int], float] | None:
    """The chosen row of each group's curve and the overall objective; None if infeasible."""
    p, n = problem.totals
    sign = 1.0 if problem.maximize else -1.0
    for c in problem.constraints:
        value_coefficient(c.metric, "the constraint")
    if value_coefficient(problem.objective, "the objective") and problem.values is not None:
        # The total value: each group's value column is its item value.
        return _exact_pick(problem, _solve_linear(problem, (0.0, 0.0, 0.0), allowed, sign))
    linear = linear_form(problem.objective, p, n)
    if linear is not None:
        value = (0.0, sign * linear[1], sign * linear[2])
        return _exact_pick(problem, _solve_linear(problem, value, allowed))
    ratio = ratio_form(problem.objective, p)
    if ratio is None or not problem.maximize:
        msg = (
            f"mode='joint' optimizes an overall objective that is a sum over groups (tp, "
            f"recall, fpr, flagged, cost, utility, accuracy, youden, net_benefit, ...) or "
            f"a ratio of such sums, maximized (f1, fbeta, jaccard, precision); got "
            f"'{problem.objective.name}'" + ("" if problem.maximize else " minimized")
        )
        raise InvalidParameterError(msg)
    return _dinkelbach(problem, ratio, allowed)


def _dinkelbach(
    problem: JointProblem,
    ratio: tuple[Linear, Linear],
    allowed: Sequence[BoolArray] | None,
) -> tuple[list[int], float] | None:
    (n0, na, nb), (d0, da, db) = ratio
    p, n = problem.totals
    lam = 0.0
    best: tuple[list[int], float] | None = None
    for _ in range(200):
        candidates = _solve_linear(problem, (0.0, na - lam * da, nb - lam * db), allowed)
        if not candidates or len(candidates[0]) == 0:
            return best
        tp, fp = _totals(problem, candidates)
        counts = (tp, fp, n - fp, p - tp)
        columns = _columns_at(problem, candidates)
        with np.errstate(all="ignore"):
            ratios = _evaluate(problem.objective, counts, columns)
            ok = ~np.isnan(ratios)
            for c in problem.constraints:
                ok &= c.mask(_evaluate(c.metric, counts, columns))
        if not ok.any():
            return best
        den = d0 + da * tp + db * fp
        gain = np.where(ok, (n0 + na * tp + nb * fp) - lam * den, -np.inf)
        i = int(np.argmax(np.where(ok, ratios, -np.inf)))
        if best is None or ratios[i] > best[1]:
            best = ([int(rows[i]) for rows in candidates], float(ratios[i]))
        # max over choices of num - lam * den <= 0: no choice has a ratio above lam
        if float(gain.max()) <= _REL * max(1.0, lam * float(np.abs(den).max())):
            return best
        lam = best[1]
    return best  # pragma: no cover - Dinkelbach converges in a handful of steps
