"""The report's profit-curve section: total value against threshold and flagged count.

Shown when the cutpoint was chosen with per-row values (``values=``): the total value
of the decisions at every threshold (exact, from the curve's cumulative value
columns), the chosen point, the value at 0.5 (for probabilities) and the value of
flagging nothing and everything. The charts are inline SVG: static, no script needed.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from ._format import escape, fmt_count, fmt_threshold, fmt_value

__all__ = ["value_section", "value_source"]

_WIDTH, _HEIGHT, _PAD = 520, 240, 46
_MAX_BUCKETS = 600  # the drawn line keeps each bucket's lowest and highest value


def value_source(curve: ConfusionCurve, cut: Cutpoint) -> ConfusionCurve | None:
    """The curve whose value columns the section reads: the report's, else the cutpoint's."""
    if getattr(curve, "values", None) is not None:
        return curve
    own = cut.curve
    if own is not None and getattr(own, "values", None) is not None:
        return own
    return None


def _envelope(n: int, y: npt.NDArray[np.float64], keep: list[int]) -> npt.NDArray[np.intp]:
    """Rows to draw: every row, or each bucket's lowest and highest value (and ``keep``).

    The profit curve of heavy-tailed amounts has spikes an even thinning would miss.
    """
    if n <= 2 * _MAX_BUCKETS:
        return np.arange(n)
    edges = np.linspace(0, n, _MAX_BUCKETS + 1).astype(np.intp)
    rows = [0, n - 1, *keep]
    for a, b in itertools.pairwise(edges):
        if b > a:
            part = y[a:b]
            rows += [a + int(np.argmin(part)), a + int(np.argmax(part))]
    return np.unique(np.asarray(rows, dtype=np.intp))


def _svg(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    marks: list[tuple[float, float, str]],
    *,
    xlabel: str,
    element_id: str,
    steps: bool,
) -> str:
    """A small line chart: the curve, a zero line, the marked points with labels."""
    finite = np.isfinite(x)
    x, y = x[finite], y[finite]
    if x.size == 0:
        return ""
    x0, x1 = float(x.min()), float(x.max())
    y0, y1 = float(min(y.min(), 0.0)), float(max(y.max(), 0.0))
    x1 = x1 if x1 > x0 else x0 + 1.0
    y1 = y1 if y1 > y0 else y0 + 1.0

    def px(v: float) -> float:
        return _PAD + (v - x0) / (x1 - x0) * (_WIDTH - 2 * _PAD)

    def py(v: float) -> float:
        return _HEIGHT - _PAD + (y0 - v) / (y1 - y0) * (_HEIGHT - 2 * _PAD)

    points: list[str] = []
    for i in range(x.size):
        if steps and i:  # the value holds from one observed score to the next
            points.append(f"{px(float(x[i])):.1f},{py(float(y[i - 1])):.1f}")
        points.append(f"{px(float(x[i])):.1f},{py(float(y[i])):.1f}")
    zero = py(0.0)
    parts = [
        f'<svg id="{element_id}" class="cp-value-chart" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" aria-label="total value against '
        f'{escape(xlabel)}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{_PAD}" y1="{zero:.1f}" x2="{_WIDTH - _PAD}" y2="{zero:.1f}" '
        'stroke="#bbb" stroke-dasharray="4 3"/>',
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{" ".join(points)}"/>',
    ]
    for k, (mx, my, label) in enumerate(marks):
        if not (math.isfinite(mx) and math.isfinite(my)):
            continue
        color = ("#d62728", "#2ca02c", "#9467bd")[k % 3]
        parts.append(
            f'<circle cx="{px(mx):.1f}" cy="{py(my):.1f}" r="4" fill="{color}">'
            f"<title>{escape(label)}</title></circle>"
        )
    text = 'font-size="11" fill="#555"'
    parts += [
        f'<text x="{_PAD}" y="{_HEIGHT - 8}" {text}>{escape(fmt_value(x0))}</text>',
        f'<text x="{_WIDTH - _PAD}" y="{_HEIGHT - 8}" text-anchor="end" {text}>'
        f"{escape(fmt_value(x1))}</text>",
        f'<text x="{_WIDTH / 2}" y="{_HEIGHT - 8}" text-anchor="middle" {text}>'
        f"{escape(xlabel)}</text>",
        f'<text x="4" y="{_PAD - 8}" {text}>{escape(fmt_value(y1))}</text>',
        f'<text x="4" y="{_HEIGHT - _PAD + 4}" {text}>{escape(fmt_value(y0))}</text>',
        "</svg>",
    ]
    return "".join(parts)


def value_section(curve: ConfusionCurve, cut: Cutpoint) -> str:
    """The section's HTML, or ``""`` when the choice was made without per-row values."""
    source = value_source(curve, cut)
    if source is None or source.values is None:
        return ""
    total = source.metric("value")
    flagged = np.asarray(source.tp, dtype=np.float64) + np.asarray(source.fp, dtype=np.float64)
    n = len(source)
    chosen = source.index_at(cut.threshold)
    named: list[tuple[str, int]] = [
        ("chosen threshold", chosen),
        ("flag nothing", 0),
        ("flag everything", n - 1),
    ]
    if source.probability_like:
        named.insert(1, ("threshold 0.5", source.index_at(0.5)))
    rows = []
    for label, row in named:
        split = source.values.split(row)
        cells = "".join(f"<td>{escape(fmt_value(split[k]))}</td>" for k in ("tp", "fp", "fn", "tn"))
        threshold = float(source.thresholds[row]) if label != "threshold 0.5" else 0.5
        rows.append(
            f"<tr><td>{escape(label)}</td><td>{escape(fmt_threshold(threshold))}</td>"
            f"<td>{escape(fmt_count(flagged[row].item()))}</td>"
            f"<td><b>{escape(fmt_value(float(total[row])))}</b></td>{cells}</tr>"
        )
    best = float(total[chosen])
    gains = [
        f"{escape(fmt_value(best - float(total[row])))} more than {escape(label)}"
        for label, row in named[1:]
    ]
    keep = [row for _, row in named]
    rows_t = _envelope(n, total, keep)
    marks_t = [(float(source.thresholds[r]), float(total[r]), lab) for lab, r in named]
    marks_f = [(float(flagged[r]), float(total[r]), lab) for lab, r in named]
    rule = "&ge;" if source.rule == ">=" else "&le;"
    return (
        '<section id="cp-value"><h2>Value of the decisions</h2>'
        "<p>The total value (money) of flagging each row with a score "
        f"{rule} the threshold, from the per-row value of each outcome "
        "(<code>values=</code>), exact at every threshold. The chosen threshold is worth "
        f"{escape(fmt_value(best))}: {'; '.join(gains)}.</p>"
        '<table id="cp-value-table"><thead><tr><th>decision</th><th>threshold</th>'
        "<th>flagged</th><th>total value</th><th>tp</th><th>fp</th><th>fn</th><th>tn</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        '<div class="charts">'
        + _svg(
            source.thresholds[rows_t],
            total[rows_t],
            marks_t,
            xlabel="threshold",
            element_id="cp-value-by-threshold",
            steps=True,
        )
        + _svg(
            flagged[rows_t],
            total[rows_t],
            marks_f,
            xlabel="rows flagged",
            element_id="cp-value-by-flagged",
            steps=False,
        )
        + '</div><p class="muted">Dots: the chosen threshold (red), then '
        + ", ".join(escape(lab) for lab, _ in named[1:])
        + "; hover a dot for its name. Dashed line: a total value of zero.</p></section>"
    )
