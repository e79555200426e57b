"""``cutpoints tune``: the best threshold for a metric, subject to constraints."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._band import BandOptions, print_band, tune_band, write_band_outputs
from .._console import handle_errors, print_json, status, stdout_console
from .._groups import GroupOpt, GroupOutputs, ModeOpt, tune_groups
from .._options import (
    AbstainCostOpt,
    AbstainRateOpt,
    BootstrapOpt,
    ConstraintOpt,
    CoverageOpt,
    DataFileArg,
    DataOptions,
    ForceLargeOpt,
    JsonOpt,
    LabelOpt,
    MaxAbstainedOpt,
    MetricOpt,
    PlotOpt,
    PosLabelOpt,
    RejectOpt,
    ReportOpt,
    RuleOpt,
    SaveCurveOpt,
    SaveOpt,
    ScoreOpt,
    TiesOpt,
    TuneOptions,
    ValueOpt,
    WeightOpt,
    value_spec,
)
from .._outputs import (
    Output,
    check_distinct,
    figure_output,
    html_output,
    json_output,
    write_figure,
)
from .._tuning import (
    Tuned,
    bootstrap_payload,
    parse_selection,
    summary_records,
    tune_data,
    tune_values,
    write_report,
    write_value_report,
)

__all__ = ["EPILOG", "tune"]

EPILOG = """\
[bold]Examples[/bold]

  cutpoints tune scores.csv --label y --score p

  cutpoints tune scores.parquet -l y -s p --metric gmean --ties lowest

  cutpoints tune scores.csv -l y -s p -m recall -c "precision>=0.8" --save cut.json

  cutpoints tune scores.csv -l y -s p -m "cost(fp=1, fn=20)" --report cost.html

  cutpoints tune scores.csv -l y -s p -m value --value tp=amount --value fp=-5 --value fn=-amount

  cutpoints tune scores.csv -l outcome -s risk --pos-label yes --bootstrap 1000

  cat scores.csv | cutpoints tune - -l y -s p --json | jq .threshold

  cutpoints tune scores.csv -l y -s p --reject -m accuracy --coverage 90% --save band.json

  cutpoints tune scores.csv -l y -s p -m "cost(fp=1, fn=5)" --abstain-cost 0.5

  cutpoints tune scores.csv -l y -s p --group region --save cuts.json

  cutpoints tune scores.csv -l y -s p -g region --mode joint -m tp -c "flagged<=5000"

  cutpoints tune scores.csv -l y -s p -g region --report groups.html --plot groups.png

  cutpoints tune scores.csv -l y -s p -g region --bootstrap 500 --json
