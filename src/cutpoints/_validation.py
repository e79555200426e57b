"""Checks at the edge: every public entry point validates its data here, once.

Engines, metrics and selection trust what leaves this module: 1-D numpy arrays of equal
length, finite float scores, a boolean ``is_positive`` array, and finite non-negative
weights (or ``None`` for unit weights). Every message names the argument and the
offending value; nothing is dropped or coerced silently.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import InvalidInputError, InvalidLabelsError, InvalidParameterError

__all__ = [
    "BinaryTarget",
    "as_1d",
    "check_choice",
    "check_consistent_length",
    "check_scores",
    "check_target",
    "check_weights",
    "check_weights_with_range",
]

_MAX_EXACT_INT = 2**53  # integers beyond this are not exact in float64
_LABELS_SHOWN = 10


def _to_numpy(values: Any, name: str) -> np.ndarray:
    """Convert numpy, list, pandas, polars or pyarrow input to a numpy array."""
    module = type(values).__module__.split(".")[0]
    if module == "pyarrow":
        if hasattr(values, "null_count") and values.null_count:
            msg = f"'{name}' must not contain missing values (got {values.null_count} nulls)"
            raise InvalidInputError(msg)
        if hasattr(values, "num_columns"):  # Table / RecordBatch
            msg = f"'{name}' must be one column, not a table (got {values.num_columns} columns)"
            raise InvalidInputError(msg)
        return np.asarray(values.to_numpy(zero_copy_only=False))
    if module == "polars":
        if hasattr(values, "null_count") and not hasattr(values, "columns"):
            nulls = int(values.null_count())
            if nulls:
                msg = f"'{name}' must not contain missing values (got {nulls} nulls)"
                raise InvalidInputError(msg)
        if hasattr(values, "columns"):
            msg = f"'{name}' must be one column, not a DataFrame (got {values.shape[1]} columns)"
            raise InvalidInputError(msg)
        return np.asarray(values.to_numpy())
    if module == "pandas":
        if hasattr(values, "columns"):
            msg = (
                f"'{name}' must be one column, not a DataFrame "
                f"(got columns {list(values.columns)[:5]!r})"
            )
            raise InvalidInputError(msg)
        if values.isna().any():
            msg = (
                f"'{name}' must not contain missing values (got {int(values.isna().sum())} missing)"
            )
            raise InvalidInputError(msg)
        return np.asarray(values.to_numpy())
    if isinstance(values, (str, bytes)):
        msg = f"'{name}' must be an array of values, not a string (got {values!r:.40})"
        raise InvalidInputError(msg)
    try:
        return np.asarray(values)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        msg = f"'{name}' could not be read as a 1-D array ({exc})"
        raise InvalidInputError(msg) from exc


def as_1d(values: Any, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D numpy array, or raise naming ``name``.

    A column vector of shape ``(n, 1)`` is accepted and flattened, as scikit-learn does.
    """
    if values is None:
        msg = f"'{name}' is required (got None)"
        raise InvalidInputError(msg)
    array = _to_numpy(values, name)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        msg = f"'{name}' must be 1-D (got an array of shape {array.shape})"
        raise InvalidInputError(msg)
    if array.size == 0:
        msg = f"'{name}' must not be empty (got 0 values)"
        raise InvalidInputError(msg)
    return array


def check_consistent_length(**arrays: np.ndarray | None) -> None:
    """Raise if the given arrays differ in length; the message names each one."""
    lengths = {name: len(a) for name, a in arrays.items() if a is not None}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"'{name}' has {n}" for name, n in lengths.items())
        msg = f"inputs must have the same length ({listed})"
        raise InvalidInputError(msg)


def _first_bad(mask: np.ndarray) -> int:
    return int(np.argmax(mask))


