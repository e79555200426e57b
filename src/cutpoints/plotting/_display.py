"""The base of every display: the three constructors and the shared state."""

from __future__ import annotations

import warnings
from typing import Any

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from .._responses import tuned_parts
from .._saved_curve import with_exact_thresholds
from ..errors import InvalidParameterError
from ._base import (
    check_thresholds,
    curve_from_predictions,
    curve_of,
    marked_points,
    scores_from_estimator,
)

__all__ = ["CurveDisplay"]


class CurveDisplay:
    """Base class: a display of one confusion curve with some thresholds marked.

    Subclasses implement ``plot(ax=None, *, <options>)``. The constructors build the
    curve (or take the one a :class:`~cutpoints.Cutpoint` carries) and pass every extra
    keyword to ``plot``.

    Parameters
    ----------
    curve : ConfusionCurve
        The exact curve to draw.
    thresholds : float or list of float, optional
        Thresholds to mark (any values; each is drawn at the curve row it selects).
    cutpoint : Cutpoint, optional
        A chosen cutpoint; its threshold is marked first, labelled with its metric.
    name : str, optional
        Legend name of the curve (e.g. the model's name).
    """

    #: What the display is called in error messages.
    _what = "this plot"
    #: Whether ``plot`` takes ``band=`` (a reject band shaded on a threshold axis).
    _supports_band = False

    def __init__(
        self,
        curve: ConfusionCurve,
        *,
        thresholds: Any = None,
        cutpoint: Cutpoint | None = None,
        name: str | None = None,
    ) -> None:
        if not isinstance(curve, ConfusionCurve):
            msg = f"'curve' must be a cutpoints.ConfusionCurve (got {type(curve).__name__})"
            raise InvalidParameterError(msg)
        if cutpoint is not None and not isinstance(cutpoint, Cutpoint):
            msg = f"'cutpoint' must be a cutpoints.Cutpoint (got {type(cutpoint).__name__})"
            raise InvalidParameterError(msg)
        if name is not None and not isinstance(name, str):
            msg = f"'name' must be a string or None (got {name!r})"
            raise InvalidParameterError(msg)
        self.thresholds = check_thresholds(thresholds)
        # A binned curve knows the counts at some thresholds only: marked ones are made
        # exact from its data, or the plot says which are not.
        curve, unknown = with_exact_thresholds(curve, self.thresholds)
        if unknown:
            shown = ", ".join(f"{t:.6g}" for t in unknown)
            msg = (
                f"thresholds {shown} lie between two thresholds with known counts of this "
                "binned curve (its data is not at hand): each is marked at the counts of the "
                "nearest known threshold that flags no more rows"
            )
            warnings.warn(msg, UserWarning, stacklevel=3)
        self.curve = curve
        self.cutpoint = cutpoint
        self.name = name
        self.marked = marked_points(curve, self.thresholds, cutpoint)
        self.ax_: Any = None
        self.figure_: Any = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_curve(
        cls,
        curve: ConfusionCurve,
        *,
        thresholds: Any = None,
        name: str | None = None,
        ax: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Draw an existing :class:`~cutpoints.ConfusionCurve`; ``kwargs`` go to ``plot``."""
        return cls(curve, thresholds=thresholds, name=name)._draw(ax, kwargs)

    @classmethod
    def from_predictions(
        cls,
        y_true: Any,
        y_score: Any,
        *,
        thresholds: Any = None,
        sample_weight: Any = None,
        pos_label: Any = None,
        rule: Any = ">=",
        name: str | None = None,
        ax: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Sweep ``y_true`` and ``y_score`` exactly and draw; ``kwargs`` go to ``plot``.

        ``thresholds`` are marked on the plot (e.g. ``[0.5, cut.threshold]``).
        """
        curve = curve_from_predictions(
            y_true, y_score, sample_weight=sample_weight, pos_label=pos_label, rule=rule
        )
        return cls(curve, thresholds=thresholds, name=name)._draw(ax, kwargs)

    @classmethod
    def from_cutpoint(
        cls,
        cutpoint: Cutpoint,
        *,
        thresholds: Any = None,
        name: str | None = None,
        ax: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Draw the curve a cutpoint was chosen from, its threshold marked.

        ``thresholds`` adds more marks (e.g. the default ``0.5`` for comparison).
        """
        curve = curve_of(cutpoint)
        return cls(curve, thresholds=thresholds, cutpoint=cutpoint, name=name)._draw(ax, kwargs)

    @classmethod
    def from_reject_band(
        cls,
        band: Any,
        *,
        thresholds: Any = None,
        name: str | None = None,
        ax: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Draw the curve a reject band was chosen from, the abstain region shaded.

        Only for the displays with a threshold axis (``MetricsDisplay``,
        ``ScoreDistributionDisplay``); ``kwargs`` go to ``plot``.
        """
        from ._band import curve_of_band

        if not cls._supports_band:
            msg = (
                f"{cls.__name__} has no threshold axis to shade a reject band on; use "
                "MetricsDisplay or ScoreDistributionDisplay"
            )
            raise InvalidParameterError(msg)
        curve = curve_of_band(band)
        display = cls(curve, thresholds=thresholds, name=name)
        return display._draw(ax, {**kwargs, "band": band})

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: Any,
        y: Any,
        *,
        thresholds: Any = None,
        response_method: str = "auto",
        sample_weight: Any = None,
        pos_label: Any = None,
        name: str | None = None,
        ax: Any = None,
        **kwargs: Any,
    ) -> Any:
        """Score ``X`` with a fitted classifier and draw the curve against ``y``.

        The positive-class column of ``predict_proba`` is used, or ``decision_function``
        (``response_method="auto"`` tries them in that order). A cutpoints
        ``CutpointClassifier`` (or ``FixedCutpointClassifier``) is scored the way it
        was tuned and its threshold is marked, where it falls on this data's curve.
        Only its threshold, metric and constraints are used, never its tuning counts.
        """
        scores, cutpoint, fitted_threshold, pos_label = scores_from_estimator(
            estimator, X, response_method, pos_label
        )
        parts = tuned_parts(estimator)  # its decision rule, with or without a cutpoint
        rule = parts.rule if parts is not None else ">="
        curve = curve_from_predictions(
            y, scores, sample_weight=sample_weight, pos_label=pos_label, rule=rule
        )
        marks = check_thresholds(thresholds)
        if cutpoint is None and fitted_threshold is not None:
            marks = [float(fitted_threshold), *marks]
        inner = getattr(estimator, "estimator_", None)
        default_name = type(inner if inner is not None else estimator).__name__
        # The tuned threshold is marked where it falls on *this* data's curve.
        display = cls(
            curve,
            thresholds=marks,
            cutpoint=cutpoint,
            name=default_name if name is None else name,
        )
        return display._draw(ax, kwargs)

    # ------------------------------------------------------------------ helpers
    def _draw(self, ax: Any, kwargs: dict[str, Any]) -> Any:
        # Each subclass defines plot(ax=None, *, <its options>).
        return self.plot(ax=ax, **kwargs)  # type: ignore[attr-defined]

    def _set_axes(self, ax: Any) -> None:
        self.ax_ = ax
        self.figure_ = ax.figure
