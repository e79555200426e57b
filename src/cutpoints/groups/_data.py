"""Rows split by group: validated once, partitioned by one counting sort, one curve per group.

The groups are encoded as small integer codes, the rows are ordered by code with one
stable counting sort (numpy's radix sort for 16-bit codes), and each group's scores are
then sorted on their own by the exact sort engine. Together that is the work of one sort
of (group, score) keys: no sweep over all rows per group.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._api import _Columns, _columns
from .._curve import ConfusionCurve
from .._validation import as_1d, check_consistent_length
from .._values import value_curve
from ..engines import get_engine
from ..engines._sort import sweep_with_extra
from ..errors import InvalidInputError
from . import _kernels

__all__ = [
    "GroupedCurves",
    "GroupedInput",
    "curves_of",
    "encode_groups",
    "group_curves",
    "grouped_input",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GroupedCurves:
    """One exact confusion curve per group, groups in sorted order of their labels."""

    labels: tuple[Any, ...]
    curves: tuple[ConfusionCurve, ...]
    columns: _Columns


def _plain(value: Any) -> Any:
    """A group label as a plain Python value (numpy scalars become int/float/str/bool)."""
    return value.item() if isinstance(value, np.generic) else value


def encode_groups(
    groups: Any, n_rows: int, name: str = "groups"
) -> tuple[tuple[Any, ...], IntArray]:
    """Sorted distinct labels and each row's code into them; refuses NaN and None labels.

    Integer labels in a compact range are coded by their offset from the lowest (linear
    time: one compiled scan where numba runs, else a min, a max and a bincount); text
    labels by ``pandas.factorize`` (:data:`FACTORIZE_MIN_ROWS`); other labels by
    ``np.unique`` (a sort). Every path gives the same labels, order and codes.
    """
    array = as_1d(groups, name)
    check_consistent_length(y_score=np.empty(n_rows), **{name: array})
    if array.size == 0:
        msg = f"'{name}' must not be empty"
        raise InvalidInputError(msg)
    if array.dtype.kind == "f":
        bad = np.isnan(array)
        if bad.any():
            i = int(np.argmax(bad))
            msg = f"'{name}' must not hold NaN group labels (got NaN at row {i})"
            raise InvalidInputError(msg)
    elif array.dtype.kind == "O":
        missing = [i for i, v in enumerate(array) if v is None or (isinstance(v, float) and v != v)]
        if missing:
            i = missing[0]
            msg = f"'{name}' must not hold missing group labels (got {array[i]!r} at row {i})"
            raise InvalidInputError(msg)
        kinds = {type(v) for v in array}
        if len(kinds) > 1:
            names = sorted(k.__name__ for k in kinds)
            msg = f"'{name}' must hold labels of one type (got {', '.join(names)})"
            raise InvalidInputError(msg)
    # uint64 labels past int64's range would wrap in the offset coding: np.unique below.
    wraps = array.dtype == np.uint64 and array.size and int(array.max()) > _INT64_MAX
    if array.dtype.kind in "iub" and not wraps:
        values = array.astype(np.int64, copy=False)
        low, present = _int_presence(values)
        if present is not None:
            shifted = values - low if low else values
            # Every value of the range present: the code is the value less the lowest.
            codes = shifted if present.all() else (np.cumsum(present) - 1)[shifted]
            distinct = np.flatnonzero(present) + low
            # Plain Python values in one call (as _plain gives them one by one).
            labels = tuple(distinct.astype(array.dtype).tolist())
            if array.dtype.kind == "b":
                labels = tuple(bool(v) for v in distinct)
            return labels, codes.astype(np.int64, copy=False)
    text = array.dtype.kind == "U" or (array.dtype.kind == "O" and isinstance(array[0], str))
    if text and _factorize_wanted(array.size):
        coded = _factorize(array)
        if coded is not None:
            return coded
    try:
        distinct_values, codes = np.unique(array, return_inverse=True)
    except TypeError:
        msg = f"'{name}' must hold labels that can be sorted (got {array[:3].tolist()!r}...)"
        raise InvalidInputError(msg) from None
    return tuple(_plain(v) for v in distinct_values), codes.astype(np.int64, copy=False)


_INT64_MAX = int(np.iinfo(np.int64).max)

#: Text labels from this many rows are coded by ``pandas.factorize`` when pandas is
#: installed (a hash table, then a sort of the distinct labels only: at 1e6 rows about
#: 4x faster than numpy's sort for numpy strings, 70x for Python strings); below it,
#: only when pandas is already imported (its import costs more than the sort).
FACTORIZE_MIN_ROWS = 50_000


def _factorize_wanted(n_rows: int) -> bool:
    return n_rows >= FACTORIZE_MIN_ROWS or "pandas" in sys.modules


def _factorize(array: np.ndarray) -> tuple[tuple[Any, ...], IntArray] | None:
    """Sorted distinct text labels and each row's code, as ``np.unique`` gives them
    (the same order: by code point); None without pandas."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is in the test environment
        return None
    codes, distinct = pd.factorize(array, sort=True)
    return tuple(str(v) for v in distinct), np.asarray(codes, dtype=np.int64)


