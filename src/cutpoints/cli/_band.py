"""``cutpoints tune --reject``: a reject band (two thresholds, abstain in between).

The band options are parsed and checked before any file is read; the band comes from
:func:`cutpoints._reject.find_reject_band` on the same columns ``tune`` reads; the
outputs (table, JSON, ``--save``, ``--report``, ``--plot``) go through the same checked,
atomic writers as a single cutpoint's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._reject import RejectBand, _budget, _objective, find_reject_band
from ..errors import CutpointsError
from ._console import CliError, print_json, status, stdout_console
from ._io import InputData, read_input
from ._options import TuneOptions

__all__ = ["BandOptions", "band_payload", "band_renderables", "tune_band"]


@dataclass(frozen=True)
class BandOptions:
    """The reject-band options of ``tune``, as parsed."""

    reject: bool = False
    coverage: float | None = None
    abstain_rate: float | None = None
    max_abstained: float | None = None
    abstain_cost: float | None = None

    @property
    def wanted(self) -> bool:
        """Whether a band (rather than one threshold) is asked for."""
        return self.reject or any(
            v is not None
            for v in (self.coverage, self.abstain_rate, self.max_abstained, self.abstain_cost)
        )

    def flags(self) -> tuple[tuple[str, Any], ...]:
        """The options that reproduce this band, for a command line."""
        return (
            ("--reject", True),
            ("--coverage", self.coverage),
            ("--abstain-rate", self.abstain_rate),
            ("--max-abstained", self.max_abstained),
            ("--abstain-cost", self.abstain_cost),
        )

    def keywords(self) -> dict[str, Any]:
        return {
            "coverage": self.coverage,
            "abstain_rate": self.abstain_rate,
            "max_abstained": self.max_abstained,
            "abstain_cost": self.abstain_cost,
        }

    def check(self, opts: TuneOptions) -> None:
        """Refuse what cannot work, before the data is read."""
        if opts.bootstrap:
            msg = "'--bootstrap' does not apply to '--reject' (a band has no bootstrap yet)"
            raise CliError(msg)
        try:
            budget = _budget(self.coverage, self.abstain_rate, self.max_abstained)
            _, _, cost, _, _ = _objective(opts.metric, self.abstain_cost, None)
        except CutpointsError as exc:
            raise CliError(_as_options(str(exc))) from None
        if budget is None and cost is None:
            msg = (
                "'--reject' needs what abstaining costs or how much may be abstained: "
                "'--coverage' (e.g. 90%), '--abstain-rate', '--max-abstained' or, with a "
                "cost metric, '--abstain-cost'"
            )
            raise CliError(msg)


def _as_options(message: str) -> str:
    """The library's message with argument names spelt as the command's options."""
    for name in ("coverage", "abstain_rate", "max_abstained", "abstain_cost"):
        message = message.replace(f"'{name}'", f"'--{name.replace('_', '-')}'")
    return message


def tune_band(opts: TuneOptions, band: BandOptions) -> tuple[InputData, RejectBand]:
    """Read the columns and find the band."""
    with status(f"reading {opts.data.source}"):
        data = read_input(opts.data)
    with status("searching every pair of thresholds"):
        result = find_reject_band(
            data.y_true,
            data.y_score,
            metric=opts.metric,
            constraints=list(opts.constraints),
            ties=opts.ties,
            sample_weight=data.sample_weight,
            pos_label=data.pos_label,
            rule=opts.data.rule,  # type: ignore[arg-type]
            **band.keywords(),
        )
    return data, result


def band_payload(band: RejectBand, opts: TuneOptions, written: dict[str, str]) -> dict[str, Any]:
    """What ``tune --reject --json`` prints: the saved band plus the input and outputs."""
    payload = band.to_dict()
    payload["n_abstained"] = band.n_abstained
    data = opts.data
    payload["input"] = {
        "file": data.file,
        "label": data.label,
        "score": data.score,
        "weight": data.weight,
    }
    payload["written"] = written
    return payload


def band_renderables(band: RejectBand, *, source: str | None = None) -> list[Any]:
    """The band as rich renderables: the rule, the three outcomes, metrics, Chow."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from ._render import fmt, threshold_text

    head = Text()
    if band.rule == ">=":
        pos, neg = f"score >= {threshold_text(band.hi)}", f"score < {threshold_text(band.lo)}"
    else:
        pos, neg = f"score <= {threshold_text(band.lo)}", f"score > {threshold_text(band.hi)}"
    head.append("Positive iff ", style="bold")
    head.append(pos, style="bold green")
    head.append("; negative iff ", style="bold")
    head.append(neg, style="bold red")
    head.append("; abstain (review) in between", style="bold")
    direction = "maximize" if band.maximize else "minimize"
    head.append(f"\nObjective: {direction} {band._objective_text()} = {fmt(band.score)}")
    if band.budget is not None:
        head.append(f"\nBudget: {band.budget}")
    constraints = "; ".join(str(c) for c in band.constraints) or "none"
    head.append(f"\nConstraints (on decided rows): {constraints}")
    head.append(
        f"\nCoverage: {fmt(band.coverage * 100, 4)}% decided, "
        f"{fmt(band.n_abstained)} abstained; algorithm: {band.algorithm}"
    )
    data = f"\nData: {band.n_samples:,} rows, {fmt(band.n_positive)} positive, "
    data += f"{fmt(band.n_negative)} negative" + (" (weighted counts)" if band.weighted else "")
    head.append(data + (f" from {source}" if source else ""))
    outcomes = Table(title="Outcomes", title_justify="left")
    outcomes.add_column("")
    for name in ("decided positive", "abstained", "decided negative", "total"):
        outcomes.add_column(name, justify="right")
    outcomes.add_row(
        f"actual positive ({band.positive_label!s})",
        f"tp {fmt(band.tp)}",
        fmt(band.abstained_positive),
        f"fn {fmt(band.fn)}",
        fmt(band.n_positive),
    )
    outcomes.add_row(
        f"actual negative ({band.negative_label!s})",
        f"fp {fmt(band.fp)}",
        fmt(band.abstained_negative),
        f"tn {fmt(band.tn)}",
        fmt(band.n_negative),
    )
    outcomes.add_row(
        "total",
        fmt(band.tp + band.fp),
        fmt(band.n_abstained),
        fmt(band.tn + band.fn),
        fmt(band.n_total),
    )
    metrics = Table(title="Metrics of the decided rows", title_justify="left")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    for name, value in band.metrics.items():
        metrics.add_row(name, fmt(value), style="bold" if name == band.metric.name else None)
    out: list[Any] = [
        Panel(head, title="reject band", title_align="left", expand=False),
        outcomes,
        metrics,
    ]
    if band.references:
        refs = Table(
            title="If the scores are calibrated probabilities, Chow's rule says",
            title_justify="left",
        )
        refs.add_column("reference")
        refs.add_column("threshold", justify="right")
        refs.add_column("formula")
        for r in band.references:
            refs.add_row(r.name, threshold_text(r.threshold), r.explanation)
        out.append(refs)
    return out


