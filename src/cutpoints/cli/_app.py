"""The ``cutpoints`` command: parse, call the library, render. Nothing else.

Each command is thin. User errors (``CutpointsError`` from the library, and the CLI's
own ``CliError`` for files, columns and option text) become one line on stderr,
``error: ...``, and exit status 1; usage errors from click exit 2. No tracebacks for
user errors, and nothing is ever unpickled.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import math
import shlex
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import typer
from rich.console import Console

from .. import __version__
from .._api import confusion_curve, select_cutpoint
from .._cutpoint import Cutpoint
from .._metrics import MetricLike, get_metric, list_metrics
from ..errors import CutpointsError
from . import _io, _render
from ._io import CliError

__all__ = ["app", "main"]

F = TypeVar("F", bound=Callable[..., Any])

EPILOG_MAIN = """\
[bold]Examples[/bold]

  cutpoints demo

  cutpoints tune scores.csv --label y --score p

  cutpoints tune scores.parquet -l y -s p -m recall -c "precision>=0.8"

  cutpoints apply --cutpoint cut.json new.parquet -o labeled.parquet

  cutpoints metrics

Every command takes --json for scripts; run 'cutpoints COMMAND --help' for its options. \
The decision rule is always: flag a row iff score >= threshold ('--rule <=' flips it).
"""

app = typer.Typer(
    name="cutpoints",
    help=(
        "Turn classifier scores into decisions: find the exact optimal threshold for a "
        "metric, costs, a review capacity or a floor on precision, report it, and apply it "
        "to new data."
    ),
    epilog=EPILOG_MAIN,
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Ties(str, Enum):
    """Tie rules of :func:`cutpoints.find_cutpoint`."""

    highest = "highest"
    lowest = "lowest"
    median = "median"


class DecisionRule(str, Enum):
    """The decision rule."""

    ge = ">="
    le = "<="


# ---------------------------------------------------------------------------- helpers


def _stdout() -> Console:
    return Console(file=sys.stdout, highlight=False)


def _stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def _fail(message: str) -> None:
    """One line on stderr, exit status 1."""
    text = " ".join(str(message).split("\n"))
    sys.stderr.write(f"error: {text}\n")
    sys.stderr.flush()
    raise typer.Exit(1)


def _handle_errors(func: F) -> F:
    """Turn user errors into ``error: ...`` on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (CliError, CutpointsError) as exc:
            _fail(str(exc))
        except ImportError as exc:
            _fail(str(exc))
        except OSError as exc:
            where = f" '{exc.filename}'" if getattr(exc, "filename", None) else ""
            _fail(f"{exc.strerror or exc}{where}")
        return None

    wrapper.__doc__ = _reflow(func.__doc__ or "")
    return wrapper  # type: ignore[return-value]


def _reflow(doc: str) -> str:
    """Join the lines of each docstring paragraph (rich help keeps hard line breaks)."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


@contextlib.contextmanager
def _status(message: str) -> Iterator[None]:
    """A spinner on stderr while ``message`` runs, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    with _stderr().status(message):
        yield


