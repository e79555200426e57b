"""``cutpoints retarget``: estimate the prevalence of new scores and move the threshold.

The new file is streamed batch by batch into a :class:`~cutpoints.shift.ScoreSketch`
(memory bounded by the batch size, not the file): exact flagged counts at every candidate
threshold, and fine bins of the scores for EM. The estimate comes from
:func:`~cutpoints.shift.estimate_prevalence`; the threshold is re-selected by
:func:`~cutpoints.shift.retarget` on the labeled validation data (``--reference``), or on
the curve the cutpoint file carries (``cutpoints tune --save`` writes it).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import warnings
from typing import TYPE_CHECKING, Any

from ..._cutpoint import Cutpoint
from .._console import CliError, handle_errors, print_json, progress_bar, stdout_console
from .._options import (
    ApplyScoreOpt,
    BatchSizeOpt,
    CutpointOpt,
    FileArg,
    JsonOpt,
    PrevalenceMethodOpt,
    PrevalenceOpt,
    ReferenceLabelOpt,
    ReferenceOpt,
    ReferenceScoreOpt,
    ResamplesOpt,
    RetargetSaveOpt,
    SeedOpt,
)
from .._outputs import json_output
from .apply import load_cutpoint

if TYPE_CHECKING:
    from ..._curve import ConfusionCurve
    from ...shift import PrevalenceEstimate, ScoreSketch

__all__ = ["EPILOG", "retarget"]

EPILOG = """\
[bold]Examples[/bold]

  cutpoints tune validation.csv -l y -s p --save cut.json

  cutpoints retarget --cutpoint cut.json new.parquet

  cutpoints retarget --cutpoint cut.json new.parquet --reference validation.csv

  cutpoints retarget -k cut.json new.parquet -r validation.csv --save moved.json

  cutpoints retarget -k cut.json new.parquet --method acc --json

  cutpoints retarget -k cut.json new.parquet -r validation.csv --prevalence 0.01
"""


def _reference_curve(
    cut: Cutpoint, path: str, label: str | None, score: str | None
) -> ConfusionCurve:
    """The validation curve, read with the cutpoint's columns, labels and rule."""
    from ..._api import confusion_curve
    from .._io import label_column, numeric_column, read_columns

    label = label or cut.columns.get("label")
    score = score or cut.columns.get("score")
    if label is None or score is None:
        msg = (
            "the cutpoint does not record its label and score columns: pass "
            "--reference-label COLUMN and --reference-score COLUMN"
        )
        raise CliError(msg)
    weight = cut.columns.get("weight")
    wanted = {label: "--reference-label", score: "--reference-score"}
    if weight is not None:
        wanted.setdefault(weight, "the cutpoint's weight column")
    columns = read_columns(path, wanted)
    return confusion_curve(
        label_column(columns[label], label),
        numeric_column(columns[score], score, "--reference-score"),
        sample_weight=None
        if weight is None
        else numeric_column(columns[weight], weight, "--reference", keep_int=True),
        pos_label=cut.positive_label,
        rule=cut.rule,
    )


def _sketch(
    file: str, cut: Cutpoint, curve: ConfusionCurve | None, score: str | None, batch_size: int
) -> tuple[ScoreSketch, str, int]:
    """Stream the new scores into a sketch with counts at every candidate threshold;
    returns it, the score column and the number of batches read."""
    import numpy as np

    from ...shift import ScoreSketch
    from .._stream import _scores_of, open_source, pick_score_column

    thresholds = [cut.threshold] if curve is None else [cut.threshold, *curve.thresholds]
    sketch = ScoreSketch(np.asarray(thresholds), rule=cut.rule)

    def pick(names: list[str], floats: list[str]) -> str:
        return pick_score_column(names, floats, score, cut.columns.get("score"), "the cutpoint")

    source = open_source(file, batch_size, pick)
    index = source.names.index(source.score)
    batches = 0
    with progress_bar("reading", source.total_rows, "rows") as advance:
        for batch in source.batches:
            batches += 1
            sketch.update(_scores_of(batch, index, source.score, sketch.n_samples))
            if advance is not None:
                advance(batch.num_rows)
    if not sketch.n_samples:
        msg = f"{'stdin' if file == '-' else repr(file)} holds no rows"
        raise CliError(msg)
    return sketch, source.score, batches