def print_band(
    band: RejectBand, opts: TuneOptions, written: dict[str, str], *, as_json: bool
) -> None:
    """Print the band as JSON or as tables, then what was written."""
    if as_json:
        print_json(band_payload(band, opts, written))
        return
    from ._render import print_all

    console = stdout_console()
    print_all(console, band_renderables(band, source=opts.data.source))
    for what, where in written.items():
        console.print(f"Wrote the {what} to {where}", soft_wrap=True)


def write_band_outputs(
    band: RejectBand, data: InputData, opts: TuneOptions, outputs: Any
) -> dict[str, str]:
    """Write ``--report``, ``--plot`` and ``--save`` (the small band file last), atomically."""
    import shlex

    from ._outputs import write_figure, write_text

    written: dict[str, str] = {}
    if outputs.report is not None:
        from .. import report as make_report

        command = opts.command_line("tune", None) + " --report " + shlex.quote(outputs.report.path)
        with status("writing the report"):
            html = make_report(
                data.y_true,
                data.y_score,
                metric=band.metric if band.abstain_cost is None else opts.metric,
                ties=opts.ties,
                rule=opts.data.rule,
                sample_weight=data.sample_weight,
                pos_label=data.pos_label,
                command=command,
                source={
                    "file": opts.data.file,
                    "label": opts.data.label,
                    "score": opts.data.score,
                    "weight": opts.data.weight,
                },
                band=band,
            )
            write_text(outputs.report, html)
        written["report"] = outputs.report.path
    if outputs.plot is not None:
        with status("drawing the figure"):
            write_figure(band_figure(band), outputs.plot)
        written["plot"] = outputs.plot.path
    if outputs.save is not None:
        band.save(outputs.save.path)
        written["band"] = outputs.save.path
    return dict(sorted(written.items(), key=lambda kv: kv[0] != "band"))


def band_figure(band: RejectBand) -> Any:
    """Score distributions and metrics against the threshold, the band shaded on both."""
    import matplotlib.pyplot as plt

    from ..plotting import MetricsDisplay, ScoreDistributionDisplay

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    ScoreDistributionDisplay.from_reject_band(band, ax=left)
    metrics = ["precision", "recall", "f1"]
    if band.abstain_cost is None and band.metric.name not in metrics:
        metrics.append(band.metric.name)
    MetricsDisplay.from_reject_band(band, ax=right, metrics=metrics)
    figure.tight_layout()
    return figure
