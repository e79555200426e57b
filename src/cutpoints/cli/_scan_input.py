"""Inputs too big to read whole: ``tune``, ``curve`` and ``report`` stream them.

A directory, a glob, or a file above :data:`STREAM_BYTES` goes through
:func:`cutpoints.scan` (record batches, only the label/score/weight columns, a bounded
number of passes); smaller files are read whole as before. The answer is the same either
way; what differs is memory, and the result: a big input gives a binned curve (exact
counts at bin edges and at every score of the bins that matter), which the report and
``cutpoints curve`` say. A progress bar (passes, rows read) runs on stderr when it is a
terminal, never with ``--json``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ._console import CliError, stderr_console
from ._io import _typed_label
from ._options import DataOptions

__all__ = ["STREAM_BYTES", "open_scan", "scan_progress", "streamed"]

# Files larger than this are streamed (a Parquet file of 256 MB holds ~5e7 rows of two
# columns; read whole, its columns alone take a few times that in memory).
STREAM_BYTES = 256 * 2**20

ProgressHook = Callable[[str, int, "int | None"], None]


def many_files(file: str) -> bool:
    """Whether ``file`` (the FILE argument) names several files: a glob or a directory."""
    return file != "-" and (any(c in file for c in "*?[") or Path(file).is_dir())


def streamed(file: str) -> bool:
    """Whether ``file`` (the FILE argument) is streamed rather than read whole."""
    if file == "-":
        return False
    if many_files(file):
        return True
    try:
        return Path(file).stat().st_size > STREAM_BYTES
    except OSError:
        return False  # the ordinary reader says what is wrong with it


def _label_kind(file: str, label: str) -> str:
    """The numpy kind of the label column ('b', 'i', 'f' or 'U'), from the first file's
    schema (typing --pos-label needs no data)."""
    import pyarrow as pa

    from .._scan import _resolve

    first = _resolve(file)[0]
    try:
        if first.lower().endswith(".csv"):
            import pyarrow.csv as pacsv

            with pacsv.open_csv(first) as reader:
                schema = reader.schema
        else:
            import pyarrow.parquet as pq

            schema = pq.read_schema(first)
    except (OSError, pa.ArrowException) as exc:
        msg = f"could not read {first!r}: {exc}"
        raise CliError(msg) from None
    if label not in schema.names:
        return "U"  # the scan names the missing column
    kind = schema.field(label).type
    if pa.types.is_boolean(kind):
        return "b"
    if pa.types.is_integer(kind):
        return "i"
    return "f" if pa.types.is_floating(kind) else "U"


def open_scan(
    data: DataOptions,
    progress: ProgressHook | None,
    values: Mapping[str, float | tuple[float, str]] | None = None,
) -> Any:
    """The :func:`cutpoints.scan` of the input that ``data`` names; ``values``: the
    checked ``--value`` flags (outcome -> a number or ``(sign, column)``)."""
    from .._scan import scan

    pos_label: Any = None
    if data.pos_label is not None:
        pos_label = _typed_label(data.pos_label, _label_kind(data.file, data.label))
        if pos_label is None:
            msg = (
                f"--pos-label {data.pos_label!r} is not a value of the type of column "
                f"'{data.label}' (--label)"
            )
            raise CliError(msg)
    return scan(
        data.file,
        label=data.label,
        score=data.score,
        weight=data.weight,
        pos_label=pos_label,
        rule=data.rule,  # type: ignore[arg-type]
        progress=progress,
        values=None if values is None else _scan_values(values),
    )


def _scan_values(spec: Mapping[str, float | tuple[float, str]]) -> dict[str, Any]:
    """``--value`` flags as :func:`cutpoints.scan` takes them: a number, or a column
    name with a leading ``-`` when negated."""
    out: dict[str, Any] = {}
    for key, entry in spec.items():
        if isinstance(entry, tuple):
            sign, name = entry
            out[key] = name if sign > 0 else f"-{name}"
        else:
            out[key] = entry
    return out


@contextlib.contextmanager
def scan_progress(enabled: bool) -> Iterator[ProgressHook | None]:
    """A transient bar per pass over the data (rows read of the total) on stderr, when
    ``enabled`` and stderr is a terminal; yields the scan's ``progress`` hook or None."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def hook(pass_name: str, rows_done: int, rows_total: int | None) -> None:
        if pass_name not in tasks:
            tasks[pass_name] = bar.add_task(f"pass {len(tasks) + 1}: {pass_name}", total=None)
        bar.update(tasks[pass_name], completed=rows_done, total=rows_total)

    with bar:
        yield hook
