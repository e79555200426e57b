"""The step ``tune`` and ``report`` share: read, sweep, select, and bootstrap if asked.

Also the report writer both use, so the report a ``tune --report`` writes is the one
``cutpoints report`` writes, with the same "Reproduce" command.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from typing import Any, cast

from .._api import confusion_curve, select_cutpoint
from .._cutpoint import Cutpoint
from .._metrics import BoundMetric, get_metric
from ..selection import Constraint, TieRule, as_constraints
from ._console import CliError, status
from ._io import InputData, read_input
from ._options import TuneOptions
from ._outputs import Output, write_text
from ._scan_input import open_scan, scan_progress, streamed

__all__ = [
    "Tuned",
    "bootstrap_cut",
    "bootstrap_payload",
    "parse_selection",
    "tune_data",
    "tune_values",
    "write_report",
    "write_value_report",
]


@dataclass
class Tuned:
    """What one tuning run produced: the data read (None when it was streamed: see
    ``source``), the cutpoint, the bootstrap (or None), and the scan of a streamed input."""

    data: InputData | None
    cut: Cutpoint
    boot: Any = None
    source: Any = None


def parse_selection(opts: TuneOptions) -> tuple[BoundMetric, list[Constraint]]:
    """The objective and constraints, parsed before any file is read (fail fast)."""
    return get_metric(opts.metric), as_constraints(list(opts.constraints))


def tune_data(opts: TuneOptions, *, progress: bool = True) -> Tuned:
    """Read the columns, sweep, choose the cutpoint, and bootstrap it if asked.

    The cutpoint records the columns it was tuned on (``Cutpoint.columns``), so
    ``cutpoints apply`` finds the scores in a new file without ``--score``. A directory,
    a glob or a big file is streamed (:mod:`._scan_input`), with a progress bar on a
    terminal when ``progress``.
    """
    objective, constraints = parse_selection(opts)
    if streamed(opts.data.file):
        return _tune_streamed(opts, objective, constraints, progress)
    with status(f"reading {opts.data.source}"):
        data = read_input(opts.data)
    with status("sweeping every threshold"):
        curve = confusion_curve(
            data.y_true,
            data.y_score,
            sample_weight=data.sample_weight,
            pos_label=data.pos_label,
            rule=opts.data.rule,  # type: ignore[arg-type]
        )
        cut = select_cutpoint(
            curve,
            metric=objective,
            constraints=constraints,
            ties=opts.ties,  # type: ignore[arg-type]
        )
    cut = dataclasses.replace(cut, columns=opts.data.columns())
    boot = bootstrap_cut(data, cut, opts) if opts.bootstrap else None
    return Tuned(data, cut, boot)


def tune_values(opts: TuneOptions, spec: dict[str, Any], *, progress: bool = True) -> Tuned:
    """:func:`tune_data` with per-row values (``--value``): the label, score, weight and
    value columns in one read; the cutpoint's curve carries the values.

    ``spec``: the checked ``--value`` flags (:func:`._options.value_spec`).
    """
    from .._values import column_names, recorded_columns, resolve_named
    from ._io import numeric_column

    data = opts.data
    if streamed(data.file):  # a directory, a glob or a big file: cp.scan(values=...)
        objective, constraints = parse_selection(opts)
        tuned = _tune_streamed(opts, objective, constraints, progress, spec)
        cut = dataclasses.replace(tuned.cut, columns={**data.columns(), **recorded_columns(spec)})
        return dataclasses.replace(tuned, cut=cut)
    with status(f"reading {data.source}"):
        read = read_input(data, dict.fromkeys(column_names(spec), "--value"))
        amounts = {
            name: numeric_column(read.extra[name], name, "--value") for name in column_names(spec)
        }
    objective, constraints = parse_selection(opts)
    values = resolve_named(spec, amounts)
    with status("sweeping every threshold"):
        curve = confusion_curve(
            read.y_true,
            read.y_score,
            sample_weight=read.sample_weight,
            pos_label=read.pos_label,
            rule=data.rule,  # type: ignore[arg-type]
            values=values,
        )
        cut = select_cutpoint(curve, metric=objective, constraints=constraints, ties=opts.ties)  # type: ignore[arg-type]
    cut = dataclasses.replace(cut, columns={**data.columns(), **recorded_columns(spec)})
    # The same resampling as without values; each resample re-sums the values it draws.
    boot = bootstrap_cut(read, cut, opts, values) if opts.bootstrap else None
    return Tuned(read, cut, boot)


def _tune_streamed(
    opts: TuneOptions,
    objective: BoundMetric,
    constraints: list[Constraint],
    progress: bool,
    values: dict[str, Any] | None = None,
) -> Tuned:
    """:func:`tune_data` for a streamed input: ``find_cutpoint`` (and ``bootstrap``) on
    its :func:`cutpoints.scan`, a few passes over the files, memory bounded."""
    from .. import bootstrap
    from .._api import find_cutpoint

    with scan_progress(progress) as hook:
        source = open_scan(opts.data, hook, values)
        cut = find_cutpoint(
            source,
            metric=objective,
            constraints=constraints,
            ties=cast("TieRule", opts.ties),  # checked when the options were parsed
        )
        boot = None
        if opts.bootstrap:
            boot = bootstrap(
                source,
                metric=cut.metric,
                constraints=list(cut.constraints),
                n_resamples=opts.bootstrap,
                random_state=0,
                ties=opts.ties,
            )
    cut = dataclasses.replace(cut, columns=opts.data.columns())
    return Tuned(None, cut, boot, source)


def bootstrap_cut(
    data: InputData, cut: Cutpoint, opts: TuneOptions, values: dict[str, Any] | None = None
) -> Any:
    """Bootstrap the cutpoint, seeded so that the same command gives the same intervals.

    ``values`` are the resolved per-row values of ``--value``. A progress bar runs on stderr
    when it is a terminal.
    """
    from .. import bootstrap

    # The library's own bar says how far it is, on a terminal.
    return bootstrap(
        data.y_true,
        data.y_score,
        metric=cut.metric,
        constraints=list(cut.constraints),
        n_resamples=opts.bootstrap,
        sample_weight=data.sample_weight,
        pos_label=data.pos_label,
        random_state=0,
        ties=opts.ties,
        rule=opts.data.rule,
        progress=sys.stderr.isatty(),
        values=values,
    )


def summary_records(boot: Any) -> list[dict[str, Any]]:
    """``BootstrapResult.summary()`` as plain records (one per quantity and estimate)."""
    try:
        frame = boot.summary()
    except ImportError as exc:
        msg = f"the bootstrap table needs pandas: pip install 'cutpoints[pandas]' ({exc})"
        raise CliError(msg) from exc
    try:
        return [dict(r) for r in frame.reset_index(drop=True).to_dict("records")]
    except AttributeError:
        return [dict(r) for r in frame]


def bootstrap_payload(boot: Any, n_resamples: int) -> dict[str, Any]:
    """The ``bootstrap`` part of ``tune --json``."""
    return {"n_resamples": n_resamples, "summary": summary_records(boot)}


def write_report(tuned: Tuned, opts: TuneOptions, out: Output, title: str | None) -> None:
    """Write the HTML report (atomically), with the ``report`` command that reproduces it."""
    from .. import report as make_report

    data = opts.data
    read = tuned.data  # None for a streamed input: the report reads the cutpoint's curve
    with status("writing the report"):
        html = make_report(
            None if read is None else read.y_true,
            None if read is None else read.y_score,
            cutpoint=tuned.cut,
            metric=tuned.cut.metric,
            constraints=list(tuned.cut.constraints),
            ties=opts.ties,
            rule=data.rule,
            sample_weight=None if read is None else read.sample_weight,
            pos_label=None if read is None else read.pos_label,
            bootstrap=tuned.boot,
            title=title,
            command=opts.command_line("report", out.path),
            source={
                "file": data.file,
                "label": data.label,
                "score": data.score,
                "weight": data.weight,
            },
        )
        write_text(out, html)


def write_value_report(
    tuned: Tuned, opts: TuneOptions, out: Output, title: str | None, command: str
) -> None:
    """Write the report of a run with ``--value`` (atomically): drawn from the cutpoint's
    own curve, which carries the value columns, with the bootstrap if there is one."""
    from .. import report as make_report

    data = opts.data
    with status("writing the report"):
        html = make_report(
            cutpoint=tuned.cut,
            ties=opts.ties,
            rule=data.rule,
            pos_label=None if tuned.data is None else tuned.data.pos_label,
            bootstrap=tuned.boot,
            title=title,
            command=command,
            source={"file": data.file, "label": data.label, "score": data.score}
            | {"weight": data.weight},
        )
        write_text(out, html)
