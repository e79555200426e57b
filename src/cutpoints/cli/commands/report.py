"""``cutpoints report``: the self-contained interactive HTML report."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from .._console import handle_errors, print_json, status, stdout_console
from .._groups import GroupOpt, ModeOpt
from .._options import (
    BootstrapOpt,
    ConstraintOpt,
    DataFileArg,
    DataOptions,
    ForceLargeOpt,
    HtmlOutputOpt,
    JsonOpt,
    LabelOpt,
    MetricOpt,
    PosLabelOpt,
    RuleOpt,
    ScoreOpt,
    TiesOpt,
    TitleOpt,
    TuneOptions,
    ValueOpt,
    WeightOpt,
    value_spec,
)
from .._outputs import html_output
from .._tuning import (
    parse_selection,
    tune_data,
    tune_values,
    write_report,
    write_value_report,
)

__all__ = ["DEFAULT_OUTPUT", "EPILOG", "report"]

DEFAULT_OUTPUT = Path("cutpoints-report.html")

EPILOG = """\
[bold]Examples[/bold]

  cutpoints report scores.csv -l y -s p -o report.html

  cutpoints report scores.parquet -l y -s p -m recall -c "precision>=0.8" -b 500 -o r.html

  cutpoints report "data/*.parquet" -l y -s p -o report.html

  cutpoints report scores.csv -l y -s p --group region --mode joint -m tp -c "flagged<=500"

  cutpoints report scores.csv -l y -s p -g region -m value --value tp=amount --value fp=-5
"""


@handle_errors
def report(
    file: DataFileArg,
    label: LabelOpt,
    score: ScoreOpt,
    output: HtmlOutputOpt = DEFAULT_OUTPUT,
    weight: WeightOpt = None,
    pos_label: PosLabelOpt = None,
    metric: MetricOpt = "f1",
    constraint: ConstraintOpt = None,
    value: ValueOpt = None,
    ties: TiesOpt = "highest",
    rule: RuleOpt = ">=",
    title: TitleOpt = None,
    bootstrap: BootstrapOpt = 0,
    force_large: ForceLargeOpt = False,
    json_: JsonOpt = False,
    group: GroupOpt = None,
    mode: ModeOpt = "independent",
) -> None:
    """Write a self-contained interactive HTML report (works offline).

    It shows the chosen operating point and why, a threshold slider that updates the
    confusion matrix and metrics from the exact curve, ROC, precision-recall,
    metric-by-threshold and cost charts, alternatives side by side, and the command to
    reproduce it. Needs plotly (pip install "cutpoints\\[report]").

    FILE may be a directory or a glob of Parquet/CSV files; those, and files over 256 MB,
    are streamed. A big input gives a binned curve: the page says which thresholds have
    exact counts (score-bin edges and every score of the bins that matter).

    With --value: the "Value of the decisions" section (total value by threshold and by
    flagged count, split by outcome), as tune --value --report writes it.

    With --group: one threshold per group (--mode independent or joint) and the
    per-group section after the pooled rows' page; with --value too, each group's value
    split by outcome. Not with --bootstrap: the report has no place for per-group
    intervals (tune --group --bootstrap N prints them).
    """
    opts = TuneOptions(
        data=DataOptions(file, label, score, weight, pos_label, rule),
        metric=metric,
        constraints=tuple(constraint or ()),
        ties=ties,
        bootstrap=bootstrap,
        force_large=force_large,
        extra=(("--title", title),),
    )
    out = html_output(output, "--output", [file])
    values = None if not value else (list(value), value_spec(value))
    if group is not None or mode != "independent":
        _report_groups(opts, group, mode, out, title, json_, values)
        return
    opts.check_bootstrap()
    parse_selection(opts)
    if values is not None:  # per-row values: the cutpoint's curve carries them
        tuned = tune_values(opts, values[1])
        command = dataclasses.replace(
            opts, extra=(("--value", values[0]), *opts.extra)
        ).command_line("report", out.path)
        write_value_report(tuned, opts, out, title=title, command=command)
    else:
        tuned = tune_data(opts, progress=not json_)
        write_report(tuned, opts, out, title=title)
    if json_:
        cut = tuned.cut
        print_json({"report": out.path, "threshold": cut.threshold, "metric": str(cut.metric)})
        return
    stdout_console().print(f"Wrote the report to {out.path}", soft_wrap=True)


def _report_groups(
    opts: TuneOptions,
    group: str | None,
    mode: str,
    out: Any,
    title: str | None,
    json_: bool,
    values: tuple[list[str], dict[str, Any]] | None,
) -> None:
    """``report --group``: the report with the per-group section (see ``tune --group``);
    with ``--value`` the pooled page's "Value of the decisions" and the per-group split."""
    from .._groups import check_group_options, choose_groups, group_flags, group_report
    from .._outputs import write_text

    name = check_group_options(group, mode, command="report", bootstrap=opts.bootstrap)
    run = choose_groups(opts, name, mode, values)
    result = run.result
    flags = [] if values is None else values[0]
    extra = (*group_flags(name, mode, flags), *opts.extra)
    command = dataclasses.replace(opts, extra=extra).command_line("report", out.path)
    with status("writing the report"):
        write_text(out, group_report(result, run.read, opts, run.values, command, title=title))
    if json_:
        payload: dict[str, Any] = {
            "report": out.path,
            "thresholds": [{"group": g, "threshold": t} for g, t in result.thresholds.items()],
            "metric": result.metric.name,
            "mode": result.mode,
        }
        if result.value_by_outcome is not None:
            payload["value_by_outcome"] = result.value_by_outcome
        print_json(payload)
        return
    stdout_console().print(f"Wrote the report to {out.path}", soft_wrap=True)
