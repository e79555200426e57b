"""The reweighting resample engine: a plan sorted once, resamples as draw counts.

The scores are swept once (:func:`cutpoints.confusion_curve`). The plan arranges the rows
by class, then by the curve row holding their score. A bootstrap resample is a draw of
row positions with repetition: ``np.bincount`` of the draws gives each row's count,
and one cumulative sum turns them into the resample's confusion counts at *every* row
of the full data's curve (tp at curve row r is the prefix sum up to the last positive
of row r). No resample is ever sorted.

A :class:`Resample` is a :class:`cutpoints._counts.CountsLike`: the selection kernel reads
its ``tp`` and ``fp`` columns, which are computed only at the rows asked for, so the
kernel's block pruning touches a few thousand rows of a million-row curve, not all of
them. Rows whose score was not drawn are not candidates of the resample (``present``).

Each resample draws from its own generator (a child of ``random_state``), so results
do not depend on batching or on ``n_jobs``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._curve import ConfusionCurve
from .._values import RowValues, ValueCurve, value_curve

__all__ = [
    "Plan",
    "Resample",
    "make_plan",
    "map_batches",
    "out_of_bag",
    "out_of_bag_value",
    "positions",
    "resample_values",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Index = slice | IntArray


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to evaluate resamples: sorted once, shared read-only.

    Rows are arranged by class, then by curve row: ``order`` lists the positive rows
    (``n_pos`` of them) then the negative rows, each by increasing curve row (fewest
    flagged first). A resample is a vector of draw counts over these positions; prefix
    sums of the counts, read at ``pos_end[r]`` / ``neg_end[r]`` (positions with curve row
    <= r), are the resample's tp and fp at curve row ``r``.
    """

    order: IntArray
    weight: FloatArray | IntArray | None  # in ``order``
    n_pos: int
    n_neg: int
    pos_end: IntArray
    neg_end: IntArray
    n_curve: int
    stratified: bool
    integer_counts: bool
    #: Per-row values (``values=``): the validated entries, and each per-row outcome's
    #: column ``weight * value`` (0 on the other class), in ``order``; see
    #: :meth:`cutpoints._values.RowValues.extra_columns`.
    row_values: RowValues | None = None
    value_names: tuple[str, ...] = ()
    value_columns: tuple[FloatArray, ...] = ()
    value_derived: dict[str, tuple[str, float]] | None = None

    def value_ends(self, key: str) -> IntArray:
        """Where outcome ``key``'s class ends at each curve row (positives: tp, fn)."""
        return self.pos_end if key in ("tp", "fn") else self.neg_end


def make_plan(
    curve: ConfusionCurve,
    score: FloatArray,
    is_pos: BoolArray,
    weight: FloatArray | IntArray | None,
    stratified: bool,
    row_values: RowValues | None = None,
) -> Plan:
    """The plan for ``curve``; ``score`` is oriented so that higher flags first.

    (For ``rule="<="`` the caller passes the negated scores.) ``row_values`` adds the
    per-row value columns a resample re-weights like the counts.
    """
    # One stable sort by decreasing score (the only sort); equal scores share a curve
    # row, numbered from 1 as in the curve (row 0 flags nothing).
    by_score = np.argsort(-score, kind="stable")
    ordered = score[by_score]
    rows = np.ones(ordered.size, dtype=np.int64)
    if ordered.size > 1:
        rows[1:] += np.cumsum(ordered[1:] != ordered[:-1])
    if rows.size and rows[-1] != len(curve) - 1:  # pragma: no cover - defensive
        msg = "internal error: the bootstrap plan disagrees with the curve"
        raise AssertionError(msg)
    label = is_pos[by_score]
    pos, neg = by_score[label], by_score[~label]
    every = np.arange(len(curve))
    order = np.concatenate((pos, neg)).astype(np.int64)
    names: list[str] = []
    columns: list[FloatArray] = []
    derived: dict[str, tuple[str, float]] | None = None
    if row_values is not None:
        # The same columns (w * value, same products) the sort engine sums for the curve.
        names, full, derived = row_values.extra_columns(is_pos, weight)
        columns = [c[order] for c in full]
    return Plan(
        order=order,
        weight=None if weight is None else weight[order],
        n_pos=pos.size,
        n_neg=neg.size,
        pos_end=np.searchsorted(rows[label], every, side="right").astype(np.int64),
        neg_end=np.searchsorted(rows[~label], every, side="right").astype(np.int64) + pos.size,
        n_curve=len(curve),
        stratified=stratified,
        integer_counts=curve.tp.dtype.kind == "i",
        row_values=row_values,
        value_names=tuple(names),
        value_columns=tuple(columns),
        value_derived=derived,
    )


