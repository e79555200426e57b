"""A reject band drawn on a threshold axis: the abstain region shaded between lo and hi."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._curve import ConfusionCurve
from ..errors import InvalidParameterError

__all__ = ["check_band", "curve_of_band", "shade_band"]


def check_band(band: Any) -> Any:
    """A :class:`cutpoints.RejectBand`, or a clear error."""
    from .._reject import RejectBand

    if not isinstance(band, RejectBand):
        msg = f"'band' must be a cutpoints.RejectBand (got {type(band).__name__})"
        raise InvalidParameterError(msg)
    return band


def curve_of_band(band: Any) -> ConfusionCurve:
    """The curve a band was chosen from (a band loaded from JSON has none)."""
    band = check_band(band)
    if band.curve is None:
        msg = (
            "'band' has no curve (a band loaded from JSON keeps only its summary); plot "
            "with from_predictions(y_true, y_score, band=band)"
        )
        raise InvalidParameterError(msg)
    curve: ConfusionCurve = band.curve
    return curve


def _finite_span(curve: ConfusionCurve, lo: float, hi: float) -> tuple[float, float]:
    """The band's edges, infinite ones clipped to the observed scores."""
    scores = curve.thresholds[1:]
    low = float(np.min(scores)) if len(scores) else 0.0
    high = float(np.max(scores)) if len(scores) else 1.0
    return (min(max(lo, low), high) if math.isinf(lo) else lo), (
        min(max(hi, low), high) if math.isinf(hi) else hi
    )


def shade_band(ax: Any, band: Any, curve: ConfusionCurve) -> tuple[Any, list[Any]]:
    """Shade ``lo <= score < hi`` (abstain) and draw both edges; returns (span, edges).

    The edges are labelled with what each decides: ``hi``, positive at or above it,
    ``lo``, negative below it (mirrored for ``rule='<='``).
    """
    band = check_band(band)
    left, right = _finite_span(curve, band.lo, band.hi)
    share = f"{band.abstain_rate:.1%}" if not math.isnan(band.abstain_rate) else "?"
    span = ax.axvspan(
        left, right, color="0.55", alpha=0.25, lw=0, label=f"abstain / review ({share})"
    )
    if band.rule == ">=":
        labels = (f"lo = {band.lo:.4g} (negative below)", f"hi = {band.hi:.4g} (positive at/above)")
    else:
        labels = (f"lo = {band.lo:.4g} (positive at/below)", f"hi = {band.hi:.4g} (negative above)")
    edges = [
        ax.axvline(x, color=color, lw=1.2, ls="-", label=label)
        for x, color, label in ((left, "C3", labels[0]), (right, "C2", labels[1]))
    ]
    return span, edges
