"""The result of tuning: a threshold with everything needed to trust, reuse and audit it."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._curve import ConfusionCurve, Rule
from ._metrics import BoundMetric
from ._validation import check_scores
from .errors import InvalidInputError, InvalidParameterError, NotFittedError

__all__ = ["FORMAT", "Cutpoint", "MetricValues", "Reference", "closed_form_references"]

FORMAT = "cutpoints.cutpoint/1"


class MetricValues(Mapping[str, float]):
    """Metric values at one threshold, computed on first access.

    A chosen threshold is usually followed by a look at a few metrics, not all forty:
    computing them lazily keeps tuning lean. Behaves as a read-only dict.
    """

    def __init__(self, metrics: Sequence[BoundMetric], counts: Sequence[Any]) -> None:
        self._metrics = list(metrics)
        self._counts = counts
        self._values: dict[str, float] | None = None

    def _resolved(self) -> dict[str, float]:
        if self._values is None:
            values: dict[str, float] = {}
            for m in self._metrics:
                if m.name not in values:
                    values[m.name] = float(m(*self._counts)[0])
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
            Reference("lipton", best_value / (1 + b2), "F*_beta / (1 + beta^2); F1* / 2 for F1")
        )
    elif name in ("accuracy", "error_rate"):
        refs.append(Reference("bayes", 0.5, "0.5: equal costs for both errors"))
    return refs


def _json_number(value: float | int) -> float | int | str | None:
    """JSON has no NaN or infinity: NaN becomes null, infinities the strings '+inf'/'-inf'."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return value


