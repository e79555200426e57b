"""``cutpoints report``: the self-contained interactive HTML report."""

from __future__ import annotations

from pathlib import Path

from .._console import handle_errors, print_json, stdout_console
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
) -> None:
    """Write a self-contained interactive HTML report (works offline).

    It shows the chosen operating point and why, a threshold slider that updates the
    confusion matrix and metrics from the exact curve, ROC, precision-recall,
    metric-by-threshold and cost charts, alternatives side by side, and the command to
    reproduce it. Needs plotly (cutpoints[report]).

    FILE may be a directory or a glob of Parquet/CSV files; those, and files over 256 MB,
    are streamed. A big input gives a binned curve: the page says which thresholds have
    exact counts (score-bin edges and every score of the bins that matter).
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
    opts.check_bootstrap()
    parse_selection(opts)
    tuned = tune_data(opts, progress=not json_)
    write_report(tuned, opts, out, title=title)
    if json_:
        cut = tuned.cut
        print_json({"report": out.path, "threshold": cut.threshold, "metric": str(cut.metric)})
        return
    stdout_console().print(f"Wrote the report to {out.path}", soft_wrap=True)
