"""Per-group thresholds on the command line: ``tune --group`` and ``apply`` of a saved
:class:`~cutpoints.GroupCutpoint`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from ._console import CliError, print_json, status, stdout_console
from ._options import TuneOptions
from ._outputs import Output

__all__ = [
    "FallbackGroupOpt",
    "FallbackThresholdOpt",
    "GroupOpt",
    "ModeOpt",
    "apply_groups",
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


def tune_groups(
    opts: TuneOptions,
    group: str | None,
    mode: str,
    save: Output | None,
    json_: bool,
    refused: dict[str, bool],
) -> None:
    """``tune --group``: read label, score, weight and group; one threshold per group."""
    from ..groups import find_group_cutpoint
    from ._io import read_input

    if not group:
        msg = "'--mode' needs '--group COLUMN' (one threshold per group)"
        raise CliError(msg)
    if mode not in ("independent", "joint"):
        msg = f"'--mode' must be 'independent' or 'joint' (got {mode!r})"
        raise CliError(msg)
    for flag, given in refused.items():
        if given:
            msg = f"'{flag}' cannot be combined with '--group' yet: drop one of them"
            raise CliError(msg)
    data = opts.data
    with status(f"reading {data.source}"):
        read = read_input(data, {group: "--group"})
        groups = _group_column(read.extra[group], group)
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
        )
    result = dataclasses.replace(result, columns={**data.columns(), "group": group})
    written: dict[str, str] = {}
    if save is not None:
        result.save(save.path)
        written["cutpoints"] = save.path
    if json_:
        payload = result.to_dict()
        payload["flagged"] = result.flagged
        payload["table"] = result.rows()
        payload["written"] = written
        print_json(payload)
        return
    print_group_table(result, data.source)
    console = stdout_console()
    for what, where in written.items():
        console.print(f"Wrote the {what} to {where}", soft_wrap=True)


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
