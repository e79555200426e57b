"""Rich tables for the command line. Presentation only: the numbers come from the library.

Thresholds are always shown with :func:`cutpoints._cutpoint.format_threshold` (the
shortest text that reads back as the same float), so a printed threshold typed back in
gives the same counts. Rich is imported here, never by ``cutpoints --help``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .._cutpoint import Cutpoint, format_threshold
from .._display import KEY_METRICS, shown_metrics
from .._metrics import BoundMetric

__all__ = [
    "bootstrap_renderables",
    "cutpoint_renderables",
    "demo_table",
    "fmt",
    "group_bootstrap_renderables",
    "metrics_catalog_table",
    "print_all",
    "threshold_text",
]

#: Below this console width the metric catalog is drawn in two columns, not six.
WIDE_CATALOG = 140
_COUNTS = frozenset({"tp", "fp", "tn", "fn", "flagged"})
#: Besides the objective and constrained metrics, the bootstrap table shows these rates.
BOOTSTRAP_METRICS = tuple(m for m in KEY_METRICS if m in ("precision", "recall", "flag_rate"))


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a table: integers exact, floats to ``digits`` significant digits.

    Never used for thresholds (see :func:`threshold_text`).
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "undefined"
    if math.isinf(number):
        return "+inf" if number > 0 else "-inf"
    if number.is_integer() and abs(number) < 1e15 and digits >= 4 and abs(number) >= 1:
        return f"{int(number):,}"
    return f"{number:.{digits}g}"


def threshold_text(value: float) -> str:
    """A threshold exactly as typed back (``repr``); infinities say what they do."""
    if math.isinf(value):
        return "+inf (flag nothing)" if value > 0 else "-inf (flag nothing)"
    return format_threshold(value)


def metric_value(cut: Cutpoint, metric: BoundMetric) -> float:
    """The value of ``metric`` at the cutpoint (from its metrics, else from its counts)."""
    for key in (str(metric), metric.name, metric.metric.name):
        if key in cut.metrics:
            return float(cut.metrics[key])
    counts = [np.array([float(c)]) for c in (cut.tp, cut.fp, cut.tn, cut.fn)]
    return float(metric(*counts)[0])


def _head(cut: Cutpoint, source: str | None) -> Text:
    """The panel: the decision, objective, constraints, ties, guarantee and data."""
    direction = "maximize" if cut.maximize else "minimize"
    head = Text()
    head.append("Flag a row iff ", style="bold")
    head.append(f"score {cut.rule} {threshold_text(cut.threshold)}", style="bold green")
    head.append(f"\nObjective: {direction} {cut.metric} = {fmt(cut.score)}")
    constraints = "; ".join(str(c) for c in cut.constraints) or "none"
    head.append(f"\nConstraints: {constraints}")
    if cut.guarantee is not None:
        head.append(f"\nGuarantee: {cut.guarantee}")
    n_opt = len(cut.optimal_thresholds)
    if n_opt > 1:
        shown = ", ".join(threshold_text(t) for t in cut.optimal_thresholds[:5])
        more = ", ..." if n_opt > 5 else ""
        head.append(
            f"\nTies: {n_opt} thresholds attain the optimum exactly ({shown}{more}); "
            f"rule '{cut.ties}' chose {threshold_text(cut.threshold)}"
        )
    else:
        head.append(f"\nTies: none (the optimum is unique; tie rule '{cut.ties}')")
    data = (
        f"\nData: {cut.n_samples:,} rows, {fmt(cut.n_positive)} positive "
        f"({fmt(cut.prevalence * 100, 3)}%), {fmt(cut.n_negative)} negative"
    )
    if cut.weighted:
        data += " (weighted counts)"
    if source:
        data += f" from {source}"
    head.append(data)
    return head


def _matrix(cut: Cutpoint) -> Table:
    matrix = Table(title="Confusion matrix", title_justify="left")
    matrix.add_column("")
    matrix.add_column("flagged", justify="right")
    matrix.add_column("not flagged", justify="right")
    matrix.add_column("total", justify="right")
    matrix.add_row(
        f"actual positive ({cut.positive_label!s})",
        f"tp {fmt(cut.tp)}",
        f"fn {fmt(cut.fn)}",
        fmt(cut.tp + cut.fn),
    )
    matrix.add_row(
        f"actual negative ({cut.negative_label!s})",
        f"fp {fmt(cut.fp)}",
        f"tn {fmt(cut.tn)}",
        fmt(cut.fp + cut.tn),
    )
    matrix.add_row("total", fmt(cut.tp + cut.fp), fmt(cut.tn + cut.fn), fmt(cut.n_samples))
    return matrix


def cutpoint_renderables(cut: Cutpoint, *, source: str | None = None) -> list[Any]:
    """Everything ``cutpoints tune`` prints, as rich renderables."""
    out: list[Any] = [
        Panel(_head(cut, source), title="cutpoint", title_align="left", expand=False),
        _matrix(cut),
    ]
    metrics = Table(title="Metrics at this threshold", title_justify="left")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    for m in shown_metrics(cut.metric, cut.constraints):
        style = "bold" if m.name == cut.metric.name else None
        metrics.add_row(m.name, fmt(metric_value(cut, m)), style=style)
    out.append(metrics)
    if cut.references:
        refs = Table(
            title="If the scores are calibrated probabilities, theory says",
            title_justify="left",
        )
        refs.add_column("reference")
        refs.add_column("threshold", justify="right")
        refs.add_column("formula")
        for r in cut.references:
            refs.add_row(r.name, threshold_text(r.threshold), r.explanation)
        out.append(refs)
    if cut.runners_up:
        runners = Table(title="Runner-up thresholds", title_justify="left")
        runners.add_column("threshold", justify="right")
        runners.add_column(str(cut.metric), justify="right")
        runners.add_column("vs best", justify="right")
        for t, v in cut.runners_up:
            gap = v - cut.score if math.isfinite(v) and math.isfinite(cut.score) else math.nan
            runners.add_row(threshold_text(t), fmt(v), fmt(gap, 3))
        out.append(runners)
    return out


# ---------------------------------------------------------------------- bootstrap


def scales_with_n(metric: BoundMetric) -> bool:
    """Whether a metric is a total (a count, a cost) that doubles when the data does.

    Out-of-bag values of such metrics cover only the rows a resample left out (about
    37% of the data), so they cannot be set beside the full-data value.
    """
    counts = [np.array([v]) for v in (3.0, 5.0, 7.0, 11.0)]
    try:
        once = float(metric(*counts)[0])
        twice = float(metric(*[2 * c for c in counts])[0])
    except Exception:  # a user metric that fails on these counts: treat it as a total
        return True
    return math.isfinite(once) and once != 0 and math.isclose(twice, 2 * once)


def _bounds(rec: Mapping[str, Any], *, whole: bool) -> tuple[float, float, bool]:
    """(lower, upper, whether rounding outward to whole rows changed them)."""
    lo, hi = float(rec.get("lower", math.nan)), float(rec.get("upper", math.nan))
    if whole and math.isfinite(lo) and math.isfinite(hi):
        rounded = float(math.floor(lo)), float(math.ceil(hi))
        return rounded[0], rounded[1], rounded != (lo, hi)
    return lo, hi, False


def _cell(point: float, lo: float, hi: float) -> tuple[str, bool]:
    """``[lo, hi]`` and whether ``point`` lies outside it (marked ``*``)."""
    if math.isnan(lo) or math.isnan(hi):
        return "undefined", False
    outside = not math.isnan(point) and not lo <= point <= hi
    return f"[{fmt(lo)}, {fmt(hi)}]" + (" *" if outside else ""), outside


@dataclass
class _Notes:
    """What the footnotes under the bootstrap table must explain."""

    totals_left_out: list[str] = field(default_factory=list)
    totals_scaled: list[str] = field(default_factory=list)
    rounded: bool = False
    outside: bool = False


def _out_of_bag_cell(
    rows: Mapping[tuple[str, str], Mapping[str, Any]],
    key: str,
    metric: BoundMetric,
    whole: bool,
    notes: _Notes,
) -> str:
    """Mean and interval out of bag; totals only when scaled to the full data's size."""
    rec = rows.get((key, "out_of_bag"))
    suffix = ""
    if scales_with_n(metric):
        rec = rows.get((key, "out_of_bag_scaled"))
        if rec is None:  # unscaled totals cover ~37% of the rows: never beside the point
            notes.totals_left_out.append(key)
            return "-"
        notes.totals_scaled.append(key)
        suffix = " (scaled)"
    if rec is None:
        return "-"
    mean = float(rec.get("mean", math.nan))
    lo, hi, changed = _bounds(rec, whole=whole)
    if whole and math.isfinite(mean):
        mean = float(round(mean))
    notes.rounded |= changed
    interval, outside = _cell(mean, lo, hi)
    notes.outside |= outside
    return f"{fmt(mean)} {interval}{suffix}"


