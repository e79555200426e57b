"""``cutpoints curve``: the exact confusion curve, with metric columns."""

from __future__ import annotations

import numpy as np

from ..._api import confusion_curve
from ..._metrics import MetricLike, get_metric
from ..._saved_curve import is_complete
from .._console import handle_errors, print_json, status, stdout_console
from .._io import read_input
from .._options import (
    CurveMetricsOpt,
    DataFileArg,
    DataOptions,
    JsonOpt,
    LabelOpt,
    PosLabelOpt,
    RuleOpt,
    ScoreOpt,
    TableOutputOpt,
    WeightOpt,
)
from .._outputs import table_output, write_table
from .._scan_input import open_scan, scan_progress, streamed

__all__ = ["EPILOG", "curve"]

EPILOG = """\
[bold]Examples[/bold]

  cutpoints curve scores.csv -l y -s p -o curve.parquet -m f1 -m precision -m recall

  cutpoints curve scores.parquet -l y -s p -m "cost(fp=1, fn=10)" -o - | head

  cutpoints curve "data/*.parquet" -l y -s p -o curve.parquet
"""


@handle_errors
def curve(
    file: DataFileArg,
    label: LabelOpt,
    score: ScoreOpt,
    output: TableOutputOpt = "-",
    metric: CurveMetricsOpt = None,
    weight: WeightOpt = None,
    pos_label: PosLabelOpt = None,
    rule: RuleOpt = ">=",
    json_: JsonOpt = False,
) -> None:
    """Write the exact confusion curve: counts at every distinct score, plus metrics.

    One row per candidate threshold: the first flags nothing (+inf), then every distinct
    score in decreasing order; tp, fp, tn, fn count rows with score >= threshold.

    FILE may be a directory or a glob of Parquet/CSV files; those, and files over 256 MB,
    are streamed (memory bounded, progress bar on a terminal). A big streamed input gives
    a binned curve: exact counts at the edges of up to 65,536 score bins (column
    'observed' says which thresholds are observed scores), not at every distinct score.
    """
    import pyarrow as pa

    data = DataOptions(file, label, score, weight, pos_label, rule)
    out = table_output(output, "--output", [file])
    metrics: list[MetricLike] = list(metric or [])
    for m in metrics:
        get_metric(m)  # a misspelt metric fails before the file is read
    if streamed(file):
        with scan_progress(not json_) as hook:
            c = confusion_curve(open_scan(data, hook))
    else:
        with status(f"reading {data.source}"):
            inputs = read_input(data)
        c = confusion_curve(
            inputs.y_true,
            inputs.y_score,
            sample_weight=inputs.sample_weight,
            pos_label=inputs.pos_label,
            rule=rule,  # type: ignore[arg-type]
        )
    columns = c.to_dict(metrics)
    binned = not is_complete(c)
    if binned:
        columns["observed"] = np.asarray(getattr(c, "observed", np.ones(len(c), dtype=bool)))
    if json_ and out.to_stdout:
        print_json({name: np.asarray(v) for name, v in columns.items()})
        return
    write_table(pa.table({name: pa.array(np.asarray(v)) for name, v in columns.items()}), out)
    if out.to_stdout:
        return
    if json_:
        print_json({"output": out.path, "rows": len(c), "columns": list(columns), "binned": binned})
        return
    what = "thresholds"
    if binned:
        what = "thresholds (binned: exact counts at score-bin edges, not every distinct score)"
    stdout_console().print(
        f"Wrote {len(c):,} {what} x {len(columns)} columns to {out.path}", soft_wrap=True
    )
