"""``cutpoints demo``: the classic threshold-moving example on a 99:1 problem."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from ..._api import confusion_curve, select_cutpoint
from .._console import handle_errors, print_json, status, stdout_console
from .._options import DemoOutputOpt, JsonOpt, NoReportOpt
from .._outputs import Output, html_output, write_text

__all__ = ["DEFAULT_OUTPUT", "EPILOG", "demo", "demo_rows"]

#: Where the demo writes its report unless told otherwise (listed in .gitignore).
DEFAULT_OUTPUT = Path("cutpoints-demo-report.html")

EPILOG = """\
[bold]Examples[/bold]

  cutpoints demo

  cutpoints demo -o /tmp/demo.html

  cutpoints demo --no-report --json
"""


def demo_rows() -> tuple[list[dict[str, Any]], Any]:
    """The demo comparison: the 0.5 default against the F1, G-mean and Youden optima."""
    from ...datasets import load_demo

    demo = load_demo()
    curve = confusion_curve(demo.y_test, demo.y_score)
    columns = {m: curve.metric(m) for m in ("f1", "gmean", "youden", "precision", "recall")}

    def row(name: str, threshold: float, best: bool = False) -> dict[str, Any]:
        i = curve.index_at(threshold)
        out: dict[str, Any] = {"name": name, "threshold": threshold}
        out.update({m: float(v[i]) for m, v in columns.items()})
        out.update({k: v for k, v in curve.at(threshold).items() if k != "threshold"})
        out["flagged"] = out["tp"] + out["fp"]
        out["best"] = best
        return out

    rows = [row("default 0.5", 0.5)]
    for metric, name in (("f1", "max F1"), ("gmean", "max G-mean"), ("youden", "max Youden")):
        cut = select_cutpoint(curve, metric=metric)
        rows.append(row(name, cut.threshold, best=True))
    return rows, demo


def _write_demo_report(data: Any, out: Output) -> None:
    from ... import report as make_report

    command = "cutpoints demo"
    if Path(out.path) != DEFAULT_OUTPUT:
        command += f" -o {shlex.quote(out.path)}"
    with status("writing the report"):
        html = make_report(
            data.y_test,
            data.y_score,
            metric="f1",
            title="cutpoints demo: threshold moving on a 99:1 problem",
            command=command,
            source={
                "file": "cutpoints.datasets.load_demo()",
                "label": "y_test",
                "score": "y_score",
                "weight": None,
            },
        )
        write_text(out, html)


@handle_errors
def demo(
    output: DemoOutputOpt = DEFAULT_OUTPUT,
    no_report: NoReportOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Reproduce the classic threshold-moving example on a 99:1 problem.

    make_classification with 10,000 rows and 1% positives, a 50/50 stratified split and a
    logistic regression: the default cut at 0.5 flags almost nothing, while the exact F1,
    G-mean and Youden optima find most positives. Needs scikit-learn (cutpoints[demo]).
    """
    from .._render import demo_table, threshold_text

    out = None if no_report else html_output(output, "--output", [])
    with status("fitting the demo model"):
        rows, data = demo_rows()
    if out is not None:
        _write_demo_report(data, out)
    written = None if out is None else out.path
    if json_:
        print_json(
            {"rows": [{k: v for k, v in r.items() if k != "best"} for r in rows], "report": written}
        )
        return
    console = stdout_console()
    console.print(
        "Threshold moving on a 99:1 problem (5,000 test rows, 50 positives):", soft_wrap=True
    )
    console.print(demo_table(rows))
    default, best = rows[0], rows[1]
    console.print(
        f"At 0.5 the model flags {default['flagged']} rows and finds "
        f"{default['tp']} of {default['tp'] + default['fn']} positives; the F1 optimum "
        f"(score >= {threshold_text(best['threshold'])}) flags {best['flagged']} and finds "
        f"{best['tp']}.",
        soft_wrap=True,
    )
    if written:
        console.print(f"Wrote the report to {Path(written).resolve()}", soft_wrap=True)
