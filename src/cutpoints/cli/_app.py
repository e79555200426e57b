"""The ``cutpoints`` command: the typer app, and the commands registered on it.

Each command lives in :mod:`cutpoints.cli.commands`; options are declared in
:mod:`cutpoints.cli._options`, reading in :mod:`._io`, streaming in :mod:`._stream`, files
written in :mod:`._outputs`, tables in :mod:`._render`. Heavy packages (pyarrow, pandas,
matplotlib, plotly, scikit-learn) are imported by the commands that need them, when they
run, so ``cutpoints --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__
from .commands import apply, curve, demo, metrics, report, retarget, tune

__all__ = ["app", "main"]

EPILOG_MAIN = """\
[bold]Examples[/bold]

  cutpoints demo

  cutpoints tune scores.csv --label y --score p

  cutpoints tune scores.parquet -l y -s p -m recall -c "precision>=0.8"

  cutpoints apply --cutpoint cut.json new.parquet -o labeled.parquet

  cutpoints retarget --cutpoint cut.json new.parquet --reference validation.csv

  cutpoints metrics

Every command takes --json for scripts; run 'cutpoints COMMAND --help' for its options. \
The decision rule is always: flag a row iff score >= threshold ('--rule <=' flips it).
"""


def _plain_help(params: list[Any]) -> list[Any]:
    """Drop the type tags typer adds in help (``--json <bool>``, ``FILE <str>``).

    A flag takes no value and an argument's metavar already says what it is, so the
    tag is noise; typer has no option for it, hence the per-parameter override.
    """
    for param in params:
        if getattr(param, "is_flag", False) or getattr(param, "param_type_name", "") == "argument":
            param.display_type_rich = lambda ctx: None
    return params


class _Command(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_help(super().get_params(ctx))


class _Group(TyperGroup):
    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_help(super().get_params(ctx))


app = typer.Typer(
    name="cutpoints",
    help=(
        "Turn classifier scores into decisions: find the exact optimal threshold for a "
        "metric, costs, a review capacity or a floor on precision, report it, and apply it "
        "to new data."
    ),
    epilog=EPILOG_MAIN,
    cls=_Group,
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"cutpoints {__version__}\n")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show the version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Turn classifier scores into decisions."""


for _name, _module in (
    ("tune", tune),
    ("demo", demo),
    ("apply", apply),
    ("curve", curve),
    ("report", report),
    ("metrics", metrics),
    ("retarget", retarget),
):
    app.command(_name, epilog=_module.EPILOG, cls=_Command)(getattr(_module, _name))


def main() -> None:
    """Entry point of the ``cutpoints`` console script."""
    app()