def _bootstrap_row(
    rows: Mapping[tuple[str, str], Mapping[str, Any]],
    key: str,
    metric: BoundMetric,
    cut: Cutpoint,
    notes: _Notes,
) -> list[str]:
    """One metric: all-data value, its interval at this threshold, the out-of-bag cell."""
    point = metric_value(cut, metric)
    whole = key in _COUNTS and not cut.weighted
    lo, hi, changed = _bounds(rows[(key, "at_threshold")], whole=whole)
    notes.rounded |= changed
    at, outside = _cell(point, lo, hi)
    notes.outside |= outside
    return [key, fmt(point), at, _out_of_bag_cell(rows, key, metric, whole, notes)]


def _footnotes(notes: _Notes, n_infeasible: int, n_resamples: int) -> Text:
    lines = [
        "all data: the value at the chosen threshold. at this threshold: where the same "
        "value falls across resamples. new data (out of bag): each resample's own optimum "
        "scored on the rows it left out, mean and interval (an honest estimate for new data)."
    ]
    if notes.totals_scaled:
        lines.append(
            f"Out of bag, totals ({', '.join(notes.totals_scaled)}) are scaled from the rows "
            "left out (about 37% of the data) to the full data's size, so they compare with "
            "'all data'."
        )
    if notes.totals_left_out:
        lines.append(
            f"Out of bag, totals ({', '.join(notes.totals_left_out)}) are not shown: those "
            "rows are about 37% of the data, so their totals are not comparable with the "
            "full data's; read the rates (flag_rate, precision, recall) instead."
        )
    if notes.rounded:
        lines.append("Count bounds and out-of-bag counts are rounded outward to whole rows.")
    if notes.outside:
        lines.append("* the point lies outside its interval: the resampled values are skewed.")
    if n_infeasible:
        lines.append(
            f"{n_infeasible:,} of {n_resamples:,} resamples chose no threshold (none "
            "feasible, the objective undefined, or one class drawn; left out of the "
            "intervals)."
        )
    lines.append("In-bag (optimistic) estimates and BCa intervals: run with --json.")
    return Text("\n".join(lines), style="dim")


