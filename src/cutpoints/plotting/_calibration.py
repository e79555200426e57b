"""Reliability diagram: share of positives against the mean score, per bin, with counts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..shift._calibration import Calibration, calibration_of
from ._base import check_ax, positive_negative
from ._display import CurveDisplay

__all__ = ["ReliabilityDisplay"]


class ReliabilityDisplay(CurveDisplay):
    """Reliability diagram (calibration curve) with the number of rows in each bin.

    Scores are grouped into bins; each bin is drawn at (mean score, share of positives).
    Calibrated probabilities lie on the diagonal. Bars (right axis) show how many rows
    each bin holds, so a point resting on a handful of rows is seen as such. Everything
    is computed from the exact :class:`~cutpoints.ConfusionCurve` (see
    :func:`cutpoints.shift.check_calibration`), so a cutpoint alone is enough.

    Marked thresholds are drawn as vertical lines; for a cutpoint, so is the closed-form
    threshold its metric would have for calibrated probabilities, when there is one (the
    gap between the two is a calibration check).

    Parameters
    ----------
    curve : ConfusionCurve
        The exact curve (probabilities in [0, 1], rule ``">="``).
    thresholds : float or list of float, optional
        Thresholds to draw.
    cutpoint : Cutpoint, optional
        A chosen cutpoint, drawn first; its metric gives the closed-form reference.
    name : str, optional
        Legend name of the model.

    Attributes
    ----------
    calibration : Calibration
        Everything drawn: bin edges and counts, ``mean_predicted``,
        ``fraction_positive``, ``brier``, ``ece``, the gap to the closed form.
    mean_predicted, fraction_positive, counts : ndarray of shape (n_bins,)
        The drawn points and bar heights (NaN means for empty bins).
    brier, ece : float
        Brier score and expected calibration error (also in the legend).
    line_ : matplotlib Line2D
        The reliability curve.
    diagonal_ : matplotlib Line2D or None
        Perfect calibration.
    bars_ : matplotlib BarContainer or None
        The bin counts (on ``counts_ax_``).
    counts_ax_ : matplotlib Axes or None
        The right-hand axis of the counts.
    threshold_lines_ : list of matplotlib Line2D
        One vertical line per marked threshold, then the closed-form reference.
    ax_, figure_ : matplotlib Axes and Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cutpoints.plotting import ReliabilityDisplay
    >>> y = [0, 0, 0, 1, 0, 1, 1, 1]
    >>> p = [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]
    >>> disp = ReliabilityDisplay.from_predictions(y, p, n_bins=2)
    >>> disp.mean_predicted.round(3).tolist(), disp.fraction_positive.tolist()
    ([0.25, 0.75], [0.25, 0.75])
    >>> disp.counts.tolist()
    [4.0, 4.0]
    """

    _what = "a reliability diagram"

    def plot(
        self,
        ax: Any = None,
        *,
        n_bins: int = 10,
        strategy: str = "uniform",
        counts: bool = True,
        diagonal: bool = True,
        **kwargs: Any,
    ) -> ReliabilityDisplay:
        """Draw the reliability diagram.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if None.
        n_bins : int, default=10
            Number of bins.
        strategy : {'uniform', 'quantile'}, default='uniform'
            Equal-width bins on [0, 1], or bins of about equal count.
        counts : bool, default=True
            Draw the bin counts as bars on a right-hand axis.
        diagonal : bool, default=True
            Draw the diagonal of perfect calibration.
        **kwargs
            Passed to ``ax.plot`` for the curve (e.g. ``color``).

        Returns
        -------
        ReliabilityDisplay
            ``self``.
        """
        curve = self.curve
        positive_negative(curve, self._what)
        metric = self.cutpoint.metric if self.cutpoint is not None else None
        ties = self.cutpoint.ties if self.cutpoint is not None else "highest"
        cal = calibration_of(
            curve,
            metric=metric,
            ties=ties,
            n_bins=n_bins,
            strategy=strategy,  # type: ignore[arg-type]
            what=self._what,
        )
        self.calibration: Calibration = cal
        self.mean_predicted = cal.mean_predicted
        self.fraction_positive = cal.fraction_positive
        self.counts = cal.counts
        self.brier, self.ece = cal.brier, cal.ece
        ax = check_ax(ax)
        self.counts_ax_: Any = None
        self.bars_: Any = None
        if counts:
            self._draw_counts(ax, cal)
        self.diagonal_ = None
        if diagonal:
            (self.diagonal_,) = ax.plot(
                [0, 1], [0, 1], linestyle="--", color="0.6", lw=1, label="perfectly calibrated"
            )
        filled = cal.counts > 0
        label = f"Brier {cal.brier:.3g}, ECE {cal.ece:.3g}"
        kwargs.setdefault("label", f"{self.name} ({label})" if self.name else label)
        kwargs.setdefault("marker", "o")
        (self.line_,) = ax.plot(
            cal.mean_predicted[filled], cal.fraction_positive[filled], zorder=3, **kwargs
        )
        self.threshold_lines_ = self._draw_thresholds(ax, cal)
        ax.set(
            xlabel="Mean score in bin (predicted probability)",
            ylabel="Share of positives in bin",
            xlim=(-0.01, 1.01),
            ylim=(-0.01, 1.01),
        )
        ax.legend(loc="upper left", fontsize="small")
        self._set_axes(ax)
        return self

    def _draw_counts(self, ax: Any, cal: Calibration) -> None:
        # A twin axis keeps the probability scale on the left; the bars are kept to the
        # lower third so they never hide the curve.
        twin = ax.twinx()
        widths = np.diff(cal.edges)
        self.bars_ = twin.bar(
            cal.edges[:-1],
            cal.counts,
            width=widths,
            align="edge",
            color="0.85",
            edgecolor="0.6",
            linewidth=0.5,
            zorder=0,
        )
        top = float(cal.counts.max()) if cal.counts.size else 1.0
        twin.set_ylim(0, 3.0 * top if top > 0 else 1.0)
        twin.set_ylabel("Rows per bin")
        ax.set_zorder(twin.get_zorder() + 1)  # the curve and legend above the bars
        ax.patch.set_visible(False)
        self.counts_ax_ = twin

    def _draw_thresholds(self, ax: Any, cal: Calibration) -> list[Any]:
        lines = []
        for k, mark in enumerate(self.marked):
            if not math.isfinite(mark.threshold):
                continue
            lines.append(
                ax.axvline(
                    mark.threshold,
                    color="k" if k == 0 else "0.45",
                    ls="-" if k == 0 else ":",
                    lw=1.2,
                    label=mark.label,
                )
            )
        ref = cal.reference
        if ref is not None and 0 <= ref.threshold <= 1:
            lines.append(
                ax.axvline(
                    ref.threshold,
                    color="C3",
                    ls="--",
                    lw=1.2,
                    label=f"closed form for calibrated scores: t = {ref.threshold:.4g}",
                )
            )
        return lines
