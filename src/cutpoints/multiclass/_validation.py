"""Checks at the edge for multiclass inputs: probability matrices, labels, classes."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .._validation import _to_numpy, as_1d, check_weights
from ..errors import InvalidInputError, InvalidLabelsError, InvalidParameterError

__all__ = ["check_classes", "check_proba", "label_values"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: How far a row of probabilities may be from summing to 1 (float32 softmax outputs
#: round to about 1e-7 a row; anything beyond this is not a probability vector).
SUM_TOLERANCE = 1e-4


def check_proba(
    values: Any,
    name: str = "y_proba",
    *,
    normalize: bool = False,
    n_classes: int | None = None,
    check_sums: bool = True,
) -> FloatArray:
    """An (n, K) float64 matrix of class probabilities, or a clear error.

    Finite, non-negative, K >= 2 columns, and each row summing to 1 (within
    :data:`SUM_TOLERANCE`), unless ``normalize=True``: then each row is divided by its
    sum (rows of any non-negative scores; a row summing to 0 is an error), or
    ``check_sums=False``: then rows are used as given.
    """
    if values is None:
        msg = f"'{name}' is required (got None)"
        raise InvalidInputError(msg)
    array = _to_numpy(values, name)
    if array.ndim != 2:
        msg = (
            f"'{name}' must be a 2-D array of shape (n_samples, n_classes) "
            f"(got shape {array.shape})"
        )
        raise InvalidInputError(msg)
    if array.shape[0] == 0:
        msg = f"'{name}' must not be empty (got 0 rows)"
        raise InvalidInputError(msg)
    if array.shape[1] < 2:
        msg = f"'{name}' must have a column per class, at least 2 (got {array.shape[1]})"
        raise InvalidInputError(msg)
    if n_classes is not None and array.shape[1] != n_classes:
        msg = f"'{name}' must have {n_classes} columns, one per class (got {array.shape[1]})"
        raise InvalidInputError(msg)
    if array.dtype.kind == "b" or array.dtype.kind not in "iuf":
        msg = f"'{name}' must be numeric (got dtype {array.dtype})"
        raise InvalidInputError(msg)
    proba = array.astype(np.float64, copy=False)
    finite = np.isfinite(proba)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        msg = f"'{name}' must be finite (got {float(proba[i, j])!r} at [{i}, {j}])"
        raise InvalidInputError(msg)
    if (proba < 0).any():
        i, j = np.argwhere(proba < 0)[0]
        got = float(proba[i, j])
        msg = f"'{name}' must be non-negative probabilities (got {got!r} at [{i}, {j}])"
        raise InvalidInputError(msg)
    if not (check_sums or normalize):
        return proba
    sums = proba.sum(axis=1)
    if normalize:
        if not (sums > 0).all():
            i = int(np.flatnonzero(~(sums > 0))[0])
            msg = f"'{name}' row {i} sums to 0 and cannot be normalized"
            raise InvalidInputError(msg)
        return proba / sums[:, None]  # type: ignore[no-any-return]
    off = np.abs(sums - 1.0) > SUM_TOLERANCE
    if off.any():
        i = int(np.flatnonzero(off)[0])
        msg = (
            f"'{name}' rows must sum to 1 (row {i} sums to {float(sums[i])!r}; "
            f"{int(off.sum())} rows in all); pass normalize=True to divide each row by its sum"
        )
        raise InvalidInputError(msg)
    return proba


def label_values(values: Any, name: str = "y_true") -> np.ndarray:
    """Class labels as a 1-D array, refusing missing values."""
    array = as_1d(values, name)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        i = int(np.flatnonzero(~np.isfinite(array))[0])
        msg = f"'{name}' must not contain NaN or infinity (got {array[i]!r} at index {i})"
        raise InvalidLabelsError(msg)
    if array.dtype.kind == "O" and any(v is None for v in array):
        i = next(i for i, v in enumerate(array) if v is None)
        msg = f"'{name}' must not contain missing values (got None at index {i})"
        raise InvalidLabelsError(msg)
    return array


def check_classes(
    y_true: Any, classes: Any, n_columns: int, *, name: str = "y_true"
) -> tuple[IntArray, np.ndarray]:
    """The class index of each row, and the classes (one per column of the scores).

    Without ``classes`` they are the sorted distinct labels (scikit-learn's
    ``classes_``), which must be one per column. Every label must be a class, and every
    class must occur in ``y_true``: a class without rows cannot be tuned.
    """
    y = label_values(y_true, name)
    try:
        present, inverse = np.unique(y, return_inverse=True)
    except TypeError as exc:
        msg = f"'{name}' holds values of mixed types that cannot be compared ({exc})"
        raise InvalidLabelsError(msg) from None
    if classes is None:
        if len(present) != n_columns:
            msg = (
                f"'{name}' has {len(present)} classes ({_shown(present)}) but the "
                f"probabilities have {n_columns} columns; pass classes=[...] naming the "
                "class of each column"
            )
            raise InvalidLabelsError(msg)
        cls = present
    else:
        cls = np.asarray(_to_numpy(classes, "classes"))
        if cls.ndim != 1 or len(cls) != n_columns:
            msg = (
                f"'classes' must name one class per column ({n_columns}) "
                f"(got {len(cls) if cls.ndim == 1 else cls.shape})"
            )
            raise InvalidParameterError(msg)
        if len(set(cls.tolist())) != len(cls):
            msg = f"'classes' must not repeat a class (got {cls.tolist()!r})"
            raise InvalidParameterError(msg)
        unknown = [v for v in present.tolist() if v not in set(cls.tolist())]
        if unknown:
            msg = f"'{name}' holds {unknown[0]!r}, which is not one of 'classes' {cls.tolist()!r}"
            raise InvalidLabelsError(msg)
        absent = [v for v in cls.tolist() if v not in set(present.tolist())]
        if absent:
            msg = (
                f"class {absent[0]!r} of 'classes' never occurs in '{name}'; tuning a "
                "decision for it needs rows of it (drop its column, or add examples)"
            )
            raise InvalidLabelsError(msg)
    if classes is None:
        return inverse.astype(np.int64).ravel(), cls
    # present[inverse] is y: map each distinct label to its column once.
    lookup = {v: i for i, v in enumerate(cls.tolist())}
    columns = np.array([lookup[v] for v in present.tolist()], dtype=np.int64)
    return columns[inverse.ravel()], cls


def _shown(values: np.ndarray) -> str:
    items = [repr(v) for v in values[:6].tolist()]
    return ", ".join(items) + (", ..." if len(values) > 6 else "")


def check_sample_weight(sample_weight: Any, n: int) -> FloatArray | None:
    """Weights as float64 (None for unit weights), checked like the binary ones."""
    if sample_weight is None:
        return None
    return np.asarray(check_weights(sample_weight, n), dtype=np.float64)
