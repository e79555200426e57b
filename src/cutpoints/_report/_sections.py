"""The static HTML parts of the report: why, references, alternatives, data, reproduce.

Every user-supplied text is escaped here; numbers go through :mod:`._format`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint, Reference
from .._metrics import BoundMetric
from .._saved_curve import is_complete
from ._format import escape, fmt_count, fmt_percent, fmt_threshold, fmt_value
from ._points import Point

__all__ = [
    "GUIDE_SECTION",
    "alternatives_table",
    "data_summary",
    "references_html",
    "reproduce_html",
    "why_html",
]

#: Where the guide explains the closed-form references.
GUIDE_SECTION = (
    "the guide, <i>Choosing a threshold &rsaquo; Closed-form references: a calibration "
    "check</i> (<code>docs/guide/choosing.md</code>)"
)
#: Table columns that always appear (the objective is added when it is another metric).
TABLE_METRICS = ("precision", "recall", "f1")


def why_html(curve: ConfusionCurve, cut: Cutpoint) -> str:
    """One paragraph: the objective, direction, constraints and how ties were broken."""
    direction = "maximize" if cut.maximize else "minimize"
    n_opt = len(cut.optimal_thresholds)
    if n_opt > 1:
        ties = (
            f"{n_opt:,} thresholds attain the optimum exactly; the tie rule "
            f"&lsquo;{escape(cut.ties)}&rsquo; chose {escape(fmt_threshold(cut.threshold))}."
        )
    else:
        ties = (
            "The optimum is attained at one threshold only (tie rule "
            f"&lsquo;{escape(cut.ties)}&rsquo; unused)."
        )
    constraints = (
        "subject to " + "; ".join(f"<code>{escape(c)}</code>" for c in cut.constraints)
        if cut.constraints
        else "with no constraints"
    )
    over = (
        f"distinct score ({len(curve) - 1:,} candidates plus &ldquo;flag nothing&rdquo;)"
        if is_complete(curve)
        else "distinct score (exactly: scores in bins that could not hold the optimum were "
        "bounded out, not skipped)"
    )
    return (
        f"Chosen to {direction} <b>{escape(cut.metric.name)}</b> {constraints}, over every "
        f"{over}. {ties}"
    )


def _reference_words(ref: Reference, objective: BoundMetric) -> str:
    """A closed-form reference in words a reader without the paper understands."""
    name = objective.metric.name
    if ref.name == "lipton":
        beta = float(objective.params.get("beta", 1.0))
        if beta == 1:
            return "F-optimal threshold for calibrated probabilities: half the best F1"
        return (
            "F-optimal threshold for calibrated probabilities: the best "
            f"F-beta (beta = {beta:g}) divided by 1 + beta squared"
        )
    if ref.name == "bayes" and name == "cost":
        return (
            "Bayes-optimal threshold for calibrated probabilities: the extra cost of a false "
            "positive over the extra costs of both kinds of error"
        )
    if ref.name == "bayes" and name == "utility":
        return (
            "Bayes-optimal threshold for calibrated probabilities: the gain lost on a false "
            "positive over the gains lost on both kinds of error"
        )
    if ref.name == "bayes":
        return "Bayes-optimal threshold for calibrated probabilities: both errors cost the same"
    if ref.name == "decision_curve":
        return "the net benefit's own threshold probability, where treating breaks even"
    return f"{ref.name}: {ref.explanation}"


def references_html(cut: Cutpoint) -> str:
    """Where theory puts the optimum for calibrated probabilities, with the guide's pointer."""
    if not cut.references:
        return ""
    items = "".join(
        f"<li>{escape(fmt_threshold(r.threshold))} &mdash; "
        f"{escape(_reference_words(r, cut.metric))}</li>"
        for r in cut.references
    )
    return (
        '<div id="cp-references"><p>If the scores are calibrated probabilities, theory puts '
        f'the optimum at:</p><ul>{items}</ul><p class="muted">A large gap between this and '
        "the chosen threshold says the scores are not calibrated; the chosen threshold is "
        f"still the best one for this data. See {GUIDE_SECTION}.</p></div>"
    )


