"""Estimate the share of positives in new, unlabeled scores (prior shift).

Two estimators, both against a labeled reference (the validation data, or the cutpoint
tuned on it):

- ``method="em"``: the maximum-likelihood prior of Saerens, Latinne & Decaestecker
  (2002). Their EM alternates re-basing each probability to the current prior (E) and
  averaging (M); its fixed point maximizes the log-likelihood of the new scores in the
  prior, which is concave in it. We find that fixed point with safeguarded Newton steps
  on the same likelihood (quadratic instead of linear convergence: a handful of passes
  over the scores instead of hundreds) and stop when one EM step from the estimate moves
  it by less than ``tol`` -- the EM stopping rule. ``solver="em"`` runs the plain EM
  iteration instead (same fixed point). Needs calibrated probabilities.
- ``method="acc"``: adjusted classify-and-count (Forman 2008): flag the new scores at a
  threshold, and correct the share flagged with the reference's tpr and fpr there:
  ``(flagged share - fpr) / (tpr - fpr)``. Works for any score.

Intervals are percentile bootstrap intervals over resamples of the new rows and of the
reference (ACC: its rows of each class; EM: its labels, whose share of positives is EM's
prior -- a small error in it moves a rare prevalence's estimate a lot). ACC's statistic
depends on a resample only through binomial counts, which are drawn directly. EM's
resamples are drawn as multinomial counts over 1,024 narrow bins of the logit of the
scores (one pass over the scores, whatever the number of resamples); each resample's
estimate is shifted by the estimate's own binning error, so binning cancels to first
order (the binning error itself is far below the sampling error).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint, format_threshold
from .._metrics import get_metric
from .._random import seed_sequence
from .._saved_curve import with_exact_thresholds
from .._validation import check_choice, check_scores
from ..errors import InvalidLabelsError, InvalidParameterError
from ..selection import select_rows
from ._retarget import check_prevalence
from ._sketch import ScoreSketch, clipped_logit

__all__ = ["PrevalenceEstimate", "PrevalenceWarning", "estimate_prevalence"]

FloatArray = npt.NDArray[np.float64]
Method = Literal["em", "acc"]
Solver = Literal["newton", "em"]

N_BINS = 1024  # logit bins for EM's bootstrap resamples (binning error << sampling error)
_CHUNK = 1 << 16  # rows per chunk of the EM sums: temporaries stay in cache
_BOOT_CHUNK = 64  # resamples solved together


class PrevalenceWarning(UserWarning):
    """A prevalence estimate that did not converge or had to be clipped to [0, 1]."""


@dataclass(frozen=True)
class PrevalenceEstimate:
    """The share of positives in unlabeled scores, with a bootstrap interval.

    Attributes
    ----------
    prevalence : float
        The estimate, in [0, 1].
    interval : tuple of float
        ``(low, high)``: the percentile bootstrap interval at ``confidence`` (NaN when
        ``n_resamples == 0``).
    method : {'em', 'acc'}
        How it was estimated.
    converged : bool
        Whether the estimate met the stopping rule (always True for ACC, which is
        closed-form).
    iterations : int
        Iterations taken (EM; 0 for ACC).
    confidence : float
        The interval's confidence level.
    n_samples : int
        Number of unlabeled scores.
    n_resamples : int
        Bootstrap resamples behind ``interval``.
    reference_prevalence : float
        The share of positives in the reference (EM: the prior the probabilities are
        calibrated for).
    raw : float
        The estimate before clipping to [0, 1] (ACC can fall outside).
    solver : str or None
        EM's solver (``'newton'`` or ``'em'``).
    step : float
        EM: the size of one EM step from the estimate (below ``tol`` when converged).
    threshold : float or None
        ACC: the threshold the new scores were flagged at.
    tpr, fpr : float
        ACC: the reference's true and false positive rates at ``threshold``.
    flagged_share : float
        ACC: the share of new scores flagged at ``threshold``.
    """

    prevalence: float
    interval: tuple[float, float]
    method: str
    converged: bool
    iterations: int
    confidence: float
    n_samples: int
    n_resamples: int
    reference_prevalence: float
    raw: float
    solver: str | None = None
    step: float = math.nan
    threshold: float | None = None
    tpr: float = math.nan
    fpr: float = math.nan
    flagged_share: float = math.nan

    def __float__(self) -> float:
        return self.prevalence

    def expected_positives(self, volume: float | None = None) -> float:
        """Expected number of positives among ``volume`` rows (default: the scores given)."""
        return self.prevalence * (self.n_samples if volume is None else float(volume))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN as None)."""

        def clean(value: Any) -> Any:
            if isinstance(value, float) and not math.isfinite(value):
                return None
            return value

        out = {
            "prevalence": self.prevalence,
            "interval": [clean(v) for v in self.interval],
            "confidence": self.confidence,
            "method": self.method,
            "converged": self.converged,
            "iterations": self.iterations,
            "n_samples": self.n_samples,
            "n_resamples": self.n_resamples,
            "reference_prevalence": self.reference_prevalence,
            "raw": self.raw,
        }
        if self.method == "em":
            out.update(solver=self.solver, step=self.step)
        else:
            out.update(
                threshold=self.threshold,
                tpr=self.tpr,
                fpr=self.fpr,
                flagged_share=self.flagged_share,
            )
        return {k: clean(v) for k, v in out.items()}

    def __str__(self) -> str:
        low, high = self.interval
        interval = (
            f"{100 * self.confidence:g}% interval {low:.4g} to {high:.4g}"
            if math.isfinite(low)
            else "no interval"
        )
        if self.method == "em":
            how = (
                f"EM, converged in {self.iterations} iterations"
                if self.converged
                else f"EM, NOT converged after {self.iterations} iterations"
            )
        else:
            assert self.threshold is not None
            how = (
                f"adjusted count at threshold {format_threshold(self.threshold)}: "
                f"{self.flagged_share:.4g} flagged, tpr {self.tpr:.4g}, fpr {self.fpr:.4g}"
            )
        return (
            f"prevalence {self.prevalence:.4g} ({interval}; {how}; "
            f"{self.n_samples:,} scores; reference prevalence {self.reference_prevalence:.4g})"
        )


