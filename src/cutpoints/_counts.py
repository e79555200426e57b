"""Confusion counts at candidate rows, and metrics evaluated on them in bounded chunks.

The common currency between engines (which produce counts) and selection (which reads
them): anything with ``tp``, ``fp``, ``n_positive`` and ``n_negative`` will do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from ._metrics import BoundMetric

__all__ = ["Column", "Counts", "CountsLike", "column_of", "evaluate_rows", "float_counts"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_CHUNK = 1 << 14  # rows per chunk: temporaries stay small enough to be recycled


class Column(Protocol):
    """A count column: its length, and the values at a slice or an array of rows.

    A numpy array is one; so is a lazily computed column (a bootstrap resample computes
    its counts only at the rows the kernel reads).
    """

    def __len__(self) -> int: ...

    def __getitem__(self, rows: Any, /) -> Any: ...


class CountsLike(Protocol):
    """Anything that yields confusion counts: a ConfusionCurve, a resample, a fold.

    ``tp[i]`` and ``fp[i]`` are the (weighted) true and false positives at row ``i``;
    rows run from the one flagging fewest to the one flagging most, so both never
    decrease. ``n_positive`` and ``n_negative`` are the class totals.
    """

    @property
    def tp(self) -> Column: ...

    @property
    def fp(self) -> Column: ...

    @property
    def n_positive(self) -> Any: ...

    @property
    def n_negative(self) -> Any: ...


@dataclass(frozen=True)
class Counts:
    """Plain confusion counts at candidate rows: the smallest :class:`CountsLike`.

    Attributes
    ----------
    tp, fp : ndarray, shape (n_rows,)
        Counts at each candidate row, non-decreasing along the rows.
    n_positive, n_negative : int or float
        The (weighted) class totals.
    thresholds : ndarray of float64 or None
        The threshold of each row, for messages (optional).
    columns : mapping of str to Column
        Extra columns at the same rows that metrics may read (``"value"``: the total
        value of per-row values; see :attr:`cutpoints.Metric.columns`).
    """

    tp: np.ndarray
    fp: np.ndarray
    n_positive: Any
    n_negative: Any
    thresholds: FloatArray | None = None
    columns: Mapping[str, Column] = field(default_factory=dict)

    def column(self, name: str) -> Column | None:
        """The extra column called ``name``, or None."""
        return self.columns.get(name)


def column_of(source: Any, name: str, metric: BoundMetric) -> Column:
    """The extra column ``name`` of ``source`` that ``metric`` reads; raises if absent.

    A source offers extra columns through a ``column(name)`` method (a curve built with
    ``values=`` has ``"value"``).
    """
    from .errors import MetricError

    getter = getattr(source, "column", None)
    column = getter(name) if callable(getter) else None
    if column is None:
        hint = " (pass values= with the value of each outcome)" if name == "value" else ""
        msg = f"metric '{metric.name}' reads the '{name}' column, which these counts lack{hint}"
        raise MetricError(msg)
    return column  # type: ignore[no-any-return]


def _extra(source: Any, metric: BoundMetric, rows: slice | IntArray) -> dict[str, FloatArray]:
    """The extra columns ``metric`` reads, at ``rows``, as float64."""
    return {
        name: np.asarray(column_of(source, name, metric)[rows], dtype=np.float64)
        for name in metric.columns
    }


def float_counts(
    source: CountsLike, rows: slice | IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(tp, fp, tn, fn) at ``rows`` as float64: the metric contract.

    Exact: counts below 2**53 are exact in float64.
    """
    tp = np.asarray(source.tp[rows], dtype=np.float64)
    fp = np.asarray(source.fp[rows], dtype=np.float64)
    return tp, fp, float(source.n_negative) - fp, float(source.n_positive) - tp


def evaluate_rows(
    source: CountsLike, metric: BoundMetric, rows: IntArray | None = None
) -> FloatArray:
    """``metric`` at ``rows`` of ``source`` (every row by default), in bounded chunks.

    tn and fn are derived per chunk, so no full-length float64 copies of the four count
    columns are made (at 1e8 rows each would be 800 MB). A metric that reads extra
    columns (:attr:`~cutpoints.Metric.columns`) gets them from ``source.column(name)``,
    per chunk too.
    """
    n = len(source.tp) if rows is None else len(rows)
    if n <= _CHUNK:
        at = slice(None) if rows is None else rows
        return metric(*float_counts(source, at), **_extra(source, metric, at))
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, _CHUNK):
        part = slice(start, start + _CHUNK)
        at = part if rows is None else rows[part]
        out[part] = metric(*float_counts(source, at), **_extra(source, metric, at))
    return out
