"""A reject band in the report: a second handle on the slider and a three-outcome panel.

The slider's own handle is the band's positive threshold; the second handle is its
negative threshold, and it cannot pass the first. Both stop at the slider's stops (the
band's two rows are always among them), and the panel shows who is decided positive,
decided negative and sent to review, from the exact counts at the two stops: the page
computes only differences of counts and shares, as for the single threshold.
"""

from __future__ import annotations

from typing import Any

from .._curve import ConfusionCurve
from ..errors import InvalidParameterError
from ._format import escape, fmt_count, fmt_percent, fmt_threshold, fmt_value

__all__ = ["band_fields", "band_payload", "band_rows"]


def band_rows(curve: ConfusionCurve, band: Any) -> tuple[int, int]:
    """The curve rows (positive side h, negative side l) the band decides with, h <= l."""
    from .._reject import RejectBand

    if not isinstance(band, RejectBand):
        msg = f"'band' must be a cutpoints.RejectBand (got {type(band).__name__})"
        raise InvalidParameterError(msg)
    if band.rule != curve.rule:
        msg = f"'band' is for rule '{band.rule}' but the report's curve is for '{curve.rule}'"
        raise InvalidParameterError(msg)
    positive, negative = (band.hi, band.lo) if band.rule == ">=" else (band.lo, band.hi)
    h, ell = (int(r) for r in curve.rows_at([positive, negative]))
    return h, ell


def band_payload(band: Any, h_stop: int, l_stop: int) -> dict[str, Any]:
    """The band's part of the page's JSON: its two stops and what it reports."""
    return {
        "hi_stop": h_stop,
        "lo_stop": l_stop,
        "lo": fmt_threshold(band.lo),
        "hi": fmt_threshold(band.hi),
        "objective": band._objective_text(),
        "score": fmt_value(band.score),
    }


def band_fields(band: Any, curve: ConfusionCurve, max_stop: int, l_stop: int) -> dict[str, str]:
    """The template's band parts: the second handle, the panel, the slider's class."""
    if band is None:
        return {"band_handle": "", "band_section": "", "slider_class": "single"}
    handle = (
        f'<input type="range" id="cp-slider-lo" min="0" max="{max_stop}" step="1" '
        f'value="{l_stop}" aria-label="negative threshold stop">'
    )
    lo, hi = escape(fmt_threshold(band.lo)), escape(fmt_threshold(band.hi))
    if band.rule == ">=":
        rule = f"positive iff score &ge; hi = {hi}; negative iff score &lt; lo = {lo}"
    else:
        rule = f"positive iff score &le; lo = {lo}; negative iff score &gt; hi = {hi}"
    budget = f"; budget {escape(str(band.budget))}" if band.budget is not None else ""
    chosen = (
        f"<p>The chosen band ({escape(band.algorithm)}, exact over every pair of thresholds): "
        f"{rule}; abstain in between. {escape(band._objective_text())} = "
        f"{escape(fmt_value(band.score))}{budget}; it decides "
        f"{escape(fmt_percent(band.n_decided, band.n_total))} of the rows.</p>"
    )
    cells = "".join(
        f'<td><span id="cp-band-{key}" data-count="{key}"></span></td>'
        for key in ("tp", "ap", "fn")
    )
    cells_neg = "".join(
        f'<td><span id="cp-band-{key}" data-count="{key}"></span></td>'
        for key in ("fp", "an", "tn")
    )
    section = (
        '<h2 id="cp-band">Reject band</h2>'
        + chosen
        + "<p>The slider has two handles: the right-hand one is the positive threshold, "
        "the other the negative threshold; rows between them are sent to review. "
        '<span id="cp-band-rule"></span> <button class="go" id="cp-band-reset">back to the '
        "chosen band</button></p>"
        '<table class="matrix" id="cp-band-table"><thead><tr><th></th><th>decided positive</th>'
        "<th>sent to review</th><th>decided negative</th></tr></thead><tbody>"
        f"<tr><th>actual {escape(f'positive ({curve.positive_label})')}</th>{cells}</tr>"
        f"<tr><th>actual {escape(f'negative ({curve.negative_label})')}</th>{cells_neg}</tr>"
        "</tbody></table>"
        '<p>Decided: <b id="cp-band-decided"></b> (coverage <span id="cp-band-coverage"></span>); '
        'sent to review: <b id="cp-band-abstained"></b>; precision of the positive decisions '
        '<span id="cp-band-precision"></span>, of the negative ones (npv) '
        '<span id="cp-band-npv"></span>.</p>'
        f'<p class="muted">{escape(fmt_count(band.n_abstained))} rows abstained at the '
        "chosen band.</p>"
    )
    return {"band_handle": handle, "band_section": section, "slider_class": "dual"}
