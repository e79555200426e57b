"""Re-target a threshold to a new prevalence: re-weight the validation curve, select again.

Under prior shift (the share of positives changes, the score distribution within each
class does not) the confusion counts expected at prevalence π' follow from the validation
counts at prevalence π by weighting every positive by π'/π and every negative by
(1 − π')/(1 − π). Rates within a class (recall, fpr, specificity) do not move; precision,
NPV, F1, accuracy, flagged counts and costs do, and so does the best threshold. The
re-weighted curve goes through the selection kernel like any other, so the metric,
constraints and tie rule mean what they meant when the threshold was tuned.

Calibrated probabilities shift too: a probability calibrated at π re-based to π' is
``p' = w1·p / (w1·p + w0·(1 − p))`` with ``w1 = π'/π`` and ``w0 = (1 − π')/(1 − π)``
(Elkan 2001, Theorem 2; Saerens et al. 2002). Closed-form thresholds (the Bayes rule of a
cost matrix) hold for ``p'``; mapped back onto the scores the model gives, they are
:func:`rebase_threshold`.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from .._api import select_cutpoint
from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint, Reference
from .._metrics import BoundMetric, MetricLike, get_metric
from .._saved_curve import hidden_rows, with_counts
from .._validation import check_choice
from ..errors import InvalidInputError, InvalidParameterError
from ..selection import TIE_RULES, ConstraintLike, TieRule, as_constraints

__all__ = [
    "RetargetWarning",
    "check_prevalence",
    "prior_weights",
    "rebase_probabilities",
    "rebase_threshold",
    "retarget",
    "reweighted_curve",
]


class RetargetWarning(UserWarning):
    """A re-targeted threshold chosen among known rows while a gap between two of them
    (unsaved or unrefined rows of the curve) could hold a better one."""


def check_prevalence(value: Any, name: str = "prevalence") -> float:
    """A prevalence strictly inside (0, 1), or raise naming ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, (bool, str, bytes)) or not 0.0 < number < 1.0:
        msg = f"'{name}' must be a share of positives in (0, 1) (got {value!r})"
        raise InvalidParameterError(msg)
    return number


def prior_weights(prevalence: float, reference_prevalence: float) -> tuple[float, float]:
    """Weights (positive, negative) that move a sample at ``reference_prevalence`` to
    ``prevalence``: ``π'/π`` and ``(1 − π')/(1 − π)``."""
    return (
        prevalence / reference_prevalence,
        (1.0 - prevalence) / (1.0 - reference_prevalence),
    )


def _prevalence_value(prevalence: Any) -> float:
    """A number, or a :class:`PrevalenceEstimate` (its point estimate)."""
    from ._estimate import PrevalenceEstimate

    if isinstance(prevalence, PrevalenceEstimate):
        return check_prevalence(prevalence.prevalence, "prevalence (estimated)")
    return check_prevalence(prevalence)


