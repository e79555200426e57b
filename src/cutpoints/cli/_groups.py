"""Per-group thresholds on the command line: ``tune --group`` and ``apply`` of a saved
:class:`~cutpoints.GroupCutpoint`."""

from __future__ import annotations

import dataclasses
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from ._console import CliError, print_json, status, stdout_console
from ._options import TuneOptions
from ._outputs import Output, write_figure, write_text
from ._scan_input import many_files
from ._tuning import summary_records

__all__ = [
    "FallbackGroupOpt",
    "FallbackThresholdOpt",
    "GroupOpt",
    "GroupOutputs",
    "GroupRun",
    "ModeOpt",
    "apply_groups",
    "bootstrap_groups",
    "check_group_options",
    "choose_groups",
    "group_bootstrap_payload",
    "group_flags",
    "group_payload",
    "group_report",
    "is_group_file",
    "tune_groups",
]

GroupOpt = Annotated[
    str | None,
    typer.Option(
        "--group",
        "-g",
        help=(
            "Column with each row's group: one threshold per group (tune), or the column "
            "to look thresholds up by (apply; default: the one tuned on)."
        ),
        metavar="COLUMN",
        show_default=False,
    ),
]
ModeOpt = Annotated[
    str,
    typer.Option(
        "--mode",
        help=(
            "With --group: 'independent' (each group's own optimum) or 'joint' (one overall "
            "objective; constraints are on the overall counts, e.g. a shared 'flagged<=5000', "
            "and may bound gaps between groups, e.g. 'recall_gap<=0.05')."
        ),
        metavar="MODE",
    ),
]
FallbackGroupOpt = Annotated[
    str | None,
    typer.Option(
        "--fallback-group",
        help="Apply this tuned group's threshold to rows of groups not seen in tuning.",
        metavar="NAME",
        show_default=False,
    ),
]
FallbackThresholdOpt = Annotated[
    float | None,
    typer.Option(
        "--fallback-threshold",
        help="Apply this threshold to rows of groups not seen in tuning.",
        metavar="X",
        show_default=False,
    ),
]


def _group_column(column: Any, name: str) -> np.ndarray:
    if column.null_count:
        msg = f"column '{name}' (--group) has missing values; give every row a group"
        raise CliError(msg)
    return np.asarray(column.to_numpy(zero_copy_only=False))


@dataclasses.dataclass(frozen=True)
class GroupOutputs:
    """The files ``tune --group`` writes, each checked before the data is read."""

    save: Output | None = None
    report: Output | None = None
    plot: Output | None = None


def tune_groups(
    opts: TuneOptions,
    group: str | None,
    mode: str,
    outputs: GroupOutputs,
    json_: bool,
    *,
    reject: bool = False,
    values: tuple[list[str], dict[str, Any]] | None = None,
) -> None:
    """``tune --group``: read label, score, weight, group (and the ``--value`` columns);
    one threshold per group, bootstrapped per group with ``--bootstrap``; print the
    table and write ``--save``, ``--report``, ``--plot``.

    ``reject``: whether ``--reject`` (or a band option) was given, refused here.
    ``values``: the ``--value`` flags as given and their checked spec
    (:func:`cutpoints._values.named_values`).
    """
    group = check_group_options(
        group, mode, command="tune", reject=reject, bootstrap=opts.bootstrap
    )
    opts.check_bootstrap()
    run = choose_groups(opts, group, mode, values)
    result, data = run.result, opts.data
    boots = bootstrap_groups(run, opts) if opts.bootstrap else None
    # The figure and the report first, the small file of thresholds last (as ``tune``).
    written: dict[str, str] = {}
    if outputs.report is not None:
        if boots is not None:
            sys.stderr.write(
                "note: the report has no place for per-group intervals; they are in the "
                "table (and --json)\n"
            )
        flags = [] if values is None else values[0]
        command = dataclasses.replace(
            opts, extra=(*group_flags(group, mode, flags), ("--report", outputs.report.path))
        ).command_line("tune", None)
        with status("writing the report"):
            page = group_report(result, run.read, opts, run.values, command, title=None)
            write_text(outputs.report, page)
        written["report"] = outputs.report.path
    if outputs.plot is not None:
        from ..plotting import GroupDisplay

        with status("drawing the figure"):
            write_figure(GroupDisplay.from_group_cutpoint(result).figure_, outputs.plot)
        written["plot"] = outputs.plot.path
    if outputs.save is not None:
        result.save(outputs.save.path)
        written["cutpoints"] = outputs.save.path
    if json_:
        payload = group_payload(result, written)
        if boots is not None:
            payload["bootstrap"] = group_bootstrap_payload(result, boots, opts.bootstrap)
        print_json(payload)
        return
    print_group_table(result, data.source)
    console = stdout_console()
    if boots is not None:
        from ._render import group_bootstrap_renderables, print_all

        print_all(
            console,
            group_bootstrap_renderables(
                result.cutpoints,
                {g: summary_records(b) for g, b in boots.items()},
                n_resamples=opts.bootstrap,
                n_infeasible={g: b.n_infeasible for g, b in boots.items()},
            ),
        )
    for what, where in written.items():
        console.print(f"Wrote the {what} to {where}", soft_wrap=True)


