"""The options the commands share, declared once, and the small records that bundle them.

Typer reads each option from an ``Annotated`` declaration; the commands then bundle what
they parsed into :class:`DataOptions` and :class:`TuneOptions`, so helpers take one
record instead of a dozen loose arguments.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from ._console import CliError

__all__ = [
    "MAX_BOOTSTRAP",
    "RULES",
    "TIES",
    "DataOptions",
    "TuneOptions",
    "ValueOpt",
    "value_spec",
]

#: Tie rules and decision rules, as typed on the command line.
TIES = ("highest", "lowest", "median")
RULES = (">=", "<=")

#: More resamples than this need --force-large: each costs a few passes over the data.
MAX_BOOTSTRAP = 100_000


def _choice(option: str, choices: Sequence[str], *, fold_case: bool) -> Any:
    """A click callback accepting one of ``choices``, with our wording of the error."""

    def check(value: str) -> str:
        typed = value.lower() if fold_case else value
        if typed not in choices:
            shown = ", ".join(repr(c) for c in choices)
            msg = f"'{option}' must be one of {shown} (got {value!r})"
            raise typer.BadParameter(msg)
        return typed

    return check


# ---------------------------------------------------------------------- declarations

FileArg = Annotated[
    str,
    typer.Argument(
        help="CSV or Parquet file with one row per scored case; '-' reads CSV from stdin.",
        metavar="FILE",
        show_default=False,
    ),
]
DataFileArg = Annotated[
    str,
    typer.Argument(
        help=(
            "CSV or Parquet file with one row per scored case; '-' reads CSV from stdin. A "
            "directory or a glob ('data/*.parquet') of such files, or a file over 256 MB, "
            "is streamed: a few passes, memory bounded, a progress bar on a terminal."
        ),
        metavar="FILE",
        show_default=False,
    ),
]
LabelOpt = Annotated[
    str,
    typer.Option(
        "--label",
        "-l",
        help="Column with the true class of each row.",
        metavar="COLUMN",
        show_default=False,
    ),
]
ScoreOpt = Annotated[
    str,
    typer.Option(
        "--score",
        "-s",
        help="Column with the classifier's score (higher = more likely positive).",
        metavar="COLUMN",
        show_default=False,
    ),
]
WeightOpt = Annotated[
    str | None,
    typer.Option(
        "--weight",
        "-w",
        help="Column of non-negative row weights; counts become weighted sums.",
        metavar="COLUMN",
        show_default=False,
    ),
]
PosLabelOpt = Annotated[
    str | None,
    typer.Option(
        "--pos-label",
        help=(
            "The label value of the positive class. Needed unless labels are 0/1, -1/1 or "
            "true/false; converted to the column's type (e.g. 1, 1.0, true)."
        ),
        metavar="VALUE",
        show_default=False,
    ),
]
MetricOpt = Annotated[
    str,
    typer.Option(
        "--metric",
        "-m",
        help=(
            "What to optimize: a catalog name (f1, gmean, youden, mcc, recall, ...) or one "
            "with parameters, e.g. 'fbeta(beta=2)', 'cost(fp=1, fn=10)'. "
            "See: cutpoints metrics."
        ),
        metavar="METRIC",
    ),
]
ConstraintOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--constraint",
        "-c",
        help=(
            "A bound that must hold, e.g. 'precision>=0.8', 'flagged<=5000', "
            "'flag_rate<=2%'. Repeat for several."
        ),
        metavar="TEXT",
        show_default=False,
    ),
]
TiesOpt = Annotated[
    str,
    typer.Option(
        "--ties",
        help=(
            "Which threshold to choose when several attain the optimum exactly: the highest "
            "(flags fewest), the lowest (flags most) or the median of the tied set."
        ),
        metavar="highest|lowest|median",
        callback=_choice("--ties", TIES, fold_case=True),
    ),
]
RuleOpt = Annotated[
    str,
    typer.Option(
        "--rule",
        help="Flag iff score >= threshold, or '<=' when lower scores mean positive.",
        metavar="'>='|'<='",
        callback=_choice("--rule", RULES, fold_case=False),
    ),
]
JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print machine-readable JSON on stdout (and nothing else there).",
    ),
]
BootstrapOpt = Annotated[
    int,
    typer.Option(
        "--bootstrap",
        "-b",
        help=(
            "Resample N times and show 95% intervals of the threshold and metrics (0: off; "
            f"at most {MAX_BOOTSTRAP:,} without --force-large). With --group: each group's "
            "rows resampled on their own, intervals per group (tune, independent mode)."
        ),
        metavar="N",
    ),
]
ForceLargeOpt = Annotated[
    bool,
    typer.Option(
        "--force-large",
        help=f"Allow --bootstrap above {MAX_BOOTSTRAP:,} resamples (slow).",
    ),
]


def _share(option: str) -> Any:
    """A click callback reading a share as a number or a percentage (``0.9``, ``90%``)."""

    def check(value: str | None) -> float | None:
        if value is None:
            return None
        text = value.strip().replace("_", "")
        percent = text.endswith("%")
        try:
            number = float(text[:-1] if percent else text)
        except ValueError:
            msg = f"'{option}' must be a number or a percentage like 90% (got {value!r})"
            raise typer.BadParameter(msg) from None
        return number / 100 if percent else number

    return check


# Reject band (``tune --reject``): two thresholds, rows between them sent to review.
RejectOpt = Annotated[
    bool,
    typer.Option(
        "--reject",
        help=(
            "Find a reject band instead of one threshold: positive above hi, negative "
            "below lo, abstain (review) in between. With --coverage, --abstain-rate, "
            "--max-abstained or --abstain-cost (any of them implies --reject). Not with "
            "--group: there is no per-group band."
        ),
    ),
]
CoverageOpt = Annotated[
    str | None,
    typer.Option(
        "--coverage",
        help="Reject band: decide at least this share of rows, e.g. 0.9 or 90%.",
        metavar="SHARE",
        callback=_share("--coverage"),
        show_default=False,
    ),
]
AbstainRateOpt = Annotated[
    str | None,
    typer.Option(
        "--abstain-rate",
        help="Reject band: abstain on at most this share of rows, e.g. 5%.",
        metavar="SHARE",
        callback=_share("--abstain-rate"),
        show_default=False,
    ),
]
MaxAbstainedOpt = Annotated[
    float | None,
    typer.Option(
        "--max-abstained",
        help="Reject band: abstain on at most this many (weighted) rows: the review queue.",
        metavar="N",
        show_default=False,
    ),
]
AbstainCostOpt = Annotated[
    float | None,
    typer.Option(
        "--abstain-cost",
        help=(
            "Reject band with a cost metric (-m 'cost(fp=1, fn=5)'): the cost of sending "
            "one row to review; the band minimizes the total cost."
        ),
        metavar="COST",
        show_default=False,
    ),
]

TableOutputOpt = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        help="Output file, CSV or Parquet from the extension; '-' writes CSV to stdout.",
        metavar="PATH",
    ),
]
CurveMetricsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--metric",
        "-m",
        help="Add a column with this metric at every threshold. Repeat for several.",
        metavar="METRIC",
        show_default=False,
    ),
]
SaveOpt = Annotated[
    Path | None,
    typer.Option(
        "--save",
        help="Write the cutpoint as JSON (load it with 'cutpoints apply' or Cutpoint.load).",
        metavar="PATH",
        show_default=False,
    ),
]
SaveCurveOpt = Annotated[
    bool,
    typer.Option(
        "--save-curve/--no-save-curve",
        help=(
            "With --save: also write the curve's exact counts (every threshold up to "
            "65,536 of them, else that many), so 'cutpoints retarget' can move the "
            "threshold without the validation data."
        ),
    ),
]
ReportOpt = Annotated[
    Path | None,
    typer.Option(
        "--report",
        help="Also write a self-contained interactive HTML report (.html).",
        metavar="PATH",
        show_default=False,
    ),
]
PlotOpt = Annotated[
    Path | None,
    typer.Option(
        "--plot",
        help="Also save a summary figure: .png, .svg or .pdf (matplotlib).",
        metavar="PATH",
        show_default=False,
    ),
]
HtmlOutputOpt = Annotated[
    Path,
    typer.Option("--output", "-o", help="Where to write the HTML file (.html).", metavar="PATH"),
]
TitleOpt = Annotated[
    str | None,
    typer.Option("--title", help="Title of the report.", metavar="TEXT", show_default=False),
]
CutpointOpt = Annotated[
    Path,
    typer.Option(
        "--cutpoint",
        "-k",
        help="A cutpoint saved by 'cutpoints tune --save' (plain JSON; never unpickled).",
        metavar="PATH",
        show_default=False,
    ),
]
ApplyOutputOpt = Annotated[
    str,
    typer.Option(
        "--output",
        "-o",
        help="Output file, CSV or Parquet from the extension; '-' writes CSV to stdout.",
        metavar="PATH",
        show_default=False,
    ),
]
ApplyScoreOpt = Annotated[
    str | None,
    typer.Option(
        "--score",
        "-s",
        help=(
            "Column with the scores. Default: the column the cutpoint was tuned on, else "
            "a column named 'score', else the only floating-point column."
        ),
        metavar="COLUMN",
        show_default=False,
    ),
]
DecisionColumnOpt = Annotated[
    str,
    typer.Option(
        "--column",
        help="Name of the added decision column (the cutpoint's class labels).",
        metavar="NAME",
    ),
]
BatchSizeOpt = Annotated[
    int,
    typer.Option(
        "--batch-size",
        help="Rows per record batch; memory use is bounded by it, not the file size.",
        metavar="ROWS",
        min=1,
    ),
]


DemoOutputOpt = Annotated[
    Path,
    typer.Option(
        "--output", "-o", help="Where to write the demo's HTML report (.html).", metavar="PATH"
    ),
]
NoReportOpt = Annotated[
    bool, typer.Option("--no-report", help="Only print the table; write no report.")
]


# ---------------------------------------------------------------------- retarget

ReferenceOpt = Annotated[
    str | None,
    typer.Option(
        "--reference",
        "-r",
        help=(
            "The labeled validation data the cutpoint was tuned on (CSV or Parquet). Needed "
            "to move the threshold: every threshold's counts are re-weighted to the new "
            "prevalence and the cutpoint's metric and constraints chosen again."
        ),
        metavar="FILE",
        show_default=False,
    ),
]
ReferenceLabelOpt = Annotated[
    str | None,
    typer.Option(
        "--reference-label",
        help="Label column of --reference. Default: the one the cutpoint was tuned on.",
        metavar="COLUMN",
        show_default=False,
    ),
]
ReferenceScoreOpt = Annotated[
    str | None,
    typer.Option(
        "--reference-score",
        help="Score column of --reference. Default: the one the cutpoint was tuned on.",
        metavar="COLUMN",
        show_default=False,
    ),
]
PrevalenceMethodOpt = Annotated[
    str,
    typer.Option(
        "--method",
        help=(
            "How to estimate the new prevalence: 'em' (maximum likelihood, Saerens et al. "
            "2002; needs calibrated probabilities) or 'acc' (adjusted count at the "
            "cutpoint's threshold; any score)."
        ),
        metavar="em|acc",
        callback=_choice("--method", ("em", "acc"), fold_case=True),
    ),
]
PrevalenceOpt = Annotated[
    float | None,
    typer.Option(
        "--prevalence",
        help="The new share of positives, when known (in (0, 1)): no estimate is made.",
        metavar="SHARE",
        show_default=False,
    ),
]
ResamplesOpt = Annotated[
    int,
    typer.Option(
        "--bootstrap",
        "-b",
        help=(
            "Bootstrap resamples for the prevalence's 95% interval (0: none; at most "
            f"{MAX_BOOTSTRAP:,})."
        ),
        metavar="N",
        min=0,
        max=MAX_BOOTSTRAP,
    ),
]
SeedOpt = Annotated[
    int,
    typer.Option("--seed", help="Seed of the bootstrap.", metavar="N", min=0),
]
RetargetSaveOpt = Annotated[
    Path | None,
    typer.Option(
        "--save",
        help="Write the re-targeted cutpoint as JSON (for 'cutpoints apply'); needs --reference.",
        metavar="PATH",
        show_default=False,
    ),
]


ValueOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--value",
        metavar="OUTCOME=COL|NUM",
        help=(
            "The value (money) of an outcome, per row: OUTCOME=COLUMN or OUTCOME=NUMBER, "
            "e.g. 'tp=amount', 'fp=-5', 'fn=-amount' (a leading '-' negates a column). "
            "Repeat for each outcome (tp, fp, fn, tn; a missing one is worth 0). Use with "
            "--metric value to maximize the total value."
        ),
        show_default=False,
    ),
]


def value_spec(flags: list[str]) -> dict[str, Any]:
    """``--value tp=amount --value fp=-5`` as a checked spec (before any data is read)."""
    from .._values import named_values

    pairs: dict[str, str] = {}
    for flag in flags:
        outcome, sep, what = flag.partition("=")
        if not sep or not outcome.strip() or not what.strip():
            msg = f"'--value' must be OUTCOME=COLUMN or OUTCOME=NUMBER, e.g. tp=amount ({flag!r})"
            raise CliError(msg)
        if outcome.strip() in pairs:
            msg = f"'--value' gives outcome {outcome.strip()!r} twice ({flag!r})"
            raise CliError(msg)
        pairs[outcome.strip()] = what.strip()
    return named_values(pairs, "--value")


# ---------------------------------------------------------------------- records


@dataclass(frozen=True)
class DataOptions:
    """Which file, which columns, and the decision rule: what ``tune``, ``report`` and
    ``curve`` read."""

    file: str
    label: str
    score: str
    weight: str | None = None
    pos_label: str | None = None
    rule: str = ">="

    @property
    def source(self) -> str:
        """The input as people should read it (``stdin`` for ``-``)."""
        return "stdin" if self.file == "-" else self.file

    def columns(self) -> dict[str, str]:
        """The columns used, as recorded in a saved cutpoint (``Cutpoint.columns``)."""
        out = {"label": self.label, "score": self.score}
        if self.weight is not None:
            out["weight"] = self.weight
        return out

    def flags(self) -> list[tuple[str, Any]]:
        """The options that reproduce this input, for a command line."""
        return [
            ("--label", self.label),
            ("--score", self.score),
            ("--weight", self.weight),
            ("--pos-label", self.pos_label),
            ("--rule", None if self.rule == ">=" else self.rule),
        ]


@dataclass(frozen=True)
class TuneOptions:
    """Everything ``tune`` and ``report`` share: the data and how to choose."""

    data: DataOptions
    metric: str = "f1"
    constraints: tuple[str, ...] = ()
    ties: str = "highest"
    bootstrap: int = 0
    force_large: bool = False
    extra: tuple[tuple[str, Any], ...] = field(default=())

    def check_bootstrap(self) -> None:
        """Refuse a negative count, or a huge one without ``--force-large``."""
        if self.bootstrap < 0:
            msg = f"'--bootstrap' must be >= 0 (got {self.bootstrap})"
            raise CliError(msg)
        if self.bootstrap > MAX_BOOTSTRAP and not self.force_large:
            msg = (
                f"'--bootstrap' must be at most {MAX_BOOTSTRAP:,} (got {self.bootstrap:,}); "
                "each resample costs a few passes over the data: pass --force-large to run "
                "it anyway"
            )
            raise CliError(msg)

    def command_line(self, command: str, output: Path | str | None) -> str:
        """The canonical command that reproduces a run (the report's "Reproduce" part).

        Built from the parsed values, not ``sys.argv``, so it is the same whether the
        command ran from a shell, ``python -m`` or a test runner. Options at their
        default are left out.
        """
        options: list[tuple[str, Any]] = [
            *self.data.flags(),
            ("--metric", None if self.metric == "f1" else self.metric),
            ("--constraint", list(self.constraints)),
            ("--ties", None if self.ties == "highest" else self.ties),
            ("--bootstrap", self.bootstrap),
            ("--force-large", self.force_large and self.bootstrap > MAX_BOOTSTRAP),
            *self.extra,
            ("--output", None if output is None else str(output)),
        ]
        words = ["cutpoints", command, self.data.file]
        for flag, value in options:
            if value is None or value is False or value == [] or value == 0:
                continue
            for v in value if isinstance(value, list) else [value]:
                words += [flag] if v is True else [flag, str(v)]
        return shlex.join(words)
