"""Precision-recall curve with the chosen point(s), the no-skill line and iso-F1 curves."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from ._base import check_ax, drawing_indices, positive_negative
from ._display import CurveDisplay

__all__ = ["PrecisionRecallDisplay"]


class PrecisionRecallDisplay(CurveDisplay):
    """Precision against recall, with thresholds marked.

    Every vertex is one row of the exact :class:`~cutpoints.ConfusionCurve`:
    ``recall[i] = tp[i] / P`` and ``precision[i] = tp[i] / (tp[i] + fp[i])`` when
    flagging ``score >= thresholds[i]``. Row 0 flags nothing, so its precision is NaN
    and it is not drawn; no endpoint is invented. The line is drawn as steps (the
    precision of each vertex holds back to the previous recall), matching average
    precision.

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
    precision, recall : ndarray of shape (n_thresholds,)
        The metrics at every row (precision NaN at row 0).
    average_precision : float
        ``sum_i (recall[i] - recall[i-1]) * precision[i]`` over rows 1..n.
    line_ : matplotlib Line2D
        The curve.
    chance_ : matplotlib Line2D
        The no-skill line at the prevalence.
    points_ : list of matplotlib Line2D
        One marker per marked threshold, at its exact (recall, precision).
    iso_f1_lines_ : list of matplotlib Line2D
        Curves of equal F1.
    ax_, figure_ : matplotlib Axes and Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cutpoints as cp
    >>> from cutpoints.plotting import PrecisionRecallDisplay
    >>> cut = cp.find_cutpoint([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], metric="f1")
    >>> disp = PrecisionRecallDisplay.from_cutpoint(cut)
    >>> disp.points_[0].get_xydata().round(3).tolist()
    [[1.0, 0.667]]
    """

    _what = "a precision-recall curve"

    def plot(
        self,
        ax: Any = None,
        *,
        chance: bool = True,
        iso_f1: Any = (0.2, 0.4, 0.6, 0.8),
        **kwargs: Any,
    ) -> PrecisionRecallDisplay:
        """Draw the precision-recall curve.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if None.
        chance : bool, default=True
            Draw the no-skill line (precision = prevalence).
        iso_f1 : sequence of float, default=(0.2, 0.4, 0.6, 0.8)
            F1 values to draw curves of equal F1 for; ``()`` for none.
        **kwargs
            Passed to ``ax.plot`` for the curve.

        Returns
        -------
        PrecisionRecallDisplay
            ``self``.
        """
        curve = self.curve
        positive_negative(curve, self._what)
        levels = [float(f) for f in (iso_f1 or ())]
        if any(not 0 < f < 1 for f in levels):
            msg = f"'iso_f1' values must be in (0, 1) (got {iso_f1!r})"
            raise InvalidParameterError(msg)
        ax = check_ax(ax)
        self.precision = curve.metric("precision")
        self.recall = curve.metric("recall")
        r_prev = np.concatenate(([0.0], self.recall[:-1]))
        gain = (self.recall - r_prev)[1:] * self.precision[1:]
        self.average_precision = float(np.nansum(gain))
        idx = drawing_indices(len(curve), (m.index for m in self.marked))
        idx = idx[idx > 0]
        ap = self.average_precision
        label = f"{self.name} (AP = {ap:.3f})" if self.name else f"AP = {ap:.3f}"
        kwargs.setdefault("label", label)
        kwargs.setdefault("drawstyle", "steps-pre")
        (self.line_,) = ax.plot(self.recall[idx], self.precision[idx], **kwargs)
        self.chance_ = None
        prevalence = curve.prevalence
        if chance:
            (self.chance_,) = ax.plot(
                [0, 1],
                [prevalence, prevalence],
                linestyle="--",
                color="0.6",
                lw=1,
                label=f"no skill (prevalence {prevalence:.3g})",
            )
        self.iso_f1_lines_ = []
        for k, f in enumerate(levels):
            r = np.linspace(f / (2 - f), 1, 200)
            p = f * r / (2 * r - f)
            (line,) = ax.plot(
                r,
                p,
                color="0.75",
                lw=0.8,
                linestyle="-",
                label="iso-F1" if k == 0 else None,
                zorder=0,
            )
            ax.text(
                0.99,
                p[-1] + 0.01,
                f"F1 = {f:g}",
                ha="right",
                va="bottom",
                fontsize="x-small",
                color="0.45",
            )
            self.iso_f1_lines_.append(line)
        self.points_ = []
        for k, mark in enumerate(self.marked):
            (point,) = ax.plot(
                [self.recall[mark.index]],
                [self.precision[mark.index]],
                marker="o" if k == 0 else "s",
                markersize=8,
                linestyle="none",
                color=f"C{k + 1}",
                label=mark.label,
                zorder=3,
            )
            self.points_.append(point)
        ax.set(xlabel="Recall", ylabel="Precision", xlim=(-0.01, 1.01), ylim=(-0.01, 1.01))
        ax.legend(loc="lower left", fontsize="small")
        self._set_axes(ax)
        return self
