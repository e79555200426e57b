"""``cutpoints report``: the self-contained interactive HTML report."""

from __future__ import annotations

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
    WeightOpt,
)
from .._outputs import html_output
from .._tuning import parse_selection, tune_data, write_report

__all__ = ["DEFAULT_OUTPUT", "EPILOG", "report"]

DEFAULT_OUTPUT = Path("cutpoints-report.html")

EPILOG = """\
[bold]Examples[/bold]

  cutpoints report scores.csv -l y -s p -o report.html

  cutpoints report scores.parquet -l y -s p -m recall -c "precision>=0.8" -b 500 -o r.html

  cutpoints report "data/*.parquet" -l y -s p -o report.html

  cutpoints report scores.csv -l y -s p --group region --mode joint -m tp -c "flagged<=500"
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
    reproduce it. Needs plotly (cutpoints[report]).

    FILE may be a directory or a glob of Parquet/CSV files; those, and files over 256 MB,
    are streamed. A big input gives a binned curve: the page says which thresholds have
    exact counts (score-bin edges and every score of the bins that matter).

    With --group: one threshold per group (--mode independent or joint) and the
    per-group section after the pooled rows' page.
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
    if group is not None or mode != "independent":
        _report_groups(opts, group, mode, out, title, json_)
        return
    opts.check_bootstrap()
    parse_selection(opts)
    tuned = tune_data(opts, progress=not json_)
    write_report(tuned, opts, out, title=title)
    if json_:
        cut = tuned.cut
        print_json({"report": out.path, "threshold": cut.threshold, "metric": str(cut.metric)})
        return
    stdout_console().print(f"Wrote the report to {out.path}", soft_wrap=True)


def _report_groups(
    opts: TuneOptions, group: str | None, mode: str, out: Any, title: str | None, json_: bool
) -> None:
    """``report --group``: the report with the per-group section (see ``tune --group``)."""
    import dataclasses

    from .._groups import check_group_options, choose_groups, group_flags, group_report
    from .._outputs import write_text

    name = check_group_options(group, mode, {"--bootstrap": opts.bootstrap > 0})
    result, read, _ = choose_groups(opts, name, mode, None)
    extra = (*group_flags(name, mode, []), *opts.extra)
    command = dataclasses.replace(opts, extra=extra).command_line("report", out.path)
    with status("writing the report"):
        write_text(out, group_report(result, read, opts, None, command, title=title))
    if json_:
        print_json({"report": out.path, "thresholds": [
            {"group": g, "threshold": t} for g, t in result.thresholds.items()
        ], "metric": result.metric.name, "mode": result.mode})  # fmt: skip
        return
    stdout_console().print(f"Wrote the report to {out.path}", soft_wrap=True)
