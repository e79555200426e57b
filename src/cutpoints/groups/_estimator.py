"""Thresholds per group inside :class:`cutpoints.CutpointClassifier` (``group_mode=``).

The estimator computes its tuning scores as usual (out-of-fold, or the prefit model's);
this module turns them into a :class:`GroupCutpoint` with the very same
:func:`find_group_cutpoint` the functional API uses, and applies it at predict time.
Kept apart from the scikit-learn code so that the estimator only routes arguments.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from .._metrics import BoundMetric
from .._validation import as_1d, check_consistent_length
from ..errors import InvalidInputError, InvalidParameterError
from ..selection import Constraint, ConstraintLike
from . import MODES, find_group_cutpoint
from ._parity import GapConstraint, split_constraints
from ._result import GroupCutpoint

__all__ = [
    "check_fallback",
    "check_group_mode",
    "group_constraints",
    "group_flags",
    "row_groups",
    "tune_groups",
]

FALLBACK_KINDS = ("group", "threshold")


def check_group_mode(group_mode: Any) -> str | None:
    """``None`` (one threshold) or one of :data:`MODES`."""
    if group_mode is None or (isinstance(group_mode, str) and group_mode in MODES):
        return group_mode  # type: ignore[no-any-return]
    msg = f"'group_mode' must be None, 'independent' or 'joint' (got {group_mode!r})"
    raise InvalidParameterError(msg)


def check_fallback(fallback: Any) -> dict[str, Any]:
    """The keyword arguments of :meth:`GroupCutpoint.flag` that ``fallback`` stands for.

    ``None`` (an unseen group is an error), ``("group", label)`` (that tuned group's
    threshold) or ``("threshold", x)`` (one fixed threshold): the command line's
    ``--fallback-group`` and ``--fallback-threshold``.
    """
    if fallback is None:
        return {}
    if isinstance(fallback, tuple) and len(fallback) == 2 and fallback[0] in FALLBACK_KINDS:
        kind, value = fallback
        if kind == "group":
            return {"fallback_group": value}
        if (
            isinstance(value, numbers.Real)
            and not isinstance(value, bool)
            and not math.isnan(float(value))
        ):
            return {"fallback_threshold": float(value)}
    msg = (
        "'fallback' must be None, ('group', <tuned group label>) or ('threshold', "
        f"<number>) (got {fallback!r})"
    )
    raise InvalidParameterError(msg)


def group_constraints(
    constraints: ConstraintLike | Iterable[ConstraintLike] | None,
) -> tuple[tuple[Constraint, ...], tuple[GapConstraint, ...]]:
    """The constraints on counts, and the gap limits between groups."""
    plain, gaps = split_constraints(constraints)
    return tuple(plain), tuple(gaps)


def row_groups(groups: Any, n_rows: int) -> np.ndarray:
    """``groups`` as a 1-d array aligned with the ``n_rows`` rows of X."""
    if groups is None:
        msg = (
            "'groups' is required when group_mode is set (got None): pass the row's "
            "group labels, fit(X, y, groups=g) / predict(X, groups=g)"
        )
        raise InvalidInputError(msg)
    array = as_1d(groups, "groups")
    check_consistent_length(X=np.empty(n_rows), groups=array)
    return array


def tune_groups(
    *,
    y: np.ndarray,
    scores: npt.NDArray[np.float64],
    rows: np.ndarray,
    groups: np.ndarray,
    weights: np.ndarray | None,
    mode: str,
    objective: BoundMetric,
    constraints: tuple[Constraint | GapConstraint, ...],
    maximize: bool | None,
    ties: str,
    rule: str,
    pos_label: Any,
    values: Mapping[str, Any] | None = None,
) -> GroupCutpoint:
    """Per-group thresholds on the tuning ``scores`` of ``rows`` (indices into X).

    ``values``: per-row values as the estimator holds them (outcome -> a number or an
    array over all rows of X), taken at ``rows`` like ``y`` and the weights.
    """
    at_rows = None
    if values is not None:
        at_rows = {k: v[rows] if isinstance(v, np.ndarray) else v for k, v in values.items()}
    return find_group_cutpoint(
        y[rows],
        scores,
        groups=groups[rows],
        mode=mode,
        metric=objective,
        constraints=constraints,
        maximize=maximize,
        ties=ties,  # type: ignore[arg-type]
        sample_weight=None if weights is None else weights[rows],
        pos_label=pos_label,
        rule=rule,  # type: ignore[arg-type]
        values=at_rows,
    )


def group_flags(
    cut: GroupCutpoint, scores: npt.NDArray[np.float64], groups: Any, fallback: Any
) -> npt.NDArray[np.bool_]:
    """Which rows pass their group's threshold (``fallback`` for unseen groups)."""
    labels = row_groups(groups, len(scores))
    return cut.flag(scores, labels, **check_fallback(fallback))