def _closed_form(cut: Cutpoint, prevalence: float) -> list[dict[str, Any]]:
    """Closed-form thresholds moved by odds re-basing (no validation data needed), for
    rules that do not depend on the optimum's value (costs, utility, net benefit)."""
    from ..._cutpoint import closed_form_references
    from ...shift import rebase_threshold

    if cut.rule != ">=" or not 0 <= cut.threshold <= 1 or not 0 < cut.prevalence < 1:
        return []
    return [
        {
            "name": ref.name,
            "threshold": rebase_threshold(
                ref.threshold, prevalence, reference_prevalence=cut.prevalence
            ),
            "at_reference": ref.threshold,
        }
        for ref in closed_form_references(cut.metric, math.nan)
    ]


def _estimate(
    sketch: ScoreSketch, method: str, reference: Any, n_resamples: int, seed: int
) -> tuple[PrevalenceEstimate, list[str]]:
    """The estimate, and its warnings (each also said as one ``warning:`` line)."""
    from ...shift import PrevalenceWarning, estimate_prevalence

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PrevalenceWarning)
        estimate = estimate_prevalence(
            sketch,
            method,  # type: ignore[arg-type]
            reference=reference,
            n_resamples=n_resamples,
            random_state=seed,
        )
    said = [str(w.message) for w in caught if issubclass(w.category, PrevalenceWarning)]
    for w in caught:  # any other warning goes on as it came
        if not issubclass(w.category, PrevalenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for text in said:
        sys.stderr.write(f"warning: {' '.join(text.split())}\n")
    return estimate, said


@handle_errors
def retarget(
    file: FileArg,
    cutpoint: CutpointOpt,
    reference: ReferenceOpt = None,
    score: ApplyScoreOpt = None,
    reference_label: ReferenceLabelOpt = None,
    reference_score: ReferenceScoreOpt = None,
    method: PrevalenceMethodOpt = "em",
    prevalence: PrevalenceOpt = None,
    bootstrap: ResamplesOpt = 1000,
    seed: SeedOpt = 0,
    save: RetargetSaveOpt = None,
    batch_size: BatchSizeOpt = 65_536,
    json_: JsonOpt = False,
) -> None:
    """Estimate the share of positives in new, unlabeled scores and move the threshold.

    Streams FILE (larger than memory is fine) and estimates its prevalence with a 95%
    bootstrap interval, by EM for calibrated probabilities or by adjusted count at the
    cutpoint's threshold for any score. Then it re-selects the threshold for that
    prevalence, with the cutpoint's own metric and constraints, on the validation curve:
    the labeled validation data (--reference), or else the curve the cutpoint file
    carries (cutpoints tune --save writes it; exact when it holds every threshold, else a
    warning says between which two saved thresholds the optimum may lie). It prints the
    expected and the actual number of rows the moved threshold flags in FILE.
    """
    from ...shift._retarget import check_prevalence

    cut = load_cutpoint(cutpoint)
    known = None if prevalence is None else check_prevalence(prevalence, "--prevalence")
    if reference is None and cut.curve is None:
        what: dict[str, object] = {"'--save' writes the re-targeted cutpoint": save}
        what["'--prevalence' moves the threshold"] = known
        for text, given in what.items():
            if given is not None:
                msg = (
                    f"{text}, which needs the validation data: --reference FILE, or a "
                    "cutpoint saved with its curve (cutpoints tune --save)"
                )
                raise CliError(msg)
    inputs = [file, str(cutpoint), reference]
    saved = None if save is None else json_output(save, "--save", inputs)
    curve = cut.curve
    if reference is not None:
        curve = _reference_curve(cut, reference, reference_label, reference_score)
    sketch, column, batches = _sketch(file, cut, curve, score, batch_size)
    estimate, said = (
        (None, [])
        if known is not None
        else _estimate(sketch, method, cut if reference is None else curve, bootstrap, seed)
    )
    pi = estimate.prevalence if estimate is not None else known
    assert pi is not None
    payload = _result(cut, curve, sketch, pi, estimate)
    said = said + payload.pop("_warnings")
    payload.update(
        input=file,
        score=column,
        batches=batches,
        cutpoint=str(cutpoint),
        reference=reference,
        warnings=said,
    )
    if saved is not None:
        if "_moved" not in payload:
            msg = f"nothing to --save: no threshold to move to at prevalence {pi!r}"
            raise CliError(msg)
        moved: Cutpoint = payload.pop("_moved")
        columns = cut.columns or {"score": column}
        dataclasses.replace(moved, columns=dict(columns)).save(saved.path)
        payload["saved"] = saved.path
    payload.pop("_moved", None)
    if json_:
        print_json(payload)
    else:
        _print(payload)


def _result(
    cut: Cutpoint,
    curve: ConfusionCurve | None,
    sketch: ScoreSketch,
    prevalence: float,
    estimate: PrevalenceEstimate | None,
) -> dict[str, Any]:
    """Everything the command reports, as JSON-ready values (``_moved``: the cutpoint;
    ``_warnings``: what re-targeting warned, each also said as one ``warning:`` line)."""
    from ...shift import RetargetWarning
    from ...shift import retarget as shifted

    said: list[str] = []

    def move(cut: Cutpoint, pi: float, **kwargs: Any) -> Cutpoint:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RetargetWarning)
            moved = shifted(cut, pi, **kwargs)
        for w in caught:
            if issubclass(w.category, RetargetWarning):
                text = " ".join(str(w.message).split())
                if text not in said:
                    said.append(text)
                    sys.stderr.write(f"warning: {text}\n")
            else:  # any other warning goes on as it came
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return moved

    n = sketch.n_samples
    out: dict[str, Any] = {
        "rows": n,
        "rule": cut.rule,
        "metric": cut.metric.name,
        "constraints": [str(c) for c in cut.constraints],
        "prevalence": prevalence,
        "estimate": None if estimate is None else estimate.to_dict(),
        "reference_prevalence": cut.prevalence if curve is None else curve.prevalence,
        "threshold_before": cut.threshold,
        "flagged_before": sketch.flagged(cut.threshold),
        "threshold": None,
        "threshold_interval": None,
        "expected_flagged": None,
        "flagged": None,
        "expected_metrics": None,
        "reference_is_tuning_data": None,
        "closed_form": _closed_form(cut, prevalence) if 0 < prevalence < 1 else [],
        "curve": None if curve is None else ("saved" if curve is cut.curve else "reference"),
        "_warnings": said,
    }
    if curve is None or not 0 < prevalence < 1:
        return out
    # The validation curve under the cutpoint's own metric, constraints and tie rule.
    tuned = dataclasses.replace(cut, curve=curve)
    moved = move(tuned, prevalence, volume=n)
    out.update(
        _moved=moved,
        threshold=moved.threshold,
        expected_flagged=moved.flagged,
        flagged=sketch.flagged(moved.threshold),
        expected_metrics={m: moved.metrics[m] for m in ("precision", "recall", cut.metric.name)},
        reference_is_tuning_data=True
        if curve is cut.curve
        else (curve.fingerprint() == cut.data_fingerprint)
        if cut.data_fingerprint is not None
        else None,
    )
    if estimate is not None and all(0 < p < 1 for p in estimate.interval):
        out["threshold_interval"] = [move(tuned, p).threshold for p in estimate.interval]
    return out