def _json_ready(value: Any) -> Any:
    """Make numpy scalars, NaN and infinities JSON-safe (NaN -> null, inf -> "+inf")."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_json_ready(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "+inf" if value > 0 else "-inf"
    return value


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(_json_ready(payload), indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def _tune_file(
    file: str,
    label: str,
    score: str,
    weight: str | None,
    pos_label: str | None,
    metric: str,
    constraints: list[str],
    ties: Ties,
    rule: DecisionRule,
    bootstrap: int,
) -> tuple[Any, Any, Any]:
    """Read the columns, sweep, choose the cutpoint, and bootstrap it if asked."""
    get_metric(metric)  # fail fast on a misspelt metric, before reading the file
    with _status(f"reading {file}"):
        data = _io.read_input(file, label, score, weight, pos_label)
    with _status("sweeping every threshold"):
        curve = confusion_curve(
            data.y_true,
            data.y_score,
            sample_weight=data.sample_weight,
            pos_label=data.pos_label,
            rule=rule.value,  # type: ignore[arg-type]
        )
        cut = select_cutpoint(
            curve,
            metric=metric,
            constraints=constraints,
            ties=ties.value,  # type: ignore[arg-type]
        )
    boot = None
    if bootstrap:
        with _status(f"bootstrapping {bootstrap} resamples"):
            boot = _bootstrap(
                data, bootstrap, metric, constraints, ties=ties.value, rule=rule.value
            )
    return data, cut, boot


def _write_report(
    data: Any,
    cut: Any,
    boot: Any,
    *,
    file: str,
    label: str,
    score: str,
    weight: str | None,
    pos_label: str | None,
    metric: str,
    constraints: list[str],
    ties: Ties,
    rule: DecisionRule,
    bootstrap: int,
    title: str | None,
    output: Path,
) -> None:
    """Write the HTML report for `tune --report` and `report`, with the command that
    reproduces it (always spelled as the `report` command)."""
    from .._report import report as make_report

    options: list[tuple[str, Any]] = [
        ("--label", label),
        ("--score", score),
        ("--weight", weight),
        ("--pos-label", pos_label),
        ("--metric", None if metric == "f1" else metric),
        ("--constraint", constraints),
        ("--ties", None if ties is Ties.highest else ties),
        ("--rule", None if rule is DecisionRule.ge else rule),
        ("--bootstrap", bootstrap),
        ("--title", title),
        ("--output", str(output)),
    ]
    with _status("writing the report"):
        make_report(
            data.y_true,
            data.y_score,
            cutpoint=cut,
            metric=metric,
            constraints=constraints,
            sample_weight=data.sample_weight,
            pos_label=data.pos_label,
            bootstrap=boot,
            title=title,
            command=_command_line("report", file, options),
            source={"file": file, "label": label, "score": score, "weight": weight},
            path=output,
        )


def _command_line(command: str, file: str, options: list[tuple[str, Any]]) -> str:
    """The canonical command that reproduces a run (for the report's "Reproduce" part).

    Built from the parsed values, not ``sys.argv``, so it is the same whether the command
    ran from a shell, ``python -m`` or a test runner. Options at their default are left out.
    """
    words = ["cutpoints", command, file]
    for flag, value in options:
        if value is None or value is False or value == [] or value == 0:
            continue
        values = value if isinstance(value, list) else [value]
        for v in values:
            words += [flag] if v is True else [flag, str(v.value if isinstance(v, Enum) else v)]
    return shlex.join(words)


def _bootstrap(
    data: _io.InputData, n: int, metric: str, constraints: list[str], *, ties: str, rule: str
) -> Any:
    """Bootstrap the cutpoint; seeded so that the same command gives the same intervals."""
    from .._bootstrap import bootstrap

    return bootstrap(
        data.y_true,
        data.y_score,
        metric=metric,
        constraints=constraints,
        n_resamples=n,
        sample_weight=data.sample_weight,
        pos_label=data.pos_label,
        random_state=0,
        ties=ties,  # type: ignore[arg-type]
        rule=rule,  # type: ignore[arg-type]
    )


def _bootstrap_summary(result: Any) -> Any:
    try:
        return result.summary()
    except Exception as exc:
        msg = f"the bootstrap result has no usable summary() ({exc})"
        raise CliError(msg) from exc


def _records(frame: Any) -> list[dict[str, Any]]:
    try:
        return [dict(r) for r in frame.reset_index().to_dict("records")]
    except AttributeError:
        return [dict(r) for r in frame]


# ---------------------------------------------------------------------------- options

FileArg = Annotated[
    str,
    typer.Argument(
        help="CSV or Parquet file with one row per scored case; '-' reads CSV from stdin.",
        metavar="FILE",
        show_default=False,
    ),
]
LabelOpt = Annotated[
    str,
    typer.Option(
        "--label",
        "-l",
        help="Column with the true class of each row.",
        metavar="COLUMN",
        show_default=False,
    ),
]
ScoreOpt = Annotated[
    str,
    typer.Option(
        "--score",
        "-s",
        help="Column with the classifier's score (higher = more likely positive).",
        metavar="COLUMN",
        show_default=False,
    ),
]
WeightOpt = Annotated[
    str | None,
    typer.Option(
        "--weight",
        "-w",
        help="Column of non-negative row weights; counts become weighted sums.",
        metavar="COLUMN",
        show_default=False,
    ),
]
PosLabelOpt = Annotated[
    str | None,
    typer.Option(
        "--pos-label",
        help=(
            "The label value of the positive class. Needed unless labels are 0/1, -1/1 or "
            "true/false; converted to the column's type (e.g. 1, 1.0, true)."
        ),
        metavar="VALUE",
        show_default=False,
    ),
]
MetricOpt = Annotated[
    str,
    typer.Option(
        "--metric",
        "-m",
        help=(
            "What to optimize: a catalog name (f1, gmean, youden, mcc, recall, ...) or one "
            "with parameters, e.g. 'fbeta(beta=2)', 'cost(fp=1, fn=10)'. "
            "See: cutpoints metrics."
        ),
        metavar="METRIC",
    ),
]
ConstraintOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--constraint",
        "-c",
        help=(
            "A bound that must hold, e.g. 'precision>=0.8', 'flagged<=5000', "
            "'flag_rate<=2%'. Repeat for several."
        ),
        metavar="TEXT",
        show_default=False,
    ),
]
TiesOpt = Annotated[
    Ties,
    typer.Option(
        "--ties",
        help=(
            "Which threshold to choose when several attain the optimum exactly: the highest "
            "(flags fewest), the lowest (flags most) or the median of the tied set."
        ),
        case_sensitive=False,
    ),
]
RuleOpt = Annotated[
    DecisionRule,
    typer.Option(
        "--rule",
        help="Flag iff score >= threshold, or '<=' when lower scores mean positive.",
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print machine-readable JSON on stdout (and nothing else there).",
    ),
]
BootstrapOpt = Annotated[
    int,
    typer.Option(
        "--bootstrap",
        "-b",
        help="Resample N times and show 95% intervals of the threshold and metrics (0: off).",
        metavar="N",
        min=0,
    ),
]


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"cutpoints {__version__}\n")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Turn classifier scores into decisions."""


# ---------------------------------------------------------------------------- tune


def _tune_payload(cut: Cutpoint, data: _io.InputData) -> dict[str, Any]:
    payload = cut.to_dict()
    payload["flagged"] = cut.flagged
    payload["input"] = {
        "file": data.source,
        "label": data.label,
        "score": data.score,
        "weight": data.weight,
    }
    return payload


@app.command(
    epilog="""\
[bold]Examples[/bold]

  cutpoints tune scores.csv --label y --score p

  cutpoints tune scores.parquet -l y -s p --metric gmean --ties lowest

  cutpoints tune scores.csv -l y -s p -m recall -c "precision>=0.8" --save cut.json

  cutpoints tune scores.csv -l y -s p -m "cost(fp=1, fn=20)" --report cost.html

  cutpoints tune scores.csv -l outcome -s risk --pos-label yes --bootstrap 1000

  cat scores.csv | cutpoints tune - -l y -s p --json | jq .threshold
""",
)
@_handle_errors
def tune(
    file: FileArg,
    label: LabelOpt,
    score: ScoreOpt,
    weight: WeightOpt = None,
    pos_label: PosLabelOpt = None,
    metric: MetricOpt = "f1",
    constraint: ConstraintOpt = None,
    ties: TiesOpt = Ties.highest,
    rule: RuleOpt = DecisionRule.ge,
    json_: JsonOpt = False,
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            help="Write the cutpoint as JSON (load it with 'cutpoints apply' or Cutpoint.load).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write a self-contained interactive HTML report.",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Also save a summary figure (PNG, SVG or PDF from the extension; matplotlib).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
    bootstrap: BootstrapOpt = 0,
) -> None:
    """Find the best threshold for a metric, subject to constraints. Exact.

    Every distinct score is a candidate; the chosen threshold is an observed score, so
    applying it reproduces the reported counts exactly. Prints the threshold, the
    objective, the confusion matrix, key metrics, closed-form references for calibrated
    probabilities and the runner-up thresholds.
    """
    constraints = list(constraint or [])
    data, cut, boot = _tune_file(
        file, label, score, weight, pos_label, metric, constraints, ties, rule, bootstrap
    )
    written: dict[str, str] = {}
    if save is not None:
        cut.to_json(save)
        written["cutpoint"] = str(save)
    if report is not None:
        _write_report(
            data, cut, boot, file=file, label=label, score=score, weight=weight,
            pos_label=pos_label, metric=metric, constraints=constraints, ties=ties, rule=rule,
            bootstrap=bootstrap, title=None, output=report,
        )  # fmt: skip
        written["report"] = str(report)
    if plot is not None:
        _plot_summary(cut, plot)
        written["plot"] = str(plot)

    if json_:
        payload = _tune_payload(cut, data)
        if boot is not None:
            payload["bootstrap"] = {
                "n_resamples": bootstrap,
                "summary": _records(_bootstrap_summary(boot)),
            }
        payload["written"] = written
        _print_json(payload)
        return
    console = _stdout()
    renderables = _render.cutpoint_renderables(cut, source="stdin" if file == "-" else file)
    if boot is not None:
        constrained = [m for m in cut.metrics if any(c.startswith(m) for c in cut.constraints)]
        wanted = [cut.metric, "precision", "recall", "flagged", *constrained]
        renderables.append(_render.bootstrap_table(_bootstrap_summary(boot), bootstrap, wanted))
    _render.print_all(console, renderables)
    for what, where in written.items():
        console.print(f"Wrote the {what} to {where}", soft_wrap=True)


def _plot_summary(cut: Cutpoint, path: Path) -> None:
    try:
        from ..plotting import plot_summary
    except ImportError as exc:
        msg = f"--plot needs cutpoints.plotting.plot_summary, which is not available ({exc})"
        raise CliError(msg) from exc
    plot_summary(cut, path=path)


# ---------------------------------------------------------------------------- demo


def demo_rows() -> tuple[list[dict[str, Any]], Any]:
    """The demo comparison: the 0.5 default against the F1, G-mean and Youden optima."""
    from ..datasets import load_demo

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


@app.command(
    epilog="""\
[bold]Examples[/bold]

  cutpoints demo

  cutpoints demo -o /tmp/demo.html

  cutpoints demo --no-report --json
""",
)
@_handle_errors
def demo(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the demo's HTML report.",
            metavar="PATH",
        ),
    ] = Path("cutpoints-demo-report.html"),
    no_report: Annotated[
        bool, typer.Option("--no-report", help="Only print the table; write no report.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Reproduce the classic threshold-moving example on a 99:1 problem.

    make_classification with 10,000 rows and 1% positives, a 50/50 stratified split and a
    logistic regression: the default cut at 0.5 flags almost nothing, while the exact F1,
    G-mean and Youden optima find most positives. Needs scikit-learn (cutpoints[demo]).
    """
    with _status("fitting the demo model"):
        rows, data = demo_rows()
    written = None
    if not no_report:
        from .._report import report as make_report

        with _status("writing the report"):
            make_report(
                data.y_test,
                data.y_score,
                metric="f1",
                title="cutpoints demo: threshold moving on a 99:1 problem",
                command="cutpoints demo"
                + (
                    ""
                    if output == Path("cutpoints-demo-report.html")
                    else f" -o {shlex.quote(str(output))}"
                ),
                source={
                    "file": "cutpoints.datasets.load_demo()",
                    "label": "y_test",
                    "score": "y_score",
                    "weight": None,
                },
                path=output,
            )
        written = str(output)
    if json_:
        _print_json(
            {"rows": [{k: v for k, v in r.items() if k != "best"} for r in rows], "report": written}
        )
        return
    console = _stdout()
    console.print(
        "Threshold moving on a 99:1 problem (5,000 test rows, 50 positives):", soft_wrap=True
    )
    console.print(_render.demo_table(rows))
    default, best = rows[0], rows[1]
    console.print(
        f"At 0.5 the model flags {default['flagged']} rows and finds "
        f"{default['tp']} of {default['tp'] + default['fn']} positives; the F1 optimum "
        f"(score >= {best['threshold']:.4g}) flags {best['flagged']} and finds {best['tp']}."
    )
    if written:
        console.print(f"Wrote the report to {Path(written).resolve()}", soft_wrap=True)


# ---------------------------------------------------------------------------- apply


@app.command(
    "apply",
    epilog="""\
[bold]Examples[/bold]

  cutpoints tune train.csv -l y -s p --save cut.json

  cutpoints apply --cutpoint cut.json new.parquet -o labeled.parquet

  cutpoints apply -k cut.json new.csv -s p -o - --column flagged | head
""",
)
@_handle_errors
def apply_(
    file: FileArg,
    cutpoint: Annotated[
        Path,
        typer.Option(
            "--cutpoint",
            "-k",
            help="A cutpoint saved by 'cutpoints tune --save' (plain JSON; never unpickled).",
            metavar="PATH",
            show_default=False,
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Output file, CSV or Parquet from the extension; '-' writes CSV to stdout.",
            metavar="PATH",
            show_default=False,
        ),
    ],
    score: Annotated[
        str | None,
        typer.Option(
            "--score",
            "-s",
            help=(
                "Column with the scores. Default: a column named 'score', else the only "
                "floating-point column."
            ),
            metavar="COLUMN",
            show_default=False,
        ),
    ] = None,
    column: Annotated[
        str,
        typer.Option(
            "--column",
            help="Name of the added decision column (the cutpoint's class labels).",
            metavar="NAME",
        ),
    ] = "decision",
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            help="Rows per record batch; memory use is bounded by it, not the file size.",
            metavar="ROWS",
            min=1,
        ),
    ] = 65_536,
    json_: JsonOpt = False,
) -> None:
    """Apply a saved cutpoint to new scores, streaming the file batch by batch.

    Keeps every column and adds the decision column: the positive label where
    score >= threshold (the cutpoint's rule), else the negative label. Works on files
    larger than memory.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if not cutpoint.exists():
        msg = f"file '{cutpoint}' (--cutpoint) does not exist"
        raise CliError(msg)
    cut = Cutpoint.from_json(cutpoint)
    out_format = _io.detect_format(output, role="output")
    if output != "-" and file != "-" and Path(output).resolve() == Path(file).resolve():
        msg = f"--output '{output}' is the input file; write to a new file"
        raise CliError(msg)
    schema, batches, total = _io.iter_batches(file, batch_size)
    names = list(schema.names)
    score_col = _pick_score_column(schema, score)
    if column in names:
        msg = f"--column '{column}' already exists in {file}; choose another name"
        raise CliError(msg)

    n_rows = 0
    n_flagged = 0
    n_batches = 0
    writer: Any = None
    sink: Any = None
    progress = _progress(total) if sys.stderr.isatty() else None
    try:
        if progress is not None:
            progress[0].start()
        for batch in batches:
            values = batch.column(names.index(score_col))
            if values.null_count:
                msg = (
                    f"column '{score_col}' has missing values in rows "
                    f"{n_rows}-{n_rows + batch.num_rows - 1}; remove them first"
                )
                raise CliError(msg)
            scores = _io.numeric_column(pa.chunked_array([values]), score_col, "--score")
            flags = cut.flag(scores)
            decision = (
                pa.array(cut.predict(scores).tolist())
                if cut.negative_label is not None
                else pa.array(flags)
            )
            out = pa.RecordBatch.from_arrays(
                [*batch.columns, decision], names=[*batch.schema.names, column]
            )
            if writer is None:
                if out_format == "parquet":
                    writer = pq.ParquetWriter(output, out.schema)
                else:
                    sink = sys.stdout.buffer if output == "-" else output
                    writer = pacsv.CSVWriter(sink, out.schema)
            writer.write_table(
                pa.Table.from_batches([out])
            ) if out_format == "parquet" else writer.write_batch(out)
            n_rows += batch.num_rows
            n_flagged += int(flags.sum())
            n_batches += 1
            if progress is not None:
                progress[0].update(progress[1], advance=batch.num_rows)
        if writer is None:  # empty input: still write a file with the right columns
            out_schema = schema.append(pa.field(column, pa.string()))
            empty = out_schema.empty_table()
            if out_format == "parquet":
                pq.write_table(empty, output)
            else:
                _io.write_table(empty, output)
    finally:
        if writer is not None:
            writer.close()
        if progress is not None:
            progress[0].stop()
    summary = {
        "input": file,
        "output": output,
        "rows": n_rows,
        "flagged": n_flagged,
        "batches": n_batches,
        "threshold": cut.threshold,
        "rule": cut.rule,
        "column": column,
        "score": score_col,
    }
    if output == "-":
        return
    if json_:
        _print_json(summary)
        return
    _stdout().print(
        f"Wrote {n_rows:,} rows ({n_flagged:,} flagged: score {cut.rule} {cut.threshold:.6g}) "
        f"to {output}, column '{column}'",
        soft_wrap=True,
    )


def _progress(total: int | None) -> tuple[Any, Any]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        SpinnerColumn(),
        TextColumn("applying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=_stderr(),
        transient=True,
    )
    task = progress.add_task("apply", total=total)
    return progress, task


def _pick_score_column(schema: Any, score: str | None) -> str:
    import pyarrow.types as pat

    names = list(schema.names)
    if score is not None:
        if score not in names:
            raise _io.missing_column_error(score, "--score", names)
        return score
    if "score" in names:
        return "score"
    floats = [str(f.name) for f in schema if pat.is_floating(f.type)]
    if len(floats) == 1:
        return floats[0]
    shown = ", ".join(repr(n) for n in names[:20])
    msg = f"cannot tell which column holds the scores; pass --score COLUMN (columns: {shown})"
    raise CliError(msg)


# ---------------------------------------------------------------------------- curve


@app.command(
    epilog="""\
[bold]Examples[/bold]

  cutpoints curve scores.csv -l y -s p -o curve.parquet -m f1 -m precision -m recall

  cutpoints curve scores.parquet -l y -s p -m "cost(fp=1, fn=10)" -o - | head
""",
)
@_handle_errors
def curve(
    file: FileArg,
    label: LabelOpt,
    score: ScoreOpt,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Output file, CSV or Parquet from the extension; '-' writes CSV to stdout.",
            metavar="PATH",
        ),
    ] = "-",
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            "-m",
            help="Add a column with this metric at every threshold. Repeat for several.",
            metavar="METRIC",
            show_default=False,
        ),
    ] = None,
    weight: WeightOpt = None,
    pos_label: PosLabelOpt = None,
    rule: RuleOpt = DecisionRule.ge,
    json_: JsonOpt = False,
) -> None:
    """Write the exact confusion curve: counts at every distinct score, plus metrics.

    One row per candidate threshold: the first flags nothing (+inf), then every distinct
    score in decreasing order; tp, fp, tn, fn count rows with score >= threshold.
    """
    import pyarrow as pa

    metrics: list[MetricLike] = list(metric or [])
    for m in metrics:
        get_metric(m)
    with _status(f"reading {file}"):
        data = _io.read_input(file, label, score, weight, pos_label)
    c = confusion_curve(
        data.y_true,
        data.y_score,
        sample_weight=data.sample_weight,
        pos_label=data.pos_label,
        rule=rule.value,  # type: ignore[arg-type]
    )
    columns = c.to_dict(metrics)
    if json_ and output == "-":
        _print_json({name: np.asarray(v) for name, v in columns.items()})
        return
    table = pa.table({name: pa.array(np.asarray(v)) for name, v in columns.items()})
    _io.write_table(table, output)
    if output == "-":
        return
    summary = {"output": output, "rows": len(c), "columns": list(columns)}
    if json_:
        _print_json(summary)
    else:
        _stdout().print(
            f"Wrote {len(c):,} thresholds x {len(columns)} columns to {output}", soft_wrap=True
        )