def check_group_options(
    group: str | None,
    mode: str,
    *,
    command: str,
    reject: bool = False,
    bootstrap: int = 0,
) -> str:
    """``--group`` given, ``--mode`` known, and no option that cannot go with them;
    each refusal says why and what to do instead (before any data is read)."""
    if not group:
        msg = "'--mode' needs '--group COLUMN' (one threshold per group)"
        raise CliError(msg)
    if mode not in ("independent", "joint"):
        msg = f"'--mode' must be 'independent' or 'joint' (got {mode!r})"
        raise CliError(msg)
    if reject:
        msg = (
            "'--reject' (or a reject-band option) cannot be combined with '--group': a "
            "reject band is two thresholds on one curve, and there is no per-group band "
            "(find_reject_band takes no groups); run 'cutpoints tune --reject' on each "
            "group's rows (a file per group), or drop '--reject'"
        )
        raise CliError(msg)
    if bootstrap and command == "report":
        msg = (
            "'--bootstrap' cannot be combined with 'report --group': the report has no "
            "place for per-group intervals; 'cutpoints tune --group COLUMN --bootstrap N' "
            "prints them (and --json has them all)"
        )
        raise CliError(msg)
    if bootstrap and mode == "joint":
        msg = (
            "'--bootstrap' cannot be combined with '--group' in '--mode joint': "
            "cutpoints.bootstrap resamples each group's own threshold (independent mode), "
            "not thresholds chosen together; use '--mode independent' or drop '--bootstrap'"
        )
        raise CliError(msg)
    return group


def group_flags(group: str, mode: str, values: list[str]) -> tuple[tuple[str, Any], ...]:
    """The options of a per-group run, for the "Reproduce" command."""
    return (
        ("--group", group),
        ("--mode", None if mode == "independent" else mode),
        ("--value", list(values)),
    )


@dataclasses.dataclass(frozen=True)
class GroupRun:
    """One per-group choice: the GroupCutpoint, the data read, each row's group, and
    the per-row values (None without ``--value``)."""

    result: Any
    read: Any
    groups: np.ndarray
    values: dict[str, Any] | None


def choose_groups(
    opts: TuneOptions,
    group: str,
    mode: str,
    values: tuple[list[str], dict[str, Any]] | None,
) -> GroupRun:
    """Read the columns and choose one threshold per group."""
    from .._values import column_names, recorded_columns, resolve_named
    from ..groups import find_group_cutpoint
    from ._io import numeric_column, read_input

    data = opts.data
    if many_files(data.file):
        msg = (
            f"'--group' chooses the thresholds in memory and reads one file: give a file, "
            f"not a directory or a glob (got {data.file!r}); concatenate the parts first"
        )
        raise CliError(msg)
    spec = None if values is None else values[1]
    names = [] if spec is None else column_names(spec)
    with status(f"reading {data.source}"):
        read = read_input(data, {group: "--group", **dict.fromkeys(names, "--value")})
        groups = _group_column(read.extra[group], group)
        row_values = None
        if spec is not None:
            amounts = {n: numeric_column(read.extra[n], n, "--value") for n in names}
            row_values = resolve_named(spec, amounts)
    with status("choosing one threshold per group"):
        result = find_group_cutpoint(
            read.y_true,
            read.y_score,
            groups=groups,
            mode=mode,
            metric=opts.metric,
            constraints=list(opts.constraints),
            ties=opts.ties,  # type: ignore[arg-type]
            sample_weight=read.sample_weight,
            pos_label=read.pos_label,
            rule=data.rule,  # type: ignore[arg-type]
            values=row_values,
        )
    recorded = {} if spec is None else recorded_columns(spec)
    result = dataclasses.replace(result, columns={**data.columns(), "group": group, **recorded})
    return GroupRun(result, read, groups, row_values)