def resample_values(
    plan: Plan, counts: np.ndarray, tp: Any, fp: Any, n_pos: Any, n_neg: Any
) -> ValueCurve:
    """The value of each outcome at every curve row of the rows re-weighted by ``counts``.

    A row drawn k times contributes k times its ``weight * value``, exactly as it
    contributes k times its weight to tp or fp: the cumulative sums are those of the
    sort engine on the resample built row by row (equal in exact arithmetic; the
    floating-point sums may differ in the last bits, as any two summation orders do).
    """
    assert plan.row_values is not None
    sums = []
    for key, column in zip(plan.value_names, plan.value_columns, strict=True):
        cum = _cumulative(counts * column, False)
        # A column is 0 on the other class, so no offset is needed for fp and tn.
        sums.append(cum[plan.value_ends(key)])
    return value_curve(
        plan.row_values,
        tp,
        fp,
        list(plan.value_names),
        sums,
        n_positive=n_pos,
        n_negative=n_neg,
        derived=plan.value_derived,
    )


def positions(plan: Plan, seed: np.random.SeedSequence) -> IntArray:
    """The drawn positions (into ``plan.order``) of one resample, with repetition."""
    rng = np.random.default_rng(seed)
    if plan.stratified:
        return np.concatenate(
            (
                rng.integers(0, plan.n_pos, plan.n_pos),
                rng.integers(0, plan.n_neg, plan.n_neg) + plan.n_pos,
            )
        )
    n = plan.n_pos + plan.n_neg
    return rng.integers(0, n, n)


def _cumulative(values: np.ndarray, integer: bool) -> np.ndarray:
    out = np.empty(values.size + 1, dtype=np.int64 if integer else np.float64)
    out[0] = 0
    np.cumsum(values, out=out[1:])
    return out


def _as_rows(key: Index, n: int) -> IntArray:
    return np.arange(n, dtype=np.int64)[key] if isinstance(key, slice) else key


class _Column:
    """One count column of a resample (tp or fp at every curve row), computed on access.

    ``column[rows]`` is ``cum[ends[rows]] - offset``: only the rows asked for are read,
    which is what keeps the kernel's block pruning cheap. ``np.asarray(column)`` gives
    the whole column, so code that needs all of it still gets the right numbers.
    """

    ndim = 1

    def __init__(self, cum: np.ndarray, ends: IntArray, offset: Any) -> None:
        self._cum, self._ends, self._offset = cum, ends, offset

    def __len__(self) -> int:
        return len(self._ends)

    @property
    def shape(self) -> tuple[int]:
        return (len(self._ends),)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._cum.dtype

    def __getitem__(self, key: Index) -> np.ndarray:
        out: np.ndarray = self._cum[self._ends[key]]
        if self._offset:
            out -= self._offset
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[slice(None)]
        return out if dtype is None else out.astype(dtype)


class _Presence:
    """Whether each curve row's score was drawn (row 0, "flag nothing", always is).

    Same access pattern as :class:`_Column`: computed at the rows asked for.
    """

    ndim = 1

    def __init__(self, drawn: np.ndarray, plan: Plan) -> None:
        self._drawn, self._plan = drawn, plan

    def __len__(self) -> int:
        return self._plan.n_curve

    @property
    def shape(self) -> tuple[int]:
        return (self._plan.n_curve,)

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(bool)

    def __getitem__(self, key: Index) -> BoolArray:
        rows = _as_rows(key, self._plan.n_curve)
        prev = np.maximum(rows - 1, 0)
        pe, ne, d = self._plan.pos_end, self._plan.neg_end, self._drawn
        out: BoolArray = ((d[pe[rows]] - d[pe[prev]]) + (d[ne[rows]] - d[ne[prev]])) > 0
        out[rows == 0] = True
        return out

    def copy(self) -> BoolArray:
        return self[slice(None)]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[slice(None)]
        return out if dtype is None else out.astype(dtype)


class Resample:
    """One resample's confusion counts on the full data's curve rows: a CountsLike.

    Attributes
    ----------
    tp, fp : column, shape (n_curve,)
        Index them with rows (an int array or a slice) to get counts; ``np.asarray``
        gives the whole column.
    n_positive, n_negative : int or float
        The resample's (weighted) class totals.
    present : column of bool, shape (n_curve,)
        Whether the score of each curve row was drawn: the rows the resample's own
        curve has (the others repeat the counts of the row before them).
    counts : ndarray of int64, shape (n_samples,)
        How often each plan position was drawn (0: out of bag).
    """

    def __init__(self, plan: Plan, seed: np.random.SeedSequence) -> None:
        n = plan.n_pos + plan.n_neg
        counts = np.bincount(positions(plan, seed), minlength=n)
        weighted = counts if plan.weight is None else counts * plan.weight
        cum = _cumulative(weighted, plan.integer_counts)
        drawn = _cumulative(counts, True) if plan.weight is not None else cum
        self.plan = plan
        self.counts = counts
        self.n_positive: Any = cum[plan.n_pos]
        self.n_negative: Any = cum[-1] - cum[plan.n_pos]
        self.tp = _Column(cum, plan.pos_end, 0)
        self.fp = _Column(cum, plan.neg_end, cum[plan.n_pos])
        self.present = _Presence(drawn, plan)
        self.values: ValueCurve | None = None
        if plan.row_values is not None:
            self.values = resample_values(
                plan, counts, self.tp, self.fp, self.n_positive, self.n_negative
            )

    def column(self, name: str) -> ValueCurve | None:
        """The extra column ``name`` (``"value"``: the total value), or None."""
        return self.values if name == "value" else None

    def out_of_bag(self, row: int) -> tuple[Any, Any, Any, Any]:
        """(tp, fp, P, N) of the rows never drawn, flagging at curve row ``row``."""
        return out_of_bag(self.plan, self.counts, row)

    def out_of_bag_value(self, row: int) -> float:
        """The total value of the rows never drawn, flagging at curve row ``row``."""
        return out_of_bag_value(self.plan, self.counts, row)


