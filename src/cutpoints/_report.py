"""A self-contained, interactive HTML report of a cutpoint.

One file, no network: the exact confusion curve is embedded as JSON and plotly.js is
inlined. A slider moves through the exact candidate thresholds (its stops are indices
into the curve, never a grid) and updates the confusion matrix, metrics and flagged
count computed in the browser from the exact counts. Charts draw a downsampled view.
"""

from __future__ import annotations

import html
import json
import math
import os
import string
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ._api import confusion_curve, select_cutpoint
from ._constraints import ConstraintLike, as_constraints
from ._curve import ConfusionCurve
from ._cutpoint import Cutpoint
from ._metrics import KEY_METRICS as _SHARED_KEY_METRICS
from ._metrics import MetricLike, get_metric
from .errors import InfeasibleConstraintError, InvalidParameterError, UndefinedMetricError

__all__ = ["report"]

#: Metrics the browser computes from the exact counts at the slider's position (each
#: needs a formula in templates/report.html).
# The flagged share is shown beside the flagged count, so the table leaves it out.
KEY_METRICS = tuple(m for m in _SHARED_KEY_METRICS if m != "flag_rate")
#: At most this many curve points are drawn per chart (the slider uses every point).
MAX_DRAWN = 2_000


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


def safe_json(payload: Any) -> str:
    """JSON that is safe inside ``<script>``: ``<``, ``>`` and ``&`` become ``\\u003c`` ...

    So neither ``</script>`` nor ``<!--`` can appear in the embedded text, whatever the
    column names or titles hold, and the text stays valid JSON.
    """
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _num(value: Any) -> float | int | None:
    """A JSON number: NaN -> None; ints stay ints."""
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _numbers(values: Any) -> list[float | int | None]:
    array = np.asarray(values)
    if array.dtype.kind in "iu":
        return [int(v) for v in array.tolist()]
    return [_num(v) for v in array.tolist()]


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    number = float(value)
    if math.isnan(number):
        return "undefined"
    if math.isinf(number):
        return "+inf" if number > 0 else "-inf"
    if number.is_integer() and abs(number) >= 1 and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:.{digits}g}"


def _fmt_t(value: float) -> str:
    if math.isinf(value):
        return "+inf (flag nothing)" if value > 0 else "-inf (flag nothing)"
    return f"{value:.6g}"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _draw_indices(n: int, keep: Iterable[int]) -> list[int]:
    """Indices of the curve to draw: all of them, or an even spread plus ``keep``."""
    if n <= MAX_DRAWN:
        return list(range(n))
    spread = np.unique(np.linspace(0, n - 1, MAX_DRAWN).round().astype(np.int64))
    return sorted({*spread.tolist(), *(int(k) for k in keep)})


def _alternatives(
    curve: ConfusionCurve,
    cut: Cutpoint,
    alternatives: Mapping[str, Any] | Sequence[Any] | None,
    probability_like: bool,
) -> list[tuple[str, float, str]]:
    """(name, threshold, how it was chosen) for the side-by-side table."""
    rows: list[tuple[str, float, str]] = [
        (f"chosen: {cut.metric}", cut.threshold, _why_short(cut)),
    ]
    if alternatives is not None:
        items: list[tuple[str, Any]]
        if isinstance(alternatives, Mapping):
            items = [(str(k), v) for k, v in alternatives.items()]
        else:
            items = [
                (
                    f"{a.metric} optimum" if isinstance(a, Cutpoint) else f"threshold {a:.6g}",
                    a,
                )
                for a in alternatives
            ]
        for name, alt in items:
            if isinstance(alt, Cutpoint):
                rows.append((str(name), alt.threshold, _why_short(alt)))
            else:
                rows.append((str(name), float(alt), "given"))
        return rows
    if cut.metric != "f1" or cut.constraints:
        try:
            f1 = select_cutpoint(curve, metric="f1")
            rows.append(("F1 optimum", f1.threshold, "maximize f1"))
        except (UndefinedMetricError, InfeasibleConstraintError):
            pass
    if probability_like:
        rows.append(("default 0.5", 0.5, "the usual default for probabilities"))
    k = cut.n_positive
    if k and k < curve.n_total:
        for mult, label in ((1, "K"), (2, "2K")):
            cap = k * mult
            cap_text = f"{cap:g}" if isinstance(cap, float) else f"{cap}"
            try:
                alt = select_cutpoint(
                    curve, metric="recall", constraints=[f"flagged <= {cap_text}"]
                )
            except (UndefinedMetricError, InfeasibleConstraintError):  # pragma: no cover
                continue
            rows.append(
                (
                    f"capacity {label} = {_fmt(cap)}",
                    alt.threshold,
                    f"max recall with flagged <= {_fmt(cap)} (K = number of positives)",
                )
            )
    return rows


