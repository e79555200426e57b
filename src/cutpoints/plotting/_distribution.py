"""Score distributions per class, with the cut line(s)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidParameterError
from ._band import shade_band
from ._base import check_ax
from ._display import CurveDisplay

__all__ = ["ScoreDistributionDisplay"]


class ScoreDistributionDisplay(CurveDisplay):
    """Histograms of the scores of each class, with the threshold(s) drawn.

    The histograms are built from the exact :class:`~cutpoints.ConfusionCurve`, not
    from the raw scores: the (weighted) number of positives at each distinct score
    ``thresholds[i]`` is ``tp[i] - tp[i-1]`` (negatives likewise from ``fp``). So a
    cutpoint alone is enough, weights are used when they were given, and the area of
    each class right of the cut line is its share flagged.

    Parameters
    ----------
    curve : ConfusionCurve
        The exact curve.
    thresholds : float or list of float, optional
        Thresholds to draw as vertical lines.
    cutpoint : Cutpoint, optional
        A chosen cutpoint, drawn first.
    name : str, optional
        Title of the plot.

    Attributes
    ----------
    edges : ndarray of shape (n_bins + 1,)
        Bin edges.
    counts_negative, counts_positive : ndarray of shape (n_bins,)
        (Weighted) counts per bin, or densities with ``density=True``.
    hist_negative_, hist_positive_ : matplotlib StepPatch
    cut_lines_ : list of matplotlib Line2D
    band_span_ : matplotlib artist or None
        The shaded abstain region of a reject band (``band=``).
    band_lines_ : list of matplotlib Line2D
        The band's two edges, ``lo`` then ``hi``.
    ax_, figure_ : matplotlib Axes and Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cutpoints.plotting import ScoreDistributionDisplay
    >>> y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    >>> disp = ScoreDistributionDisplay.from_predictions(
    ...     y, s, thresholds=0.5, bins=[0, 0.5, 1], density=False)
    >>> disp.counts_negative.tolist(), disp.counts_positive.tolist()
    ([3.0, 0.0], [1.0, 2.0])
    """

    _what = "score distributions"
    _supports_band = True

    def plot(
        self,
        ax: Any = None,
        *,
        bins: Any = 50,
        density: bool = True,
        log: bool = False,
        band: Any = None,
        **kwargs: Any,
    ) -> ScoreDistributionDisplay:
        """Draw the two histograms and the cut line(s).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if None.
        bins : int or array-like, default=50
            Number of equal-width bins over the observed scores, or the bin edges.
        density : bool, default=True
            Normalize each class to unit area (so a rare class stays visible);
            ``False`` draws (weighted) counts.
        log : bool, default=False
            Logarithmic y axis.
        band : RejectBand, optional
            A reject band: the abstain region between ``lo`` and ``hi`` is shaded
            (``band_span_``) with both edges drawn (``band_lines_``), so the share of
            each class sent to review is the area of its histogram inside it.
        **kwargs
            Passed to both ``ax.stairs`` calls (e.g. ``alpha``).

        Returns
        -------
        ScoreDistributionDisplay
            ``self``.
        """
        curve = self.curve
        scores = curve.thresholds[1:]
        pos = np.diff(np.asarray(curve.tp, dtype=np.float64))
        neg = np.diff(np.asarray(curve.fp, dtype=np.float64))
        if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
            if bins < 1:
                msg = f"'bins' must be a positive integer or increasing edges (got {bins!r})"
                raise InvalidParameterError(msg)
            lo, hi = (float(scores.min()), float(scores.max())) if len(scores) else (0.0, 1.0)
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = np.linspace(lo, hi, int(bins) + 1)
        else:
            edges = np.asarray(bins, dtype=np.float64)
            if edges.ndim != 1 or len(edges) < 2 or np.any(np.diff(edges) <= 0):
                msg = f"'bins' must be a positive integer or increasing edges (got {bins!r})"
                raise InvalidParameterError(msg)
        ax = check_ax(ax)
        counts_neg, _ = np.histogram(scores, bins=edges, weights=neg)
        counts_pos, _ = np.histogram(scores, bins=edges, weights=pos)
        if density:
            widths = np.diff(edges)
            with np.errstate(invalid="ignore", divide="ignore"):
                counts_neg = counts_neg / (counts_neg.sum() * widths)
                counts_pos = counts_pos / (counts_pos.sum() * widths)
        self.edges = edges
        self.counts_negative = counts_neg
        self.counts_positive = counts_pos
        neg_label = "negative" if curve.negative_label is None else str(curve.negative_label)
        kwargs.setdefault("alpha", 0.45)
        self.hist_negative_ = ax.stairs(
            counts_neg,
            edges,
            fill=True,
            color="C0",
            label=f"negatives ({neg_label}, n = {curve.n_negative:,.4g})",
            **kwargs,
        )
        self.hist_positive_ = ax.stairs(
            counts_pos,
            edges,
            fill=True,
            color="C1",
            label=f"positives ({curve.positive_label}, n = {curve.n_positive:,.4g})",
            **kwargs,
        )
        self.cut_lines_ = []
        for k, mark in enumerate(self.marked):
            if not np.isfinite(mark.threshold):
                continue
            self.cut_lines_.append(
                ax.axvline(
                    mark.threshold,
                    color="k" if k == 0 else "0.45",
                    ls="-" if k == 0 else "--",
                    lw=1.3,
                    label=mark.label,
                )
            )
        self.band_span_: Any = None
        self.band_lines_: list[Any] = []
        if band is not None:
            self.band_span_, self.band_lines_ = shade_band(ax, band, curve)
        if log:
            ax.set_yscale("log")
        ax.set(xlabel="Score", ylabel="Density" if density else "Count")
        if self.name:
            ax.set_title(self.name)
        ax.legend(loc="best", fontsize="small")
        self._set_axes(ax)
        return self