def bootstrap_groups(run: GroupRun, opts: TuneOptions) -> dict[Any, Any]:
    """``cutpoints.bootstrap(..., groups=...)`` of each group's own threshold, seeded
    with 0 as ``tune --bootstrap`` is: the same command gives the same intervals.

    Resamples of a group with no feasible threshold are counted per group
    (``n_infeasible``, shown under the table) rather than warned about once per group.
    """
    from .. import bootstrap
    from ..uncertainty import BootstrapWarning

    result, read = run.result, run.read
    _check_classes_per_group(run)
    what = f"bootstrapping each group ({opts.bootstrap:,} resamples)"
    with status(what), warnings.catch_warnings():
        warnings.simplefilter("ignore", BootstrapWarning)
        boots: dict[Any, Any] = bootstrap(
            read.y_true,
            read.y_score,
            groups=run.groups,
            metric=result.metric,
            constraints=list(result.constraints),
            n_resamples=opts.bootstrap,
            sample_weight=read.sample_weight,
            pos_label=read.pos_label,
            random_state=0,
            ties=opts.ties,  # type: ignore[arg-type]  # checked when parsed
            rule=opts.data.rule,  # type: ignore[arg-type]
            values=run.values,
        )
    return boots


def _check_classes_per_group(run: GroupRun) -> None:
    """Each group needs 2 rows of each class: its rows are resampled class by class (the
    library's check, said here with the group's name)."""
    from .._validation import check_target

    positive = check_target(run.read.y_true, run.read.pos_label).is_positive
    for g in run.result.cutpoints:
        at = run.groups == g
        for name, count in (("positive", int(positive[at].sum())),
                            ("negative", int((~positive[at]).sum()))):  # fmt: skip
            if count < 2:
                msg = (
                    f"group {g!r} (--group) has {count} {name} row{'s' * (count != 1)}: "
                    "'--bootstrap' resamples each class of each group's rows, which needs "
                    "at least 2 rows of each; drop '--bootstrap', or merge the group into "
                    "another"
                )
                raise CliError(msg)


def group_bootstrap_payload(result: Any, boots: dict[Any, Any], n_resamples: int) -> dict[str, Any]:
    """The ``bootstrap`` part of ``tune --group --bootstrap N --json``: per group (in
    the table's order) its ``BootstrapResult.summary()`` records, as ``tune -b`` gives
    them, and how many resamples had no feasible threshold."""
    return {
        "n_resamples": n_resamples,
        "random_state": 0,
        "groups": [
            {
                "group": g,
                "n_infeasible": boots[g].n_infeasible,
                "summary": summary_records(boots[g]),
            }
            for g in result.cutpoints
        ],
    }


def group_payload(result: Any, written: dict[str, str]) -> dict[str, Any]:
    """``tune --group --json``: the result, the overall flagged count, the per-group
    table and, with ``--value``, the value of each outcome overall and per group."""
    payload: dict[str, Any] = result.to_dict()
    payload["flagged"] = result.flagged
    table = result.rows()
    split = result.value_by_outcome
    if split is not None:
        payload["value_by_outcome"] = split
        for row, cut in zip(table, result.cutpoints.values(), strict=True):
            row["value_by_outcome"] = dict(cut.value_by_outcome)
    payload["table"] = table
    payload["written"] = written
    return payload


def group_report(
    result: Any,
    read: Any,
    opts: TuneOptions,
    values: dict[str, Any] | None,
    command: str,
    title: str | None,
) -> str:
    """The report of ``tune --group --report`` and ``report --group``: the page
    ``cutpoints.report(..., groups=result)`` writes (the pooled rows, then the per-group
    section)."""
    from .. import report as make_report
    from ..errors import InfeasibleConstraintError

    data = opts.data
    args: dict[str, Any] = {
        "ties": opts.ties,
        "rule": data.rule,
        "sample_weight": read.sample_weight,
        "pos_label": read.pos_label,
        "values": values,
        "groups": result,
        "title": title,
        "command": command,
        "source": {"file": data.file, "label": data.label, "score": data.score}
        | {"weight": data.weight},
    }
    try:
        page: str = make_report(
            read.y_true, read.y_score, metric=result.metric, constraints=result.constraints, **args
        )
    except InfeasibleConstraintError:
        # The pooled part of the page shows one threshold for the same objective and
        # constraints; groups may meet constraints that no single threshold meets, and
        # then it shows the unconstrained optimum (the page names its constraints).
        page = make_report(read.y_true, read.y_score, metric=result.metric, **args)
    return page


def print_group_table(result: Any, source: str) -> None:
    """The per-group table, then the overall line."""
    from rich.table import Table

    from .._cutpoint import format_threshold

    table = Table(
        title=(
            f"One threshold per group ({result.mode}) on {source}: flag score "
            f"{result.rule} the group's threshold"
        ),
        title_justify="left",
    )
    rows = result.rows()
    metric = result.metric.name
    shown = ["group", "threshold", "n", "tp", "fp", "tn", "fn", "flagged", metric,
             "precision", "recall"]  # fmt: skip
    for name in dict.fromkeys(shown):
        table.add_column(name, justify="left" if name == "group" else "right")
    for row in rows:
        cells = []
        for name in dict.fromkeys(shown):
            value = row[name]
            if name == "threshold":
                cells.append(format_threshold(value))
            elif isinstance(value, float) and name not in ("tp", "fp", "tn", "fn", "flagged"):
                cells.append("undefined" if value != value else f"{value:.4g}")
            else:
                cells.append(str(value))
        table.add_row(*cells)
    console = stdout_console()
    console.print(table)
    gaps = "".join(
        f"; {g.metric.name} gap {result.gap(g.metric):.4g} (limit {g.bound:g})"
        for g in result.gap_constraints
    )
    console.print(
        f"Overall: {metric} = {result.score:.6g}; tp={result.tp}, fp={result.fp}, "
        f"tn={result.tn}, fn={result.fn}, flagged={result.flagged}{gaps}",
        soft_wrap=True,
    )