def reweighted_curve(
    curve: ConfusionCurve, prevalence: Any, *, volume: float | None = None
) -> ConfusionCurve:
    """The curve expected at ``prevalence``: positives × π'/π, negatives × (1 − π')/(1 − π).

    Parameters
    ----------
    curve : ConfusionCurve
        The validation curve (both classes present).
    prevalence : float
        The deployment prevalence π', in (0, 1).
    volume : float, optional
        Scale the counts to a deployment batch of ``volume`` rows; by default they keep
        the validation total, so ``flagged`` reads "of as many rows as validated on".

    Returns
    -------
    ConfusionCurve
        Same thresholds and rule; float counts, ``weighted=True``, prevalence π'. A
        curve with gaps (binned or saved: see :mod:`cutpoints._saved_curve`) gives a
        :class:`~cutpoints._saved_curve.SavedCurve` with the same gaps: re-weighting
        maps the counts at its rows exactly.

    Examples
    --------
    >>> import cutpoints as cp
    >>> from cutpoints.shift import reweighted_curve
    >>> curve = cp.confusion_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> shifted = reweighted_curve(curve, 0.25)
    >>> shifted.tp.tolist(), shifted.fp.tolist(), shifted.prevalence
    ([0.0, 0.5, 0.5, 1.0, 1.0], [0.0, 0.0, 1.5, 1.5, 3.0], 0.25)
    """
    pi1 = _prevalence_value(prevalence)
    if not isinstance(curve, ConfusionCurve):
        msg = f"'curve' must be a cutpoints.ConfusionCurve (got {type(curve).__name__})"
        raise InvalidParameterError(msg)
    if not (curve.n_positive > 0 and curve.n_negative > 0):
        msg = (
            "re-targeting needs both classes in the validation data (got "
            f"n_positive={curve.n_positive}, n_negative={curve.n_negative})"
        )
        raise InvalidInputError(msg)
    w1, w0 = prior_weights(pi1, curve.prevalence)
    if volume is not None:
        if isinstance(volume, bool) or not (
            isinstance(volume, (int, float, np.integer, np.floating)) and 0 < volume < math.inf
        ):
            msg = f"'volume' must be a positive number of rows (got {volume!r})"
            raise InvalidParameterError(msg)
        scale = float(volume) / float(curve.n_total)
        w1, w0 = w1 * scale, w0 * scale
    return with_counts(
        curve,
        np.asarray(curve.tp, dtype=np.float64) * w1,
        np.asarray(curve.fp, dtype=np.float64) * w0,
        n_positive=float(curve.n_positive) * w1,
        n_negative=float(curve.n_negative) * w0,
        weighted=True,
    )


def rebase_probabilities(
    y_prob: Any, prevalence: float, *, reference_prevalence: float
) -> npt.NDArray[np.float64]:
    """Probabilities calibrated at ``reference_prevalence``, re-based to ``prevalence``.

    ``p' = w1·p / (w1·p + w0·(1 − p))`` with ``w1 = π'/π``, ``w0 = (1 − π')/(1 − π)``:
    the posterior odds scale by the change in prior odds (Elkan 2001; Saerens et al.
    2002). Order is kept, so the re-based scores flag the same rows at the mapped
    threshold (see :func:`rebase_threshold`).

    Parameters
    ----------
    y_prob : array-like
        Probabilities of the positive class in [0, 1].
    prevalence : float
        The new prevalence π' in (0, 1).
    reference_prevalence : float
        The prevalence π the probabilities are calibrated for.

    Returns
    -------
    ndarray of float64
        Same shape as ``y_prob``.

    Examples
    --------
    >>> from cutpoints.shift import rebase_probabilities
    >>> rebase_probabilities([0.5, 0.9, 1.0], 0.1, reference_prevalence=0.5).round(4).tolist()
    [0.1, 0.5, 1.0]
    """
    pi1 = check_prevalence(prevalence)
    pi0 = check_prevalence(reference_prevalence, "reference_prevalence")
    p = np.asarray(y_prob, dtype=np.float64)
    if p.size and not (np.min(p) >= 0.0 and np.max(p) <= 1.0):  # NaN fails both
        bad = p[~((p >= 0) & (p <= 1))].flat[0].item()
        msg = f"odds re-basing needs probabilities in [0, 1] (got {bad!r} in 'y_prob')"
        raise InvalidInputError(msg)
    w1, w0 = prior_weights(pi1, pi0)
    positive = w1 * p
    return np.asarray(positive / (positive + w0 * (1.0 - p)), dtype=np.float64)


