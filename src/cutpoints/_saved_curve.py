"""Curves with known gaps: binned and saved curves, and what can be concluded from them.

A full :class:`~cutpoints.ConfusionCurve` has the exact counts at every distinct score.
Two kinds of curve have exact counts at fewer rows:

* a :class:`~cutpoints.engines.BinnedCurve` (the histogram engine): bin edges plus every
  row of the refined bins;
* a :class:`SavedCurve`: the rows a cutpoint file carries (``Cutpoint.save(path,
  curve=True)``, what ``cutpoints tune`` writes by default): the whole curve when it has
  at most :data:`MAX_SAVED_ROWS` rows, else that many rows of it.

Every row of either is exact. Between two rows that are not neighbours in the full
curve (a *gap*) the counts of the thresholds in between are unknown, but bounded: tp
and fp only grow down the curve, so they lie between the two rows' counts. A metric
that declares its monotonicity in tp and fp is then bounded in the gap
(:func:`cutpoints.selection._kernel.block_bounds`), and :func:`hidden_rows` says which
gaps could hold a better (or tied) threshold than the rows show. Re-targeting reads it
to stay exact or say why not.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._counts import Counts
from ._curve import ConfusionCurve
from ._strict_json import FieldReader, json_number
from .errors import InvalidInputError, InvalidParameterError

if TYPE_CHECKING:
    from ._metrics import BoundMetric
    from .selection import Constraint

__all__ = [
    "MAX_SAVED_ROWS",
    "SavedCurve",
    "curve_from_dict",
    "curve_to_dict",
    "hidden_rows",
    "is_complete",
    "unknown_above",
    "with_counts",
]

# A saved cutpoint carries the whole curve up to this many rows (as many as the
# histogram engine's bins): about 5 MB of JSON, a third of what a cutpoint file may be.
MAX_SAVED_ROWS = 1 << 16
NEIGHBOURS = 32  # rows kept on each side of the chosen one (and of up to 32 of its ties)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_READ = FieldReader("cutpoint", "Cutpoint.load")


class SavedCurve(ConfusionCurve):
    """Exact counts at some rows of a confusion curve, read from a cutpoint file.

    Every row has the exact counts of flagging with its threshold, an observed score
    (row 0 flags nothing, the last row flags every row). Where ``gaps[i]`` is True the
    full curve had rows between row ``i - 1`` and row ``i`` that were not saved: their
    counts lie between those two rows' counts, and nothing more is known of them.

    Attributes
    ----------
    complete : bool
        False: some rows of the full curve are not here.
    gaps : ndarray of bool, shape (n_thresholds,)
        Whether rows of the full curve lie strictly between row ``i - 1`` and row ``i``.
    """

    complete = False

    def __init__(
        self,
        thresholds: npt.NDArray[np.float64],
        tp: np.ndarray,
        fp: np.ndarray,
        *,
        gaps: BoolArray,
        **fields: Any,
    ) -> None:
        super().__init__(thresholds, tp, fp, **fields)
        self.gaps = np.asarray(gaps, dtype=bool)
        self.gaps.flags.writeable = False

    def full(self) -> ConfusionCurve:
        """Always raises: the rows not saved are gone with the data they came from."""
        msg = (
            "this curve was saved with a cutpoint and holds only some rows of the full "
            "curve; rebuild the full curve with cp.confusion_curve(y_true, y_score)"
        )
        raise InvalidParameterError(msg)

    def fingerprint(self) -> str:
        """A hash of the saved rows, prefixed ``sha256-saved:`` (never the full curve's)."""
        digest = hashlib.sha256()
        digest.update(self.rule.encode())
        for column in (self.thresholds, self.tp, self.fp, self.gaps):
            digest.update(str(column.dtype).encode())
            digest.update(np.ascontiguousarray(column).tobytes())
        digest.update(repr((self.n_positive, self.n_negative, self.n_samples)).encode())
        return "sha256-saved:" + digest.hexdigest()[:32]

    def __repr__(self) -> str:
        return (
            f"SavedCurve(n_thresholds={len(self)}, n_gaps={int(self.gaps.sum())}, "
            f"n_samples={self.n_samples}, rule='{self.rule}')"
        )


def is_complete(curve: ConfusionCurve) -> bool:
    """Whether ``curve`` has the counts at every distinct score (a plain curve does)."""
    return bool(getattr(curve, "complete", True))


def unknown_above(curve: ConfusionCurve) -> BoolArray | None:
    """Rows ``i`` with thresholds of unknown counts between row ``i - 1`` and row ``i``.

    None for a complete curve. For a :class:`~cutpoints.engines.BinnedCurve`, a row at
    an unobserved bin edge closes a bin that was not refined; the bottom row is the
    lowest score (observed) whether or not its bin was refined, so it is counted as a
    gap too (conservative: a gap that is not there only costs a refinement).
    """
    if is_complete(curve):
        return None
    gaps = getattr(curve, "gaps", None)
    if gaps is not None:
        return np.asarray(gaps, dtype=bool)
    observed = getattr(curve, "observed", None)
    if observed is None:  # an incomplete curve of unknown kind: every row may hide some
        out = np.ones(len(curve), dtype=bool)
    else:
        out = ~np.asarray(observed, dtype=bool)
        if len(out) > 2:
            out[-1] = True
    out[0] = False
    return out


def hidden_rows(
    curve: ConfusionCurve,
    objective: BoundMetric,
    constraints: Sequence[Constraint] = (),
    *,
    maximize: bool,
) -> IntArray:
    """Rows ``i`` whose gap above (see :func:`unknown_above`) could hold an answer.

    A gap could hold one when every constraint could hold in it and the objective
    could reach the best value among the known rows (a better row, or a tied one that
    the tie rule might pick). Empty for a complete curve: then selecting on the rows is
    exact. Every row with a gap, for an objective that declares no monotonicity.
    """
    from .engines._histogram import bins_to_refine

    gaps = unknown_above(curve)
    if gaps is None or not gaps.any():
        return np.zeros(0, dtype=np.int64)
    keep = bins_to_refine(curve, objective, tuple(constraints), maximize=maximize, n_runners_up=0)
    possible = gaps[1:] if keep is None else gaps[1:] & keep  # block j = rows (j, j + 1]
    return np.flatnonzero(possible).astype(np.int64) + 1


def with_counts(
    curve: ConfusionCurve,
    tp: np.ndarray,
    fp: np.ndarray,
    *,
    n_positive: float,
    n_negative: float,
    weighted: bool,
) -> ConfusionCurve:
    """A curve with the rows (and gaps) of ``curve`` and other counts at them.

    For re-weighting: a complete curve stays a plain :class:`ConfusionCurve`; a curve
    with gaps becomes a :class:`SavedCurve` with the same gaps, so what is not known
    stays marked.
    """
    fields: dict[str, Any] = {
        "n_positive": n_positive,
        "n_negative": n_negative,
        "n_samples": curve.n_samples,
        "rule": curve.rule,
        "weighted": weighted,
        "positive_label": curve.positive_label,
        "negative_label": curve.negative_label,
    }
    gaps = unknown_above(curve)
    if gaps is None:
        return ConfusionCurve(curve.thresholds, tp, fp, **fields)
    return SavedCurve(curve.thresholds, tp, fp, gaps=gaps, **fields)


# ------------------------------------------------------------------------------ saving
def _saved_rows(n: int, keep: Iterable[int]) -> IntArray:
    """About MAX_SAVED_ROWS rows: evenly spread, the ends, and ``keep`` with the
    NEIGHBOURS rows on each side (re-targeting near the tuned prevalence looks there)."""
    chosen = np.unique(np.fromiter(keep, dtype=np.int64))[:NEIGHBOURS]
    near = (chosen[:, None] + np.arange(-NEIGHBOURS, NEIGHBOURS + 1)).ravel()
    must = np.unique(np.clip(near, 0, n - 1))
    spread = np.linspace(0, n - 1, max(2, MAX_SAVED_ROWS - len(must))).round().astype(np.int64)
    return np.unique(np.concatenate((spread, must, [0, n - 1])))


def curve_to_dict(curve: ConfusionCurve, keep: Iterable[int] = ()) -> dict[str, Any]:
    """The JSON-ready rows of ``curve`` that a cutpoint file carries.

    All rows when the curve has at most :data:`MAX_SAVED_ROWS`; else that many, evenly
    spread, plus the rows ``keep`` (the chosen threshold and its ties) and their
    neighbours. ``gaps`` lists
    the saved rows with unsaved (or never known) rows of the full curve above them.
    """
    n = len(curve)
    gaps = unknown_above(curve)
    if gaps is None:
        gaps = np.zeros(n, dtype=bool)
    rows = np.arange(n, dtype=np.int64) if n <= MAX_SAVED_ROWS else _saved_rows(n, keep)
    # A saved row has a gap above it if rows were skipped or a skipped row had one.
    hidden = np.concatenate(([0], np.cumsum(gaps)))  # gaps among rows < i: hidden[i]
    saved_gaps = np.zeros(len(rows), dtype=bool)
    saved_gaps[1:] = (np.diff(rows) > 1) | (hidden[rows[1:] + 1] > hidden[rows[:-1] + 1])
    thresholds = [json_number(t) for t in curve.thresholds[rows[:1]]]
    thresholds += np.asarray(curve.thresholds[rows[1:]], dtype=np.float64).tolist()
    return {
        "complete": bool(not saved_gaps.any()),
        "rows": len(rows),
        "gaps": np.flatnonzero(saved_gaps).tolist(),
        "thresholds": thresholds,
        "tp": np.asarray(curve.tp)[rows].tolist(),
        "fp": np.asarray(curve.fp)[rows].tolist(),
    }


# ------------------------------------------------------------------------------ loading
def _column(value: Any, field: str, n: int, *, integral: bool) -> npt.NDArray[Any]:
    """A list of n finite numbers >= 0 (whole numbers when ``integral``), cumulative."""
    items = _READ.list(value, field)
    if len(items) != n:
        _READ.bad(field, f"a list of {n} numbers, one per row", f"<{len(items)} items>")
    kinds = (int,) if integral else (int, float)
    for item in items:
        if type(item) not in kinds:  # bool is a subclass of int: refused by the exact test
            expected = "whole numbers (unweighted counts)" if integral else "numbers"
            _READ.bad(field, expected, item)
    # Integer (or integer-weighted) counts come back as int64, as the sweep made them.
    whole = all(type(item) is int for item in items)
    if whole and items and max(items) >= 2**63:
        _READ.bad(field, "counts below 2**63", max(items))
    column = np.asarray(items, dtype=np.int64 if whole else np.float64)
    if not integral and not np.isfinite(column).all():
        _READ.bad(field, "finite numbers", column[~np.isfinite(column)][0].item())
    if n and (column[0] != 0 or (np.diff(column) < 0).any()):
        _READ.bad(field, "cumulative counts from 0 that never decrease down the curve", "<list>")
    return column


def _check_total(column: npt.NDArray[Any], total: float, field: str, name: str) -> None:
    last = column[-1].item()
    if not math.isclose(last, total, rel_tol=1e-9, abs_tol=1e-9):
        msg = (
            f"cutpoint field '{field}' must end at 'data.{name}' ({total!r}): its last row "
            f"flags every row (got {last!r})"
        )
        raise InvalidInputError(msg)


def curve_from_dict(value: Any, fields: Mapping[str, Any]) -> ConfusionCurve | None:
    """The curve a cutpoint file carries (None if it has none), every field checked.

    ``fields`` are the cutpoint's own: ``rule``, ``n_positive``, ``n_negative``,
    ``n_samples``, ``weighted``, ``positive_label``, ``negative_label``. The rows must
    be at most :data:`MAX_SAVED_ROWS` plus the kept ones, thresholds strictly ordered
    for the rule (row 0 flags nothing), counts cumulative from 0 to the class totals,
    and the counts at the cutpoint's threshold (a saved row) its own.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        _READ.bad("curve", "an object with the curve's rows", value)
    n = _READ.whole(_READ.get(value, "rows", "curve.rows"), "curve.rows")
    most = MAX_SAVED_ROWS + (2 * NEIGHBOURS + 1) * NEIGHBOURS + 2  # see _saved_rows
    if not 1 <= n <= most:
        _READ.bad("curve.rows", f"a number of rows from 1 to {most}", n)
    complete = _READ.boolean(_READ.get(value, "complete", "curve.complete"), "curve.complete")
    rule = fields["rule"]
    raw = _READ.list(_READ.get(value, "thresholds", "curve.thresholds"), "curve.thresholds")
    if len(raw) != n:
        _READ.bad("curve.thresholds", f"a list of {n} numbers", f"<{len(raw)} items>")
    first = "+inf" if rule == ">=" else "-inf"
    if raw[0] != first:
        _READ.bad("curve.thresholds", f"a list starting with {first!r} (flag nothing)", raw[0])
    rest = [_READ.number(t, "curve.thresholds") for t in raw[1:]]
    thresholds = np.asarray([math.inf if rule == ">=" else -math.inf, *rest], dtype=np.float64)
    steps = np.diff(thresholds)
    if (steps >= 0).any() if rule == ">=" else (steps <= 0).any():
        order = "decreasing" if rule == ">=" else "increasing"
        _READ.bad("curve.thresholds", f"strictly {order} thresholds for rule {rule!r}", "<list>")
    integral = not fields["weighted"]
    tp = _column(_READ.get(value, "tp", "curve.tp"), "curve.tp", n, integral=integral)
    fp = _column(_READ.get(value, "fp", "curve.fp"), "curve.fp", n, integral=integral)
    _check_total(tp, fields["n_positive"], "curve.tp", "n_positive")
    _check_total(fp, fields["n_negative"], "curve.fp", "n_negative")
    gap_rows = _READ.list(_READ.get(value, "gaps", "curve.gaps"), "curve.gaps")
    gaps = np.zeros(n, dtype=bool)
    for row in gap_rows:
        if isinstance(row, bool) or not isinstance(row, int) or not 1 <= row < n or gaps[row]:
            _READ.bad("curve.gaps", f"distinct row numbers from 1 to {n - 1}", row)
        gaps[row] = True
    if complete == bool(gaps.any()):
        _READ.bad("curve.complete", "true exactly when 'curve.gaps' is empty", complete)
    kwargs = {k: fields[k] for k in ("n_positive", "n_negative", "n_samples", "rule")}
    kwargs.update(
        weighted=fields["weighted"],
        positive_label=fields["positive_label"],
        negative_label=fields["negative_label"],
    )
    curve = (
        ConfusionCurve(thresholds, tp, fp, **kwargs)
        if complete
        else SavedCurve(thresholds, tp, fp, gaps=gaps, **kwargs)
    )
    _check_chosen(curve, fields)
    return curve


def _check_chosen(curve: ConfusionCurve, fields: Mapping[str, Any]) -> None:
    """The cutpoint's own counts must be the curve's at its threshold (a saved row)."""
    if "threshold" not in fields:
        return
    row = curve.index_at(fields["threshold"])
    if curve.thresholds[row] != fields["threshold"]:
        _READ.bad("curve.thresholds", "a list holding the cutpoint's threshold", "<list>")
    for name in ("tp", "fp"):
        got, saved = getattr(curve, name)[row].item(), fields[name]
        if not math.isclose(got, saved, rel_tol=1e-9, abs_tol=1e-9):
            msg = (
                f"cutpoint field 'curve.{name}' at the threshold ({got!r}) must equal "
                f"'counts.{name}' ({saved!r})"
            )
            raise InvalidInputError(msg)


# ------------------------------------------------------------------------ refining
def _rows_of(curve: ConfusionCurve) -> tuple[Any, Any, Any, Any] | None:
    """(engine, scores as the engine saw them, labels, weights) of a binned curve built
    in memory, or None (a saved curve, a streamed one, or none kept)."""
    # BinnedCurve keeps its data privately; a streamed curve keeps a callable instead.
    source = getattr(curve, "_source", None)
    return source if isinstance(source, tuple) and len(source) == 4 else None


def exact_counts_at(
    curve: ConfusionCurve, thresholds: Sequence[float]
) -> tuple[np.ndarray, np.ndarray] | None:
    """(tp, fp) of flagging with each threshold, counted on the curve's own rows of
    data (one pass each); None when the curve does not hold them in memory."""
    source = _rows_of(curve)
    if source is None:
        return None
    _, score, is_positive, weight = source
    sign = 1.0 if curve.rule == ">=" else -1.0  # the engine saw -score for "<="
    tp, fp = [], []
    for t in thresholds:
        flagged = score >= np.float64(sign * t)  # a float64 scalar: never rounded to float32
        pos = flagged & is_positive
        if weight is None:
            n_pos = int(np.count_nonzero(pos))
            tp.append(n_pos)
            fp.append(int(np.count_nonzero(flagged)) - n_pos)
        else:
            tp.append(weight[pos].sum().item())
            fp.append(weight[flagged & ~is_positive].sum().item())
    dtype = curve.tp.dtype
    return np.asarray(tp, dtype=dtype), np.asarray(fp, dtype=dtype)


def exact_choice(
    curve: ConfusionCurve, objective: BoundMetric, constraints: Sequence[Constraint] = ()
) -> tuple[float, Any, Any] | None:
    """(threshold, tp, fp) of the exact optimum of ``objective`` under ``constraints``
    on the curve's own rows of data (the histogram engine, refining what this objective
    needs); None without the data in memory or without a feasible threshold."""
    from .selection import select_rows

    source = _rows_of(curve)
    if source is None or not hasattr(source[0], "sweep_for"):
        return None
    engine, score, is_positive, weight = source
    partial = engine.sweep_for(
        score,
        is_positive,
        weight,
        objective=objective,
        constraints=tuple(constraints),
        maximize=objective.greater_is_better,
        n_runners_up=0,
    )
    sign = 1.0 if curve.rule == ">=" else -1.0
    counts = Counts(partial.tp, partial.fp, curve.n_positive, curve.n_negative)
    chosen = select_rows(counts, objective, tuple(constraints))
    if not chosen.ok:
        return None
    i = chosen.index
    return sign * float(partial.thresholds[i]), partial.tp[i], partial.fp[i]


def with_rows(
    curve: ConfusionCurve, thresholds: Sequence[float], tp: Sequence[Any], fp: Sequence[Any]
) -> ConfusionCurve:
    """``curve`` with exact rows added (thresholds not yet rows), as a SavedCurve.

    An added row inside a gap splits it; both parts stay marked as gaps (there may be
    unknown thresholds on either side).
    """
    gaps = unknown_above(curve)
    if gaps is None or not len(thresholds):
        return curve
    t_new = np.asarray(thresholds, dtype=np.float64)
    fresh = ~np.isin(t_new, curve.thresholds)
    t_new, tp_new, fp_new = t_new[fresh], np.asarray(tp)[fresh], np.asarray(fp)[fresh]
    t_new, first = np.unique(t_new, return_index=True)
    tp_new, fp_new = tp_new[first], fp_new[first]
    t_all = np.concatenate((curve.thresholds, t_new))
    key = -t_all if curve.rule == ">=" else t_all
    order = np.argsort(key, kind="stable")
    new_rows = np.flatnonzero(order >= len(curve))  # where the added rows land
    tp_all = np.concatenate((np.asarray(curve.tp), tp_new.astype(curve.tp.dtype)))[order]
    fp_all = np.concatenate((np.asarray(curve.fp), fp_new.astype(curve.fp.dtype)))[order]
    # An added row takes the gap mark of the old row below it (the gap it splits).
    gap_all = np.concatenate((gaps, np.zeros(len(t_new), dtype=bool)))[order]
    below = np.minimum(new_rows + 1, len(order) - 1)
    gap_all[new_rows] = gap_all[below]
    for r in new_rows[::-1]:  # a run of added rows: each takes the mark of the old row
        if r + 1 < len(order) and order[r + 1] >= len(curve):
            gap_all[r] = gap_all[r + 1]
    fields = {
        "n_positive": curve.n_positive,
        "n_negative": curve.n_negative,
        "n_samples": curve.n_samples,
        "rule": curve.rule,
        "weighted": curve.weighted,
        "positive_label": curve.positive_label,
        "negative_label": curve.negative_label,
    }
    return SavedCurve(t_all[order], tp_all, fp_all, gaps=gap_all, **fields)


def in_gaps(curve: ConfusionCurve, thresholds: Sequence[float]) -> list[float]:
    """The thresholds whose counts ``curve`` does not know (strictly inside a gap)."""
    gaps = unknown_above(curve)
    if gaps is None:
        return []
    out = []
    for t in thresholds:
        i = curve.index_at(t)  # the last known row flagging no more than t does
        if curve.thresholds[i] != t and i + 1 < len(curve) and gaps[i + 1]:
            out.append(float(t))
    return out


def with_exact_thresholds(
    curve: ConfusionCurve, thresholds: Sequence[float]
) -> tuple[ConfusionCurve, list[float]]:
    """``curve`` with exact rows at those of ``thresholds`` that fall in its gaps, counted
    on its data when it holds them in memory; and the thresholds it could not make exact."""
    missing = in_gaps(curve, thresholds)
    counts = exact_counts_at(curve, missing) if missing else None
    if counts is None:
        return curve, missing
    return with_rows(curve, missing, counts[0].tolist(), counts[1].tolist()), []
