"""``cutpoints apply``: label new scores with a saved cutpoint, streaming."""

from __future__ import annotations

from pathlib import Path

from ..._cutpoint import Cutpoint
from .._console import CliError, handle_errors, print_json, progress_bar, stdout_console
from .._groups import FallbackGroupOpt, FallbackThresholdOpt, GroupOpt, apply_groups, is_group_file
from .._options import (
    ApplyOutputOpt,
    ApplyScoreOpt,
    BatchSizeOpt,
    CutpointOpt,
    DecisionColumnOpt,
    FileArg,
    JsonOpt,
)
from .._outputs import table_output

__all__ = ["EPILOG", "apply"]

EPILOG = """\
[bold]Examples[/bold]

  cutpoints tune train.csv -l y -s p --save cut.json

  cutpoints apply --cutpoint cut.json new.parquet -o labeled.parquet

  cutpoints apply -k cut.json new.csv -s p -o - --column flagged | head

  cutpoints apply -k cuts.json new.csv -o labeled.csv --fallback-group north
"""


def load_cutpoint(path: Path) -> Cutpoint:
    """Read ``--cutpoint``: any file ``Cutpoint.save`` wrote (guaranteed ones too)."""
    if not path.is_file():
        msg = f"file '{path}' (--cutpoint) does not exist"
        raise CliError(msg)
    return Cutpoint.load(path)


@handle_errors
def apply(
    file: FileArg,
    cutpoint: CutpointOpt,
    output: ApplyOutputOpt,
    score: ApplyScoreOpt = None,
    column: DecisionColumnOpt = "decision",
    batch_size: BatchSizeOpt = 65_536,
    json_: JsonOpt = False,
    group: GroupOpt = None,
    fallback_group: FallbackGroupOpt = None,
    fallback_threshold: FallbackThresholdOpt = None,
) -> None:
    """Apply a saved cutpoint to new scores, streaming the file batch by batch.

    Keeps every column and adds the decision column: the positive label where
    score >= threshold (the cutpoint's rule), else the negative label. Works on files
    larger than memory. The output appears whole or not at all: it is written to a
    temporary file and renamed when complete.

    A file of per-group thresholds (``tune --group --save``) flags each row by its
    group's threshold; a group not seen in tuning is an error unless --fallback-group
    or --fallback-threshold says what to do.
    """
    from .._render import threshold_text
    from .._stream import apply_cutpoint, open_source, pick_score_column

    if cutpoint.is_file() and is_group_file(cutpoint):  # per-group thresholds
        apply_groups(file, cutpoint, output, score, group, column, batch_size, json_,
                     fallback_group, fallback_threshold, progress_bar)  # fmt: skip
        return
    if group is not None or fallback_group is not None or fallback_threshold is not None:
        msg = f"'{cutpoint}' holds one threshold; --group and the fallbacks need per-group ones"
        raise CliError(msg)
    cut = load_cutpoint(cutpoint)
    out = table_output(output, "--output", [file, str(cutpoint)])
    recorded = cut.columns.get("score")

    def pick(names: list[str], floats: list[str]) -> str:
        chosen = pick_score_column(names, floats, score, recorded, f"'{cutpoint}'")
        if column in names:
            msg = f"--column '{column}' already exists in {file}; choose another name"
            raise CliError(msg)
        return chosen

    source = open_source(file, batch_size, pick)
    with progress_bar("applying", source.total_rows, "rows") as advance:
        result = apply_cutpoint(cut, source, column, out, advance)
    if out.to_stdout:
        return
    if json_:
        print_json(
            {
                "input": file,
                "output": out.path,
                "rows": result.rows,
                "flagged": result.flagged,
                "batches": result.batches,
                "threshold": cut.threshold,
                "rule": cut.rule,
                "column": column,
                "score": source.score,
            }
        )
        return
    stdout_console().print(
        f"Wrote {result.rows:,} rows ({result.flagged:,} flagged: score {cut.rule} "
        f"{threshold_text(cut.threshold)}) to {out.path}, column '{column}'",
        soft_wrap=True,
    )
