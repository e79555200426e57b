"""Every file the command line writes: checked before any work, written whole or not at all.

A command first turns each output option into an :class:`Output` (its format is known,
its directory exists, it is not one of the inputs, no two outputs share a path), so a
typo such as ``--plot s.txt`` fails before the data is read and before ``--save``
writes anything. Writing then goes through :func:`cutpoints._files.atomic_path`: a
temporary file beside the target, renamed over it only when complete.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import atomic_path, atomic_write_text, check_not_an_input, same_file
from ..errors import InvalidParameterError
from ._console import CliError
from ._io import STDIN, detect_format

__all__ = [
    "HTML_SUFFIXES",
    "PLOT_FORMATS",
    "Output",
    "check_distinct",
    "figure_output",
    "html_output",
    "json_output",
    "table_output",
    "write_figure",
    "write_table",
    "write_text",
]

#: Figure formats ``--plot`` writes (matplotlib, from the file's extension).
PLOT_FORMATS = ("png", "svg", "pdf")
HTML_SUFFIXES = (".html", ".htm")


@dataclass(frozen=True)
class Output:
    """A checked output: where, which option named it, and in which format.

    ``path`` is ``"-"`` for stdout (tables only).
    """

    path: str
    option: str
    format: str

    @property
    def to_stdout(self) -> bool:
        return self.path == STDIN


def _check_writable(path: str, option: str, inputs: Iterable[str | None]) -> None:
    """The directory exists, the path is not a directory, and not one of the inputs."""
    target = Path(path)
    if target.is_dir():
        msg = f"'{option}' must name a file (got '{path}', a directory)"
        raise CliError(msg)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        msg = f"'{option}' cannot be written: the directory '{directory}' does not exist"
        raise CliError(msg)
    try:
        check_not_an_input(path, [p for p in inputs if p is not None], option)
    except InvalidParameterError as exc:
        raise CliError(str(exc)) from None


def table_output(path: str, option: str, inputs: Iterable[str | None]) -> Output:
    """A CSV or Parquet output (from the extension), or ``-`` for CSV on stdout."""
    fmt = detect_format(path, role="output", option=option)
    if path != STDIN:
        _check_writable(path, option, inputs)
    return Output(path, option, fmt)


def html_output(path: str | Path, option: str, inputs: Iterable[str | None]) -> Output:
    """An HTML report: the name must end in .html or .htm, and plotly must be installed."""
    text = str(path)
    if Path(text).suffix.lower() not in HTML_SUFFIXES:
        msg = (
            f"'{option}' must name an .html file: the report is a self-contained HTML page "
            f"(got '{text}')"
        )
        raise CliError(msg)
    _check_writable(text, option, inputs)
    if importlib.util.find_spec("plotly") is None:
        msg = f"'{option}' needs plotly to draw the report: pip install 'cutpoints[report]'"
        raise CliError(msg)
    return Output(text, option, "html")


def figure_output(path: str | Path, option: str, inputs: Iterable[str | None]) -> Output:
    """A figure: the extension names a format matplotlib writes, and matplotlib exists."""
    text = str(path)
    fmt = Path(text).suffix.lower().lstrip(".")
    if fmt not in PLOT_FORMATS:
        shown = ", ".join("." + f for f in PLOT_FORMATS)
        got = f"'{text}' has no extension" if not fmt else f"'{text}'"
        msg = f"'{option}' must end in one of {shown} to say the figure's format (got {got})"
        raise CliError(msg)
    _check_writable(text, option, inputs)
    if importlib.util.find_spec("matplotlib") is None:
        msg = f"'{option}' needs matplotlib to draw the figure: pip install 'cutpoints[plot]'"
        raise CliError(msg)
    return Output(text, option, fmt)


def json_output(path: str | Path, option: str, inputs: Iterable[str | None]) -> Output:
    """A JSON file (a saved cutpoint): any name, but never an input."""
    text = str(path)
    _check_writable(text, option, inputs)
    return Output(text, option, "json")


def check_distinct(outputs: Sequence[Output | None]) -> None:
    """Refuse two options that would write one file."""
    files = [o for o in outputs if o is not None and not o.to_stdout]
    for i, a in enumerate(files):
        for b in files[i + 1 :]:
            if Path(a.path).resolve() == Path(b.path).resolve() or same_file(a.path, b.path):
                msg = f"'{a.option}' and '{b.option}' name the same file ('{a.path}'); choose two"
                raise CliError(msg)


def write_text(out: Output, text: str) -> None:
    """Write ``text`` to the output, atomically."""
    atomic_write_text(out.path, text)


def write_table(table: Any, out: Output) -> None:
    """Write a pyarrow Table as CSV or Parquet, atomically; ``-`` streams CSV to stdout."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if out.to_stdout:
        sys.stdout.flush()
        pacsv.write_csv(table, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    with atomic_path(out.path) as tmp:
        if out.format == "parquet":
            pq.write_table(table, tmp)
        else:
            pacsv.write_csv(table, tmp)


def write_figure(figure: Any, out: Output) -> None:
    """Save a matplotlib figure in the output's format, atomically, then close it."""
    import matplotlib.pyplot as plt

    try:
        with atomic_path(out.path) as tmp:
            figure.savefig(tmp, format=out.format, dpi=100)
    finally:
        plt.close(figure)
