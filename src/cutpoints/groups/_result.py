"""GroupCutpoint: one Cutpoint per group, the overall counts, and how to apply them."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .._cutpoint import Cutpoint, format_threshold
from .._files import atomic_write_text
from .._metrics import BoundMetric
from .._validation import as_1d, check_consistent_length, check_scores
from ..errors import InvalidInputError, InvalidParameterError
from ..selection import Constraint
from ._cuts import brief_items
from ._parity import GapConstraint

__all__ = ["FORMAT", "GroupCutpoint"]

FORMAT = "cutpoints.group_cutpoint/1"
_LABEL_TYPES = (str, int, float, bool)


@dataclass(frozen=True, eq=False)
class GroupCutpoint:
    """One threshold per group, chosen independently or jointly.

    The decision rule: a row of group ``g`` is flagged iff its score ``>=
    thresholds[g]`` (``<=`` for ``rule="<="``).

    Attributes
    ----------
    cutpoints : dict
        Group label -> :class:`~cutpoints.Cutpoint` (its counts are the group's own).
    mode : {'independent', 'joint'}
        Each group's own optimum, or one overall objective chosen together.
    metric : BoundMetric
        The objective.
    maximize : bool
        Its direction.
    constraints : tuple of Constraint
        Constraints on counts: per group in independent mode, on the overall counts in
        joint mode.
    gap_constraints : tuple of GapConstraint
        Parity limits (``recall_gap <= 0.05``) between groups.
    score : float
        The objective on the overall counts (sums over groups).
    tp, fp, tn, fn : int or float
        Overall counts at the chosen thresholds.
    rule : {'>=', '<='}
        The decision rule.
    positive_label, negative_label : object
        What :meth:`predict` returns.
    version : str
        The cutpoints version that produced it.
    columns : dict of str to str
        Input column names where known (the command line records ``group`` too).

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [0, 1, 1, 0, 1, 0, 0, 1]
    >>> s = [0.2, 0.9, 0.6, 0.4, 0.3, 0.1, 0.35, 0.8]
    >>> g = ["a", "a", "a", "a", "b", "b", "b", "b"]
    >>> gc = cp.find_cutpoint(y, s, groups=g, metric="f1")
    >>> gc.thresholds
    {'a': 0.6, 'b': 0.3}
    >>> (gc.tp, gc.fp, gc.tn, gc.fn)
    (4, 1, 3, 0)
    >>> gc.predict([0.5, 0.5], ["a", "b"]).tolist()
    [0, 1]
    """

    cutpoints: Mapping[Any, Cutpoint]
    mode: str
    metric: BoundMetric
    maximize: bool
    constraints: tuple[Constraint, ...]
    gap_constraints: tuple[GapConstraint, ...]
    score: float
    tp: float
    fp: float
    tn: float
    fn: float
    rule: str = ">="
    positive_label: Any = 1
    negative_label: Any = 0
    version: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GroupCutpoint):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ derived
    @property
    def thresholds(self) -> dict[Any, float]:
        """Group label -> threshold."""
        return {g: c.threshold for g, c in brief_items(self.cutpoints)}

    @property
    def groups(self) -> list[Any]:
        """The group labels, in sorted order."""
        return list(self.cutpoints)

    @property
    def flagged(self) -> float:
        """Rows flagged overall on the tuning data."""
        return self.tp + self.fp

    @property
    def value_by_outcome(self) -> dict[str, float] | None:
        """With per-row values (``values=``): the total value of each outcome (tp, fp,
        fn, tn) summed over the groups; their sum is ``score`` for ``metric="value"``.
        Each group's own split is ``cutpoints[g].value_by_outcome``. None without values.

        Examples
        --------
        >>> import cutpoints as cp
        >>> gc = cp.find_cutpoint([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.3], groups=[1, 1, 2, 2],
        ...                       metric="value", values={"tp": [0, 5, 7, 0], "fp": -1})
        >>> gc.value_by_outcome, gc.score
        ({'tp': 12.0, 'fp': 0.0, 'fn': 0.0, 'tn': 0.0}, 12.0)
        """
        splits = [c.value_by_outcome for c in self.cutpoints.values()]
        if any(s is None for s in splits):
            return None
        keys = ("tp", "fp", "fn", "tn")
        return {k: math.fsum(s[k] for s in splits if s is not None) for k in keys}

    def gap(self, metric: str | BoundMetric) -> float:
        """Largest minus smallest ``metric`` over the groups (NaN if any is undefined).

        Examples
        --------
        >>> import cutpoints as cp
        >>> gc = cp.find_cutpoint([0, 1, 1, 0, 0, 1], [0.1, 0.8, 0.6, 0.3, 0.2, 0.9],
        ...                       groups=[1, 1, 1, 2, 2, 2])
        >>> gc.gap("recall")
        0.0
        """
        from .._metrics import get_metric

        bound = get_metric(metric)
        values = []
        for _, c in brief_items(self.cutpoints):
            counts = [np.array([float(x)]) for x in (c.tp, c.fp, c.tn, c.fn)]
            with np.errstate(all="ignore"):
                values.append(float(bound(*counts)[0]))
        if any(math.isnan(v) for v in values):
            return math.nan
        return max(values) - min(values)

    def __str__(self) -> str:
        parts = ", ".join(f"{g!r}: {format_threshold(t)}" for g, t in self.thresholds.items())
        return (
            f"GroupCutpoint({self.mode}, flag score {self.rule} threshold of the group "
            f"{{{parts}}}: {self.metric.name} = {self.score:.6g}; tp={self.tp}, "
            f"fp={self.fp}, tn={self.tn}, fn={self.fn})"
        )

    # ------------------------------------------------------------------ applying
    def flag(
        self,
        scores: Any,
        groups: Any,
        *,
        fallback_group: Any = None,
        fallback_threshold: float | None = None,
    ) -> npt.NDArray[np.bool_]:
        """True where a row's score passes its group's threshold.

        Parameters
        ----------
        scores : array-like of shape (n_samples,)
            Finite scores.
        groups : array-like of shape (n_samples,)
            Each row's group label.
        fallback_group : object, optional
            Apply this (known) group's threshold to rows of groups not seen in tuning.
        fallback_threshold : float, optional
            Apply this threshold to rows of unseen groups.

        Raises
        ------
        InvalidInputError
            A group not seen in tuning, with no fallback chosen (the message names it).
        """
        values = check_scores(scores, "scores")
        labels = as_1d(groups, "groups")
        check_consistent_length(scores=values, groups=labels)
        if fallback_group is not None and fallback_threshold is not None:
            msg = "give 'fallback_group' or 'fallback_threshold', not both"
            raise InvalidParameterError(msg)
        fallback: float | None = None
        thresholds = self.thresholds
        if fallback_group is not None:
            if fallback_group not in thresholds:
                msg = (
                    f"'fallback_group' must be a tuned group (got {fallback_group!r}; "
                    f"groups: {self._shown_groups()})"
                )
                raise InvalidParameterError(msg)
            fallback = thresholds[fallback_group]
        elif fallback_threshold is not None:
            fallback = float(fallback_threshold)
            if math.isnan(fallback):
                msg = "'fallback_threshold' must be a number (got nan)"
                raise InvalidParameterError(msg)
        distinct, codes = np.unique(labels, return_inverse=True)
        per_row = np.empty(len(distinct), dtype=np.float64)
        for j, label in enumerate(distinct.tolist()):
            if label in thresholds:
                per_row[j] = thresholds[label]
            elif fallback is not None:
                per_row[j] = fallback
            else:
                msg = (
                    f"group {label!r} in 'groups' was not seen in tuning (groups: "
                    f"{self._shown_groups()}); choose a fallback: a tuned group "
                    "('fallback_group') or a threshold ('fallback_threshold')"
                )
                raise InvalidInputError(msg)
        threshold = per_row[codes.reshape(-1)]
        if self.rule == ">=":
            return np.asarray(values >= threshold)
        return np.asarray(values <= threshold)

    def predict(
        self,
        scores: Any,
        groups: Any,
        *,
        fallback_group: Any = None,
        fallback_threshold: float | None = None,
    ) -> np.ndarray:
        """Each row's label: ``positive_label`` if flagged by its group's threshold.

        Parameters are those of :meth:`flag`.
        """
        flags = self.flag(
            scores, groups, fallback_group=fallback_group, fallback_threshold=fallback_threshold
        )
        labels = np.array([self.negative_label, self.positive_label])
        return labels[flags.astype(np.intp)]

    def _shown_groups(self) -> str:
        names = [repr(g) for g in list(self.cutpoints)[:10]]
        more = ", ..." if len(self.cutpoints) > 10 else ""
        return ", ".join(names) + more

    # ------------------------------------------------------------------ tables
    def to_frame(self, metrics: tuple[str, ...] = ("precision", "recall", "flag_rate")) -> Any:
        """One row per group: threshold, counts, flagged, and ``metrics`` (pandas).

        Examples
        --------
        >>> import cutpoints as cp
        >>> gc = cp.find_cutpoint([0, 1, 1, 0, 0, 1], [0.1, 0.8, 0.6, 0.3, 0.2, 0.9],
        ...                       groups=["x", "x", "x", "y", "y", "y"])
        >>> gc.to_frame()[["group", "threshold", "tp", "fp"]]
          group  threshold  tp  fp
        0     x        0.6   2   0
        1     y        0.9   1   0
        """
        import pandas as pd

        return pd.DataFrame(self.rows(metrics))

    def rows(
        self, metrics: tuple[str, ...] = ("precision", "recall", "flag_rate")
    ) -> list[dict[str, Any]]:
        """The per-group table as plain dicts (what :meth:`to_frame` and the CLI show)."""
        from .._metrics import get_metric

        bound = [get_metric(m) for m in metrics]
        out = []
        for g, c in brief_items(self.cutpoints):
            counts = [np.array([float(x)]) for x in (c.tp, c.fp, c.tn, c.fn)]
            row: dict[str, Any] = {
                "group": g,
                "threshold": c.threshold,
                "n": c.n_samples,
                "tp": c.tp,
                "fp": c.fp,
                "tn": c.tn,
                "fn": c.fn,
                "flagged": c.tp + c.fp,
            }
            # An objective named like a count column ("tp", "flagged") is that count:
            # keep the count as it is (an int stays an int).
            row.setdefault(c.metric.name, c.score)
            if c.value_by_outcome is not None:  # per-row values: the group's total value
                row["value"] = math.fsum(c.value_by_outcome.values())
            with np.errstate(all="ignore"):
                for m in bound:
                    row[m.name] = float(m(*counts)[0])
            out.append(row)
        return out

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (each group's cutpoint as :meth:`Cutpoint.to_dict`)."""
        from .._artifact import _label

        return {
            "format": FORMAT,
            "mode": self.mode,
            "metric": self.metric.name,
            "maximize": self.maximize,
            "constraints": [str(c) for c in self.constraints],
            "gap_constraints": [str(c) for c in self.gap_constraints],
            "score": None if math.isnan(self.score) else self.score,
            "tp": self.tp,
            "fp": self.fp,
            "tn": self.tn,
            "fn": self.fn,
            "rule": self.rule,
            "positive_label": _label(self.positive_label),
            "negative_label": _label(self.negative_label),
            "version": self.version,
            "columns": dict(self.columns),
            "groups": [{"group": g, "cutpoint": c.to_dict()} for g, c in self.cutpoints.items()],
        }

    @classmethod
    def from_dict(cls, data: Any) -> GroupCutpoint:
        """Rebuild from :meth:`to_dict`'s output, checking every field.

        Raises
        ------
        InvalidInputError
            A missing or malformed field; the message names it.
        """
        from ._load import group_cutpoint_from_dict

        return group_cutpoint_from_dict(cls, data)

    def to_json(self, *, indent: int = 2) -> str:
        """The per-group thresholds with their provenance as JSON text (no pickle)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> GroupCutpoint:
        """Load from JSON text written by :meth:`to_json`.

        Examples
        --------
        >>> import cutpoints as cp
        >>> gc = cp.find_cutpoint([0, 1, 1, 0, 0, 1], [0.1, 0.8, 0.6, 0.3, 0.2, 0.9],
        ...                       groups=["x", "x", "x", "y", "y", "y"])
        >>> cp.GroupCutpoint.from_json(gc.to_json()) == gc
        True
        """
        from .._artifact import parse_json

        return cls.from_dict(parse_json(text))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write as JSON to ``path``, atomically."""
        atomic_write_text(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> GroupCutpoint:
        """Read a file written by :meth:`save` (or ``cutpoints tune --group``)."""
        from .._artifact import read_file

        return cls.from_dict(read_file(path))