# ---------------------------------------------------------------------------- report


@app.command(
    "report",
    epilog="""\
[bold]Examples[/bold]

  cutpoints report scores.csv -l y -s p -o report.html

  cutpoints report scores.parquet -l y -s p -m recall -c "precision>=0.8" -b 500 -o r.html
""",
)
@_handle_errors
def report_(
    file: FileArg,
    label: LabelOpt,
    score: ScoreOpt,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where to write the HTML file.", metavar="PATH"),
    ] = Path("cutpoints-report.html"),
    weight: WeightOpt = None,
    pos_label: PosLabelOpt = None,
    metric: MetricOpt = "f1",
    constraint: ConstraintOpt = None,
    ties: TiesOpt = Ties.highest,
    rule: RuleOpt = DecisionRule.ge,
    title: Annotated[
        str | None,
        typer.Option("--title", help="Title of the report.", show_default=False),
    ] = None,
    bootstrap: BootstrapOpt = 0,
    json_: JsonOpt = False,
) -> None:
    """Write a self-contained interactive HTML report (works offline).

    It shows the chosen operating point and why, a threshold slider that updates the
    confusion matrix and metrics from the exact curve, ROC, precision-recall,
    metric-by-threshold and cost charts, alternatives side by side, and the command to
    reproduce it. Needs plotly (cutpoints[report]).
    """

    constraints = list(constraint or [])
    data, cut, boot = _tune_file(
        file, label, score, weight, pos_label, metric, constraints, ties, rule, bootstrap
    )
    _write_report(
        data, cut, boot, file=file, label=label, score=score, weight=weight,
        pos_label=pos_label, metric=metric, constraints=constraints, ties=ties, rule=rule,
        bootstrap=bootstrap, title=title, output=output,
    )  # fmt: skip
    if json_:
        _print_json({"report": str(output), "threshold": cut.threshold, "metric": cut.metric})
        return
    _stdout().print(f"Wrote the report to {output}", soft_wrap=True)


