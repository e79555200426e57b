"""Talking to the terminal: one-line errors, JSON on stdout, spinners and progress bars.

User errors (``CutpointsError`` from the library, and :class:`CliError` for files,
columns and option text) become one line on stderr, ``error: ...``, and exit status 1.
A closed pipe on stdout (``cutpoints curve ... -o - | head``) ends the command quietly
with the status a process killed by SIGPIPE would have (141), never with a message.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import typer

from .._artifact import json_number
from ..errors import CutpointsError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "BROKEN_PIPE_STATUS",
    "CliError",
    "handle_errors",
    "print_json",
    "progress_bar",
    "status",
    "stderr_console",
    "stdout_console",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The exit status of a process killed by SIGPIPE (128 + 13), as shells report it.
BROKEN_PIPE_STATUS = 141


class CliError(Exception):
    """A user error found by the command line itself (file, column, option text)."""


def stdout_console() -> Console:
    """A rich console on stdout (imported on use: ``--help`` needs none of this)."""
    from rich.console import Console

    return Console(file=sys.stdout, highlight=False)


def stderr_console() -> Console:
    """A rich console on stderr, for spinners and progress bars."""
    from rich.console import Console

    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    """Print ``error: message`` as one line on stderr and exit with ``code``."""
    text = " ".join(str(message).split())
    sys.stderr.write(f"error: {text}\n")
    sys.stderr.flush()
    raise typer.Exit(code)


def is_broken_pipe(exc: BaseException) -> bool:
    """Whether ``exc`` says the reader of our stdout went away (``| head``).

    pyarrow raises a plain ``OSError`` with errno EPIPE rather than ``BrokenPipeError``.
    """
    return isinstance(exc, BrokenPipeError) or (
        isinstance(exc, OSError) and (exc.errno == errno.EPIPE or "Broken pipe" in str(exc))
    )


def quiet_broken_pipe() -> None:
    """Stop writing to a stdout nobody reads, and exit with status 141.

    stdout is pointed at /dev/null first, so the interpreter's final flush cannot raise
    the same error again as "Exception ignored ... BrokenPipeError".
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    raise typer.Exit(BROKEN_PIPE_STATUS)


def handle_errors(func: F) -> F:
    """Turn user errors into ``error: ...`` on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (CliError, CutpointsError) as exc:
            fail(str(exc))
        except ImportError as exc:  # an optional extra; the library's message names it
            fail(str(exc))
        except OSError as exc:
            if is_broken_pipe(exc):
                quiet_broken_pipe()
            where = f" '{exc.filename}'" if getattr(exc, "filename", None) else ""
            fail(f"{exc.strerror or exc}{where}")
        return None

    wrapper.__doc__ = reflow(func.__doc__ or "")
    return wrapper  # type: ignore[return-value]


def reflow(doc: str) -> str:
    """Join the lines of each docstring paragraph (rich help keeps hard line breaks)."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


@contextlib.contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner on stderr while ``message`` runs, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    with stderr_console().status(message):
        yield


@contextlib.contextmanager
def progress_bar(
    label: str, total: int | None, unit: str
) -> Iterator[Callable[[int], None] | None]:
    """A transient progress bar on stderr while the block runs, when stderr is a terminal.

    Yields ``advance(k)`` (moves the bar k steps), or None when no bar is shown.
    """
    if not sys.stderr.isatty():
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

    progress = Progress(
        SpinnerColumn(),
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TimeElapsedColumn(),
        console=stderr_console(),
        transient=True,
    )
    task = progress.add_task(label, total=total)
    with progress:
        yield lambda k: progress.advance(task, k)


def json_ready(value: Any) -> Any:
    """Make numpy scalars, NaN and infinities JSON-safe (NaN -> null, inf -> "+inf").

    Floats stay floats, so ``json.dumps`` writes their shortest round-trip text.
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_ready(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return json_number(value)  # the saved-cutpoint file's own convention
    return value


def print_json(payload: Any) -> None:
    """Write ``payload`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(json_ready(payload), indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()
