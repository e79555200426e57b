"""Files we write appear whole or not at all, and never over one of our inputs.

Every file cutpoints writes (a saved cutpoint, a report, a plot, the CLI's outputs) goes
through :func:`atomic_path`: the content is written to a temporary file in the target's
directory and renamed over the target only when complete, so a crash, a kill or a full
disk leaves the previous file (or none) in place, and two writers to one path leave the
whole output of one of them (the last rename wins).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import InvalidParameterError

__all__ = ["atomic_path", "atomic_write_text", "check_not_an_input", "same_file"]


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file (same device and inode; hard links included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist (yet)
        return False


def check_not_an_input(
    output: str | os.PathLike[str],
    inputs: Iterable[str | os.PathLike[str] | None],
    name: str = "output",
) -> None:
    """Refuse an output path that is the same file as any input (compared by inode)."""
    for source in inputs:
        if source is None or str(source) == "-":
            continue
        if same_file(output, source):
            msg = (
                f"'{name}' {str(output)!r} is the same file as the input {str(source)!r}; "
                "writing it would destroy the input: choose another path"
            )
            raise InvalidParameterError(msg)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    On any exception (or KeyboardInterrupt) the temporary file is removed and ``target``
    is left as it was.
    """
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        msg = f"cannot write {str(target)!r}: the directory {str(directory)!r} does not exist"
        raise InvalidParameterError(msg)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # Keep the permissions a plain open() would have given (mkstemp makes 0600).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