def _from_json_number(value: Any, name: str) -> float | int:
    if value is None:
        return math.nan
    if value in ("+inf", "inf", "Infinity"):
        return math.inf
    if value in ("-inf", "-Infinity"):
        return -math.inf
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"cutpoint JSON field {name!r} must be a number (got {value!r})"
        raise InvalidInputError(msg)
    return value


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
    metric : str
        The objective, as text that names it again (``"cost(fp=1, fn=10)"``).
    maximize : bool
        Whether the objective was maximized.
    optimal_thresholds : tuple of float
        Every threshold attaining the optimum, fewest flagged first.
    ties : str
        The rule that chose among them.
    constraints : tuple of str
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
    curve : ConfusionCurve or None
        The full curve it was chosen from (not saved in JSON).
    """

    threshold: float
    score: float
    metric: str
    maximize: bool
    optimal_thresholds: tuple[float, ...]
    ties: str
    constraints: tuple[str, ...]
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
        op = self.rule
        return (
            f"Cutpoint(flag score {op} {self.threshold:.6g}: {self.metric} = {self.score:.6g}; "
            f"tp={self.tp}, fp={self.fp}, tn={self.tn}, fn={self.fn})"
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
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN as null, infinities as ``"+inf"``/``"-inf"``)."""
        return {
            "format": FORMAT,
            "threshold": _json_number(self.threshold),
            "rule": self.rule,
            "decision": f"positive iff score {self.rule} threshold",
            "objective": {
                "metric": self.metric,
                "direction": "maximize" if self.maximize else "minimize",
                "value": _json_number(self.score),
            },
            "constraints": list(self.constraints),
            "ties": self.ties,
            "optimal_thresholds": [_json_number(t) for t in self.optimal_thresholds],
            "counts": {k: _json_number(getattr(self, k)) for k in ("tp", "fp", "tn", "fn")},
            "metrics": {k: _json_number(v) for k, v in self.metrics.items()},
            "labels": {"positive": self.positive_label, "negative": self.negative_label},
            "data": {
                "n_samples": self.n_samples,
                "n_positive": _json_number(self.n_positive),
                "n_negative": _json_number(self.n_negative),
                "prevalence": _json_number(self.prevalence),
                "weighted": self.weighted,
                "fingerprint": self.fingerprint,
            },
            "references": [
                {
                    "name": r.name,
                    "threshold": _json_number(r.threshold),
                    "explanation": r.explanation,
                }
                for r in self.references
            ],
            "runners_up": [
                {"threshold": _json_number(t), "value": _json_number(v)} for t, v in self.runners_up
            ],
            "cutpoints_version": self.version,
        }

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int = 2) -> str:
        """Serialize to JSON text; also write it to ``path`` if given.

        The JSON holds the threshold with its provenance (metric and parameters,
        constraints, tie rule, decision rule, data summary and fingerprint, library
        version). It is plain data: no pickle, safe to load from anyone.
        """
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> Cutpoint:
        """Load a cutpoint saved by :meth:`to_json`, from JSON text or a file path.

        Examples
        --------
        >>> import cutpoints as cp
        >>> cut = cp.find_cutpoint([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> again = cp.Cutpoint.from_json(cut.to_json())
        >>> again == cut, again.threshold
        (True, 0.35)
        """
        if isinstance(source, os.PathLike) or (
            isinstance(source, str) and not source.lstrip().startswith(("{", "["))
        ):
            path = Path(source)
            if not path.is_file():
                msg = f"cutpoint file not found: {str(path)!r}"
                raise InvalidInputError(msg)
            source = path.read_text(encoding="utf-8")
        try:
            data = json.loads(source)
        except json.JSONDecodeError as exc:
            msg = f"cutpoint JSON could not be parsed ({exc})"
            raise InvalidInputError(msg) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            msg = f"not a cutpoints cutpoint (expected format {FORMAT!r}, got {got!r})"
            raise InvalidInputError(msg)
        try:
            rule = data["rule"]
            if rule not in (">=", "<="):
                msg = f"cutpoint JSON field 'rule' must be '>=' or '<=' (got {rule!r})"
                raise InvalidInputError(msg)
            objective = data["objective"]
            counts = data["counts"]
            info = data["data"]
            return cls(
                threshold=float(_from_json_number(data["threshold"], "threshold")),
                score=float(_from_json_number(objective["value"], "objective.value")),
                metric=str(objective["metric"]),
                maximize=objective["direction"] == "maximize",
                optimal_thresholds=tuple(
                    float(_from_json_number(t, "optimal_thresholds"))
                    for t in data["optimal_thresholds"]
                ),
                ties=str(data["ties"]),
                constraints=tuple(str(c) for c in data["constraints"]),
                tp=_from_json_number(counts["tp"], "counts.tp"),
                fp=_from_json_number(counts["fp"], "counts.fp"),
                tn=_from_json_number(counts["tn"], "counts.tn"),
                fn=_from_json_number(counts["fn"], "counts.fn"),
                metrics={
                    k: _from_json_number(v, f"metrics.{k}") for k, v in data["metrics"].items()
                },
                rule=rule,
                n_samples=int(info["n_samples"]),
                n_positive=_from_json_number(info["n_positive"], "data.n_positive"),
                n_negative=_from_json_number(info["n_negative"], "data.n_negative"),
                weighted=bool(info["weighted"]),
                positive_label=data["labels"]["positive"],
                negative_label=data["labels"]["negative"],
                references=tuple(
                    Reference(
                        r["name"],
                        float(_from_json_number(r["threshold"], "references")),
                        r["explanation"],
                    )
                    for r in data.get("references", [])
                ),
                runners_up=tuple(
                    (
                        float(_from_json_number(r["threshold"], "runners_up")),
                        float(_from_json_number(r["value"], "runners_up")),
                    )
                    for r in data.get("runners_up", [])
                ),
                version=str(data.get("cutpoints_version", "")),
                data_fingerprint=str(info["fingerprint"]),
            )
        except (KeyError, TypeError) as exc:
            msg = f"cutpoint JSON is missing or has a malformed field ({exc!r})"
            raise InvalidInputError(msg) from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the cutpoint as JSON to ``path``."""
        self.to_json(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Cutpoint:
        """Read a cutpoint JSON file written by :meth:`save`."""
        if isinstance(path, str) and path.lstrip().startswith("{"):
            msg = "Cutpoint.load() takes a file path; use Cutpoint.from_json() for JSON text"
            raise InvalidParameterError(msg)
        return cls.from_json(Path(path))