# ---------------------------------------------------------------------- reference
@dataclass(frozen=True)
class _Reference:
    """What the estimators need of the labeled reference."""

    prevalence: float
    rule: str
    threshold: float | None
    tp: float
    fp: float
    n_positive: float
    n_negative: float
    weighted: bool


def _reference(reference: Any, method: str, threshold: float | None) -> _Reference:
    """The reference's prevalence and, for ACC, its counts at the threshold."""
    curve: ConfusionCurve | None
    if isinstance(reference, Cutpoint):
        cut, curve = reference, reference.curve
        if threshold is None or threshold == cut.threshold or curve is None:
            if threshold is not None and threshold != cut.threshold:
                msg = (
                    "'threshold' needs the reference's curve, and this Cutpoint has none "
                    "(loaded from JSON?): pass reference=(y_true, y_score)"
                )
                raise InvalidParameterError(msg)
            return _Reference(
                prevalence=cut.prevalence,
                rule=cut.rule,
                threshold=cut.threshold,
                tp=float(cut.tp),
                fp=float(cut.fp),
                n_positive=float(cut.n_positive),
                n_negative=float(cut.n_negative),
                weighted=cut.weighted,
            )
    elif isinstance(reference, ConfusionCurve):
        curve = reference
    elif isinstance(reference, tuple) and len(reference) == 2:
        from .._api import confusion_curve

        curve = confusion_curve(reference[0], reference[1])
    else:
        msg = (
            "'reference' must be (y_true, y_score) of labeled data, a Cutpoint or a "
            f"ConfusionCurve (got {type(reference).__name__})"
        )
        raise InvalidParameterError(msg)
    if not (curve.n_positive > 0 and curve.n_negative > 0):
        msg = (
            "'reference' holds only one class (got "
            f"n_positive={curve.n_positive}, n_negative={curve.n_negative}); its labels "
            "must include both"
        )
        raise InvalidLabelsError(msg)
    if threshold is None and method == "acc":
        # ACC's variance is smallest where tpr - fpr is largest: Youden's optimum.
        selection = select_rows(curve, get_metric("youden")).raise_for_status()
        threshold = float(curve.thresholds[selection.index])
    if threshold is not None:
        # A binned curve knows some thresholds only: count a given one on its data.
        curve, unknown = with_exact_thresholds(curve, [threshold])
        if unknown:
            msg = (
                f"'threshold' {threshold!r} lies between two thresholds with known counts "
                "of the reference's binned curve, and its data is not at hand: pass "
                "reference=(y_true, y_score)"
            )
            raise InvalidParameterError(msg)
    row = curve.index_at(threshold) if threshold is not None else 0
    return _Reference(
        prevalence=curve.prevalence,
        rule=curve.rule,
        threshold=threshold,
        tp=float(curve.tp[row]),
        fp=float(curve.fp[row]),
        n_positive=float(curve.n_positive),
        n_negative=float(curve.n_negative),
        weighted=curve.weighted,
    )