# ---------------------------------------------------------------------------- metrics


def catalog() -> list[dict[str, Any]]:
    """The metric registry as plain records."""
    records = []
    for m in list_metrics():
        records.append(
            {
                "name": m.name,
                "aliases": list(m.aliases),
                "greater_is_better": m.greater_is_better,
                "params": {
                    k: ("required" if not isinstance(v, (int, float)) else v)
                    for k, v in m.params.items()
                },
                "description": m.description,
                "formula": m.formula,
                "undefined": m.undefined,
            }
        )
    return records


@app.command(
    "metrics",
    epilog="""\
[bold]Examples[/bold]

  cutpoints metrics

  cutpoints metrics --json | jq -r '.[].name'
""",
)
@_handle_errors
def metrics_(json_: JsonOpt = False) -> None:
    """List the metric catalog: names, aliases, direction, formula, where undefined.

    Any of these names (or aliases) works with --metric and in --constraint. Metrics with
    parameters take them in parentheses: 'fbeta(beta=2)', 'cost(fp=1, fn=10)',
    'net_benefit(pt=0.2)'. P = tp + fn, N = fp + tn.
    """
    records = catalog()
    if json_:
        _print_json(records)
        return
    _stdout().print(_render.metrics_catalog_table(records))


def main() -> None:
    """Entry point of the ``cutpoints`` console script."""
    app()