def _why_short(cut: Cutpoint) -> str:
    direction = "maximize" if cut.maximize else "minimize"
    text = f"{direction} {cut.metric}"
    if cut.constraints:
        text += " s.t. " + ", ".join(cut.constraints)
    return text


def _frame_records(frame: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and records of a DataFrame-like object (defensive)."""
    if frame is None:
        return [], []
    if hasattr(frame, "to_dict") and hasattr(frame, "columns"):
        columns = [str(c) for c in frame.columns]
        records = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
        return columns, records
    records = [dict(r) for r in frame]
    columns = list(records[0]) if records else []
    return columns, records


def _bootstrap_parts(boot: Any, wanted: Sequence[str]) -> tuple[list[dict[str, Any]], str]:
    """(bands for the chart, HTML section) from a BootstrapResult, read defensively."""
    if boot is None:
        return [], ""
    bands: list[dict[str, Any]] = []
    notes: list[str] = []
    try:
        columns, records = _frame_records(boot.bands())
        pcols = sorted(
            (c for c in columns if c.startswith("p") and _is_float(c[1:])),
            key=lambda c: float(c[1:]),
        )
        if len(pcols) >= 2 and "metric" in columns and "threshold" in columns:
            lo, hi = pcols[0], pcols[-1]
            by_metric: dict[str, list[dict[str, Any]]] = {}
            for r in records:
                by_metric.setdefault(str(r["metric"]), []).append(r)
            for name, rows in by_metric.items():
                if name not in ("precision", "recall", "f1"):
                    continue
                rows = [r for r in rows if math.isfinite(float(r["threshold"]))]
                bands.append(
                    {
                        "metric": name,
                        "label": f"{lo[1:]}-{hi[1:]}% band",
                        "threshold": [_num(r["threshold"]) for r in rows],
                        "lower": [_num(r[lo]) for r in rows],
                        "upper": [_num(r[hi]) for r in rows],
                    }
                )
    except Exception as exc:
        notes.append(f"bands unavailable: {exc}")
    table = ""
    try:
        columns, records = _frame_records(boot.summary())
        if "quantity" in columns:
            keep = {"threshold", *wanted}
            records = [r for r in records if str(r["quantity"]) in keep] or records
        head = "".join(f"<th>{_e(c)}</th>" for c in columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{_e(r[c]) if isinstance(r[c], str) else _fmt(r[c])}</td>" for c in columns
            )
            + "</tr>"
            for r in records
        )
        table = (
            f'<table id="cp-bootstrap"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        )
    except Exception as exc:
        notes.append(f"summary unavailable: {exc}")
    n = getattr(boot, "n_resamples", None)
    intro = (
        f"<p>{_e(n)} bootstrap resamples. " if n is not None else "<p>Bootstrap resamples. "
    ) + (
        "Percentile intervals of the threshold and of the metrics at it; "
        "shaded bands on the metrics chart.</p>"
    )
    note = "".join(f'<p class="muted">{_e(x)}</p>' for x in notes)
    return bands, f"<h2>Uncertainty (bootstrap)</h2>{intro}{table}{note}"


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _python_call(
    cut: Cutpoint, metric: str, constraints: Sequence[str], weighted: bool, pos_label: Any
) -> str:
    args = [f"metric={metric!r}"]
    if constraints:
        args.append(f"constraints={list(constraints)!r}")
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


def report(
    y_true: Any = None,
    y_score: Any = None,
    *,
    cutpoint: Cutpoint | None = None,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    ties: str = "highest",
    rule: str = ">=",
    sample_weight: Any = None,
    pos_label: Any = None,
    bootstrap: Any = None,
    alternatives: Mapping[str, Any] | Sequence[Any] | None = None,
    title: str | None = None,
    command: str | None = None,
    source: Mapping[str, Any] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> str:
    """Write a self-contained interactive HTML report of a threshold choice.

    The file needs no network: plotly.js and the exact confusion curve are inlined. It
    shows the chosen operating point and why (objective, constraints, tie rule), a
    threshold slider whose stops are the exact candidate thresholds and which updates the
    confusion matrix, key metrics and flagged count live, ROC, precision-recall,
    metrics-by-threshold and net-benefit/cost charts with the current threshold marked,
    alternatives side by side, bootstrap bands and intervals if given, a data summary,
    and the command or call that reproduces it.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples,), optional
        Labels and scores. Optional when ``cutpoint`` carries its curve (a cutpoint from
        :func:`find_cutpoint` does).
    cutpoint : Cutpoint, optional
        The chosen operating point; by default found with ``metric`` and ``constraints``.
    metric, constraints, ties, rule, sample_weight, pos_label :
        As for :func:`find_cutpoint`.
    bootstrap : BootstrapResult, optional
        From :func:`cutpoints.bootstrap`: adds its percentile bands and intervals.
    alternatives : dict or list, optional
        Operating points to compare, as ``{name: threshold or Cutpoint}`` or a list of
        thresholds/Cutpoints. By default: the F1 optimum, 0.5 (for probabilities) and
        capacities K and 2K where K is the number of positives.
    title : str, optional
        The report's title.
    command : str, optional
        The command line that made the report, shown under "Reproduce".
    source : dict, optional
        Where the data came from: ``file``, ``label``, ``score``, ``weight`` (shown).
    path : str or path-like, optional
        Write the HTML there (UTF-8) as well as returning it.

    Returns
    -------
    str
        The HTML document. All user text is HTML-escaped; embedded JSON is script-safe.

    Examples
    --------
    >>> import cutpoints as cp
    >>> page = cp.report([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> page.startswith("<!DOCTYPE html>"), 'id="cp-slider"' in page
    (True, True)
    """
    if cutpoint is not None and y_true is None and y_score is None:
        if cutpoint.curve is None:
            msg = "'cutpoint' has no curve (loaded from JSON?): pass y_true and y_score too"
            raise InvalidParameterError(msg)
        curve = cutpoint.curve
    elif y_true is None or y_score is None:
        msg = "report() needs y_true and y_score, or a cutpoint from find_cutpoint()"
        raise InvalidParameterError(msg)
    else:
        curve = confusion_curve(
            y_true,
            y_score,
            sample_weight=sample_weight,
            pos_label=pos_label,
            rule=rule,  # type: ignore[arg-type]
        )
    if cutpoint is None:
        cut = select_cutpoint(
            curve,
            metric=metric,
            constraints=constraints,
            ties=ties,  # type: ignore[arg-type]
        )
    else:
        cut = cutpoint
    objective = get_metric(cut.metric)
    constraint_list = as_constraints(list(cut.constraints))
    chosen = curve.index_at(cut.threshold)
    thresholds = curve.thresholds
    finite = thresholds[np.isfinite(thresholds)]
    probability_like = bool(finite.size and finite.min() >= 0 and finite.max() <= 1)

    alts = _alternatives(curve, cut, alternatives, probability_like)
    alt_idx = [curve.index_at(t) for _, t, _ in alts]

    objective_values = curve.metric(objective)
    wanted = [objective.name, "precision", "recall", "f1", "flagged"]
    wanted += [c.metric.name for c in constraint_list]
    bands, boot_html = _bootstrap_parts(bootstrap, wanted)
    cost_like = objective.metric.name in ("cost", "utility", "net_benefit") or not (
        objective.metric.value_range[0] >= -1 and objective.metric.value_range[1] <= 1
    )
    draw = _draw_indices(len(curve), [chosen, *alt_idx])
    data = {
        "thresholds": [None if math.isinf(t) else float(t) for t in thresholds.tolist()],
        "tp": _numbers(curve.tp),
        "fp": _numbers(curve.fp),
        "n_positive": _num(curve.n_positive),
        "n_negative": _num(curve.n_negative),
        "prevalence": _num(curve.prevalence),
        "rule": curve.rule,
        "chosen_index": chosen,
        "draw": draw,
        "key_metrics": list(KEY_METRICS),
        "objective": {
            "name": objective.name,
            "values": _numbers(objective_values),
            "bounded": not cost_like,
            "cost_like": cost_like,
        },
        "constraints": [
            {
                "text": str(c),
                "values": _numbers(curve.metric(c.metric)),
                "satisfied": c.mask(curve.metric(c.metric)).astype(np.int8).tolist(),
            }
            for c in constraint_list
        ],
        "net_benefit": probability_like and curve.rule == ">=",
        "bands": bands,
    }

    src = dict(source or {})
    page_title = title or (
        f"cutpoints report: {src['file']}" if src.get("file") else "cutpoints report"
    )
    direction = "maximize" if cut.maximize else "minimize"
    n_opt = len(cut.optimal_thresholds)
    ties_text = (
        f"{n_opt} thresholds attain the optimum exactly; the tie rule '{cut.ties}' chose "
        f"{_fmt_t(cut.threshold)}."
        if n_opt > 1
        else f"The optimum is attained at one threshold only (tie rule '{cut.ties}' unused)."
    )
    cons_text = (
        "subject to " + "; ".join(f"<code>{_e(c)}</code>" for c in cut.constraints)
        if cut.constraints
        else "with no constraints"
    )
    why = (
        f"Chosen to {direction} <b>{_e(cut.metric)}</b> {cons_text}, over every distinct "
        f"score ({len(curve) - 1:,} candidates plus &ldquo;flag nothing&rdquo;). {_e(ties_text)}"
    )
    refs = ""
    if cut.references:
        items = "".join(
            f"<li><b>{_e(r.name)}</b>: {_e(_fmt_t(r.threshold))} &mdash; {_e(r.explanation)}</li>"
            for r in cut.references
        )
        refs = (
            "<p>If the scores are calibrated probabilities, theory puts the optimum at:</p>"
            f"<ul>{items}</ul>"
        )

    show_objective = objective.name not in ("precision", "recall", "f1")
    head = (
        "<thead><tr><th>operating point</th><th>threshold</th><th>tp</th><th>fp</th>"
        "<th>tn</th><th>fn</th><th>flagged</th><th>precision</th><th>recall</th><th>f1</th>"
        + ("" if show_objective is False else f"<th>{_e(objective.name)}</th>")
        + "<th>how</th><th></th></tr></thead>"
    )
    metric_cols = {m: curve.metric(m) for m in ("precision", "recall", "f1")}
    body = []
    for (name, t, how), i in zip(alts, alt_idx, strict=True):
        cells = [
            _e(name),
            _e(_fmt_t(t)),
            _fmt(curve.tp[i].item()),
            _fmt(curve.fp[i].item()),
            _fmt(curve.tn[i].item()),
            _fmt(curve.fn[i].item()),
            _fmt((curve.tp[i] + curve.fp[i]).item()),
            _fmt(metric_cols["precision"][i], 3),
            _fmt(metric_cols["recall"][i], 3),
            _fmt(metric_cols["f1"][i], 3),
            *([_fmt(objective_values[i])] if show_objective else []),
            _e(how),
            f'<button class="go" data-go="{i}">show</button>',
        ]
        body.append(f'<tr data-index="{i}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    alternatives_html = head + "<tbody>" + "".join(body) + "</tbody>"

    n_distinct = len(curve) - 1
    summary_rows: list[tuple[str, str]] = []
    if src.get("file"):
        summary_rows.append(("source", _e(src["file"])))
    for key, label in (("label", "label column"), ("score", "score column")):
        if src.get(key):
            summary_rows.append((label, f"<code>{_e(src[key])}</code>"))
    summary_rows += [
        ("rows", _fmt(curve.n_samples)),
        (
            f"positive ({_e(curve.positive_label)})",
            _fmt(curve.n_positive),
        ),
        (f"negative ({_e(curve.negative_label)})", _fmt(curve.n_negative)),
        ("prevalence", f"{curve.prevalence * 100:.4g}%"),
        ("distinct scores", _fmt(n_distinct)),
    ]
    if y_score is not None:
        scores = np.asarray(y_score, dtype=np.float64)
        _, counts = np.unique(scores, return_counts=True)
        tied_rows = int(counts[counts > 1].sum())
        summary_rows.append(("rows sharing their score with another (ties)", _fmt(tied_rows)))
    else:
        summary_rows.append(("rows in ties (at least)", _fmt(curve.n_samples - n_distinct)))
    if finite.size:
        summary_rows.append(("score range", f"{finite.min():.6g} to {finite.max():.6g}"))
    weight_text = "none (every row counts 1)"
    if curve.weighted:
        weight_text = f"weighted; total weight {_fmt(curve.n_total)}"
        if src.get("weight"):
            weight_text += f" from column <code>{_e(src['weight'])}</code>"
    summary_rows.append(("weights", weight_text))
    summary_rows.append(("data fingerprint", f"<code>{_e(cut.fingerprint)}</code>"))
    data_summary = (
        "<tbody>"
        + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in summary_rows)
        + "</tbody>"
    )

    reproduce = ""
    if command:
        reproduce += f'<p>Command line:</p><pre id="cp-command">{_e(command)}</pre>'
    call = _python_call(
        cut,
        cut.metric,
        cut.constraints,
        curve.weighted,
        curve.positive_label if pos_label is not None else None,
    )
    reproduce += f'<p>Python:</p><pre id="cp-python">{_e(call)}</pre>'

    from . import __version__

    n_drawn = len(draw)
    chart_note = (
        f"Charts draw {n_drawn:,} of the {len(curve):,} curve points"
        if n_drawn < len(curve)
        else "Charts draw every point of the curve"
    ) + "; the slider and the numbers use every exact threshold."
    values = {
        "version": _e(__version__),
        "title": _e(page_title),
        "subtitle": _e(
            f"{curve.n_samples:,} rows, prevalence {curve.prevalence * 100:.3g}%; "
            f"flag a row iff its score {curve.rule} the threshold."
        ),
        "decision": _e(f"score {cut.rule} {_fmt_t(cut.threshold)}"),
        "objective": _e(f"{cut.metric} = {_fmt(cut.score)}"),
        "flagged": _e(f"{_fmt(cut.flagged)} ({_fmt(cut.flagged / curve.n_total * 100, 3)}%)")
        if curve.n_total
        else "0",
        "data_card": _e(f"{curve.n_samples:,} rows, {_fmt(curve.n_positive)} positive"),
        "why": why,
        "references": refs,
        "rule": _e(curve.rule),
        "max_index": str(len(curve) - 1),
        "chosen_index": str(chosen),
        "pos_label": _e(f"positive ({curve.positive_label})"),
        "neg_label": _e(f"negative ({curve.negative_label})"),
        "n_total": _e(_fmt(curve.n_total)),
        "chart_note": _e(chart_note),
        "alternatives": alternatives_html,
        "bootstrap": boot_html,
        "data_summary": data_summary,
        "reproduce": reproduce,
        "data_json": safe_json(data),
        "plotly_js": _plotly_js(),
    }
    page = _template().substitute(values)
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page