def out_of_bag_value(plan: Plan, counts: np.ndarray, row: int) -> float:
    """The total value of the rows never drawn (``counts == 0``) at curve row ``row``."""
    left = (counts == 0).astype(np.int64)
    o_tp, o_fp, o_pos, o_neg = out_of_bag(plan, counts, row)
    last = plan.n_curve - 1
    sums = []
    for key, column in zip(plan.value_names, plan.value_columns, strict=True):
        cum = _cumulative(left * column, False)
        ends = plan.value_ends(key)
        sums.append(np.array([cum[ends[row]], cum[ends[last]]]))
    assert plan.row_values is not None
    # Two rows: the chosen one and "flag everything" (the class totals of fn and tn).
    curve = value_curve(
        plan.row_values,
        np.array([o_tp, o_pos]),
        np.array([o_fp, o_neg]),
        list(plan.value_names),
        sums,
        n_positive=o_pos,
        n_negative=o_neg,
        derived=plan.value_derived,
    )
    return float(curve[0:1][0])


def out_of_bag(plan: Plan, counts: np.ndarray, row: int) -> tuple[Any, Any, Any, Any]:
    """(tp, fp, P, N) of the rows never drawn (``counts == 0``), at curve row ``row``."""
    left = counts == 0
    k, a, b = plan.n_pos, plan.pos_end[row], plan.neg_end[row]
    if plan.weight is None:
        return (
            np.count_nonzero(left[:a]),
            np.count_nonzero(left[k:b]),
            np.count_nonzero(left[:k]),
            np.count_nonzero(left[k:]),
        )
    w = plan.weight
    return (
        w[:a][left[:a]].sum(),
        w[k:b][left[k:b]].sum(),
        w[:k][left[:k]].sum(),
        w[k:][left[k:]].sum(),
    )


def replay_batch(plan: Plan, rows: IntArray, seeds: list[np.random.SeedSequence]) -> dict[str, Any]:
    """Counts at ``rows`` of the resamples with ``seeds`` (the same draws again)."""
    tp, fp, n_pos, n_neg, value = [], [], [], [], []
    for seed in seeds:
        r = Resample(plan, seed)
        tp.append(r.tp[rows])
        fp.append(r.fp[rows])
        n_pos.append(r.n_positive)
        n_neg.append(r.n_negative)
        if r.values is not None:
            value.append(r.values[rows])
    out = {
        "tp": np.stack(tp),
        "fp": np.stack(fp),
        "n_pos": np.asarray(n_pos),
        "n_neg": np.asarray(n_neg),
    }
    if value:  # with per-row values: the total value at ``rows`` too
        out["value"] = np.stack(value)
    return out


def _batches(seeds: Sequence[Any], n_jobs: int | None, fine: bool) -> list[Sequence[Any]]:
    workers = 1 if n_jobs in (None, 1) else abs(n_jobs) + 1
    size = max(1, -(-len(seeds) // (4 * workers)))
    if fine:  # a progress bar moves about a hundred times, whatever n_resamples is
        size = min(size, max(1, -(-len(seeds) // 100)))
    return [seeds[i : i + size] for i in range(0, len(seeds), size)]


def map_batches(
    fn: Callable[[Plan, Any, Any], dict[str, Any]],
    plan: Plan,
    arg: Any,
    seeds: Sequence[np.random.SeedSequence],
    n_jobs: int | None,
    advance: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """``fn(plan, arg, batch)`` over batches of seeds, concatenated in seed order.

    Serial for ``n_jobs`` None or 1, else joblib workers. ``advance(k)`` is called as
    each batch of ``k`` resamples finishes (for a progress bar).
    """
    batches = _batches(seeds, n_jobs, advance is not None)
    parts: list[dict[str, Any]] = []
    results: Iterator[dict[str, Any]]
    if n_jobs is None or n_jobs == 1 or len(batches) == 1:
        results = (fn(plan, arg, b) for b in batches)
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(fn)(plan, arg, b) for b in batches
        )
    for batch, part in zip(batches, results, strict=True):
        parts.append(part)
        if advance is not None:
            advance(len(batch))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
