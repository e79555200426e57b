"""The ``cutpoints`` command line: tune, demo, apply, curve, report and metrics.

Run ``cutpoints --help``. The console script calls :func:`main`; tests drive :data:`app`
with ``typer.testing.CliRunner``.
"""

from __future__ import annotations

from ._app import app, main

__all__ = ["app", "main"]