"""


@dataclass(frozen=True)
class TuneOutputs:
    """The files ``tune`` writes, each checked before any work."""

    save: Output | None = None
    report: Output | None = None
    plot: Output | None = None
    save_curve: bool = True

    @classmethod
    def check(
        cls, file: str, save: Path | None, report: Path | None, plot: Path | None
    ) -> TuneOutputs:
        outputs = cls(
            save=None if save is None else json_output(save, "--save", [file]),
            report=None if report is None else html_output(report, "--report", [file]),
            plot=None if plot is None else figure_output(plot, "--plot", [file]),
        )
        check_distinct([outputs.save, outputs.report, outputs.plot])
        return outputs

    def write(self, tuned: Tuned, opts: TuneOptions) -> dict[str, str]:
        """Write each file; the figure and report first, the small cutpoint file last."""
        written: dict[str, str] = {}
        if self.report is not None:
            write_report(tuned, opts, self.report, title=None)
        if self.plot is not None:
            with status("drawing the figure"):
                write_figure(_summary_figure(tuned), self.plot)
        if self.save is not None:
            tuned.cut.save(self.save.path, curve=self.save_curve)
            written["cutpoint"] = self.save.path
        if self.report is not None:
            written["report"] = self.report.path
        if self.plot is not None:
            written["plot"] = self.plot.path
        return written


def _summary_figure(tuned: Tuned) -> Any:
    from ...plotting import plot_summary

    return plot_summary(tuned.cut)


@handle_errors
def tune(
    file: DataFileArg,
    label: LabelOpt,
    score: ScoreOpt,
    weight: WeightOpt = None,
    pos_label: PosLabelOpt = None,
    metric: MetricOpt = "f1",
    constraint: ConstraintOpt = None,
    value: ValueOpt = None,
    ties: TiesOpt = "highest",
    rule: RuleOpt = ">=",
    json_: JsonOpt = False,
    save: SaveOpt = None,
    save_curve: SaveCurveOpt = True,
    report: ReportOpt = None,
    plot: PlotOpt = None,
    bootstrap: BootstrapOpt = 0,
    force_large: ForceLargeOpt = False,
    reject: RejectOpt = False,
    coverage: CoverageOpt = None,
    abstain_rate: AbstainRateOpt = None,
    max_abstained: MaxAbstainedOpt = None,
    abstain_cost: AbstainCostOpt = None,
    group: GroupOpt = None,
    mode: ModeOpt = "independent",
) -> None:
    """Find the best threshold for a metric, subject to constraints. Exact.

    Every distinct score is a candidate; the chosen threshold is an observed score, so
    applying it reproduces the reported counts exactly. Prints the threshold, the
    objective, the confusion matrix, key metrics, closed-form references for calibrated
    probabilities and the runner-up thresholds.

    With --reject: a reject band, two thresholds with the uncertain middle sent to
    review, exact over every pair of thresholds.

    With --group: one threshold per group (--mode independent or joint), a per-group
    table; --save writes them all, --report adds the per-group section to the report,
    --plot draws every group's curve and the rows each flags, and --value works as
    without groups (the JSON output and the report split the value by outcome, overall
    and per group).

    With --group and --bootstrap N (independent mode): each group's rows are resampled
    on their own, N times, seeded as without groups; a second table gives per group the
    interval of its threshold and of the objective (at its threshold, and out of bag),
    and --json gives each group's whole bootstrap summary. The report has no place for
    per-group intervals. With --value, each resample re-sums its group's values. Not
    with --mode joint (thresholds chosen together are not resampled). --reject cannot be
    combined with --group: there is no per-group reject band.
    """
    band = BandOptions(reject, coverage, abstain_rate, max_abstained, abstain_cost)  # type: ignore[arg-type]
    opts = TuneOptions(
        data=DataOptions(file, label, score, weight, pos_label, rule),
        metric=metric,
        constraints=tuple(constraint or ()),
        ties=ties,
        bootstrap=bootstrap,
        force_large=force_large,
    )
    # Everything that can be refused is refused before the data is read.
    outputs = TuneOutputs.check(file, save, report, plot)
    outputs = dataclasses.replace(outputs, save_curve=save_curve)
    if group is not None or mode != "independent":  # one threshold per group
        values = None if not value else (list(value), value_spec(value))
        files = GroupOutputs(outputs.save, outputs.report, outputs.plot)
        tune_groups(opts, group, mode, files, json_, reject=band.wanted, values=values)
        return
    if band.wanted:
        _tune_band(opts, band, outputs, json_)
        return
    opts.check_bootstrap()
    parse_selection(opts)
    if value:  # per-row values: their own read and report (see _tune_values)
        tuned = tune_values(opts, value_spec(value))
        written = _write_value_outputs(outputs, tuned, opts, value)
    else:
        tuned = tune_data(opts, progress=not json_)
        written = outputs.write(tuned, opts)
    if json_:
        _print_json(tuned, opts, written)
    else:
        _print_tables(tuned, opts, written)


def _write_value_outputs(
    outputs: TuneOutputs, tuned: Tuned, opts: TuneOptions, flags: list[str]
) -> dict[str, str]:
    """The outputs of a run with ``--value``: the report is drawn from the cutpoint's own
    curve, which carries the value columns; its "Reproduce" command is this ``tune``."""
    import shlex

    written: dict[str, str] = {}
    if outputs.report is not None:
        value_flags = [w for flag in flags for w in ("--value", flag)]
        command = " ".join(
            [
                opts.command_line("tune", None),
                shlex.join([*value_flags, "--report", str(outputs.report.path)]),
            ]
        )
        write_value_report(tuned, opts, outputs.report, title=None, command=command)
        written["report"] = outputs.report.path
    written.update(dataclasses.replace(outputs, report=None).write(tuned, opts))
    return written


def _tune_band(opts: TuneOptions, band: BandOptions, outputs: TuneOutputs, json_: bool) -> None:
    """``tune --reject``: see :mod:`cutpoints.cli._band`."""
    band.check(opts)
    parse_selection(opts)
    opts = dataclasses.replace(opts, extra=band.flags())
    data, result = tune_band(opts, band)
    written = write_band_outputs(result, data, opts, outputs)
    print_band(result, opts, written, as_json=json_)


def _print_json(tuned: Tuned, opts: TuneOptions, written: dict[str, str]) -> None:
    cut, data = tuned.cut, opts.data
    payload = cut.to_dict()
    payload["flagged"] = cut.flagged
    payload["input"] = {
        "file": data.file,
        "label": data.label,
        "score": data.score,
        "weight": data.weight,
    }
    if tuned.boot is not None:
        payload["bootstrap"] = bootstrap_payload(tuned.boot, opts.bootstrap)
    payload["written"] = written
    print_json(payload)


def _print_tables(tuned: Tuned, opts: TuneOptions, written: dict[str, str]) -> None:
    from .._render import bootstrap_renderables, cutpoint_renderables, print_all

    console = stdout_console()
    renderables = cutpoint_renderables(tuned.cut, source=opts.data.source)
    if tuned.boot is not None:
        renderables += bootstrap_renderables(
            summary_records(tuned.boot),
            tuned.cut,
            n_resamples=opts.bootstrap,
            confidence=float(getattr(tuned.boot, "confidence", 0.95)),
            n_infeasible=int(getattr(tuned.boot, "n_infeasible", 0)),
        )
    print_all(console, renderables)
    for what, where in written.items():
        console.print(f"Wrote the {what} to {where}", soft_wrap=True)