def check_scores(values: Any, name: str = "y_score") -> npt.NDArray[np.float64]:
    """Return scores as a finite float64 array, or raise.

    Integers are accepted when float64 holds them exactly (|x| <= 2**53); booleans and
    strings are refused, since a score that is not a number is almost always a mistake
    (a label column passed as scores, say).
    """
    array = as_1d(values, name)
    kind = array.dtype.kind
    if kind == "b":
        msg = f"'{name}' must be numeric scores (got booleans); pass them as 0/1 if you mean it"
        raise InvalidInputError(msg)
    if kind in "iu":
        if array.size and (int(array.max()) > _MAX_EXACT_INT or int(array.min()) < -_MAX_EXACT_INT):
            msg = f"'{name}' has integers beyond 2**53 that float64 cannot hold exactly"
            raise InvalidInputError(msg)
        return array.astype(np.float64)
    if kind == "f":
        # float16/32 widen to float64 exactly, so thresholds stay observed values.
        array = array.astype(np.float64, copy=False)
    elif kind == "O":
        try:
            converted = array.astype(np.float64)
        except (TypeError, ValueError):
            bad = next(i for i, v in enumerate(array) if not _is_number(v))
            msg = f"'{name}' must be numeric (got {array[bad]!r} at index {bad})"
            raise InvalidInputError(msg) from None
        if any(isinstance(v, (bool, np.bool_)) or v is None for v in array):
            bad = next(
                i for i, v in enumerate(array) if v is None or isinstance(v, (bool, np.bool_))
            )
            msg = f"'{name}' must be numeric (got {array[bad]!r} at index {bad})"
            raise InvalidInputError(msg)
        array = converted
    else:
        msg = (
            f"'{name}' must be numeric (got dtype {array.dtype}, e.g. {_python_scalar(array[0])!r})"
        )
        raise InvalidInputError(msg)
    # min and max find any NaN (it propagates) or infinity without an n-length mask;
    # only a failing input pays for the detailed message below.
    if np.isfinite(array.min()) and np.isfinite(array.max()):
        return array
    finite = np.isfinite(array)
    if not finite.all():
        not_finite = ~finite
        first = _first_bad(not_finite)
        n_nan = int(np.isnan(array).sum())
        n_inf = int(not_finite.sum()) - n_nan
        parts = [f"{n_nan} NaN"] if n_nan else []
        parts += [f"{n_inf} infinite"] if n_inf else []
        msg = (
            f"'{name}' must be finite (got {array[first].item()!r} at index {first}; "
            f"{' and '.join(parts)} values in all). Remove or impute them first."
        )
        raise InvalidInputError(msg)
    return array


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def check_weights(
    values: Any, n_samples: int, name: str = "sample_weight", *, as_given: bool = False
) -> npt.NDArray[np.float64] | npt.NDArray[np.int64] | None:
    """Return weights as float64 (or int64 for integer input), or None for unit weights.

    Weights must be finite, non-negative and not all zero. Integer weights stay
    integers so that weighted counts are exact. The caller's array is never changed.

    With ``as_given``, narrow weights (int8 to int32, uint8 to uint32, float32) are
    returned as they are, not widened to a copy (1e8 int32 weights would cost 0.8 GB
    and a pass): for the counting engines, which sum them into int64 or float64 cells
    and widen the few rows they sort. Other dtypes are converted as without it.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints._validation import check_weights
    >>> check_weights(np.array([1, 2, 0], dtype=np.int32), 3).dtype
    dtype('int64')
    >>> check_weights(np.array([1, 2, 0], dtype=np.int32), 3, as_given=True).dtype
    dtype('int32')
    >>> check_weights([1.0, -2.0], 2)
    Traceback (most recent call last):
    ...
    cutpoints.errors.InvalidInputError: 'sample_weight' must be non-negative (got -2.0 at index 1)
    """
    return check_weights_with_range(values, n_samples, name, as_given=as_given)[0]


WeightRange = tuple[int, int]


def check_weights_with_range(
    values: Any, n_samples: int, name: str = "sample_weight", *, as_given: bool = False
) -> tuple[npt.NDArray[np.float64] | npt.NDArray[np.int64] | None, WeightRange | None]:
    """:func:`check_weights`, plus the integer weights' ``(min, max)``, which validation
    takes anyway (None for float weights, or None weights).

    The counting engines need both (a zero weight makes them count rows too; the
    largest bounds the sums their narrow cells hold): handed down, they do not scan the
    weights again.

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints._validation import check_weights_with_range
    >>> weights, bounds = check_weights_with_range(np.array([2, 0, 5], dtype=np.int32), 3)
    >>> weights.tolist(), bounds
    ([2, 0, 5], (0, 5))
    >>> check_weights_with_range([0.5, 1.0], 2)[1] is None
    True
    """
    if values is None:
        return None, None
    array = as_1d(values, name)
    if len(array) != n_samples:
        msg = (
            f"'{name}' must have one weight per row "
            f"('{name}' has {len(array)}, the scores have {n_samples})"
        )
        raise InvalidInputError(msg)
    kind = array.dtype.kind
    if kind == "b":
        msg = f"'{name}' must be numeric (got booleans)"
        raise InvalidInputError(msg)
    bounds = _plain_range(array) if kind in "iuf" and len(array) else None
    if bounds is not None:
        # The common case in two passes, not five: 1e8 weights cost 0.05 s, not 0.3 s.
        return _widened(array, as_given), bounds if kind in "iu" else None
    if kind in "iu":
        if int(array.min()) < 0:
            first = _first_bad(array < 0)
            msg = f"'{name}' must be non-negative (got {array[first].item()!r} at index {first})"
            raise InvalidInputError(msg)
        # copy=False: int64/float64 weights are used in place (1e8 of them are 0.8 GB);
        # nothing downstream writes to them.
        weights: np.ndarray = array.astype(np.int64, copy=False)
    else:
        try:
            weights = array.astype(np.float64, copy=False)
        except (TypeError, ValueError):
            msg = f"'{name}' must be numeric (got dtype {array.dtype})"
            raise InvalidInputError(msg) from None
        finite = np.isfinite(weights)
        if not finite.all():
            first = _first_bad(~finite)
            msg = f"'{name}' must be finite (got {weights[first].item()!r} at index {first})"
            raise InvalidInputError(msg)
        if (weights < 0).any():
            first = _first_bad(weights < 0)
            msg = f"'{name}' must be non-negative (got {weights[first].item()!r} at index {first})"
            raise InvalidInputError(msg)
    if not weights.any():
        msg = f"'{name}' must not be all zero (got {len(weights)} zero weights)"
        raise InvalidInputError(msg)
    _check_total(array, name)
    # Valid integer weights never get here (:func:`_plain_range` took the same min, max
    # and sum and passed them): only floats and numbers of other dtypes, with no range.
    return (_widened(array, as_given) if array.dtype.kind in "iuf" else weights), None


