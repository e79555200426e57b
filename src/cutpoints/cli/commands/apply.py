"""``cutpoints apply``: label new scores with a saved cutpoint, streaming."""

from __future__ import annotations

from pathlib import Path

from ..._cutpoint import Cutpoint
from .._console import CliError, handle_errors, print_json, progress_bar, stdout_console
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
) -> None:
    """Apply a saved cutpoint to new scores, streaming the file batch by batch.

    Keeps every column and adds the decision column: the positive label where
    score >= threshold (the cutpoint's rule), else the negative label. Works on files
    larger than memory. The output appears whole or not at all: it is written to a
    temporary file and renamed when complete.
    """
    from .._render import threshold_text
    from .._stream import apply_cutpoint, open_source, pick_score_column

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
