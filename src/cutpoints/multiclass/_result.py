""":class:`ClassWeights`: tuned per-class weights, what they do, and their saved form."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .._files import atomic_write_text
from .._strict_json import FieldReader, json_label, json_number
from ..errors import CutpointsError, MetricError
from ._metrics import BoundMulticlassMetric, MulticlassMetric, get_multiclass_metric
from ._validation import check_proba

__all__ = ["FORMAT", "ClassWeights", "OneVsRest"]

FORMAT = "cutpoints.class_weights/1"
FloatArray = npt.NDArray[np.float64]


class OneVsRest(NamedTuple):
    """One class against the rest: the best binary threshold on its own probability.

    Attributes
    ----------
    label : object
        The class.
    threshold : float
        Flag the class iff its probability ``>= threshold``.
    metric : str
        The binary metric optimized (e.g. ``"f1"`` for ``macro_f1``).
    score : float
        That metric at the threshold, on the tuning data.
    """

    label: Any
    threshold: float
    metric: str
    score: float


@dataclass(frozen=True, eq=False)
class ClassWeights:
    """Per-class weights that turn probabilities into decisions: ``argmax_k w_k · p_k``.

    Weights of 1 are the usual argmax. Weights are found by
    :func:`cutpoints.find_class_weights`; decisions depend only on their ratios, and
    they are reported scaled by a power of two (which changes no decision exactly) to a
    geometric mean near 1.

    Attributes
    ----------
    classes : ndarray of shape (n_classes,)
        The class of each probability column.
    weights : ndarray of shape (n_classes,)
        The weight of each class.
    score : float
        The metric of the decisions on the tuning data.
    baseline_score : float
        The metric of the plain argmax on the same data.
    metric : BoundMulticlassMetric
        The metric optimized.
    confusion_matrix : ndarray of shape (n_classes, n_classes)
        The (weighted) confusion matrix of the decisions on the tuning data, rows true
        and columns predicted.
    n_samples : int
        Tuning rows.
    weighted : bool
        Whether sample weights were used.
    n_rounds : int
        Rounds of coordinate ascent run.
    converged : bool
        Whether the last round improved nothing (a coordinate-wise optimum).
    one_vs_rest : tuple of OneVsRest
        For each class, the best binary threshold on its own probability, one class
        against the rest (for comparison).
    version : str
        The cutpoints version that produced it.
    """

    classes: np.ndarray
    weights: FloatArray
    score: float
    metric: BoundMulticlassMetric
    confusion_matrix: np.ndarray
    baseline_score: float = math.nan
    n_samples: int = 0
    weighted: bool = False
    n_rounds: int = 0
    converged: bool = True
    one_vs_rest: tuple[OneVsRest, ...] = ()
    version: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ClassWeights):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    @property
    def n_classes(self) -> int:
        """The number of classes."""
        return len(self.classes)

    def __str__(self) -> str:
        shown = ", ".join(
            f"{c!r}: {w:.4g}" for c, w in zip(self.classes.tolist(), self.weights, strict=True)
        )
        return (
            f"ClassWeights({{{shown}}}: {self.metric.name} = {self.score:.6g} "
            f"(argmax: {self.baseline_score:.6g}))"
        )

    # ------------------------------------------------------------------ applying
    def decision_indices(self, y_proba: Any) -> npt.NDArray[np.int64]:
        """The column chosen for each row: ``argmax_k weights[k] · y_proba[:, k]``.

        Rows need not sum to 1 (the decision does not change when a row is scaled);
        they must be finite and non-negative, one column per class. They are used as
        given (not rescaled), so exact ties between classes are broken as in tuning.
        """
        proba = check_proba(y_proba, check_sums=False, n_classes=self.n_classes)
        chosen: npt.NDArray[np.int64] = np.argmax(proba * self.weights, axis=1).astype(np.int64)
        return chosen

    def predict(self, y_proba: Any) -> np.ndarray:
        """The class of each row: ``classes[argmax_k weights[k] · y_proba[:, k]]``.

        Examples
        --------
        >>> import numpy as np
        >>> import cutpoints as cp
        >>> y = [0, 0, 1, 1, 2, 2]
        >>> proba = [[.6, .3, .1], [.5, .4, .1], [.5, .45, .05], [.2, .7, .1],
        ...          [.4, .2, .4], [.1, .1, .8]]
        >>> tuned = cp.find_class_weights(y, proba, metric="macro_f1")
        >>> tuned.predict(proba).tolist()
        [0, 0, 1, 1, 2, 2]
        """
        return self.classes[self.decision_indices(y_proba)]  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "format": FORMAT,
            "decision": "argmax over classes of weight * probability",
            "classes": [json_label(c) for c in self.classes.tolist()],
            "weights": [float(w) for w in self.weights],
            "objective": {
                "metric": self.metric.name,
                "direction": "maximize" if self.metric.greater_is_better else "minimize",
                "value": json_number(self.score),
                "argmax_value": json_number(self.baseline_score),
            },
            "confusion_matrix": [[json_number(v) for v in row] for row in self.confusion_matrix],
            "data": {"n_samples": self.n_samples, "weighted": self.weighted},
            "search": {"n_rounds": self.n_rounds, "converged": self.converged},
            "one_vs_rest": [
                {
                    "class": json_label(o.label),
                    "threshold": json_number(o.threshold),
                    "metric": o.metric,
                    "score": json_number(o.score),
                }
                for o in self.one_vs_rest
            ],
            "cutpoints_version": self.version,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ClassWeights:
        """Rebuild from :meth:`to_dict`'s output, checking every field."""
        return _from_dict(cls, data)

    def to_json(self, *, indent: int = 2) -> str:
        """The weights as JSON text (plain data, safe to load from anyone)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> ClassWeights:
        """Load from JSON text written by :meth:`to_json` (never a path)."""
        return cls.from_dict(_READER.parse(text))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the weights as JSON to ``path``, atomically."""
        atomic_write_text(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ClassWeights:
        """Read a file written by :meth:`save`."""
        return cls.from_dict(_READER.read(path))


_READER = FieldReader("class weights", "ClassWeights.load")


def _saved_metric(text: str, maximize: bool) -> BoundMulticlassMetric:
    """The metric a saved name refers to, or a stand-in when it is not registered here."""
    try:
        return get_multiclass_metric(text)
    except CutpointsError:

        def missing(*_: Any, **__: Any) -> Any:
            msg = f"multiclass metric {text!r} is not registered in this session"
            raise MetricError(msg)

        record = MulticlassMetric(name=text, func=missing, greater_is_better=maximize)
        return BoundMulticlassMetric(record, {}, text)


def _from_dict(cls: type[ClassWeights], data: Any) -> ClassWeights:
    r = _READER
    data = r.check_format(data, FORMAT)
    classes = [r.label(c, "classes") for c in r.list(r.get(data, "classes", "classes"), "classes")]
    k = len(classes)
    if k < 2 or len({json.dumps(c) for c in classes}) != k:
        r.bad("classes", "at least two distinct labels", classes)
    weights = [
        float(r.number(w, "weights")) for w in r.list(r.get(data, "weights", "weights"), "weights")
    ]
    if len(weights) != k:
        r.bad("weights", f"one weight per class ({k})", weights)
    if not all(w > 0 for w in weights):
        r.bad("weights", "positive numbers", weights)
    objective = r.get(data, "objective", "objective")
    direction = r.choice(
        r.get(objective, "direction", "objective.direction"),
        "objective.direction",
        ("maximize", "minimize"),
    )
    metric = _saved_metric(
        r.text(r.get(objective, "metric", "objective.metric"), "objective.metric"),
        direction == "maximize",
    )
    matrix_in = r.list(r.get(data, "confusion_matrix", "confusion_matrix"), "confusion_matrix")
    if len(matrix_in) != k or not all(isinstance(row, list) and len(row) == k for row in matrix_in):
        r.bad("confusion_matrix", f"a {k}×{k} list of counts", matrix_in)
    cells = [[r.count(v, "confusion_matrix") for v in row] for row in matrix_in]
    integer = all(isinstance(v, int) for row in cells for v in row)
    matrix = np.array(cells, dtype=np.int64 if integer else np.float64)
    info = r.get(data, "data", "data")
    search = data.get("search", {})
    ovr = tuple(
        OneVsRest(
            r.label(r.get(o, "class", "one_vs_rest.class"), "one_vs_rest.class"),
            float(
                r.number(
                    r.get(o, "threshold", "one_vs_rest.threshold"),
                    "one_vs_rest.threshold",
                    inf=True,
                )
            ),
            r.text(r.get(o, "metric", "one_vs_rest.metric"), "one_vs_rest.metric", 200),
            float(r.number(r.get(o, "score", "one_vs_rest.score"), "one_vs_rest.score", nan=True)),
        )
        for o in r.list(data.get("one_vs_rest", []), "one_vs_rest")
    )
    labels = np.array(classes, dtype=object if len({type(c) for c in classes}) > 1 else None)
    return cls(
        classes=labels,
        weights=np.array(weights),
        score=float(
            r.number(r.get(objective, "value", "objective.value"), "objective.value", nan=True)
        ),
        metric=metric,
        confusion_matrix=matrix,
        baseline_score=float(
            r.number(objective.get("argmax_value"), "objective.argmax_value", nan=True)
        ),
        n_samples=r.whole(r.get(info, "n_samples", "data.n_samples"), "data.n_samples"),
        weighted=r.boolean(r.get(info, "weighted", "data.weighted"), "data.weighted"),
        n_rounds=r.whole(search.get("n_rounds", 0), "search.n_rounds"),
        converged=r.boolean(search.get("converged", True), "search.converged"),
        one_vs_rest=ovr,
        version=r.text(data.get("cutpoints_version", ""), "cutpoints_version", 200),
    )