# Dtypes the counting engines sum as they are (into int64 / float64 cells).
_NARROW = frozenset(
    np.dtype(t) for t in (np.int8, np.int16, np.int32, np.uint8, np.uint16, np.uint32, np.float32)
)


def _widened(array: np.ndarray, as_given: bool) -> npt.NDArray[np.float64] | npt.NDArray[np.int64]:
    """Valid weights as int64 / float64 (no copy when they are), or as given if narrow."""
    if as_given and array.dtype in _NARROW:
        return array
    # uint64 weights fit int64: their total was checked to be at most 2**53.
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    return array.astype(np.float64, copy=False)


# Weighted counts are sums of weights. Integer counts are exact in float64 (where the
# metrics are evaluated) only up to 2**53; float totals beyond 1e150 overflow the products
# some metrics form (MCC multiplies two margins). Refuse rather than wrap or round.
_MAX_INT_TOTAL = 2**53
_MAX_FLOAT_TOTAL = 1e150


def _plain_range(array: np.ndarray) -> WeightRange | None:
    """Integer weights' ``(min, max)`` (float weights: ``(0, 0)``) when they pass every
    check of :func:`check_weights`, from a min, a max and (floats) a sum; else None.

    A NaN makes the min NaN; with a min >= 0 there is no -inf, and a finite sum then
    rules out +inf; the values being non-negative, a positive sum means not all zero.
    None sends the input through the detailed checks, which name the first bad value.
    """
    integer = array.dtype.kind in "iu"
    if integer:
        low, high = _min_max(array)
        if low < 0:
            return None
    else:
        low, high = array.min(), 0
        if not low >= 0:
            return None
    with np.errstate(over="ignore"):
        if integer and high * len(array) <= _MAX_INT_TOTAL:
            total = float(high)  # the total is small enough: no sum needed; > 0 iff any
        else:
            total = float(np.sum(array, dtype=np.float64))
    limit = _MAX_INT_TOTAL if integer else _MAX_FLOAT_TOTAL
    if not (np.isfinite(total) and 0 < total <= limit):
        return None
    return (int(low), int(high)) if integer else (0, 0)


# From this many integer weights, once the compiled kernels run in the process, their
# min and max come from one compiled pass on the counting threads (1e8 int32 weights:
# numpy's min and max are two single-threaded passes).
_COMPILED_MIN_MAX_ROWS = 1 << 22


def _min_max(array: np.ndarray) -> tuple[int, int]:
    """``(array.min(), array.max())`` of integers (non-empty), in one pass where it pays."""
    if len(array) >= _COMPILED_MIN_MAX_ROWS and array.dtype in (np.int32, np.int64):
        # Only where the engines already loaded numba: validation never imports it.
        compiled = sys.modules.get("cutpoints.engines._compiled")
        if compiled is not None and compiled.worthwhile(0):
            try:
                low, high = compiled.min_max(array)
            except ImportError:  # numba installed but broken: numpy's two passes
                pass
            else:
                return int(low), int(high)
    return int(array.min()), int(array.max())


def _check_total(array: np.ndarray, name: str) -> None:
    with np.errstate(over="ignore"):  # an overflow to inf is what this check reports
        total = float(np.sum(array, dtype=np.float64))  # never wraps; rounds a little
    integer = array.dtype.kind in "iu"
    limit = _MAX_INT_TOTAL if integer else _MAX_FLOAT_TOTAL
    if np.isfinite(total) and total <= limit:
        return
    bound = "2**53, where integer counts stop being exact" if integer else "1e150"
    msg = (
        f"'{name}' must add up to at most {bound} (got a total of {total:.4g}); "
        "rescale them (ratio metrics such as precision or F1 do not change when every "
        "weight is scaled by one factor)"
    )
    raise InvalidInputError(msg)


