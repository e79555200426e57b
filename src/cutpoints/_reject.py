"""The reject band: two thresholds, and the uncertain middle sent to a person.

A band ``lo <= hi`` decides three ways: **positive iff score >= hi**, **negative iff
score < lo**, and abstain (send to review) in between. With ``rule="<="`` (lower scores
mean positive) it mirrors: positive iff score <= lo, negative iff score > hi.

On the confusion curve (rows fewest flagged first) a band is a pair of rows ``h <= l``:
row ``h`` flags the positives (tp[h], fp[h]) and row ``l`` is where "not negative"
starts, so the decided rows have ``TP = tp[h], FP = fp[h], TN = N - fp[l],
FN = P - tp[l]`` and ``A = (tp[l] + fp[l]) - (tp[h] + fp[h])`` (weighted) rows are
abstained. Every pair of candidate thresholds is a candidate band (k rows give about
k²/2 bands); the answer is exact over all of them. Which algorithm runs depends on the
objective, and ``RejectBand.algorithm`` says which did:

``"separable"`` -- a cost (``cost(...)``/``utility(...)``) with a cost per abstention,
    or any metric linear in the counts: the total is ``f(h) + g(l)``, a sum of two
    catalog cost metrics of the curve, one per threshold. Each is chosen by the
    selection kernel on its own; when the two choices are compatible (``h <= l``,
    within the abstention budget) that is the optimum (Chow's regime: abstaining is
    cheap enough to be used). Otherwise an exact allocation over the two per-part
    curves: for each ``h`` the best ``l`` in its window ``[h, L(h)]`` by a range-maximum
    structure. O(k log k).
``"two-pointer"`` -- a metric on the decided rows that can only improve as one side
    abstains more (``f1``, ``fbeta``, ``recall``, ``precision``, ``jaccard`` never get
    worse as rows leave the predicted negatives; ``npv`` and ``specificity`` as rows
    leave the predicted positives), under an abstention budget: for each ``h`` the best
    ``l`` is the last one the budget allows, a window end that only moves forward with
    ``h``. One pass over the curve, then the kernel chooses ``h``. O(k log k).
``"dinkelbach"`` -- a ratio of linear functions of the counts that is not monotone
    that way (``accuracy``, ``error_rate``, normalized costs, ``flag_rate``), under a
    budget: Dinkelbach's parametric method turns max a·c / b·c into a short sequence
    of separable linear problems (above); each converges in a few steps, and the last
    one's near-optimal pairs are evaluated exactly. O(k log k) per step.
``"pairs"`` -- anything else (``balanced_accuracy``, ``youden``, ``gmean``, ``mcc``,
    user metrics, constraints that involve both thresholds): every pair, vectorized in
    chunks through the kernel, O(k²). Where the metric's signs in the four counts are
    known, blocks of pairs whose best corner cannot reach a value already attained are
    skipped, which is exact and usually skips nearly all of them.

Every final choice goes through the selection kernel (:func:`cutpoints.selection.
select_rows`) on a table of candidate bands, so NaN never wins and ties are decided in
one place: among optimal bands the one abstaining least, then by ``ties`` on the
positive threshold (``"highest"`` decides fewest rows positive).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ._counts import Counts
from ._curve import ConfusionCurve, Rule
from ._cutpoint import MetricValues, Reference, format_threshold
from ._display import shown_metrics
from ._files import atomic_write_text
from ._metrics import BoundMetric, Metric, MetricLike, get_metric
from ._strict_json import FieldReader, json_label, json_number
from ._validation import check_choice, check_scores
from .errors import (
    InfeasibleConstraintError,
    InvalidLabelsError,
    InvalidParameterError,
    NotFittedError,
    UndefinedMetricError,
)
from .selection import TIE_RULES, Constraint, ConstraintLike, Selection, as_constraints
from .selection import select_rows as _select_rows

__all__ = [
    "FORMAT",
    "Budget",
    "RejectBand",
    "chow_band",
    "evaluate_reject_band",
    "find_reject_band",
    "select_reject_band",
]

FORMAT = "cutpoints.reject_band/1"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
BudgetKind = Literal["coverage", "abstain_rate", "max_abstained"]
Algorithm = Literal["separable", "two-pointer", "dinkelbach", "pairs", "given"]

_PAIR_CHUNK = 1 << 20  # candidate bands per kernel call in the O(k²) scan
_BLOCK = 128  # rows per side of a block of bands when pruning the O(k²) scan
_PRUNE_BLOCK = 1024  # rows per block when pruning the two-pointer sweep
_SLACK = 1e-9  # relative: rounding in a surrogate sum can never drop an optimal band
_MAX_DINKELBACH = 100


# ---------------------------------------------------------------------------- budget
@dataclass(frozen=True)
class Budget:
    """How much may be abstained: ``coverage >= value``, ``abstain_rate <= value`` or
    ``abstained <= value`` (a review queue, weighted like ``flagged``).

    Coverage is the share of (weighted) rows decided, ``(n - abstained) / n``.
    """

    kind: BudgetKind
    value: float

    def __str__(self) -> str:
        op = ">=" if self.kind == "coverage" else "<="
        name = "abstained" if self.kind == "max_abstained" else self.kind
        return f"{name} {op} {self.value!r}"

    def allows(self, abstained: Any, n: float) -> BoolArray:
        """Where ``abstained`` (weighted) rows out of ``n`` are within the budget."""
        a = np.asarray(abstained, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "coverage":
                out: BoolArray = (n - a) / n >= self.value
            elif self.kind == "abstain_rate":
                out = a / n <= self.value
            else:
                out = a <= self.value
        return out

    def estimate(self, n: float) -> float:
        """The largest abstained weight allowed, approximately (rounded up a little)."""
        if self.kind == "coverage":
            raw = (1.0 - self.value) * n
        elif self.kind == "abstain_rate":
            raw = self.value * n
        else:
            raw = self.value
        return raw * (1 + 1e-9) + 1e-9 * max(1.0, n)


def _budget(coverage: Any, abstain_rate: Any, max_abstained: Any) -> Budget | None:
    given = {
        k: v
        for k, v in (
            ("coverage", coverage),
            ("abstain_rate", abstain_rate),
            ("max_abstained", max_abstained),
        )
        if v is not None
    }
    if len(given) > 1:
        names = " and ".join(f"'{k}'" for k in given)
        msg = f"give at most one of 'coverage', 'abstain_rate' and 'max_abstained' (got {names})"
        raise InvalidParameterError(msg)
    if not given:
        return None
    ((kind, value),) = given.items()
    number = _finite_number(value, kind)
    if kind == "coverage" and not 0 < number <= 1:
        msg = f"'coverage' must be in (0, 1] (got {value!r})"
        raise InvalidParameterError(msg)
    if kind == "abstain_rate" and not 0 <= number < 1:
        msg = f"'abstain_rate' must be in [0, 1) (got {value!r})"
        raise InvalidParameterError(msg)
    if kind == "max_abstained" and number < 0:
        msg = f"'max_abstained' must be >= 0 (got {value!r})"
        raise InvalidParameterError(msg)
    return Budget(kind, number)  # type: ignore[arg-type]


def _finite_number(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        msg = f"'{name}' must be a number (got {value!r})"
        raise InvalidParameterError(msg)
    number = float(value)
    if not math.isfinite(number):
        msg = f"'{name}' must be finite (got {value!r})"
        raise InvalidParameterError(msg)
    return number


# ------------------------------------------------------------- what the objective allows
# Signs of each catalog metric in the four decided counts (TP, FP, TN, FN), each free:
# +1 never falls as the count grows, -1 never rises, 0 does not depend on it; None
# where the metric depends on the count but not monotonically. A metric missing here
# is treated as unknown (the exact O(k²) scan, without pruning).
Signs = tuple[int | None, int | None, int | None, int | None]
_SIGNS: dict[str, Signs] = {
    "tp": (1, 0, 0, 0),
    "fp": (0, 1, 0, 0),
    "tn": (0, 0, 1, 0),
    "fn": (0, 0, 0, 1),
    "flagged": (1, 1, 0, 0),
    "flag_rate": (1, 1, -1, -1),
    "precision": (1, -1, 0, 0),
    "fdr": (-1, 1, 0, 0),
    "recall": (1, 0, 0, -1),
    "fnr": (-1, 0, 0, 1),
    "specificity": (0, -1, 1, 0),
    "fpr": (0, 1, -1, 0),
    "npv": (0, 0, 1, -1),
    "for": (0, 0, -1, 1),
    "accuracy": (1, -1, 1, -1),
    "error_rate": (-1, 1, -1, 1),
    "balanced_accuracy": (1, -1, 1, -1),
    "fbeta": (1, -1, 0, -1),
    "gmean": (1, -1, 1, -1),
    "youden": (1, -1, 1, -1),
    "markedness": (1, -1, 1, -1),
    "lr_plus": (1, -1, 1, -1),
    "lr_minus": (-1, 1, -1, 1),
    "diagnostic_odds_ratio": (1, -1, 1, -1),
    "jaccard": (1, -1, 0, -1),
    "fowlkes_mallows": (1, -1, 0, -1),
    "roc01": (-1, 1, -1, 1),
    "mcc": (None, None, None, None),
    "cohen_kappa": (None, None, None, None),
    "abs_sens_spec_diff": (None, None, None, None),
    "net_benefit": (None, None, None, None),
}
_LINEAR_NAMES = ("tp", "fp", "tn", "fn", "flagged", "cost", "utility")
Coefs = tuple[float, float, float, float]


def _signs(metric: BoundMetric) -> Signs | None:
    name = metric.metric.name
    if name in ("cost", "utility"):
        if metric.params.get("normalize"):
            return (None, None, None, None)
        p = metric.params
        return tuple(int(np.sign(float(p[k]))) for k in ("tp", "fp", "tn", "fn"))  # type: ignore[return-value]
    return _SIGNS.get(name)


def _linear(metric: BoundMetric) -> Coefs | None:
    """Coefficients of a metric linear in (TP, FP, TN, FN), or None."""
    name = metric.metric.name
    if name not in _LINEAR_NAMES:
        return None
    if name in ("cost", "utility"):
        if metric.params.get("normalize"):
            return None
        p = metric.params
        return (float(p["tp"]), float(p["fp"]), float(p["tn"]), float(p["fn"]))
    unit = {"tp": (1, 0, 0, 0), "fp": (0, 1, 0, 0), "tn": (0, 0, 1, 0), "fn": (0, 0, 0, 1)}
    return tuple(map(float, unit.get(name, (1, 1, 0, 0))))  # type: ignore[return-value]


def _fractional(metric: BoundMetric) -> tuple[Coefs, Coefs] | None:
    """(numerator, denominator) coefficients of a ratio of linear functions, or None.

    Only ratios whose numerator vanishes with the denominator (0/0 is the only NaN).
    """
    name, p = metric.metric.name, metric.params
    one: Coefs = (1.0, 1.0, 1.0, 1.0)
    table: dict[str, tuple[Coefs, Coefs]] = {
        "accuracy": ((1, 0, 1, 0), one),
        "error_rate": ((0, 1, 0, 1), one),
        "flag_rate": ((1, 1, 0, 0), one),
        "precision": ((1, 0, 0, 0), (1, 1, 0, 0)),
        "fdr": ((0, 1, 0, 0), (1, 1, 0, 0)),
        "recall": ((1, 0, 0, 0), (1, 0, 0, 1)),
        "fnr": ((0, 0, 0, 1), (1, 0, 0, 1)),
        "specificity": ((0, 0, 1, 0), (0, 1, 1, 0)),
        "fpr": ((0, 1, 0, 0), (0, 1, 1, 0)),
        "npv": ((0, 0, 1, 0), (0, 0, 1, 1)),
        "for": ((0, 0, 0, 1), (0, 0, 1, 1)),
        "jaccard": ((1, 0, 0, 0), (1, 1, 0, 1)),
    }
    if name in table:
        num, den = table[name]
        return tuple(map(float, num)), tuple(map(float, den))  # type: ignore[return-value]
    if name == "fbeta":
        b2 = float(p["beta"]) ** 2
        return (1 + b2, 0.0, 0.0, 0.0), (1 + b2, 1.0, 0.0, b2)
    if name in ("cost", "utility") and p.get("normalize"):
        return (float(p["tp"]), float(p["fp"]), float(p["tn"]), float(p["fn"])), one
    if name == "net_benefit":
        pt = float(p["pt"])
        return (1.0, -pt / (1 - pt), 0.0, 0.0), one
    return None


def _sides(metric: BoundMetric) -> str:
    """Which threshold a (constraint) metric of the decided counts depends on."""
    signs = _signs(metric)
    if signs is None:
        return "both"
    hi = signs[0] != 0 or signs[1] != 0
    lo = signs[2] != 0 or signs[3] != 0
    if hi and lo:
        return "both"
    return "hi" if hi else "lo" if lo else "none"


# ---------------------------------------------------------------------------- problem
@dataclass
class _Problem:
    """One band problem on the float64 counts of a curve."""

    tp: FloatArray
    fp: FloatArray
    n_positive: float
    n_negative: float
    objective: BoundMetric  # the metric of the decided counts (unnormalized with a cost)
    maximize: bool
    abstain_coef: float  # added per abstained (weighted) row: +a for a cost, -a for a utility
    divide_by: float  # 1, or n for a normalized cost with an abstention cost
    budget: Budget | None  # how much may be abstained
    hmask: BoolArray  # rows allowed as the positive threshold
    lmask: BoolArray  # rows allowed as the negative threshold
    pair_constraints: tuple[Constraint, ...]  # constraints that involve both thresholds
    with_cost: bool  # score = metric + abstention cost (not the metric of decided rows)
    integral: bool = False  # every count a whole number: surrogate sums are exact

    def __post_init__(self) -> None:
        self.integral = bool(
            np.array_equal(self.tp, np.floor(self.tp))
            and np.array_equal(self.fp, np.floor(self.fp))
        )
        self._last: IntArray | None = None

    @property
    def last(self) -> IntArray:
        """last[h]: the last row l the budget allows with h (computed on first use)."""
        if self._last is None:
            self._last = self.last_at(np.arange(self.k, dtype=np.int64))
        return self._last

    def last_at(self, rows: IntArray) -> IntArray:
        """The last row l the budget allows with each h in ``rows``."""
        return _last_allowed(self.tp + self.fp, rows, self.budget, self.n)

    def first_at(self, rows: IntArray) -> IntArray:
        """The first row h the budget allows with each l in ``rows``."""
        return _first_allowed(self.tp + self.fp, rows, self.budget, self.n)

    @property
    def n(self) -> float:
        return self.n_positive + self.n_negative

    @property
    def k(self) -> int:
        return len(self.tp)

    def decided(self, h: IntArray, ell: IntArray) -> tuple[FloatArray, ...]:
        tp, fp = self.tp, self.fp
        return tp[h], fp[h], self.n_negative - fp[ell], self.n_positive - tp[ell]

    def abstained(self, h: IntArray, ell: IntArray) -> FloatArray:
        return (self.tp[ell] + self.fp[ell]) - (self.tp[h] + self.fp[h])

    def values(self, h: IntArray, ell: IntArray) -> FloatArray:
        """The objective at bands (h, l): the metric of the decided rows, plus the
        abstention cost where one is given."""
        values = self.objective(*self.decided(h, ell))
        if self.with_cost:
            values = (values + self.abstain_coef * self.abstained(h, ell)) / self.divide_by
        return values


def _lifted(name: str, func: Any, greater_is_better: bool) -> BoundMetric:
    """A metric of a table of candidate bands, for the kernel: its rows are band ids."""
    return BoundMetric(Metric(name=name, func=func, greater_is_better=greater_is_better), {}, name)


@dataclass
class _Choice:
    """The kernel's verdict on a table of candidate bands."""

    status: str
    h: IntArray
    ell: IntArray
    best: float
    selection: Selection | None = None


