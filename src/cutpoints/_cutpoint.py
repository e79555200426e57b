"""The result of tuning: a threshold with everything needed to trust, reuse and audit it."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ._curve import ConfusionCurve, Rule
from ._files import atomic_write_text
from ._metrics import BoundMetric
from ._validation import check_scores
from .errors import NotFittedError
from .selection import Constraint

__all__ = [
    "FORMAT",
    "Cutpoint",
    "Guarantee",
    "MetricValues",
    "Reference",
    "closed_form_references",
    "format_threshold",
]

FORMAT = "cutpoints.cutpoint/1"


def format_threshold(value: float) -> str:
    """A threshold as people should see it: the shortest text that reads back exactly.

    ``repr`` of a float round-trips, so a printed threshold typed back in gives the same
    decisions (``0.99999939`` is never shown as ``0.999999``).
    """
    return repr(float(value))


class MetricValues(Mapping[str, float]):
    """Metric values at one threshold, computed on first access.

    A chosen threshold is usually followed by a look at a few metrics, not all forty:
    computing them lazily keeps tuning lean. Behaves as a read-only dict.
    """

    def __init__(
        self,
        metrics: Sequence[BoundMetric],
        counts: Sequence[Any],
        columns: Mapping[str, Any] | None = None,
    ) -> None:
        self._metrics = list(metrics)
        self._counts = counts
        self._columns = dict(columns or {})  # extra columns some metrics read ("value")
        self._values: dict[str, float] | None = None

    def _resolved(self) -> dict[str, float]:
        if self._values is None:
            values: dict[str, float] = {}
            for m in self._metrics:
                if m.name not in values:
                    extra = {k: self._columns[k] for k in m.columns if k in self._columns}
                    values[m.name] = float(m(*self._counts, **extra)[0])
            self._values = values
        return self._values

    def __getitem__(self, name: str) -> float:
        return self._resolved()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return len(self._resolved())

    def __repr__(self) -> str:
        return repr(self._resolved())

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle (estimators are pickled by joblib and scikit-learn) as the plain dict:
        # the metric functions need not travel.
        return (dict, (self._resolved(),))


@dataclass(frozen=True)
class Reference:
    """A closed-form optimal threshold for calibrated probabilities.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"bayes"``.
    threshold : float
        Where theory puts the optimum if the scores are calibrated probabilities.
    explanation : str
        The formula, in words.
    """

    name: str
    threshold: float
    explanation: str


def closed_form_references(objective: BoundMetric, best_value: float) -> list[Reference]:
    """Closed-form thresholds that apply to ``objective`` when scores are calibrated.

    - cost matrix ``c``: predict positive iff
      ``p >= (c_fp - c_tn) / ((c_fp - c_tn) + (c_fn - c_tp))``
      (Bayes decision rule; ``c_fp / (c_fp + c_fn)`` when correct decisions cost 0);
    - utility: the same rule with gains in place of costs;
    - net benefit at ``pt``: ``pt`` itself (Vickers & Elkin 2006);
    - F-beta: ``F*_beta / (1 + beta^2)`` where ``F*`` is the optimal F-beta, which is
      ``F1* / 2`` for F1 (Lipton, Elkan & Naryanaswamy 2014);
    - accuracy and error rate: 0.5.

    Comparing the empirical optimum with these is a quick calibration check.
    """
    name, p = objective.metric.name, objective.params
    refs: list[Reference] = []
    if name == "cost":
        a, b = p["fp"] - p["tn"], p["fn"] - p["tp"]
        if a > 0 and b > 0:
            refs.append(
                Reference("bayes", a / (a + b), "(c_fp - c_tn) / ((c_fp - c_tn) + (c_fn - c_tp))")
            )
    elif name == "utility":
        a, b = p["tn"] - p["fp"], p["tp"] - p["fn"]
        if a > 0 and b > 0:
            refs.append(
                Reference("bayes", a / (a + b), "(u_tn - u_fp) / ((u_tn - u_fp) + (u_tp - u_fn))")
            )
    elif name == "net_benefit":
        refs.append(
            Reference("decision_curve", float(p["pt"]), "pt: the threshold probability itself")
        )
    elif name == "fbeta" and math.isfinite(best_value):
        b2 = float(p["beta"]) ** 2
        refs.append(
            Reference(
                "lipton",
                best_value / (1 + b2),
                "the F-optimal threshold for calibrated probabilities: the best F-beta "
                "divided by 1 + beta^2, i.e. half the best F1 (Lipton, Elkan & "
                "Naryanaswamy 2014)",
            )
        )
    elif name in ("accuracy", "error_rate"):
        refs.append(Reference("bayes", 0.5, "0.5: equal costs for both errors"))
    return refs


@dataclass(frozen=True)
class Guarantee:
    """What a certified threshold promises about new data.

    Attributes
    ----------
    constraint : Constraint
        The bound that holds on new data, e.g. ``precision >= 0.9``.
    confidence : float
        The probability (1 - delta) with which it holds.
    bound : float
        The confidence bound of the constrained metric at the threshold (lower for
        ``>=``, upper for ``<=``) on the calibration data.
    estimate : float
        The constrained metric on the calibration data at the threshold.
    method : str
        How it was certified.
    certified : tuple of float
        Every certified threshold, in testing order.
    bounds : tuple of float
        The confidence bound at each tested threshold, in testing order (ending with
        the first failure, if any).
    """

    constraint: Constraint
    confidence: float
    bound: float
    estimate: float
    method: str = "Clopper-Pearson bounds, fixed-sequence testing"
    certified: tuple[float, ...] = ()
    bounds: tuple[float, ...] = ()

    @property
    def delta(self) -> float:
        """The allowed probability of failure, 1 - confidence."""
        return 1.0 - self.confidence

    def __str__(self) -> str:
        return (
            f"{self.constraint} with probability >= {self.confidence:g} "
            f"(estimate {self.estimate:.4g}, bound {self.bound:.4g}; {self.method})"
        )


@dataclass(frozen=True, eq=False)
class Cutpoint:
    """A chosen threshold, how it was chosen, and what it does on the tuning data.

    The decision rule is: flag (predict positive) iff ``score >= threshold`` (or
    ``<=`` when ``rule == "<="``). The threshold is an observed score, or ``+inf``
    meaning "flag nothing", so applying it to the tuning data reproduces ``tp``,
    ``fp``, ``tn`` and ``fn`` exactly.

    Attributes
    ----------
    threshold : float
        The chosen threshold.
    score : float
        The objective's value at ``threshold``.
    metric : BoundMetric
        The objective (``metric.name`` is the text that names it again, e.g.
        ``"cost(fp=1, fn=10)"``).
    maximize : bool
        Whether the objective was maximized.
    optimal_thresholds : tuple of float
        Every threshold attaining the optimum, fewest flagged first.
    ties : str
        The rule that chose among them.
    constraints : tuple of Constraint
        The constraints that had to hold.
    tp, fp, tn, fn : int or float
        Confusion counts at ``threshold`` (weighted if weights were given).
    metrics : dict of str to float
        Every catalog metric at ``threshold`` (NaN where undefined), plus the objective
        and constrained metrics under their full names.
    rule : {'>=', '<='}
        The decision rule.
    n_samples : int
        Rows in the tuning data.
    n_positive, n_negative : int or float
        (Weighted) class totals.
    weighted : bool
        Whether sample weights were used.
    positive_label, negative_label : object
        What :meth:`predict` returns for flagged and unflagged rows.
    references : tuple of Reference
        Closed-form optima for calibrated probabilities, where they apply.
    runners_up : tuple of (float, float)
        The next best feasible thresholds and their objective values.
    version : str
        The cutpoints version that produced it.
    guarantee : Guarantee or None
        For a certified threshold (:func:`cutpoints.find_cutpoint_guaranteed`): the
        bound that holds on new data and with what confidence.
    columns : dict of str to str
        The input columns it was tuned on (``label``, ``score``, ``weight``), where
        known (the command line records them, so ``cutpoints apply`` can find the
        score column again).
    value_by_outcome : dict of str to float or None
        With per-row values (``values=``): the total value of each outcome (``tp``,
        ``fp``, ``fn``, ``tn``) at ``threshold``; their sum is ``metrics["value"]``
        (and ``score`` when the metric is ``"value"``). None without values.
    curve : ConfusionCurve or None
        The curve it was chosen from (saved in JSON only with ``save(path,
        curve=True)``).
    """

    threshold: float
    score: float
    metric: BoundMetric
    maximize: bool
    optimal_thresholds: tuple[float, ...]
    ties: str
    constraints: tuple[Constraint, ...]
    tp: float
    fp: float
    tn: float
    fn: float
    metrics: Mapping[str, float]
    rule: Rule = ">="
    n_samples: int = 0
    n_positive: float = 0
    n_negative: float = 0
    weighted: bool = False
    positive_label: Any = 1
    negative_label: Any = 0
    references: tuple[Reference, ...] = ()
    runners_up: tuple[tuple[float, float], ...] = ()
    version: str = ""
    data_fingerprint: str | None = None
    guarantee: Guarantee | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    value_by_outcome: Mapping[str, float] | None = None
    curve: ConfusionCurve | None = field(default=None, repr=False, compare=False)

    def __eq__(self, other: object) -> bool:
        # Compare what is saved: NaN metrics (undefined) are equal to each other there.
        if not isinstance(other, Cutpoint):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ derived
    @property
    def prevalence(self) -> float:
        """Share of (weighted) tuning rows that are positive."""
        total = self.n_positive + self.n_negative
        return float(self.n_positive / total) if total else math.nan

    @property
    def flagged(self) -> float:
        """How many tuning rows the threshold flags (tp + fp)."""
        return self.tp + self.fp

    @property
    def fingerprint(self) -> str:
        """Hash of the tuning data's confusion curve (equal data, equal fingerprint)."""
        if self.data_fingerprint is None:
            if self.curve is None:  # pragma: no cover - every constructor sets one of them
                msg = "this Cutpoint has neither a curve nor a stored fingerprint"
                raise NotFittedError(msg)
            object.__setattr__(self, "data_fingerprint", self.curve.fingerprint())
        assert self.data_fingerprint is not None
        return self.data_fingerprint

    def __str__(self) -> str:
        promise = f"; guaranteed {self.guarantee}" if self.guarantee is not None else ""
        return (
            f"Cutpoint(flag score {self.rule} {format_threshold(self.threshold)}: "
            f"{self.metric.name} = {self.score:.6g}; "
            f"tp={self.tp}, fp={self.fp}, tn={self.tn}, fn={self.fn}{promise})"
        )

    # ------------------------------------------------------------------ applying
    def flag(self, scores: Any) -> npt.NDArray[np.bool_]:
        """True where a score is flagged by this threshold.

        Parameters
        ----------
        scores : array-like of shape (n_samples,)
            Finite scores (NaN is an error, never silently "not flagged").

        Returns
        -------
        ndarray of bool
            Element i is ``scores[i] >= threshold`` (``<=`` for ``rule="<="``).
        """
        values = check_scores(scores, "scores")
        if self.rule == ">=":
            return np.asarray(values >= self.threshold)
        return np.asarray(values <= self.threshold)

    def predict(self, scores: Any) -> np.ndarray:
        """The label of each score: ``positive_label`` if flagged, else ``negative_label``.

        Examples
        --------
        >>> import cutpoints as cp
        >>> cut = cp.find_cutpoint(["no", "no", "yes", "yes"], [0.1, 0.4, 0.35, 0.8],
        ...                        metric="f1", pos_label="yes")
        >>> cut.threshold
        0.35
        >>> cut.predict([0.2, 0.5]).tolist()
        ['no', 'yes']
        """
        if self.negative_label is None:
            msg = (
                "predict() needs the negative label, which is unknown because the tuning "
                "labels held only the positive class; use flag() for booleans"
            )
            raise NotFittedError(msg)
        flags = self.flag(scores)
        labels = np.array([self.negative_label, self.positive_label])
        return labels[flags.astype(np.intp)]

    # ------------------------------------------------------------------ JSON
    def to_dict(self, *, curve: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (NaN as null, infinities as ``"+inf"``/``"-inf"``); with
        ``curve=True`` also the curve's rows (see :meth:`save`)."""
        from ._artifact import cutpoint_to_dict

        return cutpoint_to_dict(self, curve=curve)

    @classmethod
    def from_dict(cls, data: Any) -> Cutpoint:
        """Rebuild a cutpoint from :meth:`to_dict`'s output, checking every field.

        Raises
        ------
        InvalidInputError
            A missing or malformed field; the message names it.
        """
        from ._artifact import cutpoint_from_dict

        return cutpoint_from_dict(cls, data)

    def to_json(self, *, indent: int = 2, curve: bool = False) -> str:
        """The cutpoint as JSON text (use :meth:`save` to write a file).

        The JSON holds the threshold with its provenance (metric and parameters,
        constraints, tie rule, decision rule, data summary and fingerprint, library
        version). It is plain data: no pickle, safe to load from anyone.
        """
        return json.dumps(self.to_dict(curve=curve), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Cutpoint:
        """Load a cutpoint from JSON text written by :meth:`to_json` (never a path).

        To read a file, use :meth:`load`.

        Examples
        --------
        >>> import cutpoints as cp
        >>> cut = cp.find_cutpoint([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> again = cp.Cutpoint.from_json(cut.to_json())
        >>> again == cut, again.threshold
        (True, 0.35)
        """
        from ._artifact import parse_json

        return cls.from_dict(parse_json(text))

    def save(self, path: str | os.PathLike[str], *, curve: bool = False) -> None:
        """Write the cutpoint as JSON to ``path``, atomically (whole or not at all).

        With ``curve=True`` the file also carries the curve's exact counts, so that
        :func:`cutpoints.retarget` works on the loaded cutpoint: every row when the
        curve has at most 65,536 (``cutpoints._saved_curve.MAX_SAVED_ROWS``), else
        that many rows spread along it plus the chosen threshold and its ties (a
        :class:`~cutpoints._saved_curve.SavedCurve`, whose unsaved stretches are
        marked). About 80 bytes a row; ``cutpoints tune --save`` includes it.
        """
        atomic_write_text(path, self.to_json(curve=curve) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cutpoint:
        """Read a cutpoint file written by :meth:`save` (or ``cutpoints tune --save``).

        Examples
        --------
        >>> import os, tempfile
        >>> import cutpoints as cp
        >>> cut = cp.find_cutpoint([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> path = os.path.join(tempfile.mkdtemp(), "cut.json")
        >>> cut.save(path)
        >>> cp.Cutpoint.load(path) == cut
        True
        """
        from ._artifact import read_file

        return cls.from_dict(read_file(path))
