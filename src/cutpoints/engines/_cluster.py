"""Sources on a cluster: Dask and Spark data reach the histogram engine's driver here.

:func:`source_for` recognizes a Dask or Spark DataFrame, :func:`source_from_arrays` Dask
arrays, without importing either library (a type's module name tells); everything
else gets None, so callers fall through to their in-memory path. The Dask source lives
in :mod:`._dask`, the Spark source in :mod:`._spark`; both answer the driver's questions
(summary, counting passes, candidate rows) with aggregations on the cluster, so only
small per-bin tables and the rows of a few bins travel back.

This module also holds what both share: the summary of pass 0
(:class:`~._source.SourceSummary`) and the checks that turn per-partition facts (distinct
labels, class totals, score range, weight facts) into a validated whole, with errors
that name the user's column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import _MAX_EXACT_INT, _MAX_FLOAT_TOTAL, _MAX_INT_TOTAL, check_target
from ..errors import InvalidInputError, InvalidParameterError
from ._source import SourceSummary

__all__ = ["source_for", "source_from_arrays"]


def _module_of(obj: Any) -> str:
    return type(obj).__module__ or ""


def _is_dask(obj: Any) -> bool:
    return _module_of(obj).split(".")[0] in {"dask", "dask_expr"}


def _is_spark(obj: Any) -> bool:
    # pyspark.sql.DataFrame and the Spark Connect one (pyspark.sql.connect.dataframe).
    return _module_of(obj).startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


def source_for(
    obj: Any,
    *,
    label: str,
    score: str,
    weight: str | None = None,
    pos_label: Any = None,
    rule: str = ">=",
    values: Any = None,
) -> Any:
    """The Source over a Dask or Spark DataFrame's columns, or None for other objects.

    Parameters
    ----------
    obj : object
        A ``dask.dataframe.DataFrame`` or a ``pyspark.sql.DataFrame``; anything else
        returns None.
    label, score : str
        The columns of the binary labels and of the scores.
    weight : str, optional
        The column of non-negative row weights.
    pos_label : object, optional
        The positive class, as for :func:`cutpoints.find_cutpoint`.
    rule : {">=", "<="}
        The engine sees the scores negated for ``"<="``.
    values : dict, optional
        Per-row values, parsed (outcome -> a number or ``(sign, column)``).

    Returns
    -------
    DaskSource or SparkSource or None

    Examples
    --------
    >>> from cutpoints.engines._cluster import source_for
    >>> source_for([1, 2, 3], label="y", score="p") is None
    True
    """
    if rule not in (">=", "<="):
        msg = f"'rule' must be one of ['>=', '<='] (got {rule!r})"
        raise InvalidParameterError(msg)
    if _is_spark(obj):
        from ._spark import SparkSource

        return SparkSource(
            obj,
            label=label,
            score=score,
            weight=weight,
            pos_label=pos_label,
            rule=rule,
            values=values,
        )
    if _is_dask(obj) and hasattr(obj, "columns"):
        from ._dask import DaskSource

        return DaskSource.from_frame(
            obj,
            label=label,
            score=score,
            weight=weight,
            pos_label=pos_label,
            rule=rule,
            values=values,
        )
    return None


def source_from_arrays(
    y: Any,
    s: Any,
    w: Any = None,
    *,
    pos_label: Any = None,
    rule: str = ">=",
    values: Any = None,
) -> Any:
    """The Source over Dask arrays of labels, scores and weights, or None.

    None unless one of ``y``, ``s`` or ``w`` is a Dask collection (array, Series).
    Other inputs are turned into Dask arrays with the scores' chunks. ``values``:
    per-row values as :func:`cutpoints.find_cutpoint` takes them (numbers, Dask
    arrays, or in-memory arrays of one value per row); the source's ``values``
    attribute is then their parsed form (outcome -> a number or ``(1.0, column)``).

    Examples
    --------
    >>> from cutpoints.engines._cluster import source_from_arrays
    >>> source_from_arrays([0, 1], [0.2, 0.7]) is None
    True
    """
    if rule not in (">=", "<="):
        msg = f"'rule' must be one of ['>=', '<='] (got {rule!r})"
        raise InvalidParameterError(msg)
    if not any(_is_dask(x) for x in (y, s, w) if x is not None):
        return None
    from ._dask import DaskSource

    return DaskSource.from_arrays(y, s, w, pos_label=pos_label, rule=rule, values=values)


# ---------------------------------------------------------------------------- pass 0
@dataclass
class PartFacts:
    """Per-partition facts of pass 0; :func:`merge_facts` adds two of them up.

    ``labels`` maps each distinct label value to its row count and weight total (None
    once more than two values were seen: the input is then refused anyway).
    """

    n_rows: int = 0
    low: float = np.inf
    high: float = -np.inf
    n_nan: int = 0
    n_inf: int = 0
    n_missing: int = 0
    labels: dict[Any, tuple[int, Any]] | None = field(default_factory=dict)
    label_sample: list[Any] = field(default_factory=list)
    n_zero_weight: int = 0
    n_negative_weight: int = 0
    n_bad_weight: int = 0  # NaN or infinite
    weight_total: float = 0.0


def merge_facts(a: PartFacts, b: PartFacts) -> PartFacts:
    """The facts of two partitions together (associative: a tree sum of them works)."""
    labels: dict[Any, tuple[int, Any]] | None = None
    if a.labels is not None and b.labels is not None:
        labels = dict(a.labels)
        for value, (rows, weight) in b.labels.items():
            old_rows, old_weight = labels.get(value, (0, 0))
            labels[value] = (old_rows + rows, old_weight + weight)
        if len(labels) > 2:
            labels = None
    sample = list(dict.fromkeys(a.label_sample + b.label_sample))[:_LABELS_KEPT]
    return PartFacts(
        a.n_rows + b.n_rows,
        min(a.low, b.low),
        max(a.high, b.high),
        a.n_nan + b.n_nan,
        a.n_inf + b.n_inf,
        a.n_missing + b.n_missing,
        labels,
        sample,
        a.n_zero_weight + b.n_zero_weight,
        a.n_negative_weight + b.n_negative_weight,
        a.n_bad_weight + b.n_bad_weight,
        a.weight_total + b.weight_total,
    )


_LABELS_KEPT = 11  # distinct label values kept for an error message


def check_columns(columns: list[Any], label: str, score: str, weight: str | None) -> None:
    """Refuse column names the DataFrame does not have (the error lists its columns)."""
    for role, name in (("label", label), ("score", score), ("weight", weight)):
        if name is not None and name not in columns:
            msg = f"'{role}' must be a column of the DataFrame (got {name!r}; columns: {columns!r})"
            raise InvalidParameterError(msg)


def named_value_columns(
    values: Mapping[str, float | tuple[float, str]], columns: list[Any]
) -> list[tuple[str, str]]:
    """(outcome, column) of each ``values`` entry that names a column, refusing a name
    the DataFrame lacks (the message names the outcome key)."""
    named = []
    for key, entry in values.items():
        if not isinstance(entry, tuple):
            continue
        name = entry[1]
        if name not in columns:
            msg = (
                f"'values[\"{key}\"]' must name a column of the DataFrame (got {name!r}; "
                f"the columns are {columns!r})"
            )
            raise InvalidInputError(msg)
        named.append((key, name))
    return named


def check_score_type(kind: str, name: str, dtype: Any) -> None:
    """Refuse a score column that is not numeric (booleans included)."""
    if kind == "b":
        msg = f"'{name}' must be numeric scores (got booleans); pass them as 0/1 if you mean it"
        raise InvalidInputError(msg)
    if kind not in "iuf":
        msg = f"'{name}' must be a numeric column (got dtype {dtype})"
        raise InvalidInputError(msg)


def summarize(
    facts: PartFacts,
    *,
    label: str,
    score: str,
    weight: str | None,
    pos_label: Any,
    label_dtype: Any,
    integer_weights: bool,
    integer_scores: bool = False,
) -> SourceSummary:
    """Validate the merged facts and say what the engine needs; errors name the column."""
    if facts.n_nan or facts.n_inf or facts.n_missing:
        parts = [f"{facts.n_nan} NaN"] if facts.n_nan else []
        parts += [f"{facts.n_inf} infinite"] if facts.n_inf else []
        parts += [f"{facts.n_missing} missing"] if facts.n_missing else []
        msg = (
            f"'{score}' must be finite ({' and '.join(parts)} values in all). "
            "Remove or impute them first."
        )
        raise InvalidInputError(msg)
    if facts.n_rows == 0:
        msg = f"'{score}' must have at least one row (got an empty column)"
        raise InvalidInputError(msg)
    if integer_scores and max(abs(facts.low), abs(facts.high)) > _MAX_EXACT_INT:
        msg = f"'{score}' has integers beyond 2**53 that float64 cannot hold exactly"
        raise InvalidInputError(msg)
    if weight is not None:
        if facts.n_bad_weight:
            msg = f"'{weight}' must be finite (got {facts.n_bad_weight} NaN, missing or infinite)"
            raise InvalidInputError(msg)
        if facts.n_negative_weight:
            msg = (
                f"'{weight}' must be non-negative (got {facts.n_negative_weight} negative weights)"
            )
            raise InvalidInputError(msg)
        if facts.n_zero_weight == facts.n_rows:
            msg = f"'{weight}' must not be all zero (got {facts.n_rows} zero weights)"
            raise InvalidInputError(msg)
        limit = _MAX_INT_TOTAL if integer_weights else _MAX_FLOAT_TOTAL
        if not facts.weight_total <= limit:
            msg = (
                f"'{weight}' must add up to at most {limit:.4g} "
                f"(got a total of {facts.weight_total:.4g}); rescale them"
            )
            raise InvalidInputError(msg)
    # The distinct labels, in the column's own type, go through the in-memory check:
    # the same rules (0/1, -1/1, booleans need no pos_label) and messages.
    values = list(facts.labels) if facts.labels is not None else facts.label_sample
    if any(v is None or (isinstance(v, float) and not np.isfinite(v)) for v in values):
        msg = f"'{label}' must not contain missing values, NaN or infinity"
        raise InvalidInputError(msg)
    sample = np.array(sorted(values, key=_order_key), dtype=label_dtype)
    target = check_target(sample, pos_label, label)
    assert facts.labels is not None  # more than two values were refused just now
    totals = dict(facts.labels)
    use_weights = weight is not None
    positive = [t for v, t in totals.items() if v == target.positive_label]
    negative = [t for v, t in totals.items() if v != target.positive_label]
    n_pos = positive[0][1 if use_weights else 0] if positive else 0
    n_neg = negative[0][1 if use_weights else 0] if negative else 0
    if use_weights and integer_weights:
        n_pos, n_neg = int(n_pos), int(n_neg)
    elif use_weights:
        n_pos, n_neg = float(n_pos), float(n_neg)
    return SourceSummary(
        n_rows=facts.n_rows,
        low=float(facts.low),
        high=float(facts.high),
        n_positive=n_pos,
        n_negative=n_neg,
        weighted=use_weights,
        integer_weights=use_weights and integer_weights,
        zero_weights=facts.n_zero_weight > 0,
        positive_label=target.positive_label,
        negative_label=target.negative_label,
    )


def _order_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)