def rebase_threshold(threshold: float, prevalence: float, *, reference_prevalence: float) -> float:
    """The threshold on the original scores equal to ``threshold`` on re-based ones.

    A rule "flag iff ``p' >= t``" on probabilities re-based from ``reference_prevalence``
    to ``prevalence`` flags exactly the rows with ``p >= rebase_threshold(t, ...)``. Use it
    to move a closed-form threshold (e.g. the Bayes rule of a cost matrix) to a new
    prevalence without re-scoring.

    Examples
    --------
    >>> from cutpoints.shift import rebase_threshold
    >>> round(rebase_threshold(0.5, 0.1, reference_prevalence=0.5), 4)
    0.9
    """
    t = float(threshold)
    if not 0.0 <= t <= 1.0:
        msg = f"'threshold' must be a probability in [0, 1] (got {threshold!r})"
        raise InvalidParameterError(msg)
    # The inverse map is the same map with the prevalences swapped.
    back = rebase_probabilities(
        t,
        check_prevalence(reference_prevalence, "reference_prevalence"),
        reference_prevalence=check_prevalence(prevalence),
    )
    return float(back)


def _moved_references(
    references: Iterable[Reference], prevalence: float, reference_prevalence: float
) -> tuple[Reference, ...]:
    """Closed-form thresholds at the new prevalence, expressed on the model's scores."""
    moved = []
    for ref in references:
        t = rebase_threshold(ref.threshold, prevalence, reference_prevalence=reference_prevalence)
        note = (
            f"{ref.explanation}; holds for probabilities re-based to prevalence {prevalence:.4g}, "
            f"mapped back onto the scores (calibrated at {reference_prevalence:.4g}) by odds "
            "re-basing (Elkan 2001)"
        )
        moved.append(Reference(ref.name, t, note))
    return tuple(moved)


def retarget(
    curve: ConfusionCurve | Cutpoint,
    prevalence: Any,
    *,
    metric: MetricLike | None = None,
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = None,
    maximize: bool | None = None,
    ties: TieRule | None = None,
    volume: float | None = None,
) -> Cutpoint:
    """Re-select the threshold for a deployment prevalence, through the selection kernel.

    Every validation positive counts π'/π and every negative (1 − π')/(1 − π), which is
    what the counts become when the share of positives changes and the scores within
    each class do not (prior shift). The best threshold under the same metric and
    constraints is then chosen again, exactly as :func:`~cutpoints.select_cutpoint`
    would on that re-weighted curve: re-targeting equals re-weighting the validation
    rows and tuning again.

    Parameters
    ----------
    curve : ConfusionCurve or Cutpoint
        The validation curve, or a cutpoint that carries it (from
        :func:`~cutpoints.find_cutpoint`); a cutpoint also brings its metric,
        constraints, direction and tie rule, which the arguments below override.
    prevalence : float or PrevalenceEstimate
        The deployment prevalence π', in (0, 1); an estimate from
        :func:`estimate_prevalence` stands for its point estimate.
    metric, constraints, maximize, ties :
        As for :func:`~cutpoints.find_cutpoint` (defaults: the cutpoint's, or ``"f1"``,
        none, the metric's direction, ``"highest"`` for a curve).
    volume : float, optional
        Express counts for a deployment batch of ``volume`` rows (``cut.flagged`` is
        then the expected number flagged in it, and count constraints such as
        ``"flagged <= 500"`` apply to it); default: as many rows as the validation data.

    Returns
    -------
    Cutpoint
        Chosen on the re-weighted curve (``cut.curve``): its counts are the expected
        counts at π' (floats), ``cut.prevalence == π'``, and metrics such as precision
        are those expected at π'. Closed-form ``references`` are moved by odds re-basing
        onto the model's scores. A guarantee of the input cutpoint does not carry over.

    Raises
    ------
    InvalidParameterError
        ``prevalence`` outside (0, 1); a cutpoint without its curve (loaded from JSON).
    InfeasibleConstraintError
        The constraints cannot hold at π' (e.g. a precision floor at a rarer class).

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [0, 0, 1, 1, 0, 1, 0, 1]
    >>> s = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3]
    >>> cut = cp.find_cutpoint(y, s, metric="f1")
    >>> cut.threshold, cut.prevalence
    (0.3, 0.5)
    >>> from cutpoints.shift import retarget
    >>> rare = retarget(cut, 0.1)
    >>> rare.threshold, round(rare.prevalence, 6), round(rare.flagged, 6)
    (0.7, 0.1, 0.4)
    """
    source, defaults = _source_and_defaults(curve)
    pi1 = _prevalence_value(prevalence)
    objective = get_metric(metric if metric is not None else defaults["metric"])
    tie_rule: TieRule = ties if ties is not None else defaults["ties"]
    check_choice(tie_rule, "ties", TIE_RULES)  # before any work
    constraint_list = as_constraints(
        constraints if constraints is not None else defaults["constraints"]
    )
    if maximize is None and metric is None:
        maximize = defaults["maximize"]
    shifted = reweighted_curve(source, pi1, volume=volume)
    direction = objective.greater_is_better if maximize is None else bool(maximize)
    hidden = hidden_rows(shifted, objective, constraint_list, maximize=direction)
    if len(hidden):
        source, shifted = _exact_rows(source, shifted, hidden, pi1, volume, objective)
    cut = select_cutpoint(
        shifted, metric=objective, constraints=constraint_list, maximize=maximize, ties=tie_rule
    )
    moved = _moved_references(cut.references, pi1, source.prevalence) if source.rule == ">=" else ()
    return dataclasses.replace(cut, references=moved)


