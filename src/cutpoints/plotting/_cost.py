"""Cost (or any objective) against the threshold, with the chosen point marked."""

from __future__ import annotations

import math
from typing import Any

from .._metrics import get_metric
from ..errors import InvalidParameterError
from ._base import check_ax, drawing_indices
from ._display import CurveDisplay

__all__ = ["CostDisplay"]


class CostDisplay(CurveDisplay):
    """Cost against the threshold, with the chosen threshold(s) marked.

    Element i of the line is the metric (by default the cutpoint's objective, e.g.
    ``"cost(fp=1, fn=10)"``) when flagging ``score >= thresholds[i]``, from the exact
    :class:`~cutpoints.ConfusionCurve`. Row 0 (flag nothing) has no x position; its
    cost and that of flagging everything are drawn as horizontal reference lines.
    Any metric works (``"utility(tp=5, fp=-1)"``, ``"net_benefit(pt=0.1)"``).

    Parameters
    ----------
    curve : ConfusionCurve
        The exact curve.
    thresholds : float or list of float, optional
        Thresholds to mark.
    cutpoint : Cutpoint, optional
        A chosen cutpoint, marked first; its metric is the default ``metric``, and its
        closed-form references (the Bayes threshold for calibrated probabilities) are
        drawn as dotted vertical lines.
    name : str, optional
        Title of the plot.

    Attributes
    ----------
    x, values : ndarray of shape (n_thresholds - 1,)
        Thresholds (rows 1..n) and the metric there.
    metric : str
        The metric drawn.
    line_ : matplotlib Line2D
    points_ : list of matplotlib Line2D
        One marker per marked threshold, at its exact (threshold, value).
    flag_none_line_, flag_all_line_ : matplotlib Line2D
        The metric when flagging nothing and when flagging everything.
    reference_lines_ : list of matplotlib Line2D
        The cutpoint's closed-form reference thresholds.
    ax_, figure_ : matplotlib Axes and Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cutpoints as cp
    >>> from cutpoints.plotting import CostDisplay
    >>> y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    >>> cut = cp.find_cutpoint(y, s, metric="cost(fp=1, fn=5)")
    >>> disp = CostDisplay.from_cutpoint(cut)
    >>> disp.metric, disp.points_[0].get_xydata().tolist()
    ('cost(fp=1, fn=5)', [[0.35, 1.0]])
    """

    _what = "a cost curve"

    def plot(
        self,
        ax: Any = None,
        *,
        metric: Any = None,
        references: bool = True,
        **kwargs: Any,
    ) -> CostDisplay:
        """Draw the metric against the threshold.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if None.
        metric : str, optional
            E.g. ``"cost(fp=1, fn=10)"``; the cutpoint's metric by default (needed
            otherwise).
        references : bool, default=True
            Draw the cutpoint's closed-form reference thresholds.
        **kwargs
            Passed to ``ax.plot`` for the line.

        Returns
        -------
        CostDisplay
            ``self``.
        """
        if metric is None:
            if self.cutpoint is None:
                msg = "'metric' is needed (e.g. metric='cost(fp=1, fn=10)') without a cutpoint"
                raise InvalidParameterError(msg)
            metric = self.cutpoint.metric
        bound = get_metric(metric)
        curve = self.curve
        ax = check_ax(ax)
        all_values = curve.evaluate(bound)
        self.metric = bound.name
        self.x = curve.thresholds[1:]
        self.values = all_values[1:]
        keep = [m.index - 1 for m in self.marked if m.index > 0]
        idx = drawing_indices(len(curve) - 1, keep)
        kwargs.setdefault("label", bound.name)
        # Constant between observed scores: flagging at t equals flagging at the next
        # observed score on the flagging side.
        kwargs.setdefault("drawstyle", "steps-post")
        (self.line_,) = ax.plot(self.x[idx], self.values[idx], **kwargs)
        self.flag_none_line_ = ax.axhline(
            all_values[0], color="0.55", ls="--", lw=1, label="flag nothing"
        )
        self.flag_all_line_ = ax.axhline(
            all_values[-1], color="0.55", ls=":", lw=1, label="flag everything"
        )
        self.points_ = []
        for k, mark in enumerate(self.marked):
            if mark.index == 0:  # flag nothing: shown by its horizontal line
                continue
            (point,) = ax.plot(
                [mark.threshold],
                [all_values[mark.index]],
                marker="o" if k == 0 else "s",
                markersize=8,
                linestyle="none",
                color=f"C{k + 1}",
                label=f"{mark.label}: {all_values[mark.index]:.4g}",
                zorder=3,
            )
            self.points_.append(point)
        self.reference_lines_ = []
        if references and self.cutpoint is not None:
            for ref in self.cutpoint.references:
                if math.isfinite(ref.threshold):
                    self.reference_lines_.append(
                        ax.axvline(
                            ref.threshold,
                            color="C4",
                            ls=":",
                            lw=1.2,
                            label=f"{ref.name} reference t = {ref.threshold:.4g}",
                        )
                    )
        ax.set(
            xlabel="Threshold (flag if score ≥ t)"
            if curve.rule == ">="
            else "Threshold (flag if score ≤ t)",
            ylabel=bound.name,
        )
        if self.name:
            ax.set_title(self.name)
        ax.legend(loc="best", fontsize="small")
        self._set_axes(ax)
        return self