# ---------------------------------------------------------------------- EM
def _not_probability_message(value: float, index: int, where: str) -> str:
    return (
        f"method='em' needs calibrated probabilities in [0, 1] (got {value!r} at index "
        f"{index} of {where}); use method='acc' for scores that are not probabilities"
    )


def _check_probabilities(scores: FloatArray, name: str) -> None:
    low, high = float(scores.min()), float(scores.max())
    if low < 0.0 or high > 1.0:
        bad = int(np.argmax((scores < 0.0) | (scores > 1.0)))
        raise InvalidParameterError(_not_probability_message(scores[bad].item(), bad, f"'{name}'"))


def _sums(p: FloatArray, pi0: float, pi: float, second: bool) -> tuple[float, float]:
    """Mean of ``d`` and of ``d**2`` over the rows, where the log-likelihood's derivative
    in the prior is the sum of ``d = (p - pi0) / (pi0 (1 - pi0) + (pi - pi0)(p - pi0))``
    (finite for p = 0 and p = 1).

    Chunked with two small buffers: no array as long as the data is allocated (a fresh
    80 MB array costs more in page faults than the arithmetic on it).
    """
    base, slope = pi0 * (1.0 - pi0), pi - pi0
    s1 = s2 = 0.0
    size = min(len(p), _CHUNK)
    centred, d = np.empty(size), np.empty(size)
    for start in range(0, len(p), _CHUNK):
        part = p[start : start + _CHUNK]
        c, q = centred[: len(part)], d[: len(part)]
        np.subtract(part, pi0, out=c)
        np.multiply(c, slope, out=q)
        q += base
        np.divide(c, q, out=q)
        s1 += float(q.sum())
        if second:
            # Square in place and sum: np.dot would call BLAS, whose threads stall
            # badly when the cores are busy (7 ms a chunk instead of 20 us, measured).
            np.square(q, out=q)
            s2 += float(q.sum())
    return s1 / len(p), s2 / len(p)


def _solve(
    sums: Callable[[float, bool], tuple[float, float]],
    start: float,
    tol: float,
    max_iter: int,
    solver: str,
) -> tuple[float, int, bool, float]:
    """The EM fixed point: (estimate, iterations, converged, last EM step).

    The EM update is ``pi + pi (1 - pi) mean(d)``, a scaled gradient step of the concave
    log-likelihood; Newton's step is ``mean(d) / mean(d**2)``, kept inside the bracket
    where the derivative changes sign (bisection otherwise).
    """
    newton = solver == "newton"
    pi, low, high = start, 0.0, 1.0
    s1, s2 = sums(pi, newton)
    step = pi * (1.0 - pi) * s1
    iterations = 0
    while not abs(step) < tol:
        if iterations >= max_iter:
            return pi, iterations, False, step
        if newton:
            if s1 > 0:
                low = pi
            else:
                high = pi
            candidate = pi + s1 / s2 if s2 > 0 else math.nan
            pi = candidate if low < candidate < high else 0.5 * (low + high)
        else:
            pi += step
        iterations += 1
        s1, s2 = sums(pi, newton)
        step = pi * (1.0 - pi) * s1
    return pi, iterations, True, step