def _exact_rows(
    source: ConfusionCurve,
    shifted: ConfusionCurve,
    hidden: npt.NDArray[np.int64],
    prevalence: float,
    volume: float | None,
    objective: BoundMetric,
) -> tuple[ConfusionCurve, ConfusionCurve]:
    """The full curve when the optimum may lie between known rows and the data is at
    hand (a histogram-engine curve keeps it); else the known rows, with a warning."""
    try:
        full = source.full()  # type: ignore[attr-defined]
    except InvalidParameterError:
        full = None  # a saved curve, or a binned one built without its data
    if full is not None:
        return full, reweighted_curve(full, prevalence, volume=volume)
    t = shifted.thresholds
    brackets = [f"({t[i]:.10g}, {t[i - 1]:.10g})" for i in hidden[:3].tolist()]
    more = f" and {len(hidden) - 3} more" if len(hidden) > 3 else ""
    msg = (
        f"re-targeted {objective.name} may be best at a threshold whose counts are not "
        f"known: the curve (saved or binned) has exact counts at some thresholds only, "
        f"and the optimum may lie strictly between the known thresholds "
        f"{', '.join(brackets)}{more}. The threshold returned is the best known one; "
        "pass the validation curve (cp.confusion_curve(y_true, y_score)) for the exact "
        "answer"
    )
    warnings.warn(msg, RetargetWarning, stacklevel=3)
    return source, shifted


def _source_and_defaults(curve: Any) -> tuple[ConfusionCurve, dict[str, Any]]:
    """The validation curve, and the choices to keep (a cutpoint's own)."""
    if isinstance(curve, Cutpoint):
        if curve.curve is None:
            msg = (
                "'curve' is a Cutpoint without its curve (loaded from JSON saved without "
                "curve=True?): re-targeting re-weights the validation counts at every "
                "threshold; pass cp.confusion_curve(y_true, y_score) of the validation "
                "data, or save the cutpoint with cut.save(path, curve=True)"
            )
            raise InvalidParameterError(msg)
        return curve.curve, {
            "metric": curve.metric,
            "constraints": curve.constraints,
            "maximize": curve.maximize,
            "ties": curve.ties,
        }
    if isinstance(curve, ConfusionCurve):
        return curve, {"metric": "f1", "constraints": (), "maximize": None, "ties": "highest"}
    msg = (
        "'curve' must be a cutpoints.ConfusionCurve or a Cutpoint that carries one "
        f"(got {type(curve).__name__})"
    )
    raise InvalidParameterError(msg)