def bootstrap_renderables(
    records: Sequence[Mapping[str, Any]],
    cut: Cutpoint,
    *,
    n_resamples: int,
    confidence: float = 0.95,
    n_infeasible: int = 0,
) -> list[Any]:
    """The bootstrap table of ``tune -b``, from ``BootstrapResult.summary()`` records.

    One row per shown metric: its value on all the data at the chosen threshold, the
    interval of the same metric at the same threshold across resamples (a point and its
    own interval), and the out-of-bag estimate (each resample's optimum scored on the rows
    it left out) with its own mean. Out-of-bag totals (counts, costs) are left out: they
    cover about 37% of the rows. In-bag values (optimistic) and BCa bounds are in --json.
    """
    rows = {(str(r.get("quantity")), str(r.get("estimate"))): r for r in records}
    pct = f"{100 * confidence:g}%"
    notes = _Notes()
    out: list[Any] = []
    threshold_row = rows.get(("threshold", "threshold"))
    if threshold_row is not None:
        lo, hi, _ = _bounds(threshold_row, whole=False)
        outside = math.isfinite(lo) and not lo <= cut.threshold <= hi
        notes.outside |= outside
        out.append(
            Text(
                f"Threshold {threshold_text(cut.threshold)}: the resamples' own optima fall "
                f"in [{threshold_text(lo)}, {threshold_text(hi)}] ({pct})"
                + (" *" if outside else "")
            )
        )
    table = Table(
        title=f"Bootstrap ({n_resamples:,} resamples): {pct} percentile intervals",
        title_justify="left",
    )
    table.add_column("metric")
    for name in ("all data", "at this threshold", "new data (out of bag)"):
        table.add_column(name, justify="right")
    for m in shown_metrics(cut.metric, cut.constraints, key=BOOTSTRAP_METRICS):
        key = next((k for k in (str(m), m.name) if (k, "at_threshold") in rows), None)
        if key is not None:
            table.add_row(*_bootstrap_row(rows, key, m, cut, notes))
    out += [table, _footnotes(notes, n_infeasible, n_resamples)]
    return out