def _select(problem: _Problem, h: IntArray, ell: IntArray) -> _Choice:
    """The optimal bands among candidates ``(h[i], l[i])``, chosen by the kernel."""
    m = len(h)
    if m == 0:
        return _Choice("infeasible", h, ell, math.nan)

    def objective(ids: FloatArray, *_: FloatArray) -> FloatArray:
        i = ids.astype(np.int64)
        return problem.values(h[i], ell[i])

    eligible: BoolArray | None = None
    if problem.pair_constraints:
        counts = problem.decided(h, ell)
        eligible = np.ones(m, dtype=bool)
        for c in problem.pair_constraints:
            eligible &= c.mask(c.metric(*counts))
    source = Counts(
        np.arange(m, dtype=np.float64), np.zeros(m), problem.n_positive, problem.n_negative
    )
    sel = _select_rows(
        source,
        _lifted(problem.objective.name, objective, problem.maximize),
        (),
        maximize=problem.maximize,
        eligible=eligible,
    )
    if not sel.ok:
        return _Choice(sel.status, h[:0], ell[:0], math.nan, sel)
    opt = sel.optimal_indices
    return _Choice("ok", h[opt], ell[opt], sel.best_value, sel)


def _better(a: float, b: float, maximize: bool) -> bool:
    return a > b if maximize else a < b


# ---------------------------------------------------------------------------- windows
def _last_allowed(w: FloatArray, rows: IntArray, budget: Budget | None, n: float) -> IntArray:
    """For each h in ``rows``, the last row l >= h with (w[l] - w[h]) within the budget."""
    k = len(w)
    if budget is None:
        return np.full(len(rows), k - 1, dtype=np.int64)
    base = w[rows]
    last = np.searchsorted(w, base + budget.estimate(n), side="right").astype(np.int64) - 1
    np.maximum(last, rows, out=last)
    # The estimate errs high by a hair; step back where the exact rule says no.
    bad = np.flatnonzero(~budget.allows(w[last] - base, n))
    while bad.size:
        last[bad] -= 1
        bad = bad[~budget.allows(w[last[bad]] - base[bad], n)]
    return last


def _first_allowed(w: FloatArray, rows: IntArray, budget: Budget | None, n: float) -> IntArray:
    """For each l in ``rows``, the first row h <= l with (w[l] - w[h]) within the budget."""
    if budget is None:
        return np.zeros(len(rows), dtype=np.int64)
    top = w[rows]
    first = np.searchsorted(w, top - budget.estimate(n), side="left").astype(np.int64)
    np.minimum(first, rows, out=first)
    bad = np.flatnonzero(~budget.allows(top - w[first], n))
    while bad.size:
        first[bad] += 1
        bad = bad[~budget.allows(top[bad] - w[first[bad]], n)]
    return first


