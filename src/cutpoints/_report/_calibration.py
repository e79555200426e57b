"""The report's calibration section: reliability diagram with bin counts, Brier, ECE, gap.

Shown when the scores are probabilities (every threshold in [0, 1], rule '>='). The
numbers come from :func:`cutpoints.shift._calibration.calibration_of` on the report's
curve, so they equal :func:`cutpoints.shift.check_calibration` on the same data; the
diagram is drawn by the page's script from the ``calibration`` part of the JSON.
"""

from __future__ import annotations

from typing import Any

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from ..shift._calibration import CALIBRATE_HINT, Calibration, calibration_of
from ._format import escape, fmt_count, fmt_percent, fmt_threshold, fmt_value
from ._payload import json_numbers
from ._sections import GUIDE_SECTION, _reference_words

__all__ = ["calibration_parts"]

N_BINS = 10


def calibration_parts(curve: ConfusionCurve, cut: Cutpoint) -> tuple[str, dict[str, Any] | None]:
    """The section's HTML and the charts' JSON; ``("", None)`` unless scores are probabilities."""
    if not (
        curve.probability_like and curve.rule == ">=" and curve.n_positive and curve.n_negative
    ):
        return "", None
    cal = calibration_of(curve, metric=cut.metric, ties=cut.ties, n_bins=N_BINS)
    chart = {
        "edges": json_numbers(cal.edges),
        "counts": json_numbers(cal.counts),
        "mean_predicted": json_numbers(cal.mean_predicted),
        "fraction_positive": json_numbers(cal.fraction_positive),
        "optimum": json_numbers([cal.optimum])[0],
        "reference": None if cal.reference is None else cal.reference.threshold,
    }
    return _html(cal, cut), chart


def _summary_rows(cal: Calibration, cut: Cutpoint) -> list[tuple[str, str]]:
    rows = [
        ("Brier score (0 is perfect)", fmt_value(cal.brier)),
        ("expected calibration error (ECE)", fmt_value(cal.ece)),
        ("largest error in a bin (MCE)", fmt_value(cal.mce)),
    ]
    if cal.reference is None or cal.metric is None:
        return rows
    name = escape(cal.metric.name)
    rows += [
        (f"empirical optimum of <code>{name}</code> (no constraints)", fmt_threshold(cal.optimum)),
        (
            f"closed form: {escape(_reference_words(cal.reference, cut.metric))}",
            fmt_threshold(cal.reference.threshold),
        ),
        ("gap (optimum &minus; closed form)", fmt_value(cal.gap)),
        (
            f"<code>{name}</code> lost by using the closed form on this data",
            f"{fmt_value(cal.regret)} ({fmt_value(100 * cal.relative_regret, 3)}% of the optimum)",
        ),
    ]
    return rows


def _bins_table(cal: Calibration) -> str:
    head = "".join(
        f"<th>{h}</th>" for h in ("scores in", "rows", "positives", "mean score", "share positive")
    )
    body = []
    for b in range(cal.n_bins):
        last = b == cal.n_bins - 1
        span = f"[{fmt_threshold(cal.edges[b])}, {fmt_threshold(cal.edges[b + 1])}" + (
            "]" if last else ")"
        )
        empty = cal.counts[b] == 0
        cells = [
            escape(span),
            fmt_count(cal.counts[b].item()),
            fmt_count(cal.positives[b].item()),
            "&ndash;" if empty else fmt_value(cal.mean_predicted[b]),
            "&ndash;" if empty else fmt_percent(cal.positives[b], cal.counts[b]),
        ]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"


def _html(cal: Calibration, cut: Cutpoint) -> str:
    summary = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in _summary_rows(cal, cut))
    verdict = ""
    if cal.large_gap:
        verdict = (
            '<p id="cp-calibration-warning" class="bad"><b>The scores do not behave as '
            "calibrated probabilities here:</b> the closed-form threshold would lose "
            f"{fmt_value(100 * cal.relative_regret, 3)}% of the optimal "
            f"{escape(cut.metric.name)}. The chosen (empirical) threshold is still the best "
            "one for this data, but closed-form rules, odds re-basing to a new prevalence "
            f"and EM prevalence estimates assume calibration: {escape(CALIBRATE_HINT)}.</p>"
        )
    lines = "Solid line: the empirical optimum of the chosen metric (no constraints)"
    if cal.reference is not None:
        lines += "; dashed: its closed-form threshold for calibrated probabilities"
    return (
        '<section id="cp-calibration"><h2>Calibration</h2>'
        "<p>Do the scores behave as probabilities? Each bin of scores is drawn at its mean "
        "score against its share of positives; calibrated probabilities lie on the "
        "diagonal. Closed-form thresholds, re-targeting by odds re-basing and EM "
        f"prevalence estimates rely on calibration; see {GUIDE_SECTION}.</p>"
        f"{verdict}"
        '<div class="row">'
        f'<table id="cp-calibration-summary"><tbody>{summary}</tbody></table>'
        f'<table id="cp-calibration-bins">{_bins_table(cal)}</table></div>'
        '<div class="charts"><div class="chart" id="chart-reliability"></div>'
        '<div class="chart" id="chart-reliability-counts"></div></div>'
        f'<p class="muted">{lines}.</p></section>'
    )
