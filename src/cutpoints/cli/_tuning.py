"""The step ``tune`` and ``report`` share: read, sweep, select, and bootstrap if asked.

Also the report writer both use, so the report a ``tune --report`` writes is the one
``cutpoints report`` writes, with the same "Reproduce" command.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass
from typing import Any

from .._api import confusion_curve, select_cutpoint
from .._cutpoint import Cutpoint
from .._metrics import BoundMetric, get_metric
from ..selection import Constraint, as_constraints
from ._console import CliError, status
from ._io import InputData, read_input
from ._options import TuneOptions
from ._outputs import Output, write_text

__all__ = ["Tuned", "bootstrap_payload", "parse_selection", "tune_data", "write_report"]


@dataclass
class Tuned:
    """What one tuning run produced: the data read, the cutpoint, the bootstrap (or None)."""

    data: InputData
    cut: Cutpoint
    boot: Any = None


def parse_selection(opts: TuneOptions) -> tuple[BoundMetric, list[Constraint]]:
    """The objective and constraints, parsed before any file is read (fail fast)."""
    return get_metric(opts.metric), as_constraints(list(opts.constraints))


def tune_data(opts: TuneOptions) -> Tuned:
    """Read the columns, sweep, choose the cutpoint, and bootstrap it if asked.

    The cutpoint records the columns it was tuned on (``Cutpoint.columns``), so
    ``cutpoints apply`` finds the scores in a new file without ``--score``.
    """
    objective, constraints = parse_selection(opts)
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
    boot = _bootstrap(data, cut, opts) if opts.bootstrap else None
    return Tuned(data, cut, boot)


def _bootstrap(data: InputData, cut: Cutpoint, opts: TuneOptions) -> Any:
    """Bootstrap the cutpoint, seeded so that the same command gives the same intervals.

    A progress bar runs on stderr when it is a terminal.
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
    with status("writing the report"):
        html = make_report(
            tuned.data.y_true,
            tuned.data.y_score,
            cutpoint=tuned.cut,
            metric=tuned.cut.metric,
            constraints=list(tuned.cut.constraints),
            ties=opts.ties,
            rule=data.rule,
            sample_weight=tuned.data.sample_weight,
            pos_label=tuned.data.pos_label,
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