@dataclass(frozen=True)
class BinaryTarget:
    """A validated binary target.

    Attributes
    ----------
    is_positive : ndarray of bool, shape (n_samples,)
        True where the row belongs to the positive class.
    positive_label, negative_label : object
        The user's label values (``negative_label`` is None when only the positive class
        was seen and the other value cannot be known).
    """

    is_positive: npt.NDArray[np.bool_]
    positive_label: Any
    negative_label: Any


def _python_scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _distinct_labels(array: np.ndarray, name: str) -> tuple[list[Any], int]:
    """The first few distinct values of a label array (sorted) and how many there are.

    Cheap for the common dtypes: booleans and small integer ranges need no sort.
    """
    kind = array.dtype.kind
    if kind == "b":
        found_bool: list[Any] = [
            v for v, seen in ((False, not array.all()), (True, array.any())) if seen
        ]
        return found_bool, len(found_bool)
    if kind in "iu":
        lo, hi = int(array.min()), int(array.max())
        if hi - lo <= 2:  # 0/1 or -1/1 without a sort of the whole column
            found_int: list[Any] = [v for v in range(lo, hi + 1) if (array == v).any()]
            return found_int, len(found_int)
    if kind == "f" and not np.isfinite(array).all():
        first = _first_bad(~np.isfinite(array))
        msg = (
            f"'{name}' must not contain NaN or infinity "
            f"(got {array[first].item()!r} at index {first})"
        )
        raise InvalidLabelsError(msg)
    if kind == "O":
        missing = [i for i, v in enumerate(array[: 10**6]) if v is None]
        if missing:
            msg = f"'{name}' must not contain missing values (got None at index {missing[0]})"
            raise InvalidLabelsError(msg)
    try:
        values = np.unique(array)
    except TypeError as exc:  # mixed types that cannot be ordered
        msg = f"'{name}' holds values of mixed types that cannot be compared ({exc})"
        raise InvalidLabelsError(msg) from exc
    return [_python_scalar(v) for v in values[:_LABELS_SHOWN]], len(values)


def check_target(values: Any, pos_label: Any = None, name: str = "y_true") -> BinaryTarget:
    """Validate binary labels and decide which rows are positive.

    Labels in {0, 1}, {-1, 1} or booleans need no ``pos_label`` (1 or True is positive).
    Any other pair of values needs ``pos_label``; the error lists the values found.
    """
    array = as_1d(values, name)
    labels, n_distinct = _distinct_labels(array, name)
    if n_distinct > 2:
        shown = ", ".join(repr(v) for v in labels) + (", ..." if n_distinct > len(labels) else "")
        msg = (
            f"'{name}' must have two classes for a threshold (got {n_distinct} distinct "
            f"values: {shown}). For more classes, decide per class (one-vs-rest) or with a "
            "cost matrix."
        )
        raise InvalidLabelsError(msg)
    if pos_label is None:
        is_bool = array.dtype.kind == "b"
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in labels)
        if is_bool:
            return BinaryTarget(np.asarray(array, dtype=bool), True, False)
        if numeric and set(labels) <= {0, 1}:
            return BinaryTarget(array == 1, _label_like(array, 1), _label_like(array, 0))
        if numeric and set(labels) <= {-1, 1}:
            return BinaryTarget(array == 1, _label_like(array, 1), _label_like(array, -1))
        options = " or ".join(f"pos_label={v!r}" for v in labels)
        msg = (
            f"'{name}' takes the values {labels!r}, so cutpoints cannot tell which class is "
            f"positive; pass {options}"
        )
        raise InvalidLabelsError(msg)
    pos = _python_scalar(pos_label)
    if pos not in labels:
        if len(labels) == 2:
            msg = f"'pos_label' must be one of the values of '{name}' {labels!r} (got {pos!r})"
            raise InvalidLabelsError(msg)
        # One class seen and it is not pos_label: every row is negative, which is valid.
        return BinaryTarget(np.zeros(len(array), dtype=bool), pos, labels[0])
    other = [v for v in labels if v != pos]
    is_positive = np.asarray(array == pos_label, dtype=bool)
    return BinaryTarget(is_positive, pos, other[0] if other else None)


def _label_like(array: np.ndarray, value: int) -> Any:
    """The label value in the user's dtype (1.0 for float labels, 1 for ints)."""
    return _python_scalar(array.dtype.type(value))


def check_choice(value: Any, name: str, options: tuple[Any, ...]) -> Any:
    """Raise unless ``value`` is one of ``options``."""
    if value not in options:
        msg = f"'{name}' must be one of {list(options)!r} (got {value!r})"
        raise InvalidParameterError(msg)
    return value
