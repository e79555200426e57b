"""Metrics against the threshold, flagged count on a twin axis, bands and capacity."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._metrics import get_metric
from ..errors import InvalidParameterError
from ..selection import Constraint
from ._band import shade_band
from ._base import check_ax, drawing_indices
from ._display import CurveDisplay

__all__ = ["MetricsDisplay", "check_bands"]

_PERCENTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")


def check_bands(bands: Any) -> tuple[Any, list[str]]:
    """Validate a tidy band table; return it and its percentile columns, low to high.

    The format is the one ``bootstrap(...).bands()`` returns: columns ``metric``,
    ``threshold`` and two or more percentile columns named ``f"p{q:g}"``.
    """
    columns = getattr(bands, "columns", None)
    if columns is None:
        msg = (
            "'bands' must be a pandas DataFrame with columns 'metric', 'threshold' and "
            f"percentiles like 'p2.5', 'p50', 'p97.5' (got {type(bands).__name__})"
        )
        raise InvalidParameterError(msg)
    names = [str(c) for c in columns]
    missing = [c for c in ("metric", "threshold") if c not in names]
    if missing:
        msg = f"'bands' is missing column(s) {missing!r} (got columns {names!r})"
        raise InvalidParameterError(msg)
    percentiles = sorted((c for c in names if _PERCENTILE.match(c)), key=lambda c: float(c[1:]))
    if len(percentiles) < 2:
        msg = (
            "'bands' needs at least two percentile columns named like 'p2.5' and 'p97.5' "
            f"(got columns {names!r})"
        )
        raise InvalidParameterError(msg)
    return bands, percentiles


def _capacity_from(constraints: Sequence[Constraint]) -> float | None:
    """The tightest ``flagged <= k`` (or ``<``) bound among the cutpoint's constraints."""
    bounds = [
        c.bound for c in constraints if c.metric.metric.name == "flagged" and c.op in ("<=", "<")
    ]
    return min(bounds) if bounds else None


