"""Shared plumbing for the displays: lazy matplotlib, inputs to curves, marked points.

Every display draws views of one :class:`~cutpoints.ConfusionCurve`. This module turns
the three kinds of input (predictions, a :class:`~cutpoints.Cutpoint`, a fitted
estimator) into that curve plus the thresholds to mark, so the display modules only
draw. Nothing here sorts scores: the curve is the only source of numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .._api import confusion_curve
from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from .._responses import positive_scores, tuned_parts
from ..errors import InvalidInputError, InvalidParameterError

__all__ = [
    "INSTALL_HINT",
    "MAX_POINTS",
    "Marked",
    "check_ax",
    "drawing_indices",
    "import_pyplot",
    "marked_points",
    "scores_from_estimator",
]

INSTALL_HINT = 'pip install "cutpoints[plot]"'

#: Curves longer than this are thinned for drawing (the marked points stay exact).
MAX_POINTS = 20_000


def import_pyplot() -> Any:
    """Import ``matplotlib.pyplot`` or raise ImportError with the install hint."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        msg = f"plotting needs matplotlib: {INSTALL_HINT}"
        raise ImportError(msg) from exc
    return plt


def check_ax(ax: Any, name: str = "ax") -> Any:
    """Return ``ax`` (a matplotlib Axes) or a fresh one when None."""
    plt = import_pyplot()
    if ax is None:
        _, ax = plt.subplots()
        return ax
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        msg = f"'{name}' must be a matplotlib Axes or None (got {type(ax).__name__})"
        raise InvalidParameterError(msg)
    return ax


@dataclass(frozen=True)
class Marked:
    """A threshold to mark on a plot: where it is on the curve and how to label it."""

    threshold: float
    index: int
    label: str


def _format_threshold(t: float) -> str:
    if math.isinf(t):
        return "flag nothing"
    return f"t = {t:.4g}"


def check_thresholds(thresholds: Any, name: str = "thresholds") -> list[float]:
    """One number or an iterable of numbers, none NaN."""
    if thresholds is None:
        return []
    if isinstance(thresholds, (int, float, np.integer, np.floating)) and not isinstance(
        thresholds, bool
    ):
        values: Iterable[Any] = [thresholds]
    elif isinstance(thresholds, (str, bytes)):
        msg = f"'{name}' must be a number or a list of numbers (got {thresholds!r})"
        raise InvalidParameterError(msg)
    else:
        values = thresholds
    out: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            msg = f"'{name}' must be a number or a list of numbers (got {value!r})"
            raise InvalidParameterError(msg)
        if math.isnan(float(value)):
            msg = f"'{name}' must not contain NaN (got {thresholds!r})"
            raise InvalidParameterError(msg)
        out.append(float(value))
    return out


def marked_points(
    curve: ConfusionCurve,
    thresholds: Sequence[float],
    cutpoint: Cutpoint | None = None,
) -> list[Marked]:
    """The cutpoint's threshold (labelled with its metric) first, then ``thresholds``."""
    out: list[Marked] = []
    if cutpoint is not None:
        t = cutpoint.threshold
        out.append(Marked(t, curve.index_at(t), f"{_format_threshold(t)} ({cutpoint.metric})"))
    for t in thresholds:
        if cutpoint is not None and t == cutpoint.threshold:
            continue
        out.append(Marked(t, curve.index_at(t), _format_threshold(t)))
    return out


def curve_of(cutpoint: Any) -> ConfusionCurve:
    """The curve a cutpoint was chosen from (a loaded cutpoint has none)."""
    if not isinstance(cutpoint, Cutpoint):
        msg = f"'cutpoint' must be a cutpoints.Cutpoint (got {type(cutpoint).__name__})"
        raise InvalidParameterError(msg)
    if cutpoint.curve is None:
        msg = (
            "'cutpoint' has no curve (a cutpoint loaded from JSON keeps only its summary); "
            "plot with from_predictions(y_true, y_score, thresholds=cutpoint.threshold)"
        )
        raise InvalidParameterError(msg)
    return cutpoint.curve


def curve_from_predictions(
    y_true: Any,
    y_score: Any,
    *,
    sample_weight: Any = None,
    pos_label: Any = None,
    rule: Any = ">=",
) -> ConfusionCurve:
    """Validate and sweep once (all checks are the core's)."""
    return confusion_curve(
        y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule
    )


def scores_from_estimator(
    estimator: Any, X: Any, response_method: str = "auto", pos_label: Any = None
) -> tuple[npt.NDArray[np.float64], Cutpoint | None, float | None, Any]:
    """Scores of a fitted binary classifier on ``X``, its cutpoint and threshold, pos_label.

    A threshold-tuned model (see :func:`cutpoints._responses.tuned_parts`: cutpoints'
    own estimators, scikit-learn's threshold wrappers, any fitted wrapper with
    ``estimator_`` and ``threshold_``) is scored through its fitted inner model with the
    response method and positive class it was tuned with, so its threshold applies to
    the drawn scores. All scoring is :func:`cutpoints._responses.positive_scores`.
    """
    parts = tuned_parts(estimator)
    if parts is not None:
        pos_label = parts.pos_label if pos_label is None else pos_label
    scores = positive_scores(estimator, X, response_method=response_method, pos_label=pos_label)
    if parts is None:
        if pos_label is None:  # classes_ was read (and checked binary) by positive_scores
            second = np.asarray(estimator.classes_)[1]
            pos_label = second.item() if isinstance(second, np.generic) else second
        return scores, None, None, pos_label
    return scores, parts.cutpoint, parts.threshold, pos_label


def drawing_indices(
    n: int, keep: Iterable[int] = (), max_points: int = MAX_POINTS
) -> npt.NDArray[np.intp]:
    """Row indices to draw: all rows, or an even thinning of a very long curve.

    The first and last rows and every row in ``keep`` are always included, so marked
    points lie exactly on the drawn line.
    """
    if n <= max_points:
        return np.arange(n)
    base = np.linspace(0, n - 1, max_points).round().astype(np.intp)
    extra = np.fromiter((i for i in keep if 0 <= i < n), dtype=np.intp)
    return np.unique(np.concatenate([base, extra, [0, n - 1]]))


def positive_negative(curve: ConfusionCurve, what: str) -> None:
    """Raise unless both classes are present (rates against P or N need both)."""
    if not curve.n_positive or not curve.n_negative:
        msg = (
            f"{what} needs both classes in 'y_true' (got n_positive={curve.n_positive}, "
            f"n_negative={curve.n_negative})"
        )
        raise InvalidInputError(msg)


def rates(num: np.ndarray, den: float) -> npt.NDArray[np.float64]:
    """``num / den`` as float64 (den is a non-zero class total)."""
    return np.asarray(num, dtype=np.float64) / float(den)
