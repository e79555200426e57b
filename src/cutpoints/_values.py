"""Per-row values (money): what each decision is worth, summed exactly along the sweep.

``values={"tp": a, "fp": b, "fn": c, "tn": d}`` gives the value of each outcome, a
scalar or one number per row (a missing outcome is worth 0). The total value at a
threshold is the sum over rows of ``weight * value of the row's outcome`` there.

Every such total is a cumulative sum along the sorted scores, like tp and fp:

- tp: the sum of ``w * a`` over the flagged positives;
- fp: the sum of ``w * b`` over the flagged negatives;
- fn: the sum of ``w * c`` over all positives minus the sum over the flagged ones;
- tn: likewise with ``d`` over the negatives.

So an engine carries each per-row (array) outcome as one *extra column* --
``w * value`` on the rows of that outcome's class, 0 elsewhere -- and returns its
cumulative sum at every threshold from the same sort it counts with (per-bin sums
merge by addition, as counts do). A scalar outcome needs no column: it is the scalar
times the weighted count (tp for "tp" and "fn", fp for "fp" and "tn").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._validation import _is_number, as_1d, check_scores
from .errors import InvalidInputError, InvalidParameterError

__all__ = [
    "OUTCOMES",
    "RowValues",
    "ValueCurve",
    "check_values",
    "column_names",
    "named_values",
    "resolve_named",
]

OUTCOMES = ("tp", "fp", "fn", "tn")
# The class whose rows an outcome applies to: tp and fn are positives, fp and tn negatives.
_POSITIVE_CLASS = {"tp": True, "fp": False, "fn": True, "tn": False}
# Outcomes that hold the flagged rows of their class (the others hold the rest).
_FLAGGED = {"tp": True, "fp": True, "fn": False, "tn": False}

FloatArray = npt.NDArray[np.float64]


def _key_name(key: str) -> str:
    return f'values["{key}"]'


@dataclass(frozen=True)
class RowValues:
    """Validated per-row values: for each outcome a float or a float64 array of length n.

    Outcomes that were not given, or given as 0, are absent.
    """

    entries: Mapping[str, float | FloatArray]

    def extra_columns(
        self,
        is_positive: npt.NDArray[np.bool_],
        weight: npt.NDArray[np.float64] | npt.NDArray[np.int64] | None,
    ) -> tuple[list[str], list[FloatArray], dict[str, tuple[str, float]]]:
        """The per-row columns an engine sums along its sweep, their outcome names, and
        the outcomes derived from another's column.

        Column k holds ``weight * value`` on the rows of outcome k's class and 0 on the
        others, so its cumulative sum at a threshold is the value of the flagged rows
        of that class. An outcome whose values are those of the other outcome of its
        class, or their negation (``fn = -amount`` beside ``tp = amount``), gets no
        column of its own: ``derived[key] = (other, sign)`` (one gather and one running
        sum fewer in the sweep).
        """
        names: list[str] = []
        columns: list[FloatArray] = []
        derived: dict[str, tuple[str, float]] = {}
        for key, entry in self.entries.items():
            if not isinstance(entry, np.ndarray):
                continue
            mask = is_positive if _POSITIVE_CLASS[key] else ~is_positive
            partner = {"fn": "tp", "tn": "fp"}.get(key)
            other = self.entries.get(partner) if partner in names else None
            if isinstance(other, np.ndarray):
                for sign in (1.0, -1.0):
                    if np.array_equal(entry[mask], sign * other[mask]):
                        derived[key] = (str(partner), sign)
                        break
                if key in derived:
                    continue
            column = np.where(mask, entry, 0.0)
            if weight is not None:
                column *= weight
            names.append(key)
            columns.append(column)
        return names, columns, derived

    def flag_gain(
        self,
        is_positive: npt.NDArray[np.bool_],
        weight: npt.NDArray[np.float64] | npt.NDArray[np.int64] | None,
    ) -> FloatArray:
        """Each row's change of the total value when it is flagged:
        ``w * (tp - fn)`` on positives, ``w * (fp - tn)`` on negatives.

        A histogram engine bounds the value inside a score bin with the sums of these
        gains' positive and negative parts.

        Examples
        --------
        >>> v = check_values({"tp": [5.0, 0.0], "fp": -1, "fn": [-5.0, 0.0]}, 2)
        >>> v.flag_gain(np.array([True, False]), None)
        array([10., -1.])
        """
        gain = np.zeros(len(is_positive), dtype=np.float64)
        for key, entry in self.entries.items():
            sign = 1.0 if _FLAGGED[key] else -1.0
            mask = is_positive if _POSITIVE_CLASS[key] else ~is_positive
            gain += sign * np.where(mask, entry, 0.0)
        if weight is not None:
            gain *= weight
        return gain


def check_values(values: Any, n_samples: int) -> RowValues:
    """Validate ``values``: a mapping of outcome to a finite number or array of length n.

    Errors name the outcome key: an unknown key, an array of the wrong length, NaN or
    infinite values, a column that is not numeric.

    Examples
    --------
    >>> check_values({"tp": 5, "fp": [-1.0, -2.0]}, 2).entries["fp"]
    array([-1., -2.])
    >>> check_values({"fnn": 1}, 2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cutpoints.errors.InvalidParameterError: 'values' has an unknown outcome 'fnn' (expected ...)
    """
    if not isinstance(values, Mapping):
        msg = (
            "'values' must be a mapping of outcome to value, e.g. "
            f'{{"tp": amount, "fp": -5}} (got {type(values).__name__})'
        )
        raise InvalidParameterError(msg)
    entries: dict[str, float | FloatArray] = {}
    for key, value in values.items():
        if key not in OUTCOMES:
            msg = f"'values' has an unknown outcome {key!r} (expected one of {', '.join(OUTCOMES)})"
            raise InvalidParameterError(msg)
        name = _key_name(key)
        if _is_number(value) or isinstance(value, (np.integer, np.floating)):
            if isinstance(value, (bool, np.bool_)):
                msg = f"'{name}' must be a number or one number per row (got {value!r})"
                raise InvalidParameterError(msg)
            number = float(value)
            if not np.isfinite(number):
                msg = f"'{name}' must be finite (got {value!r})"
                raise InvalidInputError(msg)
            if number != 0.0:
                entries[key] = number
            continue
        if isinstance(value, (str, bytes)):
            msg = f"'{name}' must be a number or one number per row (got {value!r})"
            raise InvalidParameterError(msg)
        raw = as_1d(value, name)
        if raw.dtype.kind in "USV" or (
            raw.dtype.kind == "O" and any(isinstance(v, (str, bytes)) for v in raw)
        ):
            # Text that happens to parse as numbers ("12.5") is still a wrong column.
            text = next(v for v in raw if isinstance(v, (str, bytes)))
            msg = f"'{name}' must be numeric (got text such as {str(text)!r})"
            raise InvalidInputError(msg)
        array = check_scores(raw, name)  # 1-D, numeric, finite; errors name the key
        if len(array) != n_samples:
            msg = (
                f"'{name}' must have one value per row "
                f"('{name}' has {len(array)}, the scores have {n_samples})"
            )
            raise InvalidInputError(msg)
        if array.any():
            entries[key] = array
    if not values:
        msg = "'values' must give the value of at least one outcome (tp, fp, fn or tn)"
        raise InvalidParameterError(msg)
    return RowValues({k: entries[k] for k in OUTCOMES if k in entries})


class ValueCurve:
    """The value of each outcome at every row of a confusion curve.

    Indexing it (``value_curve[rows]``) gives the total value at those rows, so it is
    the curve's ``"value"`` column, which the metric ``"value"`` reads.

    Parameters
    ----------
    tp, fp : array, shape (n_rows,)
        The curve's (weighted) counts.
    scalars : mapping of outcome to float
        Outcomes worth the same for every row: value = scalar times the count.
    flagged : mapping of outcome to ndarray of float64, shape (n_rows,)
        Per-row outcomes: the cumulative sum of ``weight * value`` over the flagged rows
        of the outcome's class (what the engine summed along its sweep).
    n_positive, n_negative : int or float
        Class totals (for scalar fn and tn).
    """

    def __init__(
        self,
        tp: Any,
        fp: Any,
        *,
        scalars: Mapping[str, float],
        flagged: Mapping[str, FloatArray],
        n_positive: float,
        n_negative: float,
    ) -> None:
        self._tp, self._fp = tp, fp
        self.scalars = dict(scalars)
        self.flagged = {k: np.asarray(v, dtype=np.float64) for k, v in flagged.items()}
        for column in self.flagged.values():
            column.flags.writeable = False
        # The value of fn and tn when nothing is flagged: every row of the class is
        # there. Taken from the last row (which flags everything), so "flag
        # everything" gives exactly 0 for them.
        self.totals: dict[str, float] = {}
        for key in ("fn", "tn"):
            if key in self.flagged:
                self.totals[key] = float(self.flagged[key][-1])
            elif key in self.scalars:
                total = n_positive if key == "fn" else n_negative
                self.totals[key] = self.scalars[key] * float(total)

    @property
    def outcomes(self) -> tuple[str, ...]:
        """The outcomes that carry a value, in tp, fp, fn, tn order."""
        return tuple(k for k in OUTCOMES if k in self.scalars or k in self.flagged)

    def __len__(self) -> int:
        return len(self._tp)

    def _flagged_sum(self, key: str, rows: Any) -> FloatArray:
        """Value of the flagged rows of outcome ``key``'s class at ``rows``."""
        if key in self.flagged:
            return np.asarray(self.flagged[key][rows], dtype=np.float64)
        counts = self._tp if _POSITIVE_CLASS[key] else self._fp
        out = self.scalars[key] * np.asarray(counts[rows], dtype=np.float64)
        out += 0.0  # a negative value times a zero count is -0.0: show it as 0
        return out

    def outcome(self, key: str, rows: Any = slice(None)) -> FloatArray:
        """The value of outcome ``key`` at ``rows`` (0 for an outcome without a value)."""
        if key not in OUTCOMES:
            msg = f"'key' must be one of {', '.join(OUTCOMES)} (got {key!r})"
            raise InvalidParameterError(msg)
        if key not in self.scalars and key not in self.flagged:
            return np.zeros_like(np.arange(len(self), dtype=np.float64)[rows])
        part = self._flagged_sum(key, rows)
        if _FLAGGED[key]:
            return part
        return self.totals[key] - part

    def __getitem__(self, rows: Any) -> FloatArray:
        """The total value at ``rows``: the sum over the outcomes."""
        total: FloatArray | None = None
        for key in self.outcomes:
            part = self.outcome(key, rows)
            total = part if total is None else total + part
        if total is None:  # every value given was 0
            return self.outcome("tp", rows)
        return np.asarray(total, dtype=np.float64)

    def split(self, row: int) -> dict[str, float]:
        """The value of each outcome (tp, fp, fn, tn) at one row."""
        return {k: float(self.outcome(k, slice(row, row + 1))[0]) for k in OUTCOMES}

    def fingerprint_bytes(self) -> bytes:
        """The columns, for the curve's fingerprint."""
        parts = [repr(sorted(self.scalars.items())).encode()]
        for key in sorted(self.flagged):
            parts.append(key.encode())
            parts.append(np.ascontiguousarray(self.flagged[key]).tobytes())
        return b"".join(parts)


def value_curve(
    row_values: RowValues,
    tp: Any,
    fp: Any,
    names: list[str],
    sums: list[FloatArray],
    *,
    n_positive: float,
    n_negative: float,
    derived: dict[str, tuple[str, float]] | None = None,
) -> ValueCurve:
    """The :class:`ValueCurve` of an engine's counts and its cumulative extra columns
    (``names``, ``sums`` and ``derived`` as :meth:`RowValues.extra_columns` gave them)."""
    scalars = {k: float(v) for k, v in row_values.entries.items() if not isinstance(v, np.ndarray)}
    flagged = dict(zip(names, sums, strict=True))
    for key, (source, sign) in (derived or {}).items():
        flagged[key] = flagged[source] if sign > 0 else -flagged[source]
    return ValueCurve(
        tp,
        fp,
        scalars=scalars,
        flagged={k: flagged[k] for k in OUTCOMES if k in flagged},
        n_positive=n_positive,
        n_negative=n_negative,
    )


_NAME = re.compile(r"-?[A-Za-z_][A-Za-z0-9_.]*")


def named_values(values: Any, where: str = "values") -> dict[str, float | tuple[float, str]]:
    """Values that name their columns: outcome -> a number, or ``(sign, name)``.

    The form the estimator (names of fit-time metadata) and the command line (names of
    input columns) take: ``{"tp": "amount", "fp": -5, "fn": "-amount"}``; a leading
    ``-`` negates the named column.

    Examples
    --------
    >>> named_values({"tp": "amount", "fp": -5, "fn": "-amount"})
    {'tp': (1.0, 'amount'), 'fp': -5.0, 'fn': (-1.0, 'amount')}
    """
    if not isinstance(values, Mapping) or not values:
        msg = (
            f"'{where}' must map outcomes to numbers or column names, e.g. "
            f'{{"tp": "amount", "fp": -5, "fn": "-amount"}} (got {values!r})'
        )
        raise InvalidParameterError(msg)
    out: dict[str, float | tuple[float, str]] = {}
    for key, value in values.items():
        if key not in OUTCOMES:
            expected = ", ".join(OUTCOMES)
            msg = f"'{where}' has an unknown outcome {key!r} (expected one of {expected})"
            raise InvalidParameterError(msg)
        name = f'{where}["{key}"]'
        if isinstance(value, str):
            text = value.strip()
            try:
                number = float(text)
            except ValueError:
                if not _NAME.fullmatch(text):
                    msg = f"'{name}' must be a number or a column name (got {value!r})"
                    raise InvalidParameterError(msg) from None
                out[key] = (-1.0, text[1:]) if text.startswith("-") else (1.0, text)
                continue
            value = number
        if isinstance(value, (bool, np.bool_)) or not _is_number(value):
            msg = f"'{name}' must be a number or a column name (got {value!r})"
            raise InvalidParameterError(msg)
        if not np.isfinite(float(value)):
            msg = f"'{name}' must be finite (got {value!r})"
            raise InvalidParameterError(msg)
        out[key] = float(value)
    return out


def column_names(spec: Mapping[str, float | tuple[float, str]]) -> list[str]:
    """The column names a :func:`named_values` spec reads, each once, in order."""
    names: list[str] = []
    for entry in spec.values():
        if isinstance(entry, tuple) and entry[1] not in names:
            names.append(entry[1])
    return names


def recorded_columns(spec: Mapping[str, float | tuple[float, str]]) -> dict[str, str]:
    """``Cutpoint.columns`` entries for a :func:`named_values` spec: ``value.<outcome>``.

    Examples
    --------
    >>> recorded_columns(named_values({"tp": "amount", "fp": -5, "fn": "-amount"}))
    {'value.tp': 'amount', 'value.fp': '-5', 'value.fn': '-amount'}
    """
    return {
        f"value.{key}": (
            (entry[1] if entry[0] > 0 else f"-{entry[1]}")
            if isinstance(entry, tuple)
            else f"{entry:g}"
        )
        for key, entry in spec.items()
    }


def resolve_named(
    spec: Mapping[str, float | tuple[float, str]], columns: Mapping[str, Any]
) -> dict[str, Any]:
    """``values=`` for :func:`check_values`: each named column looked up (and negated)."""
    out: dict[str, Any] = {}
    for key, entry in spec.items():
        if isinstance(entry, tuple):
            sign, name = entry
            array = check_scores(columns[name], f'values["{key}"]')
            out[key] = array if sign > 0 else -array
        else:
            out[key] = entry
    return out
