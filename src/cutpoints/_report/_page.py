"""Fill the page template: cards, sections, the embedded JSON and the inlined plotly.js."""

from __future__ import annotations

import string
from collections.abc import Mapping
from importlib import resources
from typing import Any

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from .._display import KEY_METRICS, shown_metrics
from .._saved_curve import is_complete
from ._band import band_fields, band_payload, band_rows
from ._binned import exact_named_points
from ._calibration import calibration_parts
from ._format import escape, fmt_count, fmt_percent, fmt_threshold, fmt_value
from ._groups import groups_html
from ._payload import build_payload, safe_json
from ._points import Alternatives, operating_points
from ._sections import (
    alternatives_table,
    data_summary,
    references_html,
    reproduce_html,
    why_html,
)
from ._stops import MAX_STOPS, choose_stops
from ._uncertainty import BAND_METRICS, BootstrapLike, bootstrap_bands, bootstrap_section
from ._value import value_section

__all__ = ["render"]

#: Key metrics of the live panel: the flagged share is shown beside the flagged count.
PANEL_METRICS = tuple(m for m in KEY_METRICS if m != "flag_rate")


class _Template(string.Template):
    delimiter = "%%"


def _template() -> _Template:
    text = (resources.files("cutpoints") / "templates" / "report.html").read_text("utf-8")
    return _Template(text)


def _plotly_js() -> str:
    try:
        from plotly.offline import get_plotlyjs
    except ImportError as exc:
        msg = 'the HTML report needs plotly: pip install "cutpoints[report]"'
        raise ImportError(msg) from exc
    # plotly.js holds no "</script", but never let inlined code close its element early.
    return str(get_plotlyjs()).replace("</script", "<\\/script")


def _binned_note(curve: ConfusionCurve, n_rows: int, n_stops: int, inexact: list[str]) -> str:
    """What the slider's stops are on a curve with exact counts at ``n_rows`` thresholds
    only (``curve`` as given, before the named points were added)."""
    n_bins = getattr(curve, "n_bins", None)
    what = (
        f"the edges of {n_bins:,} score bins and every score in the bins that could hold "
        "the answer (the exact histogram engine)"
        if n_bins is not None
        else "the rows saved with the cutpoint"
    )
    note = (
        f"These {fmt_count(curve.n_samples)} rows have exact counts at {n_rows:,} "
        f"thresholds, not at every distinct score: {what}. The slider moves over {n_stops:,} "
        "of them, including every point this page names; counts at each stop are exact. "
        "Between two stops the counts of thresholds not shown are not known here (they "
        "lie between the two stops' counts). A typed threshold between stops snaps to "
        "the nearest one."
    )
    if inexact:
        names = ", ".join(f"&lsquo;{escape(n)}&rsquo;" for n in inexact)
        note += (
            f" Not exact here (the data was not at hand to refine them): {names}; each "
            "shows the counts of the nearest known threshold that flags no more rows."
        )
    return note


def _stops_note(n_stops: int, n_thresholds: int) -> str:
    if n_stops < n_thresholds:
        return (
            f"The slider moves over {n_stops:,} of {n_thresholds:,} thresholds, chosen to keep "
            "the curves' shape and to include every point this page names; counts at each "
            "stop are exact. A typed threshold between stops snaps to the nearest one."
        )
    return (
        f"The slider stops at all {n_thresholds:,} thresholds (every distinct score plus "
        "&ldquo;flag nothing&rdquo;); counts at each stop are exact."
    )


def render(
    curve: ConfusionCurve,
    cut: Cutpoint,
    *,
    y_score: Any,
    pos_label: Any,
    boot: BootstrapLike | None,
    alternatives: Alternatives | None,
    title: str | None,
    command: str | None,
    source: Mapping[str, Any],
    band: Any = None,
    groups: Any = None,
) -> str:
    """The complete HTML document."""
    given, (curve, inexact) = curve, exact_named_points(curve, cut, alternatives)
    points = operating_points(curve, cut, alternatives)
    band_at = band_rows(curve, band) if band is not None else ()
    shown = shown_metrics(cut.metric, cut.constraints, key=PANEL_METRICS)
    followed = {"recall", "fpr", "precision", cut.metric.name, *_cons(cut)}
    follow = [curve.metric(name) for name in sorted(followed - {m.name for m in shown})]
    follow += [curve.evaluate(m) for m in shown if m.name in followed]
    stops = choose_stops(curve, [*(p.row for p in points), *band_at], follow, MAX_STOPS)
    payload = build_payload(curve, cut, stops, points, shown, bootstrap_bands(boot))
    calibration, payload["calibration"] = calibration_parts(curve, cut)
    stop_of = {int(row): i for i, row in enumerate(stops.tolist())}
    band_stops = [stop_of[r] for r in band_at] or [0, 0]
    payload["band"] = band_payload(band, *band_stops) if band is not None else None
    values = {m["name"]: m["values"] for m in payload["metrics"]}
    wanted = [m.name for m in shown if m.name in {cut.metric.name, *BAND_METRICS, *_cons(cut)}]
    fields = {
        **_header_fields(curve, cut, title, source),
        "why": why_html(curve, cut),
        "references": references_html(cut),
        "stops_note": _stops_note(len(stops), len(curve))
        if is_complete(curve)
        else _binned_note(given, len(curve), len(stops), inexact),
        "max_stop": str(len(stops) - 1),
        "chosen_stop": str(payload["chosen"]),
        "alternatives": alternatives_table(curve, points, stop_of, values, cut.metric.name),
        "calibration": value_section(curve, cut) + calibration,  # profit curve first
        "bootstrap": bootstrap_section(boot, wanted),
        "data_summary": data_summary(curve, cut, source, y_score),
        "groups": groups_html(groups),  # after the data table, not inside it
        "reproduce": reproduce_html(curve, cut, command, pos_label),
        **band_fields(band, curve, len(stops) - 1, band_stops[1]),
        "data_json": safe_json(payload),
        "plotly_js": _plotly_js(),
    }
    return _template().substitute(fields)


def _cons(cut: Cutpoint) -> list[str]:
    return [c.metric.name for c in cut.constraints]


def _header_fields(
    curve: ConfusionCurve, cut: Cutpoint, title: str | None, source: Mapping[str, Any]
) -> dict[str, str]:
    """The title, subtitle, the four cards and the labels of the confusion matrix."""
    from .. import __version__

    row = curve.index_at(cut.threshold)
    flagged = (curve.tp[row] + curve.fp[row]).item()  # as the live panel counts it
    file = source.get("file")
    page_title = title or (f"cutpoints report: {file}" if file else "cutpoints report")
    prevalence = fmt_percent(curve.n_positive, curve.n_total)
    return {
        "version": escape(__version__),
        "title": escape(page_title),
        "subtitle": escape(
            f"{fmt_count(curve.n_samples)} rows, prevalence {prevalence}; "
            f"flag a row iff its score {curve.rule} the threshold."
        ),
        "decision": escape(f"score {cut.rule} {fmt_threshold(cut.threshold)}"),
        "objective": escape(f"{cut.metric.name} = {fmt_value(cut.score)}"),
        "flagged": escape(f"{fmt_count(flagged)} ({fmt_percent(flagged, curve.n_total)})"),
        "data_card": escape(
            f"{fmt_count(curve.n_samples)} rows, {fmt_count(curve.n_positive)} positive"
        ),
        "rule": escape(curve.rule),
        "pos_label": escape(f"positive ({curve.positive_label})"),
        "neg_label": escape(f"negative ({curve.negative_label})"),
        "n_total": escape(fmt_count(curve.n_total)),
    }