def is_group_file(path: Path) -> bool:
    """Whether ``path`` holds a saved GroupCutpoint (its format field says so)."""
    from ..groups._result import FORMAT

    try:
        head = path.read_bytes()[:4096]
    except OSError:
        return False
    return FORMAT.encode() in head


def apply_groups(
    file: str,
    cutpoint: Path,
    output: str,
    score: str | None,
    group: str | None,
    column: str,
    batch_size: int,
    json_: bool,
    fallback_group: str | None,
    fallback_threshold: float | None,
    advance_bar: Callable[..., Any],
) -> None:
    """``apply`` with a saved GroupCutpoint: each row flagged by its group's threshold."""
    import pyarrow as pa

    from ..errors import CutpointsError
    from ..groups import GroupCutpoint
    from ._io import missing_column_error
    from ._outputs import table_output
    from ._stream import _decision_maker, _scores_of, _writer, open_source, pick_score_column

    result = GroupCutpoint.load(cutpoint)
    out = table_output(output, "--output", [file, str(cutpoint)])
    group_name = group or result.columns.get("group")
    if group_name is None:
        msg = f"'{cutpoint}' records no group column: pass --group COLUMN"
        raise CliError(msg)
    by_text = {str(k): k for k in result.cutpoints}
    fallback_key: Any = None
    if fallback_group is not None:
        if fallback_group not in by_text:
            shown = ", ".join(repr(k) for k in list(by_text)[:10])
            msg = f"--fallback-group '{fallback_group}' is not a tuned group (groups: {shown})"
            raise CliError(msg)
        fallback_key = by_text[fallback_group]

    def pick(names: list[str], floats: list[str]) -> str:
        chosen = pick_score_column(
            names, floats, score, result.columns.get("score"), f"'{cutpoint}'"
        )
        if group_name not in names:
            raise missing_column_error(group_name, "--group", names)
        if column in names:
            msg = f"--column '{column}' already exists in {file}; choose another name"
            raise CliError(msg)
        return chosen

    source = open_source(file, batch_size, pick)
    decision_type, decide = _decision_maker(result)  # type: ignore[arg-type]
    schema = source.arrow_schema.remove_metadata().append(pa.field(column, decision_type))
    score_at = source.names.index(source.score)
    group_at = source.names.index(group_name)
    rows = flagged = batches = 0
    with (
        advance_bar("applying", source.total_rows, "rows") as advance,
        _writer(out, schema) as writer,
    ):
        for batch in source.batches:
            scores = _scores_of(batch, score_at, source.score, rows)
            labels = batch.column(group_at)
            if labels.null_count:
                msg = f"column '{group_name}' (--group) has missing values near row {rows + 1:,}"
                raise CliError(msg)
            # CSV columns other than the scores arrive as text: match groups by their text.
            keys = [by_text.get(str(v), v) for v in labels.to_pylist()]
            try:
                flags = result.flag(
                    scores,
                    np.array(keys, dtype=object),
                    fallback_group=fallback_key,
                    fallback_threshold=fallback_threshold,
                )
            except CutpointsError as exc:  # the library's message names the group
                msg = f"{exc} (--fallback-group NAME or --fallback-threshold X)"
                raise CliError(msg) from None
            writer.write_batch(
                pa.RecordBatch.from_arrays([*batch.columns, decide(pa.array(flags))], schema=schema)
            )
            rows += batch.num_rows
            flagged += int(flags.sum())
            batches += 1
            if advance is not None:
                advance(batch.num_rows)
    if out.to_stdout:
        return
    if json_:
        print_json(
            {
                "input": file,
                "output": out.path,
                "rows": rows,
                "flagged": flagged,
                "batches": batches,
                "thresholds": [{"group": k, "threshold": t} for k, t in result.thresholds.items()],
                "rule": result.rule,
                "column": column,
                "score": source.score,
                "group": group_name,
            }
        )
        return
    stdout_console().print(
        f"Wrote {rows:,} rows ({flagged:,} flagged: score {result.rule} the threshold of "
        f"its group, column '{group_name}') to {out.path}, column '{column}'",
        soft_wrap=True,
    )