def _percent(share: float) -> str:
    return f"{100 * share:.3g}%"


def _print(r: dict[str, Any]) -> None:
    """The human-readable summary of :func:`_result`."""
    from .._render import fmt, threshold_text

    console = stdout_console()
    n, rule, est = r["rows"], r["rule"], r["estimate"]
    source = "stdin" if r["input"] == "-" else r["input"]
    if est is None:
        console.print(f"Prevalence (given): {_percent(r['prevalence'])}", soft_wrap=True)
    else:
        low, high = est["interval"]
        interval = (
            f"{100 * est['confidence']:g}% interval {_percent(low)} to {_percent(high)}"
            if low is not None
            else "no interval"
        )
        how = (
            f"EM, {'converged in' if est['converged'] else 'NOT converged after'} "
            f"{est['iterations']} iterations"
            if est["method"] == "em"
            else "adjusted count at the cutpoint's threshold"
        )
        console.print(
            f"Estimated prevalence: {_percent(est['prevalence'])} ({interval}; {how}) in "
            f"{n:,} rows of {source}, column '{r['score']}'; the tuning data had "
            f"{_percent(r['reference_prevalence'])}",
            soft_wrap=True,
        )
    before = threshold_text(r["threshold_before"])
    console.print(
        f"At the cutpoint's threshold (score {rule} {before}): {r['flagged_before']:,} of "
        f"{n:,} rows flagged ({_percent(r['flagged_before'] / n)})",
        soft_wrap=True,
    )
    if r["threshold"] is None and r["reference"] is not None:
        console.print(
            f"No threshold to move to: at prevalence {_percent(r['prevalence'])} there are no "
            "positives to find (the estimate is at the edge of [0, 1]).",
            soft_wrap=True,
        )
        return
    if r["threshold"] is None:
        for ref in r["closed_form"]:
            console.print(
                f"Closed-form threshold for calibrated probabilities ({ref['name']}), moved "
                f"by odds re-basing: score {rule} {fmt(ref['threshold'])} (was "
                f"{fmt(ref['at_reference'])})",
                soft_wrap=True,
            )
        console.print(
            "To move the threshold itself, pass the labeled validation data: --reference "
            "FILE (this cutpoint file keeps only its own counts, not the curve's: "
            "cutpoints tune --save writes the curve too).",
            soft_wrap=True,
        )
        return
    _print_moved(console, r)


