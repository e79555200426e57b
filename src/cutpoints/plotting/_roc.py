"""ROC curve with the chosen operating point(s), the chance diagonal and iso-cost lines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from ._base import check_ax, drawing_indices, positive_negative, rates
from ._display import CurveDisplay

__all__ = ["ROCDisplay"]


def _check_iso_cost(iso_cost: Any) -> tuple[float, float] | None:
    if iso_cost is None:
        return None
    try:
        c_fp, c_fn = (float(c) for c in iso_cost)
    except (TypeError, ValueError):
        msg = f"'iso_cost' must be a pair (cost_fp, cost_fn) of positive numbers (got {iso_cost!r})"
        raise InvalidParameterError(msg) from None
    if not (c_fp > 0 and c_fn > 0 and math.isfinite(c_fp) and math.isfinite(c_fn)):
        msg = f"'iso_cost' must be a pair (cost_fp, cost_fn) of positive numbers (got {iso_cost!r})"
        raise InvalidParameterError(msg)
    return c_fp, c_fn


class ROCDisplay(CurveDisplay):
    """ROC curve (recall against false positive rate) with thresholds marked.

    Every vertex of the drawn line is one row of the exact
    :class:`~cutpoints.ConfusionCurve`: ``fpr[i] = fp[i] / N`` and ``tpr[i] = tp[i] / P``
    when flagging ``score >= thresholds[i]``. Build one with :meth:`from_predictions`,
    :meth:`from_cutpoint`, :meth:`from_estimator` or :meth:`from_curve`.

    Parameters
    ----------
    curve : ConfusionCurve
        The exact curve to draw.
    thresholds : float or list of float, optional
        Thresholds to mark.
    cutpoint : Cutpoint, optional
        A chosen cutpoint, marked first.
    name : str, optional
        Legend name of the curve.

    Attributes
    ----------
    fpr, tpr : ndarray of shape (n_thresholds,)
        The rates at every row of the curve.
    roc_auc : float
        Area under the curve (trapezoids over the exact vertices).
    line_ : matplotlib Line2D
        The curve.
    chance_ : matplotlib Line2D
        The no-skill diagonal.
    points_ : list of matplotlib Line2D
        One marker per marked threshold, at its exact (fpr, tpr).
    iso_cost_lines_ : list of matplotlib Line2D
        Lines of equal expected cost (empty unless ``iso_cost`` is given).
    ax_, figure_ : matplotlib Axes and Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cutpoints as cp
    >>> from cutpoints.plotting import ROCDisplay
    >>> y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    >>> cut = cp.find_cutpoint(y, s, metric="youden")
    >>> disp = ROCDisplay.from_cutpoint(cut)
    >>> disp.points_[0].get_xydata().tolist()
    [[0.0, 0.6666666666666666]]
    >>> round(disp.roc_auc, 4)
    0.8889
    """

    _what = "a ROC curve"

    def plot(
        self,
        ax: Any = None,
        *,
        chance: bool = True,
        iso_cost: tuple[float, float] | None = None,
        prevalence: float | None = None,
        n_iso_lines: int = 5,
        **kwargs: Any,
    ) -> ROCDisplay:
        """Draw the ROC curve.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if None.
        chance : bool, default=True
            Draw the no-skill diagonal.
        iso_cost : (cost_fp, cost_fn), optional
            Draw lines of equal expected cost: slope ``cost_fp · N / (cost_fn · P)``.
            The solid one touches the curve at its cheapest vertex.
        prevalence : float, optional
            Prevalence for the iso-cost slope; the curve's own by default (give the
            deployment prevalence if it differs).
        n_iso_lines : int, default=5
            How many iso-cost lines to draw.
        **kwargs
            Passed to ``ax.plot`` for the curve (e.g. ``color``).

        Returns
        -------
        ROCDisplay
            ``self``.
        """
        curve = self.curve
        positive_negative(curve, self._what)
        costs = _check_iso_cost(iso_cost)
        if prevalence is not None and not 0 < float(prevalence) < 1:
            msg = f"'prevalence' must be in (0, 1) (got {prevalence!r})"
            raise InvalidParameterError(msg)
        ax = check_ax(ax)
        self.fpr = rates(curve.fp, curve.n_negative)
        self.tpr = rates(curve.tp, curve.n_positive)
        self.roc_auc = float(np.sum(np.diff(self.fpr) * (self.tpr[1:] + self.tpr[:-1]) / 2))
        idx = drawing_indices(len(curve), (m.index for m in self.marked))
        label = (
            f"{self.name} (AUC = {self.roc_auc:.3f})" if self.name else f"AUC = {self.roc_auc:.3f}"
        )
        kwargs.setdefault("label", label)
        (self.line_,) = ax.plot(self.fpr[idx], self.tpr[idx], **kwargs)
        self.chance_ = None
        if chance:
            (self.chance_,) = ax.plot(
                [0, 1], [0, 1], linestyle="--", color="0.6", lw=1, label="no skill"
            )
        self.points_ = []
        for k, mark in enumerate(self.marked):
            (point,) = ax.plot(
                [self.fpr[mark.index]],
                [self.tpr[mark.index]],
                marker="o" if k == 0 else "s",
                markersize=8,
                linestyle="none",
                color=f"C{k + 1}",
                label=mark.label,
                zorder=3,
            )
            self.points_.append(point)
        self.iso_cost_lines_: list[Any] = []
        if costs is not None:
            self._draw_iso_cost(ax, costs, prevalence, n_iso_lines)
        ax.set(
            xlabel="False positive rate (1 − specificity)",
            ylabel="True positive rate (recall)",
            xlim=(-0.01, 1.01),
            ylim=(-0.01, 1.01),
            aspect="equal",
        )
        ax.legend(loc="lower right", fontsize="small")
        self._set_axes(ax)
        return self

    def _draw_iso_cost(
        self, ax: Any, costs: tuple[float, float], prevalence: float | None, n_lines: int
    ) -> None:
        c_fp, c_fn = costs
        curve = self.curve
        p = curve.prevalence if prevalence is None else float(prevalence)
        slope = c_fp * (1 - p) / (c_fn * p)
        # Expected cost per row is p·c_fn·(1 − tpr) + (1 − p)·c_fp·fpr: constant along
        # tpr = slope · fpr + b. The best vertex has the largest intercept b.
        intercepts = self.tpr - slope * self.fpr
        best = float(intercepts.max())
        xs = np.array([0.0, 1.0])
        step = max(best + slope, 1.0) / max(n_lines, 1)
        for k in range(max(n_lines, 1)):
            b = best - k * step
            line = ax.plot(
                xs,
                b + slope * xs,
                color="0.35",
                lw=1.2 if k == 0 else 0.7,
                linestyle="-" if k == 0 else ":",
                label=f"iso-cost (c_fn/c_fp = {c_fn / c_fp:g}, prevalence {p:.3g})"
                if k == 0
                else None,
                zorder=1,
            )[0]
            self.iso_cost_lines_.append(line)