class _RangeMax:
    """Maxima of ``g`` over inclusive windows ``[a, b]``, many at once (vectorized).

    Blocks of 16: a window inside one block is scanned (at most 15 steps); a longer one
    is the larger of its partial first and last blocks (prefix and suffix maxima) and a
    sparse table over the whole blocks between them (two lookups). Built in O(k).
    """

    def __init__(self, g: FloatArray) -> None:
        self.g = g
        k = len(g)
        s = self.size = 16
        nb = self.nb = max(1, -(-k // s))
        padded = np.full(nb * s, -np.inf)
        padded[:k] = g
        blocks = padded.reshape(nb, s)
        self.prefix = np.maximum.accumulate(blocks, axis=1).ravel()
        self.suffix = np.maximum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
        levels = max(1, int(nb).bit_length())
        table = np.full((levels, nb), -np.inf)  # table[j, i]: max of blocks i .. i + 2**j - 1
        table[0] = blocks.max(axis=1)
        for j in range(1, levels):
            half = 1 << (j - 1)
            table[j, : nb - half] = np.maximum(table[j - 1, : nb - half], table[j - 1, half:])
        self.table = table
        self.log2 = np.zeros(nb + 1, dtype=np.int64)
        self.log2[1:] = np.floor(np.log2(np.arange(1, nb + 1))).astype(np.int64)

    def query(self, starts: IntArray, ends: IntArray) -> FloatArray:
        g, s, nb = self.g, self.size, self.nb
        out = np.empty(len(starts))
        first_block, last_block = starts // s, ends // s
        inside = np.flatnonzero(first_block == last_block)
        a, b = starts[inside], ends[inside]
        best = g[a].copy()
        for d in range(1, s):
            more = np.flatnonzero(a + d <= b)
            if more.size == 0:
                break
            best[more] = np.maximum(best[more], g[a[more] + d])
        out[inside] = best
        across = np.flatnonzero(first_block != last_block)
        a, b = starts[across], ends[across]
        best = np.maximum(self.suffix[a], self.prefix[b])
        lo_b, hi_b = first_block[across] + 1, last_block[across] - 1
        level = self.log2[np.maximum(hi_b - lo_b + 1, 1)]
        span = np.maximum(
            self.table[level, np.minimum(lo_b, nb - 1)],
            self.table[level, np.maximum(hi_b - (1 << level) + 1, 0)],
        )
        out[across] = np.where(lo_b <= hi_b, np.maximum(best, span), best)
        return out


def _window_max(g: FloatArray, starts: IntArray, ends: IntArray) -> FloatArray:
    """``max(g[starts[i] : ends[i] + 1])`` for every i (inclusive windows)."""
    if len(g) == 0 or len(starts) == 0:
        return np.empty(len(starts))
    return _RangeMax(g).query(starts, ends)


def _slack(problem: _Problem, coefs: Iterable[float], magnitude: float) -> float:
    """How far below the optimum a surrogate sum may round: 0 when it is exact.

    Integer counts with integer coefficients give integer sums, exact in float64 below
    2**53: then only exact ties are kept. Otherwise a relative slack of 1e-12 of the
    sums' magnitude (thousands of ulps) keeps every band that could be optimal; the
    true objective decides among them.
    """
    if problem.integral and magnitude < 2**52 and all(float(c).is_integer() for c in coefs):
        return 0.0
    return 1e-12 * max(1.0, magnitude)


def _near_optimal(
    f: FloatArray, g: FloatArray, problem: _Problem, slack: float
) -> tuple[IntArray, IntArray, float]:
    """Bands (h, l) within ``slack`` of max f(h) + g(l) over the allowed bands.

    ``g`` is already -inf where l is not allowed. For each h the best l lies in its
    budget window [h, last[h]]: a range maximum. On long curves, blocks of h whose bound
    (their best f plus the best g of the union of their windows) is below a total
    attained at a block's first row are skipped first. Returns empty arrays (and -inf)
    when no band is allowed.
    """
    k = problem.k
    ranges = _RangeMax(g)
    f = np.where(problem.hmask, f, -np.inf)
    rows = np.arange(k, dtype=np.int64)
    if k > 8 * _PRUNE_BLOCK:
        starts = rows[::_PRUNE_BLOCK]
        ends = np.minimum(starts + _PRUNE_BLOCK - 1, k - 1)
        padded = np.full(len(starts) * _PRUNE_BLOCK, -np.inf)
        padded[:k] = f
        best_f = padded.reshape(len(starts), _PRUNE_BLOCK).max(axis=1)
        bound = best_f + ranges.query(starts, problem.last_at(ends))
        seen = f[starts] + ranges.query(starts, problem.last_at(starts))
        incumbent = float(np.max(seen))
        if incumbent > -np.inf:
            keep = bound >= incumbent - slack - _SLACK * max(1.0, abs(incumbent))
            rows = (starts[keep, None] + np.arange(_PRUNE_BLOCK, dtype=np.int64)).ravel()
            rows = rows[rows < k]
    last = problem.last_at(rows)
    total = f[rows] + ranges.query(rows, last)
    best = float(np.max(total)) if total.size else -np.inf
    empty = np.empty(0, dtype=np.int64)
    if best == -np.inf:
        return empty, empty, best
    cut = best - slack
    hs, ls = [], []
    for i in np.flatnonzero(total >= cut):  # the optimal h: few, except in exact ties
        h = int(rows[i])
        found = np.flatnonzero(g[h : last[i] + 1] >= cut - f[h])
        hs.append(np.full(found.size, h, dtype=np.int64))
        ls.append(h + found.astype(np.int64))
    return np.concatenate(hs), np.concatenate(ls), best


# ---------------------------------------------------------------------------- solvers
def _solve_separable(problem: _Problem, coefs: Coefs) -> tuple[_Choice, str]:
    """Total = f(h) + g(l): independent kernel choices, else a window allocation."""
    c_tp, c_fp, c_tn, c_fn = coefs
    a = problem.abstain_coef
    sign = 1.0 if problem.maximize else -1.0
    # The two parts as catalog costs of the curve (minimized): -sign * part.
    hi_cost = get_metric("cost", tp=-sign * (c_tp - a), fp=-sign * (c_fp - a), fn=0.0, tn=0.0)
    lo_cost = get_metric("cost", tp=-sign * a, fp=-sign * a, tn=-sign * c_tn, fn=-sign * c_fn)
    source = Counts(problem.tp, problem.fp, problem.n_positive, problem.n_negative)
    hi_sel = _select_rows(source, hi_cost, (), maximize=False, eligible=problem.hmask)
    lo_sel = _select_rows(source, lo_cost, (), maximize=False, eligible=problem.lmask)
    if hi_sel.ok and lo_sel.ok:
        los = lo_sel.optimal_indices
        hs = hi_sel.optimal_indices
        j = np.searchsorted(los, hs, side="left")
        ok = j < len(los)
        hs, j = hs[ok], j[ok]
        ls = los[j]
        fits = ls <= problem.last[hs]
        if fits.any():
            return _select(problem, hs[fits], ls[fits]), "separable"
    f = -hi_cost(*_curve_counts(problem))
    g = np.where(problem.lmask, -lo_cost(*_curve_counts(problem)), -np.inf)
    magnitude = max(abs(v) for v in (*coefs, a, 1.0)) * problem.n
    slack = _slack(problem, (*coefs, a), magnitude)
    hs, ls, _ = _near_optimal(f, g, problem, slack)
    return _select(problem, hs, ls), "separable"


def _curve_counts(problem: _Problem) -> tuple[FloatArray, ...]:
    tp, fp = problem.tp, problem.fp
    return tp, fp, problem.n_negative - fp, problem.n_positive - tp


def _parts(coefs: Coefs, problem: _Problem) -> tuple[FloatArray, FloatArray]:
    """A linear function of the decided counts split into its h part and its l part."""
    c_tp, c_fp, c_tn, c_fn = coefs
    f = c_tp * problem.tp + c_fp * problem.fp
    g = c_tn * (problem.n_negative - problem.fp) + c_fn * (problem.n_positive - problem.tp)
    return f, g


def _solve_fractional(problem: _Problem, num: Coefs, den: Coefs) -> tuple[_Choice, str]:
    """max num·c / den·c by Dinkelbach's method over separable linear problems.

    With the incumbent ratio top/bottom, maximize bottom·num(c) - top·den(c) (a sum of an
    h part and an l part): a positive maximum is a band with a better ratio, which
    becomes the incumbent; zero means the incumbent is optimal, and the bands attaining
    zero are exactly the optimal ones. Each step is exact for integer counts.
    """
    sign = 1.0 if problem.maximize else -1.0
    num = tuple(sign * v for v in num)  # type: ignore[assignment]
    f_num, g_num = _parts(num, problem)
    f_den, g_den = _parts(den, problem)
    # Start from the best band that abstains nothing (within any budget) if one is
    # allowed, else from the band with the largest numerator.
    rows = np.flatnonzero(problem.hmask & problem.lmask)
    start = _select(problem, rows, rows)
    if start.status == "ok":
        h, ell = int(start.h[0]), int(start.ell[0])
    else:
        g0 = np.where(problem.lmask, g_num, -np.inf)
        hs, ls, _ = _near_optimal(f_num, g0, problem, _slack(problem, num, problem.n))
        if hs.size == 0:
            return _Choice("infeasible", hs, ls, math.nan), "dinkelbach"
        h, ell = int(hs[0]), int(ls[0])
    top, bottom = f_num[h] + g_num[ell], f_den[h] + g_den[ell]
    if not bottom > 0:
        return _solve_pairs(problem)
    coef_scale = max(abs(v) for v in (*num, *den, 1.0)) * problem.n
    for _ in range(_MAX_DINKELBACH):
        f = bottom * f_num - top * f_den
        g = np.where(problem.lmask, bottom * g_num - top * g_den, -np.inf)
        magnitude = coef_scale * max(abs(top), bottom, 1.0) * 2
        slack = _slack(problem, (*num, *den, top, bottom), magnitude)
        hs, ls, best = _near_optimal(f, g, problem, slack)
        if best <= slack:
            break
        cand_top = f_num[hs] + g_num[ls]
        cand_bottom = f_den[hs] + g_den[ls]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(cand_bottom > 0, cand_top / cand_bottom, -np.inf)
        i = int(np.argmax(ratio))
        if not ratio[i] > top / bottom:  # rounding: no strictly better band
            break
        h, ell = int(hs[i]), int(ls[i])
        top, bottom = float(cand_top[i]), float(cand_bottom[i])
    # The incumbent always competes (it attains the surrogate's zero).
    hs, ls = np.append(hs, h), np.append(ls, ell)
    return _select(problem, hs, ls), "dinkelbach"


def _solve_monotone(problem: _Problem, side: str) -> tuple[_Choice, str]:
    """Two pointers: one threshold at the edge of its window, the other chosen by the kernel.

    ``side == "lo"``: the objective never gets worse as l grows (rows leave the predicted
    negatives), so for each h the best l is the last allowed one within the budget.
    ``side == "hi"``: it never gets worse as h shrinks, so for each l the best h is the
    first allowed one. On long curves, blocks of rows whose bound cannot reach a value
    attained at a block edge are skipped (:func:`_promising_rows`).
    """
    k = problem.k
    rows = np.arange(k, dtype=np.int64)
    if side == "lo":
        prev_l = np.maximum.accumulate(np.where(problem.lmask, rows, -1))

        def partner_of(h: IntArray) -> IntArray:
            return prev_l[problem.last_at(h)]  # type: ignore[no-any-return]
    else:
        next_h = np.minimum.accumulate(np.where(problem.hmask, rows, k)[::-1])[::-1]

        def partner_of(h: IntArray) -> IntArray:  # here: for each l, its h
            return next_h[problem.first_at(h)]  # type: ignore[no-any-return]

    own = _promising_rows(problem, side, partner_of)
    own = rows if own is None else own
    own = own[(problem.hmask if side == "lo" else problem.lmask)[own]]
    partner = partner_of(own)
    if side == "lo":
        ok = partner >= own
        choice = _select(problem, own[ok], partner[ok])
    else:
        ok = partner <= own
        choice = _select(problem, partner[ok], own[ok])
    if choice.status != "ok":
        return choice, "two-pointer"
    # Each optimal band abstains as little as it can: move the edge pointer back to the
    # first position (binary search; the objective is monotone along it) that still
    # attains the optimum.
    allowed = np.flatnonzero(problem.lmask if side == "lo" else problem.hmask)
    if side == "lo":
        lo_pos = np.searchsorted(allowed, choice.h, side="left")
        hi_pos = np.searchsorted(allowed, choice.ell, side="left")
    else:
        lo_pos = np.searchsorted(allowed, choice.h, side="left")
        hi_pos = np.searchsorted(allowed, choice.ell, side="right") - 1
    target = choice.best

    def attains(pos: IntArray) -> BoolArray:
        other = allowed[pos]
        h, ell = (choice.h, other) if side == "lo" else (other, choice.ell)
        values = problem.values(h, ell)
        return np.asarray(values == target)

    if side == "lo":  # first position in [lo_pos, hi_pos] that attains
        left, right = lo_pos.copy(), hi_pos.copy()
        while np.any(left < right):
            mid = (left + right) // 2
            ok = attains(mid)
            right = np.where(ok, mid, right)
            left = np.where(ok, left, mid + 1)
        return _Choice("ok", choice.h, allowed[left], target), "two-pointer"
    left, right = lo_pos.copy(), hi_pos.copy()  # last position in [lo_pos, hi_pos]
    while np.any(left < right):
        mid = (left + right + 1) // 2
        ok = attains(mid)
        left = np.where(ok, mid, left)
        right = np.where(ok, right, mid - 1)
    return _Choice("ok", allowed[right], choice.ell, target), "two-pointer"


def _promising_rows(problem: _Problem, side: str, partner_of: Any) -> IntArray | None:
    """The rows (h for side "lo", l for "hi") in blocks that may hold the optimum.

    For a block of rows a..b, the partner pointer moves monotonically, so the metric's
    best value over the block is bounded by its value at a corner: TP and FP at the
    block's ends (by the metric's signs) and the partner at its most favourable end.
    A block whose bound is worse than a value attained at some block edge cannot hold
    an optimal band (or one tied with it). None: too short to bother, or no signs.
    """
    signs = _signs(problem.objective)
    k = problem.k
    if signs is None or None in signs or k <= 8 * _PRUNE_BLOCK:
        return None
    good = [int(x) if problem.maximize else -int(x) for x in signs]  # type: ignore[arg-type]
    starts = np.arange(0, k, _PRUNE_BLOCK, dtype=np.int64)
    ends = np.minimum(starts + _PRUNE_BLOCK - 1, k - 1)
    edges = np.unique(np.concatenate((starts, ends)))
    mask = problem.hmask if side == "lo" else problem.lmask
    edges = edges[mask[edges]]
    partner = partner_of(edges)
    ok = partner >= edges if side == "lo" else partner <= edges
    h, ell = (edges[ok], partner[ok]) if side == "lo" else (partner[ok], edges[ok])
    seen = problem.values(h, ell)
    seen = seen[~np.isnan(seen)]
    if not seen.size:
        return None
    incumbent = float(seen.max() if problem.maximize else seen.min())
    tp, fp, n_pos, n_neg = problem.tp, problem.fp, problem.n_positive, problem.n_negative
    if side == "lo":
        far = np.maximum(partner_of(ends), 0)  # the most favourable l of the block
        corner = (
            tp[ends if good[0] > 0 else starts],
            fp[ends if good[1] > 0 else starts],
            n_neg - fp[far],
            n_pos - tp[far],
        )
    else:
        near = np.minimum(partner_of(starts), k - 1)  # the most favourable h of the block
        corner = (
            tp[near],
            fp[near],
            n_neg - fp[starts if good[2] > 0 else ends],
            n_pos - tp[starts if good[3] > 0 else ends],
        )
    bound = problem.objective(*corner)
    slack = _SLACK * max(1.0, abs(incumbent))
    keep = ~(bound < incumbent - slack) if problem.maximize else ~(bound > incumbent + slack)
    rows = (starts[keep, None] + np.arange(_PRUNE_BLOCK, dtype=np.int64)).ravel()
    return rows[rows < k]


def _pairs_in(problem: _Problem, h_rows: IntArray) -> tuple[IntArray, IntArray]:
    """Every allowed band whose h is in ``h_rows`` (l from h to last[h], allowed)."""
    h_rows = h_rows[problem.hmask[h_rows]]
    lengths = problem.last[h_rows] - h_rows + 1
    hs = np.repeat(h_rows, lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    ls = hs + (np.arange(len(hs), dtype=np.int64) - starts)
    keep = problem.lmask[ls]
    return hs[keep], ls[keep]


def _pair_batches(problem: _Problem) -> Iterable[tuple[IntArray, IntArray]]:
    """Every allowed band, in batches of about _PAIR_CHUNK (h, l) pairs."""
    k = problem.k
    lengths = problem.last - np.arange(k) + 1
    h_start = 0
    while h_start < k:
        total = np.cumsum(lengths[h_start:])
        stop = h_start + max(1, int(np.searchsorted(total, _PAIR_CHUNK, side="right")))
        yield _pairs_in(problem, np.arange(h_start, stop, dtype=np.int64))
        h_start = stop


def _block_batches(
    problem: _Problem, keep: BoolArray, size: int
) -> Iterable[tuple[IntArray, IntArray]]:
    """The allowed bands of the surviving blocks, in batches of about _PAIR_CHUNK."""
    k = problem.k
    offsets = np.arange(size, dtype=np.int64)
    hs_parts: list[IntArray] = []
    ls_parts: list[IntArray] = []
    pending = 0
    for bh, bl in zip(*np.nonzero(keep), strict=True):
        h = bh * size + offsets
        ell = bl * size + offsets
        h, ell = h[h < k], ell[ell < k]
        hh = np.repeat(h, len(ell))
        ll = np.tile(ell, len(h))
        ok = (ll >= hh) & (ll <= problem.last[hh]) & problem.hmask[hh] & problem.lmask[ll]
        hs_parts.append(hh[ok])
        ls_parts.append(ll[ok])
        pending += int(ok.sum())
        if pending >= _PAIR_CHUNK:
            yield np.concatenate(hs_parts), np.concatenate(ls_parts)
            hs_parts, ls_parts, pending = [], [], 0
    if hs_parts:
        yield np.concatenate(hs_parts), np.concatenate(ls_parts)


def _solve_pairs(problem: _Problem) -> tuple[_Choice, str]:
    """Every allowed band, in chunks through the kernel; blocks pruned where signs allow."""
    pruned = _surviving_blocks(problem)
    batches = _pair_batches(problem) if pruned is None else _block_batches(problem, *pruned)
    empty = np.empty(0, dtype=np.int64)
    best = _Choice("infeasible", empty, empty, math.nan)
    statuses: set[str] = set()
    for hs, ls in batches:
        if hs.size == 0:
            continue
        choice = _select(problem, hs, ls)
        statuses.add(choice.status)
        if choice.status != "ok":
            continue
        if best.status != "ok" or _better(choice.best, best.best, problem.maximize):
            best = choice
        elif choice.best == best.best:
            h = np.concatenate((best.h, choice.h))
            best = _Choice("ok", h, np.concatenate((best.ell, choice.ell)), best.best)
    if best.status != "ok":
        status = "undefined" if "undefined" in statuses else "infeasible"
        return _Choice(status, empty, empty, math.nan), "pairs"
    return best, "pairs"


def _surviving_blocks(problem: _Problem) -> tuple[BoolArray, int] | None:
    """Blocks of bands that may hold the optimum, by the objective's signs; None: keep all.

    A block holds the bands with h in one run of rows and l in another (runs of 128
    rows, longer on long curves so that there are at most 2048 runs). With the
    metric's signs in the four counts known, its best possible value is the metric at
    the block's best corner (TP, FP from the h run's ends, TN, FN from the l run's).
    Blocks whose best corner is worse than a value already attained (by a band without
    abstention, or at the budget's edge) are skipped: exact, with a rounding slack.
    """
    signs = _signs(problem.objective)
    k = problem.k
    if signs is None or None in signs or problem.with_cost or k <= 4 * _BLOCK:
        return None
    rows = np.arange(k, dtype=np.int64)
    seeds_h = np.concatenate((rows, rows))
    seeds_l = np.concatenate((rows, problem.last))
    ok = problem.hmask[seeds_h] & problem.lmask[seeds_l]
    seed = _select(problem, seeds_h[ok], seeds_l[ok])
    if seed.status != "ok":
        return None
    size = max(_BLOCK, -(-k // 2048))
    bound = _block_bounds(problem, signs, size)
    slack = _SLACK * max(1.0, abs(seed.best))
    keep = ~(bound < seed.best - slack) if problem.maximize else ~(bound > seed.best + slack)
    # Only blocks holding some band with h <= l within the budget.
    ends = np.minimum(np.arange(len(bound), dtype=np.int64) * size + size - 1, k - 1)
    reach = problem.last[ends] // size  # the furthest l of the block is last[its end]
    b_h, b_l = np.indices(bound.shape)
    keep &= (b_l >= b_h) & (b_l <= reach[:, None])
    return keep, size


def _block_bounds(problem: _Problem, signs: Signs, size: int) -> FloatArray:
    """The best value the objective can take on each block of bands (nb × nb).

    Block (i, j) holds the bands with h in run i and l in run j of ``size`` rows. With
    the metric's signs in the four counts, its best value there is its value at the
    corner that is best for each count: TP and FP from run i's ends, TN = N - fp[l]
    and FN = P - tp[l] from run j's. NaN where undefined at the corner.
    """
    k = problem.k
    nb = -(-k // size)
    starts = np.arange(nb, dtype=np.int64) * size
    ends = np.minimum(starts + size - 1, k - 1)
    good = [int(s) if problem.maximize else -int(s) for s in signs]  # type: ignore[arg-type]
    tp_h = problem.tp[ends if good[0] > 0 else starts]
    fp_h = problem.fp[ends if good[1] > 0 else starts]
    # TN = N - fp[l] and FN = P - tp[l] are largest at the start of the l run.
    tn_l = problem.n_negative - problem.fp[starts if good[2] > 0 else ends]
    fn_l = problem.n_positive - problem.tp[starts if good[3] > 0 else ends]
    shape = (nb, nb)
    bound: FloatArray = problem.objective(
        np.broadcast_to(tp_h[:, None], shape),
        np.broadcast_to(fp_h[:, None], shape),
        np.broadcast_to(tn_l[None, :], shape),
        np.broadcast_to(fn_l[None, :], shape),
    )
    return bound


# ---------------------------------------------------------------------------- tie rule
def _tie_break(choice: _Choice, problem: _Problem, ties: str) -> tuple[int, int]:
    """Among optimal bands: the fewest abstained, then by ``ties`` on h, then least l."""
    abstained = problem.abstained(choice.h, choice.ell)
    fewest = abstained == abstained.min()
    h, ell = choice.h[fewest], choice.ell[fewest]
    distinct = np.unique(h)
    if ties == "highest":
        chosen = distinct[0]
    elif ties == "lowest":
        chosen = distinct[-1]
    else:
        chosen = distinct[(len(distinct) - 1) // 2]
    return int(chosen), int(ell[h == chosen].min())


# ---------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class RejectBand:
    """Two thresholds that decide positive, negative, or abstain (send to review).

    The decision rule: **positive iff score >= hi**, **negative iff score < lo**, abstain
    when ``lo <= score < hi`` (with ``rule == "<="``: positive iff score <= lo, negative
    iff score > hi). Both thresholds are observed scores or infinities, so applying the
    band to the tuning data reproduces the counts exactly.

    Attributes
    ----------
    lo, hi : float
        The band's edges, ``lo <= hi``; ``lo == hi`` abstains on nothing.
    score : float
        The objective's value: the metric on the decided rows, or with an abstention
        cost the total (the cost metric of the decided rows plus ``abstain_cost`` per
        abstained row; a utility minus it).
    metric : BoundMetric
        The metric of the decided rows.
    maximize : bool
        Whether the objective was maximized.
    abstain_cost : float or None
        The cost of one abstention, when the objective is a total cost.
    budget : Budget or None
        The abstention budget (``coverage >= c``, ``abstain_rate <= r`` or
        ``abstained <= K``).
    constraints : tuple of Constraint
        Bounds that held on the decided rows.
    ties : str
        How one optimal band was chosen: the fewest abstained, then this rule on the
        positive threshold (``"highest"`` decides fewest rows positive).
    tp, fp, tn, fn : int or float
        The decided rows' confusion counts (weighted if weights were given).
    abstained_positive, abstained_negative : int or float
        The positives and negatives sent to review.
    metrics : mapping of str to float
        Key metrics of the decided rows (NaN where undefined).
    rule : {'>=', '<='}
        Which way scores point.
    n_samples, n_positive, n_negative, weighted
        The tuning data.
    positive_label, negative_label, abstain_label : object
        What :meth:`predict` returns for each outcome.
    algorithm : str
        How the optimum was found (see the module notes): ``"separable"``,
        ``"two-pointer"``, ``"dinkelbach"``, ``"pairs"``, or ``"given"`` for a band
        evaluated at given thresholds.
    references : tuple of Reference
        Chow's rule for calibrated probabilities (``chow_lo``, ``chow_hi``; or
        ``bayes`` when abstaining never pays), for a cost objective.
    version : str
        The cutpoints version that produced it.
    curve : ConfusionCurve or None
        The curve it was chosen from (not saved).
    """

    lo: float
    hi: float
    score: float
    metric: BoundMetric
    maximize: bool
    tp: float
    fp: float
    tn: float
    fn: float
    abstained_positive: float
    abstained_negative: float
    abstain_cost: float | None = None
    budget: Budget | None = None
    constraints: tuple[Constraint, ...] = ()
    ties: str = "highest"
    metrics: Mapping[str, float] = field(default_factory=dict)
    rule: Rule = ">="
    n_samples: int = 0
    n_positive: float = 0
    n_negative: float = 0
    weighted: bool = False
    positive_label: Any = 1
    negative_label: Any = 0
    abstain_label: Any = -1
    algorithm: str = "given"
    references: tuple[Reference, ...] = ()
    version: str = ""
    curve: ConfusionCurve | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            msg = f"a reject band needs lo <= hi (got lo={self.lo!r}, hi={self.hi!r})"
            raise InvalidParameterError(msg)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RejectBand):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ derived
    @property
    def n_total(self) -> float:
        """The (weighted) number of tuning rows."""
        return self.n_positive + self.n_negative

    @property
    def n_abstained(self) -> float:
        """(Weighted) rows sent to review."""
        return self.abstained_positive + self.abstained_negative

    @property
    def n_decided(self) -> float:
        """(Weighted) rows decided positive or negative."""
        return self.tp + self.fp + self.tn + self.fn

    @property
    def coverage(self) -> float:
        """Share of (weighted) rows decided."""
        return float(self.n_decided / self.n_total) if self.n_total else math.nan

    @property
    def abstain_rate(self) -> float:
        """Share of (weighted) rows sent to review."""
        return float(self.n_abstained / self.n_total) if self.n_total else math.nan

    @property
    def counts(self) -> dict[str, dict[str, float]]:
        """The three outcomes: who is decided positive, negative, or abstained."""
        return {
            "positive": {"tp": self.tp, "fp": self.fp},
            "negative": {"tn": self.tn, "fn": self.fn},
            "abstain": {
                "positive": self.abstained_positive,
                "negative": self.abstained_negative,
            },
        }

    @property
    def chow(self) -> tuple[float, float] | None:
        """Chow's band ``(lo, hi)`` for calibrated probabilities, where one applies."""
        refs = {r.name: r.threshold for r in self.references}
        if "chow_lo" in refs and "chow_hi" in refs:
            return refs["chow_lo"], refs["chow_hi"]
        if "bayes" in refs:
            return refs["bayes"], refs["bayes"]
        return None

    def __str__(self) -> str:
        bits = f"lo={format_threshold(self.lo)}, hi={format_threshold(self.hi)}"
        return (
            f"RejectBand({bits}: {self._objective_text()} = {self.score:.6g}; "
            f"positive tp={self.tp}, fp={self.fp}; negative tn={self.tn}, fn={self.fn}; "
            f"abstain {self.n_abstained} (coverage {self.coverage:.4g}))"
        )

    def _objective_text(self) -> str:
        if self.abstain_cost is None:
            return f"{self.metric.name} on decided rows"
        return f"{self.metric.name} + {self.abstain_cost:g} per abstention"

    # ------------------------------------------------------------------ applying
    def decide(self, scores: Any) -> npt.NDArray[np.int8]:
        """Outcome codes: 1 positive, 0 negative, -1 abstain.

        Parameters
        ----------
        scores : array-like of shape (n_samples,)
            Finite scores (NaN is an error, never silently one of the outcomes).
        """
        s = check_scores(scores, "scores")
        out = np.full(len(s), -1, dtype=np.int8)
        if self.rule == ">=":
            out[s >= self.hi] = 1
            out[s < self.lo] = 0
        else:
            out[s <= self.lo] = 1
            out[s > self.hi] = 0
        return out

    def predict(self, scores: Any, *, abstain_label: Any = ...) -> np.ndarray:
        """The label of each score: positive, negative, or the abstain value.

        Parameters
        ----------
        scores : array-like of shape (n_samples,)
        abstain_label : object, optional
            What abstained rows get; by default :attr:`abstain_label` (-1 for numeric
            labels, ``"abstain"`` for text labels).

        Examples
        --------
        >>> import cutpoints as cp
        >>> band = cp.evaluate_reject_band([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], lo=0.3, hi=0.5)
        >>> band.predict([0.2, 0.45, 0.9]).tolist()
        [0, -1, 1]
        >>> band.predict([0.2, 0.45], abstain_label=9).tolist()
        [0, 9]
        """
        if self.negative_label is None:
            msg = (
                "predict() needs the negative label, which is unknown because the tuning "
                "labels held only the positive class; use decide() for outcome codes"
            )
            raise NotFittedError(msg)
        abstain = self.abstain_label if abstain_label is ... else abstain_label
        codes = self.decide(scores)
        values = [self.negative_label, self.positive_label, abstain]
        numeric = all(
            isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_))
            for v in values
        )
        texts = all(isinstance(v, str) for v in values)
        labels = np.array(values) if numeric or texts else np.array(values, dtype=object)
        return labels[np.where(codes < 0, 2, codes)]  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN as null, infinities as ``"+inf"``/``"-inf"``)."""
        if self.rule == ">=":
            decision = "positive iff score >= hi; negative iff score < lo; abstain otherwise"
        else:
            decision = "positive iff score <= lo; negative iff score > hi; abstain otherwise"
        return {
            "format": FORMAT,
            "lo": json_number(self.lo),
            "hi": json_number(self.hi),
            "rule": self.rule,
            "decision": decision,
            "objective": {
                "metric": self.metric.name,
                "direction": "maximize" if self.maximize else "minimize",
                "value": json_number(self.score),
                "abstain_cost": None if self.abstain_cost is None else self.abstain_cost,
            },
            "budget": None
            if self.budget is None
            else {"kind": self.budget.kind, "value": self.budget.value},
            "constraints": [str(c) for c in self.constraints],
            "ties": self.ties,
            "counts": {
                outcome: {k: json_number(v) for k, v in cells.items()}
                for outcome, cells in self.counts.items()
            },
            "coverage": json_number(self.coverage),
            "metrics": {k: json_number(v) for k, v in self.metrics.items()},
            "labels": {
                "positive": json_label(self.positive_label),
                "negative": json_label(self.negative_label),
                "abstain": json_label(self.abstain_label),
            },
            "data": {
                "n_samples": self.n_samples,
                "n_positive": json_number(self.n_positive),
                "n_negative": json_number(self.n_negative),
                "weighted": self.weighted,
            },
            "algorithm": self.algorithm,
            "references": [
                {
                    "name": r.name,
                    "threshold": json_number(r.threshold),
                    "explanation": r.explanation,
                }
                for r in self.references
            ],
            "cutpoints_version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Any) -> RejectBand:
        """Rebuild a band from :meth:`to_dict`'s output, checking every field.

        Raises
        ------
        InvalidInputError
            A missing or malformed field; the message names it.
        """
        return _band_from_dict(cls, data)

    def to_json(self, *, indent: int = 2) -> str:
        """The band as JSON text (plain data, safe to load from anyone)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> RejectBand:
        """Load a band from JSON text written by :meth:`to_json` (never a path).

        Examples
        --------
        >>> import cutpoints as cp
        >>> band = cp.evaluate_reject_band([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], lo=0.3, hi=0.5)
        >>> cp.RejectBand.from_json(band.to_json()) == band
        True
        """
        return cls.from_dict(_READER.parse(text))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the band as JSON to ``path``, atomically (whole or not at all)."""
        atomic_write_text(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RejectBand:
        """Read a band file written by :meth:`save` (or ``cutpoints tune --reject --save``)."""
        return cls.from_dict(_READER.read(path))


_READER = FieldReader("reject band", "RejectBand.load")


def _band_from_dict(cls: type[RejectBand], data: Any) -> RejectBand:
    """Check every field of a saved band; errors name the field."""
    # Long but flat on purpose: one check per saved field, in the file's order.
    from ._artifact import saved_constraint, saved_metric

    r = _READER
    data = r.check_format(data, FORMAT)
    rule = r.choice(r.get(data, "rule", "rule"), "rule", (">=", "<="))
    lo = float(r.number(r.get(data, "lo", "lo"), "lo", inf=True))
    hi = float(r.number(r.get(data, "hi", "hi"), "hi", inf=True))
    if lo > hi:
        r.bad("lo", f"<= 'hi' ({hi!r})", lo)
    objective = r.get(data, "objective", "objective")
    direction = r.choice(
        r.get(objective, "direction", "objective.direction"),
        "objective.direction",
        ("maximize", "minimize"),
    )
    maximize = direction == "maximize"
    metric_text = r.text(r.get(objective, "metric", "objective.metric"), "objective.metric")
    cost = objective.get("abstain_cost")
    abstain_cost = None
    if cost is not None:
        abstain_cost = float(r.number(cost, "objective.abstain_cost"))
        if abstain_cost < 0:
            r.bad("objective.abstain_cost", "a cost >= 0", cost)
    budget_in = data.get("budget")
    budget = None
    if budget_in is not None:
        kind = r.choice(
            r.get(budget_in, "kind", "budget.kind"),
            "budget.kind",
            ("coverage", "abstain_rate", "max_abstained"),
        )
        value = r.number(r.get(budget_in, "value", "budget.value"), "budget.value")
        try:
            budget = _budget(*(value if kind == k else None for k in _BUDGET_KINDS))
        except InvalidParameterError as exc:
            r.bad("budget.value", f"valid for {kind} ({exc})", value)
    ties = r.choice(r.get(data, "ties", "ties"), "ties", TIE_RULES)
    counts = r.get(data, "counts", "counts")
    cells = {
        (outcome, key): r.count(
            r.get(r.get(counts, outcome, f"counts.{outcome}"), key, f"counts.{outcome}.{key}"),
            f"counts.{outcome}.{key}",
        )
        for outcome, keys in (
            ("positive", ("tp", "fp")),
            ("negative", ("tn", "fn")),
            ("abstain", ("positive", "negative")),
        )
        for key in keys
    }
    info = r.get(data, "data", "data")
    n_samples = r.whole(r.get(info, "n_samples", "data.n_samples"), "data.n_samples")
    n_pos = r.count(r.get(info, "n_positive", "data.n_positive"), "data.n_positive")
    n_neg = r.count(r.get(info, "n_negative", "data.n_negative"), "data.n_negative")
    for total, parts, name in (
        (n_pos, [("positive", "tp"), ("negative", "fn"), ("abstain", "positive")], "n_positive"),
        (n_neg, [("positive", "fp"), ("negative", "tn"), ("abstain", "negative")], "n_negative"),
    ):
        got = sum(cells[p] for p in parts)
        exact = all(isinstance(cells[p], int) for p in parts) and isinstance(total, int)
        if (got != total) if exact else not math.isclose(got, total, rel_tol=1e-9, abs_tol=1e-9):
            r.bad(f"data.{name}", f"the sum of its three outcomes ({got!r})", total)
    weighted = r.boolean(r.get(info, "weighted", "data.weighted"), "data.weighted")
    metrics_in = r.get(data, "metrics", "metrics")
    if not isinstance(metrics_in, Mapping):
        r.bad("metrics", "an object of metric -> value", metrics_in)
    metrics = {
        r.text(k, "metrics", 200): float(r.number(v, f"metrics.{k}", nan=True))
        for k, v in metrics_in.items()
    }
    labels = r.get(data, "labels", "labels")
    positive = r.label(r.get(labels, "positive", "labels.positive"), "labels.positive")
    negative = r.label(r.get(labels, "negative", "labels.negative"), "labels.negative", none=True)
    abstain = r.label(r.get(labels, "abstain", "labels.abstain"), "labels.abstain", none=True)
    references = tuple(
        Reference(
            r.text(r.get(x, "name", "references.name"), "references.name", 200),
            float(r.number(r.get(x, "threshold", "references.threshold"), "references.threshold")),
            r.text(r.get(x, "explanation", "references.explanation"), "references.explanation"),
        )
        for x in r.list(data.get("references", []), "references")
    )
    return cls(
        lo=lo,
        hi=hi,
        score=float(
            r.number(r.get(objective, "value", "objective.value"), "objective.value", nan=True)
        ),
        metric=saved_metric(metric_text, "objective.metric", maximize),
        maximize=maximize,
        tp=cells["positive", "tp"],
        fp=cells["positive", "fp"],
        tn=cells["negative", "tn"],
        fn=cells["negative", "fn"],
        abstained_positive=cells["abstain", "positive"],
        abstained_negative=cells["abstain", "negative"],
        abstain_cost=abstain_cost,
        budget=budget,
        constraints=tuple(
            saved_constraint(c, "constraints")
            for c in r.list(r.get(data, "constraints", "constraints"), "constraints")
        ),
        ties=ties,
        metrics=metrics,
        rule=rule,
        n_samples=n_samples,
        n_positive=n_pos,
        n_negative=n_neg,
        weighted=weighted,
        positive_label=positive,
        negative_label=negative,
        abstain_label=abstain,
        algorithm=r.text(data.get("algorithm", "given"), "algorithm", 40),
        references=references,
        version=r.text(data.get("cutpoints_version", ""), "cutpoints_version", 200),
    )


_BUDGET_KINDS = ("coverage", "abstain_rate", "max_abstained")


# ---------------------------------------------------------------------------- Chow
def chow_band(
    cost_fp: float,
    cost_fn: float,
    abstain_cost: float,
    *,
    cost_tp: float = 0.0,
    cost_tn: float = 0.0,
) -> tuple[float, float]:
    """Chow's rule: the cost-optimal reject band for calibrated probabilities.

    With ``p`` the probability of the positive class, deciding positive costs
    ``p·c_tp + (1 - p)·c_fp`` in expectation, negative ``p·c_fn + (1 - p)·c_tn``, and
    abstaining ``abstain_cost``. Each row takes the cheapest: positive iff
    ``p >= hi = (c_fp - a) / (c_fp - c_tp)``, negative iff ``p < lo = (a - c_tn) /
    (c_fn - c_tn)``, abstain between. When ``lo >= hi`` abstaining never pays and both
    are the Bayes threshold ``(c_fp - c_tn) / ((c_fp - c_tn) + (c_fn - c_tp))``.

    Returns
    -------
    (lo, hi) : tuple of float
        Clipped to [0, 1].

    Examples
    --------
    >>> import cutpoints as cp
    >>> cp.chow_band(cost_fp=1, cost_fn=1, abstain_cost=0.2)
    (0.2, 0.8)
    >>> cp.chow_band(cost_fp=1, cost_fn=1, abstain_cost=0.6)  # abstaining never pays
    (0.5, 0.5)
    """
    c_fp, c_fn, a = float(cost_fp), float(cost_fn), float(abstain_cost)
    c_tp, c_tn = float(cost_tp), float(cost_tn)
    if not (c_fp > c_tn and c_fn > c_tp):
        msg = (
            "chow_band needs each error to cost more than the correct decision "
            f"(got cost_fp={cost_fp!r}, cost_tn={cost_tn!r}, cost_fn={cost_fn!r}, "
            f"cost_tp={cost_tp!r})"
        )
        raise InvalidParameterError(msg)
    bayes = (c_fp - c_tn) / ((c_fp - c_tn) + (c_fn - c_tp))
    hi = (c_fp - a) / (c_fp - c_tp) if c_fp > c_tp else 1.0
    lo = (a - c_tn) / (c_fn - c_tn)
    if lo >= hi:
        return bayes, bayes
    return min(max(lo, 0.0), 1.0), min(max(hi, 0.0), 1.0)


def _chow_references(metric: BoundMetric, abstain_cost: float | None) -> tuple[Reference, ...]:
    name, p = metric.metric.name, metric.params
    if abstain_cost is None or name not in ("cost", "utility"):
        return ()
    sign = 1.0 if name == "cost" else -1.0
    costs = {k: sign * float(p[k]) for k in ("tp", "fp", "tn", "fn")}
    try:
        lo, hi = chow_band(
            costs["fp"], costs["fn"], abstain_cost, cost_tp=costs["tp"], cost_tn=costs["tn"]
        )
    except InvalidParameterError:
        return ()
    if lo == hi:
        return (
            Reference(
                "bayes",
                lo,
                "abstaining never pays for calibrated probabilities: one threshold, "
                "(c_fp - c_tn) / ((c_fp - c_tn) + (c_fn - c_tp))",
            ),
        )
    return (
        Reference("chow_lo", lo, "negative iff p < (a - c_tn) / (c_fn - c_tn) (Chow 1970)"),
        Reference("chow_hi", hi, "positive iff p >= (c_fp - a) / (c_fp - c_tp) (Chow 1970)"),
    )


# ---------------------------------------------------------------------------- API
def _version() -> str:
    from . import __version__

    return __version__


def _default_abstain(positive: Any, negative: Any) -> Any:
    labels = [positive, negative]
    if all(isinstance(v, str) for v in labels):
        return "abstain" if "abstain" not in labels else "abstain_"
    numeric = all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
        for v in labels
    )
    if numeric:
        for value in (-1, 0, 1, 2):
            if value not in labels:
                return value
    return None


def _band_result(
    curve: ConfusionCurve,
    h: int,
    ell: int,
    *,
    objective: BoundMetric,
    score: float,
    maximize: bool,
    abstain_cost: float | None,
    budget: Budget | None,
    constraints: Sequence[Constraint],
    ties: str,
    abstain_label: Any,
    algorithm: str,
    lo: float | None = None,
    hi: float | None = None,
) -> RejectBand:
    tp = curve.tp[h].item()
    fp = curve.fp[h].item()
    tn = (curve.n_negative - curve.fp[ell]).item()
    fn = (curve.n_positive - curve.tp[ell]).item()
    counts = [np.array([float(v)]) for v in (tp, fp, tn, fn)]
    t_h, t_l = float(curve.thresholds[h]), float(curve.thresholds[ell])
    if lo is None or hi is None:
        lo, hi = (t_l, t_h) if curve.rule == ">=" else (t_h, t_l)
    abstain = (
        _default_abstain(curve.positive_label, curve.negative_label)
        if abstain_label is ...
        else abstain_label
    )
    return RejectBand(
        lo=lo,
        hi=hi,
        score=score,
        metric=objective,
        maximize=maximize,
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        abstained_positive=(curve.tp[ell] - curve.tp[h]).item(),
        abstained_negative=(curve.fp[ell] - curve.fp[h]).item(),
        abstain_cost=abstain_cost,
        budget=budget,
        constraints=tuple(constraints),
        ties=ties,
        metrics=MetricValues(shown_metrics(objective, constraints), counts),
        abstain_label=abstain,
        algorithm=algorithm,
        references=_chow_references(objective, abstain_cost) if curve.probability_like else (),
        version=_version(),
        **curve.provenance(),
    )


def _objective(
    metric: MetricLike, abstain_cost: Any, maximize: bool | None
) -> tuple[BoundMetric, bool, float | None, float, float]:
    """(metric of decided rows, maximize, abstain cost, coef per abstained, 1/n flag)."""
    bound = get_metric(metric)
    if abstain_cost is None:
        direction = bound.greater_is_better if maximize is None else bool(maximize)
        return bound, direction, None, 0.0, 0.0
    cost = _finite_number(abstain_cost, "abstain_cost")
    if cost < 0:
        msg = f"'abstain_cost' must be >= 0 (got {abstain_cost!r})"
        raise InvalidParameterError(msg)
    name = bound.metric.name
    if name not in ("cost", "utility"):
        msg = (
            "'abstain_cost' needs a cost or utility metric, e.g. metric='cost(fp=1, fn=5)' "
            f"(got metric {bound.name!r}); for a metric of the decided rows give "
            "'coverage', 'abstain_rate' or 'max_abstained' instead"
        )
        raise InvalidParameterError(msg)
    if maximize is not None and bool(maximize) != bound.greater_is_better:
        msg = (
            f"'maximize' cannot flip a total {name} with an abstention cost "
            f"(got maximize={maximize!r} for metric {bound.name!r})"
        )
        raise InvalidParameterError(msg)
    normalize = bool(bound.params.get("normalize"))
    raw = bound.metric.bind(**{**bound.params, "normalize": False})
    raw = BoundMetric(raw.metric, raw.params, bound.name)
    coef = cost if name == "cost" else -cost
    return raw, bound.greater_is_better, cost, coef, 1.0 if normalize else 0.0


def select_reject_band(
    curve: ConfusionCurve,
    *,
    metric: MetricLike = "f1",
    coverage: float | None = None,
    abstain_rate: float | None = None,
    max_abstained: float | None = None,
    abstain_cost: float | None = None,
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    maximize: bool | None = None,
    ties: str = "highest",
    abstain_label: Any = ...,
) -> RejectBand:
    """The best reject band on an existing curve (no new sort).

    Parameters are those of :func:`find_reject_band`.
    """
    check_choice(ties, "ties", TIE_RULES)
    budget = _budget(coverage, abstain_rate, max_abstained)
    objective, direction, cost, coef, normalize = _objective(metric, abstain_cost, maximize)
    if budget is None and cost is None:
        msg = (
            "a reject band needs what abstaining costs or how much may be abstained: give "
            "'coverage' (e.g. 0.9), 'abstain_rate', 'max_abstained' or, with a cost "
            "metric, 'abstain_cost'"
        )
        raise InvalidParameterError(msg)
    cons = tuple(as_constraints(constraints))
    if not (curve.n_positive > 0 and curve.n_negative > 0):
        present = "positive" if curve.n_positive else "negative"
        msg = (
            f"'y_true' holds only one class (every row with weight is {present}); a "
            "reject band needs both classes"
        )
        raise InvalidLabelsError(msg)
    tp = np.asarray(curve.tp, dtype=np.float64)
    fp = np.asarray(curve.fp, dtype=np.float64)
    n = float(curve.n_positive + curve.n_negative)
    source = Counts(tp, fp, curve.n_positive, curve.n_negative, curve.thresholds)
    hmask = np.ones(len(tp), dtype=bool)
    lmask = np.ones(len(tp), dtype=bool)
    pair_constraints: list[Constraint] = []
    for c in cons:
        side = _sides(c.metric)
        if side in ("hi", "lo"):
            mask = c.mask(c.metric(tp, fp, curve.n_negative - fp, curve.n_positive - tp))
            if not mask.any():
                sel = _select_rows(source, c.metric, [c])
                raise _band_infeasible(c, sel.error())
            (hmask if side == "hi" else lmask)[:] &= mask
        elif side == "both":
            pair_constraints.append(c)
    problem = _Problem(
        tp=tp,
        fp=fp,
        n_positive=float(curve.n_positive),
        n_negative=float(curve.n_negative),
        objective=objective,
        maximize=direction,
        abstain_coef=coef,
        divide_by=n if normalize else 1.0,
        budget=budget,
        hmask=hmask,
        lmask=lmask,
        pair_constraints=tuple(pair_constraints),
        with_cost=cost is not None,
    )
    choice, algorithm = _solve(problem)
    if choice.status != "ok":
        raise _band_error(choice, problem, cons)
    h, ell = _tie_break(choice, problem, ties)
    return _band_result(
        curve,
        h,
        ell,
        objective=get_metric(metric) if cost is not None else objective,
        score=choice.best,
        maximize=direction,
        abstain_cost=cost,
        budget=budget,
        constraints=cons,
        ties=ties,
        abstain_label=abstain_label,
        algorithm=algorithm,
    )


def _solve(problem: _Problem) -> tuple[_Choice, str]:
    """Dispatch to the fastest exact algorithm the objective allows (module notes)."""
    coefs = _linear(problem.objective)
    if problem.pair_constraints:
        return _solve_pairs(problem)
    if coefs is not None:
        return _solve_separable(problem, coefs)
    signs = _signs(problem.objective)
    if signs is not None:
        good = [None if s is None else (s if problem.maximize else -s) for s in signs]
        if good[2] is not None and good[3] is not None and good[2] <= 0 and good[3] <= 0:
            return _solve_monotone(problem, "lo")
        if good[0] is not None and good[1] is not None and good[0] <= 0 and good[1] <= 0:
            return _solve_monotone(problem, "hi")
    fractional = _fractional(problem.objective)
    if fractional is not None:
        return _solve_fractional(problem, *fractional)
    return _solve_pairs(problem)


def _band_infeasible(constraint: Constraint, error: Exception) -> InfeasibleConstraintError:
    detail = str(error)
    closest = getattr(error, "closest", None)
    msg = f"no reject band satisfies '{constraint}' on its decided rows: {detail}"
    return InfeasibleConstraintError(msg, closest)


def _band_error(choice: _Choice, problem: _Problem, cons: tuple[Constraint, ...]) -> Exception:
    if choice.status == "undefined":
        undefined = problem.objective.metric.undefined or "its denominator is 0"
        where = " where the constraints hold" if cons else ""
        msg = (
            f"metric '{problem.objective.name}' of the decided rows is undefined for "
            f"every reject band{where} (it is NaN when {undefined})"
        )
        return UndefinedMetricError(msg)
    shown = ", ".join(f"'{c}'" for c in cons) or "the constraints"
    msg = (
        f"no reject band satisfies {shown} together on its decided rows within the "
        "abstention budget; loosen a constraint or allow more abstentions"
    )
    return InfeasibleConstraintError(msg)


def find_reject_band(
    y_true: Any,
    y_score: Any,
    *,
    metric: MetricLike = "f1",
    coverage: float | None = None,
    abstain_rate: float | None = None,
    max_abstained: float | None = None,
    abstain_cost: float | None = None,
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    maximize: bool | None = None,
    ties: str = "highest",
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
    abstain_label: Any = ...,
) -> RejectBand:
    """Two thresholds: decide the confident rows, send the uncertain middle to review. Exact.

    Positive iff ``score >= hi``, negative iff ``score < lo``, abstain in between. Every
    pair of candidate thresholds (every distinct score and ``+inf``) is a candidate;
    the answer is the exact optimum over all of them (see the module notes for which
    algorithm each objective gets, and why it is faster than trying every pair).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels, as for :func:`cutpoints.find_cutpoint`.
    y_score : array-like of shape (n_samples,)
        Finite scores; higher means more likely positive (see ``rule``).
    metric : str, Metric or callable, default='f1'
        Without ``abstain_cost``: the metric of the decided rows to optimize (``"f1"``,
        ``"accuracy"``, ``"precision"``, ``"balanced_accuracy"``, ...). With it: a
        ``cost(...)`` (or ``utility(...)``) metric whose total, plus ``abstain_cost`` per
        abstained row, is minimized (maximized).
    coverage : float in (0, 1], optional
        Decide at least this share of the (weighted) rows.
    abstain_rate : float in [0, 1), optional
        Abstain on at most this share.
    max_abstained : float, optional
        Abstain on at most this many (weighted) rows: a review queue's capacity.
    abstain_cost : float >= 0, optional
        The cost of sending one row to review, in the units of the cost metric.
    constraints : str or list, optional
        Bounds on metrics of the decided rows, e.g. ``"precision >= 0.95"`` (of the rows
        decided positive) or ``"npv >= 0.99"`` (of those decided negative).
    maximize : bool, optional
        Override the metric's direction (not with ``abstain_cost``).
    ties : {'highest', 'lowest', 'median'}, default='highest'
        Among optimal bands, the one abstaining least is chosen; among those, the one
        deciding fewest rows positive ('highest' positive threshold), most, or the
        median.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative row weights; counts, coverage and abstentions become weighted.
    pos_label : object, optional
        The positive class when labels are not {0, 1}, {-1, 1} or boolean.
    rule : {'>=', '<='}, default='>='
        ``'<='`` when lower scores mean positive: positive iff score <= lo, negative iff
        score > hi.
    abstain_label : object, optional
        What :meth:`RejectBand.predict` returns for abstained rows: by default -1 for
        numeric labels (0 if -1 is a label), ``"abstain"`` for text labels.

    Returns
    -------
    RejectBand
        ``lo``, ``hi``, ``score``, the counts of the three outcomes, ``coverage``,
        ``predict``/``decide`` for new scores, ``to_json``/``save``.

    Raises
    ------
    InvalidParameterError
        No budget and no abstention cost, several budgets, ``coverage`` outside (0, 1],
        ``abstain_cost`` with a metric that is not a cost.
    InfeasibleConstraintError
        No band satisfies the constraints.

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [0, 0, 0, 1, 0, 1, 1, 0, 1, 1]
    >>> s = [0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9]
    >>> band = cp.find_reject_band(y, s, metric="accuracy", coverage=0.7)
    >>> band.lo, band.hi, band.score, band.coverage
    (0.3, 0.5, 0.875, 0.8)
    >>> band.counts["abstain"]
    {'positive': 1, 'negative': 1}
    >>> band.predict([0.1, 0.4, 0.95]).tolist()
    [0, -1, 1]
    >>> cost = cp.find_reject_band(y, s, metric="cost(fp=1, fn=1)", abstain_cost=0.3)
    >>> cost.lo, cost.hi, cost.score, cost.n_abstained
    (0.3, 0.8, 1.5, 5)
    """
    from ._api import confusion_curve

    curve = confusion_curve(
        y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule
    )
    return select_reject_band(
        curve,
        metric=metric,
        coverage=coverage,
        abstain_rate=abstain_rate,
        max_abstained=max_abstained,
        abstain_cost=abstain_cost,
        constraints=constraints,
        maximize=maximize,
        ties=ties,
        abstain_label=abstain_label,
    )


def evaluate_reject_band(
    y_true: Any,
    y_score: Any,
    *,
    lo: float,
    hi: float,
    metric: MetricLike = "f1",
    abstain_cost: float | None = None,
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Rule = ">=",
    abstain_label: Any = ...,
) -> RejectBand:
    """The counts and objective of a given band (e.g. Chow's band, or one from a colleague).

    Parameters
    ----------
    lo, hi : float
        The band, ``lo <= hi`` (any values, observed or not).
    metric, abstain_cost
        As in :func:`find_reject_band`; ``score`` is that objective at the band.

    Examples
    --------
    >>> import cutpoints as cp
    >>> band = cp.evaluate_reject_band([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], lo=0.3, hi=0.5)
    >>> band.counts["positive"], band.counts["negative"], band.counts["abstain"]
    ({'tp': 1, 'fp': 0}, {'tn': 1, 'fn': 0}, {'positive': 1, 'negative': 1})
    """
    from ._api import confusion_curve

    lo_v, hi_v = _finite_or_inf(lo, "lo"), _finite_or_inf(hi, "hi")
    if lo_v > hi_v:
        msg = f"'lo' must be <= 'hi' (got lo={lo!r}, hi={hi!r})"
        raise InvalidParameterError(msg)
    objective, direction, cost, coef, normalize = _objective(metric, abstain_cost, None)
    curve = confusion_curve(
        y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule
    )
    pos_t, neg_t = (hi_v, lo_v) if rule == ">=" else (lo_v, hi_v)
    # "not negative" is score >= lo (">=") or score <= hi ("<="): a curve row either way.
    h, ell = (int(r) for r in curve.rows_at([pos_t, neg_t]))
    tp, fp = np.asarray(curve.tp, np.float64), np.asarray(curve.fp, np.float64)
    n = float(curve.n_positive + curve.n_negative)
    problem = _Problem(
        tp, fp, float(curve.n_positive), float(curve.n_negative), objective, direction,
        coef, n if normalize else 1.0, None, np.ones(len(tp), bool),
        np.ones(len(tp), bool), (), cost is not None,
    )  # fmt: skip
    score = float(problem.values(np.array([h]), np.array([ell]))[0])
    return _band_result(
        curve,
        h,
        ell,
        objective=get_metric(metric) if cost is not None else objective,
        score=score,
        maximize=direction,
        abstain_cost=cost,
        budget=None,
        constraints=(),
        ties="highest",
        abstain_label=abstain_label,
        algorithm="given",
        lo=lo_v,
        hi=hi_v,
    )


def _finite_or_inf(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        msg = f"'{name}' must be a number (got {value!r})"
        raise InvalidParameterError(msg)
    number = float(value)
    if math.isnan(number):
        msg = f"'{name}' must not be NaN (got {value!r})"
        raise InvalidParameterError(msg)
    return number
