"""A progress bar for long resampling runs, on stderr (rich)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["progress_bar", "want_progress"]


def want_progress(progress: bool | None, large: bool) -> bool:
    """Whether to show a bar: as asked, or (``None``) for large runs on a terminal."""
    if progress is None:
        return large and sys.stderr.isatty()
    if not isinstance(progress, bool):
        from ..errors import InvalidParameterError

        msg = f"'progress' must be None, True or False (got {progress!r})"
        raise InvalidParameterError(msg)
    return progress


@contextmanager
def progress_bar(total: int, label: str, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """Yield ``advance(k)`` that moves a bar of ``total`` steps, or None when disabled.

    On a terminal the bar is redrawn in place and removed at the end; elsewhere (a log
    file, a captured stream) rich prints its final state once, as a record of the run.
    """
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=console.is_terminal,
    )
    task = bar.add_task(label, total=total)
    with bar:
        yield lambda k: bar.advance(task, k)