#: Integer labels are coded by their offset from the lowest when their range is at most
#: this, or 4 labels a row: linear time, no sort.
_COMPACT_RANGE = 1 << 16


def _int_presence(values: IntArray) -> tuple[int, npt.NDArray[np.bool_] | None]:
    """The lowest label, and which of ``low .. high`` occur; None when the range is too
    wide to code by offset (``np.unique`` codes them instead).

    Compiled (:func:`~cutpoints.groups._kernels.int_scan`: one pass, labels in
    ``[0, 2**16)`` guessed, a second pass only when the guess misses) where numba runs
    the counting passes; else numpy's min, max and bincount, the oracle.
    """
    n = len(values)
    if _kernels.worthwhile(n):
        low, high, seen = _kernels.int_scan(values, 0, _COMPACT_RANGE)
        if high - low > max(4 * n, _COMPACT_RANGE):
            return low, None
        if not (low >= 0 and high < _COMPACT_RANGE):  # the guessed window missed
            low, high, seen = _kernels.int_scan(values, low, high - low + 1)
            return low, seen
        return low, seen[low : high + 1]
    low, high = int(values.min()), int(values.max())
    if high - low > max(4 * n, _COMPACT_RANGE):
        return low, None
    shifted = values - low if low else values
    return low, np.bincount(shifted, minlength=high - low + 1) > 0


def group_curves(
    y_true: Any,
    y_score: Any,
    groups: Any,
    *,
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Any = ">=",
    values: Any = None,
) -> GroupedCurves:
    """Validate the input and build every group's exact confusion curve.

    With per-row ``values`` each curve also carries its group's value columns
    (``curve.values``), summed in the same per-group sort as the counts.
    """
    data = grouped_input(
        y_true,
        y_score,
        groups,
        sample_weight=sample_weight,
        pos_label=pos_label,
        rule=rule,
        values=values,
    )
    return curves_of(data)


@dataclass(frozen=True)
class GroupedInput:
    """The validated columns, the sorted distinct group labels and each row's code."""

    columns: _Columns
    labels: tuple[Any, ...]
    codes: IntArray


def grouped_input(
    y_true: Any,
    y_score: Any,
    groups: Any,
    *,
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Any = ">=",
    values: Any = None,
) -> GroupedInput:
    """Validate the input once (at the edge) and code the groups."""
    columns = _columns(y_true, y_score, sample_weight, pos_label, rule, "sort", values=values)
    labels, codes = encode_groups(groups, len(columns.score))
    return GroupedInput(columns, labels, codes)


def curves_of(data: GroupedInput) -> GroupedCurves:
    """Every group's exact confusion curve (the sort path)."""
    columns, labels, codes = data.columns, data.labels, data.codes
    n_groups = len(labels)
    # One counting sort by group: radix for 16-bit codes, linear in the rows.
    small = codes.astype(np.uint16) if n_groups <= 1 << 16 else codes
    order = np.argsort(small, kind="stable")
    sizes = np.bincount(codes, minlength=n_groups)
    ends = np.cumsum(sizes)
    score = np.asarray(columns.score, dtype=np.float64)[order]
    positive = columns.is_positive[order]
    weight = None if columns.weight is None else columns.weight[order]
    engine = get_engine("sort")
    names: list[str] = []
    extra: list[FloatArray] = []
    derived: dict[str, tuple[str, float]] = {}
    if columns.values is not None:
        # The value columns (weight * value on the rows of each outcome's class), in
        # the group order, ride along each group's sort as extra cumulative sums.
        names, extra, derived = columns.values.extra_columns(columns.is_positive, columns.weight)
        extra = [column[order] for column in extra]
    curves = []
    start = 0
    for g in range(n_groups):
        stop = int(ends[g])
        w = None if weight is None else weight[start:stop]
        sums: list[FloatArray] = []
        if columns.values is None:
            thresholds, tp, fp = engine.sweep(score[start:stop], positive[start:stop], w)
        else:
            thresholds, tp, fp, sums = sweep_with_extra(
                score[start:stop], positive[start:stop], w, [c[start:stop] for c in extra]
            )
        if columns.rule == "<=":
            thresholds = -thresholds
        curves.append(
            ConfusionCurve(
                thresholds,
                tp,
                fp,
                n_positive=tp[-1].item(),
                n_negative=fp[-1].item(),
                n_samples=stop - start,
                rule=columns.rule,
                weighted=weight is not None,
                positive_label=columns.positive_label,
                negative_label=columns.negative_label,
                values=None
                if columns.values is None
                else value_curve(
                    columns.values,
                    tp,
                    fp,
                    names,
                    sums,
                    n_positive=tp[-1].item(),
                    n_negative=fp[-1].item(),
                    derived=derived,
                ),
            )
        )
        start = stop
    return GroupedCurves(labels, tuple(curves), columns)