class MetricsDisplay(CurveDisplay):
    """Metrics against the threshold, with the flagged count on a twin axis.

    Every point is one row of the exact :class:`~cutpoints.ConfusionCurve` (row 0,
    threshold ``+inf``, is not drawn: it has no x position). Element i of each drawn
    line is the metric when flagging ``score >= thresholds[i]``. Optional percentile
    bands (from ``bootstrap(...).bands()``), the chosen threshold(s) and a capacity
    limit are drawn on top.

    Parameters
    ----------
    curve : ConfusionCurve
        The exact curve to draw.
    thresholds : float or list of float, optional
        Thresholds to mark with vertical lines.
    cutpoint : Cutpoint, optional
        A chosen cutpoint, marked first; a ``flagged <= k`` constraint of it is drawn as
        the capacity.
    name : str, optional
        Title of the plot.

    Attributes
    ----------
    x : ndarray of shape (n_thresholds - 1,)
        The thresholds drawn (rows 1..n).
    values : dict of str to ndarray
        Each metric's values at ``x``.
    lines_ : dict of str to matplotlib Line2D
        One line per metric.
    flagged_line_ : matplotlib Line2D or None
        The flagged count, on ``ax_flagged_``.
    ax_flagged_ : matplotlib Axes or None
        The twin axis of the flagged count.
    band_fills_, band_medians_ : dict of str to matplotlib artists
        Percentile band (lowest to highest percentile column) and median line per metric.
    threshold_lines_ : list of matplotlib Line2D
        Vertical lines at the marked thresholds.
    capacity_line_ : matplotlib Line2D or None
        Horizontal line at the capacity on the flagged axis.
    band_span_ : matplotlib artist or None
        The shaded abstain region of a reject band (``band=``).
    band_lines_ : list of matplotlib Line2D
        The band's two edges, ``lo`` then ``hi``.
    ax_, figure_ : matplotlib Axes and Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import cutpoints as cp
    >>> from cutpoints.plotting import MetricsDisplay
    >>> y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    >>> cut = cp.find_cutpoint(y, s, metric="f1", constraints="flagged <= 3")
    >>> disp = MetricsDisplay.from_cutpoint(cut, metrics=["precision", "recall"])
    >>> disp.lines_["recall"].get_ydata().round(3).tolist()
    [0.333, 0.667, 0.667, 1.0, 1.0, 1.0]
    >>> list(disp.capacity_line_.get_ydata())
    [3.0, 3.0]
    """

    _what = "metrics against the threshold"
    _supports_band = True

    def plot(
        self,
        ax: Any = None,
        *,
        metrics: Sequence[Any] = ("precision", "recall", "f1"),
        flagged: bool = True,
        flagged_scale: str = "auto",
        bands: Any = None,
        capacity: float | None = None,
        band: Any = None,
        **kwargs: Any,
    ) -> MetricsDisplay:
        """Draw the metrics against the threshold.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure if None.
        metrics : sequence of str, default=('precision', 'recall', 'f1')
            Metric names from the catalog (``"fbeta(beta=2)"``, ``"mcc"``, ...).
        flagged : bool, default=True
            Draw the flagged count (tp + fp) on a twin y axis.
        flagged_scale : {'auto', 'linear', 'log'}, default='auto'
            Scale of the flagged axis; ``"auto"`` is ``"log"`` when the positive
            flagged counts span more than two orders of magnitude (a capacity of 60 out
            of 5,000 rows stays visible).
        bands : pandas.DataFrame, optional
            Percentile bands in the tidy format of ``bootstrap(...).bands()``: columns
            ``metric``, ``threshold`` and percentiles ``p2.5``, ``p50``, ``p97.5``, ...
            The band spans the lowest to the highest percentile column; ``p50`` (if
            present) is drawn as a dashed median line. Only metrics that are drawn get
            bands (``"flagged"`` rows go on the flagged axis); other rows are ignored.
        capacity : float, optional
            A review capacity (maximum flagged count) to draw on the flagged axis;
            by default taken from a ``flagged <= k`` constraint of the cutpoint. Drawn
            only with ``flagged=True``.
        band : RejectBand, optional
            A reject band (:func:`cutpoints.find_reject_band`): the abstain region
            between ``lo`` and ``hi`` is shaded (``band_span_``) and both edges drawn
            (``band_lines_``). ``from_reject_band(band)`` draws the band's own curve.
        **kwargs
            Passed to ``ax.plot`` for every metric line (e.g. ``lw``).

        Returns
        -------
        MetricsDisplay
            ``self``.
        """
        # Long: argument checks, then one drawing pass in layer order (lines, bands,
        # marks, flagged axis, capacity, reject band) that shares the axes and colours.
        curve = self.curve
        if isinstance(metrics, str) or not len(metrics):
            msg = f"'metrics' must be a non-empty list of metric names (got {metrics!r})"
            raise InvalidParameterError(msg)
        bound = [get_metric(m) for m in metrics]
        band_table, percentiles = check_bands(bands) if bands is not None else (None, [])
        if capacity is None and self.cutpoint is not None:
            capacity = _capacity_from(self.cutpoint.constraints)
        if capacity is not None and not float(capacity) >= 0:
            msg = f"'capacity' must be a non-negative number (got {capacity!r})"
            raise InvalidParameterError(msg)
        if flagged_scale not in ("auto", "linear", "log"):
            msg = (
                f"'flagged_scale' must be one of ['auto', 'linear', 'log'] (got {flagged_scale!r})"
            )
            raise InvalidParameterError(msg)
        ax = check_ax(ax)
        keep = [m.index - 1 for m in self.marked if m.index > 0]
        idx = drawing_indices(len(curve) - 1, keep) + 1
        self.x = curve.thresholds[1:]
        self.values = {}
        self.lines_ = {}
        # Each metric is constant between observed scores (flagging at t equals flagging
        # at the next observed score), hence steps.
        kwargs.setdefault("drawstyle", "steps-post")
        for k, m in enumerate(bound):
            values = curve.evaluate(m)[1:]
            self.values[m.name] = values
            (line,) = ax.plot(
                curve.thresholds[idx], values[idx - 1], color=f"C{k}", label=m.name, **kwargs
            )
            self.lines_[m.name] = line
        self.band_fills_ = {}
        self.band_medians_ = {}
        if band_table is not None:
            low, high = percentiles[0], percentiles[-1]
            labels = band_table["metric"].astype(str)
            for k, m in enumerate(bound):
                rows = band_table[labels == m.name]
                if not len(rows):
                    continue
                rows = rows.sort_values("threshold")
                x = rows["threshold"].to_numpy(dtype=float)
                self.band_fills_[m.name] = ax.fill_between(
                    x,
                    rows[low].to_numpy(dtype=float),
                    rows[high].to_numpy(dtype=float),
                    color=f"C{k}",
                    alpha=0.2,
                    lw=0,
                    label=f"{m.name} {low[1:]}–{high[1:]}%",
                )
                if "p50" in rows:
                    (self.band_medians_[m.name],) = ax.plot(
                        x, rows["p50"].to_numpy(dtype=float), color=f"C{k}", lw=0.8, ls="--"
                    )
        self.threshold_lines_ = []
        for k, mark in enumerate(self.marked):
            if not np.isfinite(mark.threshold):
                continue
            line = ax.axvline(
                mark.threshold,
                color="k" if k == 0 else "0.45",
                ls="-" if k == 0 else "--",
                lw=1.2,
                label=mark.label,
            )
            self.threshold_lines_.append(line)
        self.band_span_: Any = None
        self.band_lines_: list[Any] = []
        if band is not None:
            self.band_span_, self.band_lines_ = shade_band(ax, band, curve)
        ax.set(
            xlabel="Threshold (flag if score ≥ t)"
            if curve.rule == ">="
            else "Threshold (flag if score ≤ t)",
            ylabel="Metric",
        )
        self.ax_flagged_ = None
        self.flagged_line_ = None
        self.capacity_line_ = None
        handles, labels_ = ax.get_legend_handles_labels()
        if flagged:
            twin = ax.twinx()
            count = (curve.tp + curve.fp)[1:]
            (self.flagged_line_,) = twin.plot(
                curve.thresholds[idx],
                count[idx - 1],
                color="0.4",
                lw=1,
                ls=":",
                drawstyle="steps-post",
                label="flagged (right axis)",
            )
            if capacity is not None:
                self.capacity_line_ = twin.axhline(
                    float(capacity), color="C3", lw=1, ls="-.", label=f"capacity {capacity:g}"
                )
            twin.set_ylabel("Flagged (tp + fp)")
            positive = count[count > 0]
            if flagged_scale == "auto":
                spread = positive.max() / positive.min() if len(positive) else 1.0
                flagged_scale = "log" if spread > 100 else "linear"
            if flagged_scale == "log":
                twin.set_yscale("log", nonpositive="mask")
                twin.set_ylabel("Flagged (tp + fp, log scale)")
            else:
                twin.set_ylim(bottom=0)
            self.flagged_scale = flagged_scale
            self.ax_flagged_ = twin
            if band_table is not None:
                rows = band_table[band_table["metric"].astype(str) == "flagged"]
                if len(rows):
                    rows = rows.sort_values("threshold")
                    low, high = percentiles[0], percentiles[-1]
                    self.band_fills_["flagged"] = twin.fill_between(
                        rows["threshold"].to_numpy(dtype=float),
                        rows[low].to_numpy(dtype=float),
                        rows[high].to_numpy(dtype=float),
                        color="0.4",
                        alpha=0.12,
                        lw=0,
                        label=f"flagged {low[1:]}–{high[1:]}%",
                    )
            more_h, more_l = twin.get_legend_handles_labels()
            handles, labels_ = handles + more_h, labels_ + more_l
        if self.name:
            ax.set_title(self.name)
        ax.legend(handles, labels_, loc="best", fontsize="small")
        self._set_axes(ax)
        return self
