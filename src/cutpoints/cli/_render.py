"""Rich tables for the command line. Pure presentation: no computation happens here."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .._cutpoint import Cutpoint
from .._metrics import KEY_METRICS

__all__ = [
    "KEY_METRICS",
    "bootstrap_table",
    "cutpoint_renderables",
    "demo_table",
    "fmt",
    "metrics_catalog_table",
]


def fmt(value: Any, digits: int = 4) -> str:
    """A number for a table: integers exact, floats to ``digits`` significant digits."""
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


def _threshold(value: float) -> str:
    if math.isinf(value):
        return "+inf (flag nothing)" if value > 0 else "-inf (flag nothing)"
    return f"{value:.6g}"


def cutpoint_renderables(cut: Cutpoint, *, source: str | None = None) -> list[Any]:
    """Everything ``cutpoints tune`` prints, as rich renderables."""
    direction = "maximize" if cut.maximize else "minimize"
    head = Text()
    head.append("Flag a row iff ", style="bold")
    head.append(f"score {cut.rule} {_threshold(cut.threshold)}", style="bold green")
    head.append("\n")
    head.append(f"Objective: {direction} {cut.metric} = {fmt(cut.score)}")
    if cut.constraints:
        head.append("\nConstraints: " + "; ".join(cut.constraints))
    else:
        head.append("\nConstraints: none")
    n_opt = len(cut.optimal_thresholds)
    if n_opt > 1:
        shown = ", ".join(_threshold(t) for t in cut.optimal_thresholds[:5])
        more = ", ..." if n_opt > 5 else ""
        head.append(
            f"\nTies: {n_opt} thresholds attain the optimum exactly ({shown}{more}); "
            f"rule '{cut.ties}' chose {_threshold(cut.threshold)}"
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
    title = "cutpoint"
    panel = Panel(head, title=title, title_align="left", expand=False)

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

    metrics = Table(title="Metrics at this threshold", title_justify="left")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    names = [cut.metric, *[m for m in KEY_METRICS if m != cut.metric]]
    for c in cut.constraints:
        for name in cut.metrics:
            if c.startswith(name) and name not in names:
                names.append(name)
    for name in names:
        if name in cut.metrics:
            style = "bold" if name == cut.metric else None
            metrics.add_row(name, fmt(cut.metrics[name]), style=style)

    out: list[Any] = [panel, matrix, metrics]
    if cut.references:
        refs = Table(
            title="If the scores are calibrated probabilities, theory says",
            title_justify="left",
        )
        refs.add_column("reference")
        refs.add_column("threshold", justify="right")
        refs.add_column("formula")
        for r in cut.references:
            refs.add_row(r.name, _threshold(r.threshold), r.explanation)
        out.append(refs)
    if cut.runners_up:
        runners = Table(title="Runner-up thresholds", title_justify="left")
        runners.add_column("threshold", justify="right")
        runners.add_column(cut.metric, justify="right")
        runners.add_column("vs best", justify="right")
        for t, v in cut.runners_up:
            gap = v - cut.score if math.isfinite(v) and math.isfinite(cut.score) else math.nan
            runners.add_row(_threshold(t), fmt(v), fmt(gap, 3))
        out.append(runners)
    return out


def bootstrap_table(summary: Any, n_resamples: int, wanted: Sequence[str] = ()) -> Table:
    """A table from ``BootstrapResult.summary()`` (a DataFrame; read defensively).

    Keeps the rows whose ``quantity`` is the threshold or one of ``wanted`` (all rows if
    there is no such column) and the columns quantity, estimate, point, lower, upper, n.
    """
    table = Table(
        title=f"Bootstrap ({n_resamples:,} resamples): percentile intervals",
        title_justify="left",
    )
    try:
        frame = summary.reset_index(drop=True)
        records = frame.to_dict("records")
        columns = [str(c) for c in frame.columns]
    except AttributeError:
        records = [dict(r) for r in summary]
        columns = [str(c) for c in records[0]] if records else []
    if not records:
        table.add_column("note")
        table.add_row("no bootstrap summary")
        return table
    if "quantity" in columns:
        keep = {"threshold", *wanted}
        records = [r for r in records if str(r["quantity"]) in keep] or records
    wanted_columns: tuple[str, ...] = ("quantity", "estimate", "point", "lower", "upper", "n")
    preferred = [c for c in wanted_columns if c in columns]
    if len(preferred) >= 3:
        columns = preferred
    for col in columns:
        table.add_column(col, justify="left" if col in ("quantity", "estimate") else "right")
    for rec in records:
        table.add_row(
            *(rec[col] if isinstance(rec.get(col), str) else fmt(rec.get(col)) for col in columns)
        )
    return table


def demo_table(rows: Sequence[dict[str, Any]]) -> Table:
    """The demo's comparison of optima against the 0.5 default."""
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("", no_wrap=True)
    for col in ("threshold", "F1", "G-mean", "Youden", "precision", "recall", "flagged"):
        table.add_column(col, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            row["name"],
            f"{row['threshold']:.4g}",
            fmt(row["f1"], 3),
            fmt(row["gmean"], 3),
            fmt(row["youden"], 3),
            fmt(row["precision"], 3),
            fmt(row["recall"], 3),
            fmt(row["flagged"]),
            style="bold" if row.get("best") else None,
        )
    return table


def metrics_catalog_table(records: Sequence[dict[str, Any]]) -> Table:
    """The metric catalog for ``cutpoints metrics``."""
    table = Table(title="Metrics (use the name or an alias with --metric / --constraint)")
    table.add_column("name", style="bold")
    table.add_column("aliases")
    table.add_column("better")
    table.add_column("parameters")
    table.add_column("formula")
    table.add_column("undefined when")
    for r in records:
        table.add_row(
            r["name"],
            ", ".join(r["aliases"]),
            "higher" if r["greater_is_better"] else "lower",
            ", ".join(f"{k}={v}" for k, v in r["params"].items()),
            r["formula"],
            r["undefined"],
        )
    return table


def print_all(console: Console, renderables: Sequence[Any]) -> None:
    """Print renderables with a blank line between them."""
    console.print(Group(*renderables))