def alternatives_table(
    curve: ConfusionCurve,
    points: Sequence[Point],
    stop_of: Mapping[int, int],
    values: Mapping[str, Any],
    objective: str,
) -> str:
    """The alternatives side by side; metric values are those embedded for the stops."""
    columns = [*TABLE_METRICS, *([] if objective in TABLE_METRICS else [objective])]
    head = (
        "<thead><tr><th>operating point</th><th>threshold</th><th>tp</th><th>fp</th>"
        "<th>tn</th><th>fn</th><th>flagged</th>"
        + "".join(f"<th>{escape(c)}</th>" for c in columns)
        + "<th>how</th><th></th></tr></thead>"
    )
    rows = []
    for point in points:
        i, stop = point.row, stop_of[point.row]
        cells = [
            escape(point.name),
            escape(fmt_threshold(point.threshold)),
            *(fmt_count(a[i].item()) for a in (curve.tp, curve.fp, curve.tn, curve.fn)),
            fmt_count((curve.tp[i] + curve.fp[i]).item()),
            *(fmt_value(values[c][stop]) for c in columns),
            escape(point.how),
            f'<button class="go" data-go="{stop}">show</button>',
        ]
        rows.append(f'<tr data-stop="{stop}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return head + "<tbody>" + "".join(rows) + "</tbody>"


def data_summary(
    curve: ConfusionCurve, cut: Cutpoint, source: Mapping[str, Any], y_score: Any
) -> str:
    """Rows, classes, prevalence, distinct scores, ties, score range, weights, fingerprint."""
    n_distinct = len(curve) - 1
    rows: list[tuple[str, str]] = []
    if source.get("file"):
        rows.append(("source", escape(source["file"])))
    for key, label in (("label", "label column"), ("score", "score column")):
        if source.get(key):
            rows.append((label, f"<code>{escape(source[key])}</code>"))
    rows += [
        ("rows", fmt_count(curve.n_samples)),
        (f"positive ({escape(curve.positive_label)})", fmt_count(curve.n_positive)),
        (f"negative ({escape(curve.negative_label)})", fmt_count(curve.n_negative)),
        ("prevalence", fmt_percent(curve.n_positive, curve.n_total)),
    ]
    if not is_complete(curve):  # binned or saved: its rows are not the distinct scores
        rows.append(("thresholds with exact counts", fmt_count(n_distinct)))
    else:
        rows.append(("distinct scores", fmt_count(n_distinct)))
    if y_score is not None:
        _, counts = np.unique(np.asarray(y_score, dtype=np.float64), return_counts=True)
        tied = int(counts[counts > 1].sum())
        rows.append(("rows sharing their score with another (ties)", fmt_count(tied)))
    elif is_complete(curve):
        rows.append(("rows in ties (at least)", fmt_count(curve.n_samples - n_distinct)))
    if n_distinct:
        low, high = sorted((float(curve.thresholds[1]), float(curve.thresholds[-1])))
        rows.append(("score range", f"{fmt_threshold(low)} to {fmt_threshold(high)}"))
    weights = "none (every row counts 1)"
    if curve.weighted:
        weights = f"weighted; total weight {fmt_count(curve.n_total)}"
        if source.get("weight"):
            weights += f" from column <code>{escape(source['weight'])}</code>"
    rows.append(("weights", weights))
    rows.append(("data fingerprint", f"<code>{escape(cut.fingerprint)}</code>"))
    return "<tbody>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows) + "</tbody>"


def _python_call(cut: Cutpoint, weighted: bool, pos_label: Any) -> str:
    args = [f"metric={cut.metric.name!r}"]
    if cut.constraints:
        args.append(f"constraints={[str(c) for c in cut.constraints]!r}")
    args.append(f"ties={cut.ties!r}")
    if cut.rule != ">=":
        args.append(f"rule={cut.rule!r}")
    if weighted:
        args.append("sample_weight=w")
    if pos_label is not None:
        args.append(f"pos_label={pos_label!r}")
    return (
        "import cutpoints as cp\n"
        f"cut = cp.find_cutpoint(y_true, y_score, {', '.join(args)})\n"
        f"assert cut.threshold == {cut.threshold!r}  # data fingerprint {cut.fingerprint}"
    )


def code_block(element_id: str, text: str) -> str:
    """``<pre>`` that wraps at spaces only: each token is one inline block.

    A browser also breaks after hyphens and slashes; an inline block keeps a token whole
    unless it is wider than the line, where ``overflow-wrap: anywhere`` breaks it.
    """
    parts = (
        part if part.isspace() else f'<span class="tok">{escape(part)}</span>'
        for part in re.split(r"(\s+)", text)
        if part
    )
    return f'<pre id="{element_id}">{"".join(parts)}</pre>'


def reproduce_html(
    curve: ConfusionCurve, cut: Cutpoint, command: str | None, pos_label: Any
) -> str:
    """The command line (when given) and the Python call that reproduce the choice."""
    html = ""
    if command:
        html += "<p>Command line:</p>" + code_block("cp-command", command)
    call = _python_call(
        cut, curve.weighted, curve.positive_label if pos_label is not None else None
    )
    return html + "<p>Python:</p>" + code_block("cp-python", call)