def group_bootstrap_renderables(
    cutpoints: Mapping[Any, Cutpoint],
    records: Mapping[Any, Sequence[Mapping[str, Any]]],
    *,
    n_resamples: int,
    n_infeasible: Mapping[Any, int],
    confidence: float = 0.95,
) -> list[Any]:
    """The bootstrap table of ``tune --group -b``: one row per group, each from that
    group's ``BootstrapResult.summary()`` records.

    Per group, as ``tune -b`` shows one threshold: where the resamples' own optima fall,
    then the objective's value on all the group's rows at its threshold, its interval at
    the same threshold across resamples, and the out-of-bag estimate (each resample's
    optimum scored on the group's rows it left out). The other metrics are in --json.
    """
    pct = f"{100 * confidence:g}%"
    notes = _Notes()
    metric = next(iter(cutpoints.values())).metric
    table = Table(
        title=(
            f"Bootstrap per group ({n_resamples:,} resamples of each group's rows): "
            f"{pct} percentile intervals"
        ),
        title_justify="left",
    )
    table.add_column("group")
    for name in ("threshold", "resamples' optima", f"{metric.name}: all data",
                 "at this threshold", "new data (out of bag)"):  # fmt: skip
        table.add_column(name, justify="right")
    for group, cut in cutpoints.items():
        rows = {(str(r.get("quantity")), str(r.get("estimate"))): r for r in records[group]}
        optima = "-"
        if ("threshold", "threshold") in rows:
            lo, hi, _ = _bounds(rows[("threshold", "threshold")], whole=False)
            outside = math.isfinite(lo) and not lo <= cut.threshold <= hi
            notes.outside |= outside
            optima = f"[{threshold_text(lo)}, {threshold_text(hi)}]" + (" *" if outside else "")
            if math.isnan(lo) or math.isnan(hi):
                optima = "undefined"
        key = next((k for k in (str(metric), metric.name) if (k, "at_threshold") in rows), None)
        cells = ["-", "-", "-"]
        if key is not None:
            cells = _bootstrap_row(rows, key, cut.metric, cut, notes)[1:]
        table.add_row(str(group), threshold_text(cut.threshold), optima, *cells)
    # Each group adds its metric to the notes: name it once.
    notes.totals_scaled = list(dict.fromkeys(notes.totals_scaled))
    notes.totals_left_out = list(dict.fromkeys(notes.totals_left_out))
    footnotes = _footnotes(notes, 0, n_resamples)
    lines = [
        "Each group's rows are resampled on their own, seeded: the same command gives the "
        "same intervals. resamples' optima: where each resample's own threshold falls."
    ]
    lines += [
        f"group {group}: {k:,} of {n_resamples:,} resamples chose no threshold (none "
        "feasible, the objective undefined, or one class drawn; left out of its intervals)."
        for group, k in n_infeasible.items()
        if k
    ]
    return [table, Text("\n".join(lines), style="dim"), footnotes]


# ---------------------------------------------------------------------- demo, catalog


def demo_table(rows: Sequence[dict[str, Any]]) -> Table:
    """The demo's comparison of optima against the 0.5 default."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("", no_wrap=True)
    # The exact threshold is long: on a narrow terminal it folds onto two lines rather
    # than being cut, and the other columns keep their width.
    table.add_column("threshold", justify="right", overflow="fold")
    for col in ("F1", "G-mean", "Youden", "precision", "recall", "flagged"):
        table.add_column(col, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            row["name"],
            threshold_text(row["threshold"]),
            fmt(row["f1"], 3),
            fmt(row["gmean"], 3),
            fmt(row["youden"], 3),
            fmt(row["precision"], 3),
            fmt(row["recall"], 3),
            fmt(row["flagged"]),
            style="bold" if row.get("best") else None,
        )
    return table


def metrics_catalog_table(records: Sequence[dict[str, Any]], width: int) -> Table:
    """The metric catalog for ``cutpoints metrics``, fitted to ``width`` columns.

    Names and aliases are never cut: on a narrow terminal the table has two columns
    (names with their aliases, then the rest), and only the formula text wraps.
    """
    title = "Metrics (use the name or an alias with --metric / --constraint)"
    if width >= WIDE_CATALOG:
        table = Table(title=title)
        table.add_column("name", style="bold", no_wrap=True)
        table.add_column("aliases", overflow="fold")
        table.add_column("better", no_wrap=True)
        table.add_column("parameters", overflow="fold")
        table.add_column("formula", overflow="fold")
        table.add_column("undefined when", overflow="fold")
        for r in records:
            table.add_row(
                r["name"],
                ", ".join(r["aliases"]),
                "higher" if r["greater_is_better"] else "lower",
                _params_text(r["params"]),
                r["formula"],
                r["undefined"],
            )
        return table
    table = Table(title=title, show_lines=True)
    table.add_column("metric (aliases)", no_wrap=True)
    table.add_column("what it is", overflow="fold")
    for r in records:
        names = Text(r["name"], style="bold")
        for alias in r["aliases"]:
            names.append("\n  " + alias)
        details = f"{'higher' if r['greater_is_better'] else 'lower'} is better; {r['formula']}"
        if r["params"]:
            details += f"\nparameters: {_params_text(r['params'])}"
        details += f"\nundefined when: {r['undefined']}"
        table.add_row(names, details)
    return table


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def print_all(console: Console, renderables: Sequence[Any]) -> None:
    """Print renderables one after the other."""
    console.print(Group(*renderables))