def _print_moved(console: Any, r: dict[str, Any]) -> None:
    """The moved threshold, what it is expected to do, and what it flags in the file."""
    from .._render import fmt, threshold_text

    n, rule = r["rows"], r["rule"]
    how = r["metric"] + (f" s.t. {', '.join(r['constraints'])}" if r["constraints"] else "")
    span = ""
    if r["threshold_interval"] is not None:
        low, high = sorted(r["threshold_interval"])
        span = (
            "; the same at both ends of the prevalence's interval"
            if low == high
            else f"; {threshold_text(low)} to {threshold_text(high)} over its interval"
        )
    shown = ", ".join(f"{k} {fmt(v)}" for k, v in r["expected_metrics"].items())
    console.print(
        f"Moved threshold: score {rule} {threshold_text(r['threshold'])} (was "
        f"{threshold_text(r['threshold_before'])}), re-selected for {how} at prevalence "
        f"{_percent(r['prevalence'])}{span}. Expected there: {shown}",
        soft_wrap=True,
    )
    console.print(
        f"Expected flagged: {r['expected_flagged']:,.0f} of {n:,} "
        f"({_percent(r['expected_flagged'] / n)}); {source_word(r)} has {r['flagged']:,} rows "
        f"with score {rule} the moved threshold",
        soft_wrap=True,
    )
    if r["reference_is_tuning_data"] is False:
        console.print(
            "Note: --reference is not the data the cutpoint was tuned on (their "
            "fingerprints differ); the threshold was re-selected on --reference.",
            soft_wrap=True,
        )
    if r.get("saved"):
        console.print(f"Saved the re-targeted cutpoint to {r['saved']}", soft_wrap=True)


def source_word(r: dict[str, Any]) -> str:
    """What the scores came from, in a sentence."""
    return "stdin" if r["input"] == "-" else "the file"