def _logit_bins(scores: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(count, mean score) of the non-empty bins of equal-width bins in logit(p) over the
    observed range; chunked, like :func:`_sums`."""
    ends = clipped_logit(np.array([scores.min(), scores.max()]))
    low, high = float(ends[0]), float(ends[1])  # the logit is increasing
    scale = N_BINS / (high - low) if high > low else 1.0
    counts = np.zeros(N_BINS, dtype=np.int64)
    sums = np.zeros(N_BINS)
    for start in range(0, len(scores), _CHUNK):
        part = scores[start : start + _CHUNK]
        logit = clipped_logit(part)
        logit -= low
        logit *= scale
        index = np.minimum(logit.astype(np.intp), N_BINS - 1)
        counts += np.bincount(index, minlength=N_BINS)
        sums += np.bincount(index, weights=part, minlength=N_BINS)
    filled = counts > 0
    kept = counts[filled].astype(np.float64)
    return kept, sums[filled] / kept


def _binned_newton(
    p: FloatArray, weights: FloatArray, pi0: FloatArray, start: float, tol: float = 1e-12
) -> FloatArray:
    """The EM fixed point of each row of ``weights`` (resample counts over bins of mean
    score ``p``), each with its own reference prevalence ``pi0``."""
    total = weights.sum(axis=1)
    pi = np.full(len(weights), start)
    low, high = np.zeros(len(weights)), np.ones(len(weights))
    centred = p[None, :] - pi0[:, None]  # d = (p - pi0) / (pi0 (1 - pi0) + (pi - pi0)(p - pi0))
    base = (pi0 * (1.0 - pi0))[:, None]
    for _ in range(100):
        d = centred / (base + (pi - pi0)[:, None] * centred)
        wd = weights * d
        s1 = wd.sum(axis=1) / total
        s2 = np.einsum("ij,ij->i", wd, d) / total
        low = np.where(s1 > 0, pi, low)
        high = np.where(s1 > 0, high, pi)
        with np.errstate(divide="ignore", invalid="ignore"):
            candidate = pi + s1 / s2
        inside = (candidate > low) & (candidate < high)
        new = np.where(inside, candidate, 0.5 * (low + high))
        done = np.abs(new - pi) < tol
        pi = new
        if done.all():
            break
    return pi


def _binned_sums(
    counts: FloatArray, p: FloatArray, pi0: float, pi: float, second: bool
) -> tuple[float, float]:
    """Mean of ``d`` and ``d**2`` over binned rows (count and mean score per bin)."""
    centred = p - pi0
    d = centred / (pi0 * (1.0 - pi0) + (pi - pi0) * centred)
    total = counts.sum()
    weighted = counts * d
    second_sum = float((weighted * d).sum() / total) if second else 0.0  # no BLAS: see _sums
    return float(weighted.sum() / total), second_sum


def _em_interval(
    bins: tuple[FloatArray, FloatArray],
    pi0: float,
    n_ref: int | None,
    estimate: float,
    n_resamples: int,
    confidence: float,
    random_state: Any,
) -> tuple[float, float]:
    """Bootstrap of the new rows (multinomial over logit bins) and of the reference's
    ``n_ref`` labels (its prevalence, binomial; held fixed when ``n_ref`` is None), each
    resample solved on the bins."""
    counts, p_bins = bins
    n = round(float(counts.sum()))
    # Resamples are solved on bins; shift each by the binning error of the estimate.
    binned = float(_binned_newton(p_bins, counts[None, :], np.array([pi0]), estimate)[0])
    rng = np.random.default_rng(seed_sequence(random_state))
    draws = []
    for start in range(0, n_resamples, _BOOT_CHUNK):
        size = min(_BOOT_CHUNK, n_resamples - start)
        weights = rng.multinomial(n, counts / counts.sum(), size=size)
        if n_ref is None:
            pi0_b = np.full(size, pi0)
        else:
            pi0_b = rng.binomial(n_ref, pi0, size=size) / n_ref
            pi0_b = np.clip(pi0_b, 0.5 / n_ref, 1.0 - 0.5 / n_ref)  # both classes drawn
        draws.append(_binned_newton(p_bins, weights.astype(np.float64), pi0_b, binned))
    replicates = np.clip(np.concatenate(draws) - binned + estimate, 0.0, 1.0)
    return _percentile_interval(replicates, confidence)


def _em(
    scores: FloatArray | ScoreSketch,
    ref: _Reference | None,
    prior: float | None,
    *,
    tol: float,
    max_iter: int,
    solver: str,
    n_resamples: int,
    confidence: float,
    random_state: Any,
) -> PrevalenceEstimate:
    if ref is not None and ref.rule != ">=":
        msg = (
            "method='em' needs probabilities of the positive class (rule '>='); the "
            f"reference has rule {ref.rule!r}: use method='acc'"
        )
        raise InvalidParameterError(msg)
    # The prior the probabilities are calibrated for: given, or the reference's share of
    # positives (then an estimate, resampled in the bootstrap; weighted data has no row
    # counts to resample, so it is held fixed).
    n_ref: int | None = None
    if prior is not None:
        pi0 = prior
    else:
        assert ref is not None
        pi0 = check_prevalence(ref.prevalence, "reference prevalence")
        if not ref.weighted:
            n_ref = round(ref.n_positive + ref.n_negative)
    sums: Callable[[float, bool], tuple[float, float]]
    if isinstance(scores, ScoreSketch):  # streamed: sums over its fine bins
        counts, means = scores.bins()
        sums = lambda pi, second: _binned_sums(counts, means, pi0, pi, second)  # noqa: E731
        n_samples = scores.n_samples
    else:
        sums = lambda pi, second: _sums(scores, pi0, pi, second)  # noqa: E731
        n_samples = len(scores)
    estimate, iterations, converged, step = _solve(sums, pi0, tol, max_iter, solver)
    if not converged:
        warnings.warn(
            f"EM did not converge: after {iterations} iterations (max_iter={max_iter}) one "
            f"EM step still moves the estimate by {abs(step):.3g} > tol={tol:g}; the "
            f"estimate {estimate:.6g} may be off. Raise max_iter"
            + (", or use solver='newton'" if solver == "em" else ""),
            PrevalenceWarning,
            stacklevel=3,
        )
    interval = (math.nan, math.nan)
    if n_resamples:
        bins = scores.bins(N_BINS) if isinstance(scores, ScoreSketch) else _logit_bins(scores)
        interval = _em_interval(bins, pi0, n_ref, estimate, n_resamples, confidence, random_state)
    return PrevalenceEstimate(
        prevalence=float(min(max(estimate, 0.0), 1.0)),
        interval=interval,
        method="em",
        converged=converged,
        iterations=iterations,
        confidence=confidence,
        n_samples=n_samples,
        n_resamples=n_resamples,
        reference_prevalence=pi0,
        raw=float(estimate),
        solver=solver,
        step=float(step),
    )


# ---------------------------------------------------------------------- ACC
def _acc(
    scores: FloatArray | ScoreSketch,
    ref: _Reference,
    *,
    n_resamples: int,
    confidence: float,
    random_state: Any,
) -> PrevalenceEstimate:
    assert ref.threshold is not None
    t = ref.threshold
    if isinstance(scores, ScoreSketch):
        if scores.rule != ref.rule:
            msg = f"the sketch flags with rule {scores.rule!r}, the reference with {ref.rule!r}"
            raise InvalidParameterError(msg)
        n, flagged = scores.n_samples, scores.flagged(t)
    else:
        n = len(scores)
        flagged = int(np.count_nonzero(scores >= t if ref.rule == ">=" else scores <= t))
    if not n:
        msg = "'y_score_unlabeled' holds no scores"
        raise InvalidParameterError(msg)
    tpr, fpr = ref.tp / ref.n_positive, ref.fp / ref.n_negative
    if not tpr > fpr:
        msg = (
            "method='acc' needs a threshold where the reference's tpr exceeds its fpr "
            f"(got tpr {tpr:.4g} <= fpr {fpr:.4g} at threshold {format_threshold(t)}): it "
            "does not separate the classes; pass another threshold"
        )
        raise InvalidParameterError(msg)
    share = flagged / n
    raw = (share - fpr) / (tpr - fpr)
    estimate = min(max(raw, 0.0), 1.0)
    if estimate != raw:
        warnings.warn(
            f"adjusted classify-and-count gave {raw:.4g}, outside [0, 1], and was clipped to "
            f"{estimate:g}: the share flagged ({share:.4g}) is outside the range between the "
            f"reference's fpr ({fpr:.4g}) and tpr ({tpr:.4g}). The sample is small, or "
            "the scores within a class changed (not a pure prior shift)",
            PrevalenceWarning,
            stacklevel=3,
        )
    interval = (math.nan, math.nan)
    if n_resamples:
        rng = np.random.default_rng(seed_sequence(random_state))
        # A row resample's flagged count is Binomial(n, share); a stratified resample of
        # the reference gives Binomial(P, tpr) and Binomial(N, fpr). Weighted references
        # have no row counts: their rates are then held fixed.
        share_b = rng.binomial(n, share, size=n_resamples) / n
        if ref.weighted:
            tpr_b, fpr_b = np.full(n_resamples, tpr), np.full(n_resamples, fpr)
        else:
            n_pos, n_neg = round(ref.n_positive), round(ref.n_negative)
            tpr_b = rng.binomial(n_pos, tpr, size=n_resamples) / n_pos
            fpr_b = rng.binomial(n_neg, fpr, size=n_resamples) / n_neg
        with np.errstate(divide="ignore", invalid="ignore"):
            replicates = np.where(tpr_b > fpr_b, (share_b - fpr_b) / (tpr_b - fpr_b), np.nan)
        interval = _percentile_interval(np.clip(replicates, 0.0, 1.0), confidence)
    return PrevalenceEstimate(
        prevalence=float(estimate),
        interval=interval,
        method="acc",
        converged=True,
        iterations=0,
        confidence=confidence,
        n_samples=n,
        n_resamples=n_resamples,
        reference_prevalence=ref.prevalence,
        raw=float(raw),
        threshold=float(t),
        tpr=float(tpr),
        fpr=float(fpr),
        flagged_share=float(share),
    )


def _percentile_interval(replicates: FloatArray, confidence: float) -> tuple[float, float]:
    alpha = 100.0 * (1.0 - confidence) / 2.0
    finite = replicates[np.isfinite(replicates)]
    if not finite.size:
        return math.nan, math.nan
    low, high = np.percentile(finite, [alpha, 100.0 - alpha])
    return float(low), float(high)


# ---------------------------------------------------------------------- entry point
def _check_options(
    method: Any,
    solver: Any,
    n_resamples: Any,
    confidence: Any,
    tol: Any,
    max_iter: Any,
    threshold: Any,
) -> None:
    """Refuse a bad option before any work, naming it."""
    check_choice(method, "method", ("em", "acc"))
    check_choice(solver, "solver", ("newton", "em"))
    for name, value in (("n_resamples", n_resamples), ("max_iter", max_iter)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            msg = f"'{name}' must be a non-negative integer (got {value!r})"
            raise InvalidParameterError(msg)
    if not (isinstance(confidence, (int, float)) and 0 < confidence < 1):
        msg = f"'confidence' must be in (0, 1) (got {confidence!r})"
        raise InvalidParameterError(msg)
    if not (isinstance(tol, (int, float)) and tol > 0):
        msg = f"'tol' must be a positive number (got {tol!r})"
        raise InvalidParameterError(msg)
    if threshold is not None and (isinstance(threshold, bool) or math.isnan(float(threshold))):
        msg = f"'threshold' must be a number (got {threshold!r})"
        raise InvalidParameterError(msg)


def _prior(method: str, reference: Any, reference_prevalence: Any) -> float | None:
    """EM's prior when given (``reference_prevalence``); checks a reference is there."""
    if reference_prevalence is not None:
        if method != "em":
            msg = "'reference_prevalence' is EM's prior: it needs method='em'"
            raise InvalidParameterError(msg)
        return check_prevalence(reference_prevalence, "reference_prevalence")
    if reference is None:
        msg = (
            f"method={method!r} needs 'reference': labeled data (y_true, y_score), a "
            "Cutpoint or a ConfusionCurve"
            + (", or (EM) the prior as reference_prevalence=" if method == "em" else "")
        )
        raise InvalidParameterError(msg)
    return None


def estimate_prevalence(
    y_score_unlabeled: Any,
    method: Method = "em",
    *,
    reference: Any = None,
    reference_prevalence: float | None = None,
    threshold: float | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    random_state: Any = None,
    tol: float = 1e-8,
    max_iter: int = 1000,
    solver: Solver = "newton",
) -> PrevalenceEstimate:
    """Estimate the share of positives among new, unlabeled scores.

    Under prior shift (the share of positives changes, the scores within each class do
    not), the new scores alone tell the new prevalence, given a labeled reference.

    Parameters
    ----------
    y_score_unlabeled : array-like of shape (n_samples,) or ScoreSketch
        Scores of the new rows (no labels), or a :class:`ScoreSketch` of them (one pass
        over data too large for memory; ACC's threshold must be one of its thresholds).
    method : {'em', 'acc'}, default='em'
        ``'em'``: maximum likelihood by the EM of Saerens et al. (2002); needs
        probabilities in [0, 1] calibrated on the reference. ``'acc'``: adjusted
        classify-and-count at ``threshold``; any score.
    reference : (y_true, y_score), Cutpoint or ConfusionCurve
        The labeled validation data. EM uses its prevalence (the prior the probabilities
        are calibrated for; the interval includes its sampling error); ACC its true and
        false positive rates at the threshold. A Cutpoint loaded from JSON is enough for
        both (its counts at its threshold). For weights or a ``pos_label``, pass
        ``cp.confusion_curve(y_true, y_score, sample_weight=..., pos_label=...)``.
    reference_prevalence : float, optional
        EM: the prior the probabilities are calibrated for, when it is known exactly
        (e.g. the model was trained on balanced classes); it then replaces the
        reference's share of positives and ``reference`` may be omitted.
    threshold : float, optional
        ACC: where to flag. Default: the cutpoint's threshold, or for data and curves
        the threshold that maximizes tpr - fpr (Youden's J), which makes the estimate
        least noisy.
    n_resamples : int, default=1000
        Bootstrap resamples for ``interval`` (0: no interval).
    confidence : float, default=0.95
        The interval's level.
    random_state : None, int, SeedSequence or Generator
        Seeds the bootstrap.
    tol : float, default=1e-8
        EM stops when one EM step moves the estimate by less than this.
    max_iter : int, default=1000
        EM: iterations allowed before giving up (with a :class:`PrevalenceWarning`).
    solver : {'newton', 'em'}, default='newton'
        EM: safeguarded Newton steps on the EM likelihood (fast), or the plain EM
        iteration. Both find the same fixed point.

    Returns
    -------
    PrevalenceEstimate
        ``prevalence``, ``interval``, ``method``, ``converged``, ``iterations``, ...

    Raises
    ------
    InvalidParameterError
        Scores outside [0, 1] for ``method='em'``; a reference with one class; a
        threshold where tpr <= fpr for ``method='acc'``.

    Warns
    -----
    PrevalenceWarning
        EM did not converge within ``max_iter`` (the message gives the iterations); or
        ACC fell outside [0, 1] and was clipped.

    Examples
    --------
    >>> import numpy as np
    >>> import cutpoints as cp
    >>> from cutpoints.shift import estimate_prevalence
    >>> rng = np.random.default_rng(0)
    >>> def sample(n, prevalence):  # calibrated at prevalence 0.5
    ...     y = rng.random(n) < prevalence
    ...     x = rng.normal(2.0 * y, 1.0)
    ...     return y, 1 / (1 + np.exp(-(2.0 * x - 2.0)))
    >>> y_val, p_val = sample(20_000, 0.5)
    >>> _, p_new = sample(100_000, 0.1)
    >>> est = estimate_prevalence(p_new, "em", reference=(y_val, p_val), random_state=0)
    >>> round(est.prevalence, 2), est.converged
    (0.1, True)
    >>> low, high = est.interval
    >>> bool(low < 0.1 < high)
    True
    """
    # Long only for its docstring; the work is in _em and _acc.
    _check_options(method, solver, n_resamples, confidence, tol, max_iter, threshold)
    prior = _prior(method, reference, reference_prevalence)
    scores: FloatArray | ScoreSketch
    if isinstance(y_score_unlabeled, ScoreSketch):
        scores = y_score_unlabeled
        if not scores.n_samples:
            msg = "'y_score_unlabeled' is an empty ScoreSketch: update it with scores first"
            raise InvalidParameterError(msg)
        if method == "em" and scores.not_probability is not None:
            value, index = scores.not_probability
            raise InvalidParameterError(_not_probability_message(value, index, "the sketch"))
    else:
        scores = check_scores(y_score_unlabeled, "y_score_unlabeled")
        if method == "em":
            _check_probabilities(scores, "y_score_unlabeled")
    ref = None if reference is None else _reference(reference, method, threshold)
    if method == "em":
        return _em(
            scores,
            ref,
            prior,
            tol=float(tol),
            max_iter=int(max_iter),
            solver=solver,
            n_resamples=int(n_resamples),
            confidence=float(confidence),
            random_state=random_state,
        )
    assert ref is not None
    return _acc(
        scores,
        ref,
        n_resamples=int(n_resamples),
        confidence=float(confidence),
        random_state=random_state,
    )
