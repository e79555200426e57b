"""The saved-cutpoint file format: writing it, and reading it back without trusting it.

A saved cutpoint is plain JSON (never pickle). Reading one checks every field's type,
finiteness and range and fails with the field's name, so a hand-edited or damaged file
(``"threshold": null``, a count of -1, 100,000 nested brackets, bytes that are not
UTF-8) is refused instead of labelling every row wrongly.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ._metrics import BoundMetric, Metric, get_metric
from ._strict_json import FieldReader, json_number
from .errors import (
    CutpointsError,
    InvalidInputError,
    InvalidParameterError,
    MetricError,
    UnknownMetricError,
)
from .selection import TIE_RULES, Constraint

if TYPE_CHECKING:
    from ._cutpoint import Cutpoint

__all__ = ["cutpoint_from_dict", "cutpoint_to_dict", "json_number", "parse_json", "read_file"]

_READ = FieldReader("cutpoint", "Cutpoint.load")
_bad, _number, _count, _get = _READ.bad, _READ.number, _READ.count, _READ.get
_text, _list = _READ.text, _READ.list


def parse_json(text: str | bytes) -> Any:
    """The parsed JSON of cutpoint text, with one clear error on any malformed input."""
    return _READ.parse(text)


def read_file(path: str | os.PathLike[str]) -> Any:
    """The parsed JSON of a saved cutpoint file, with one clear error when it cannot be."""
    return _READ.read(path)


# ------------------------------------------------------------------------------ writing
def _label(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def cutpoint_to_dict(cut: Cutpoint, *, curve: bool = False) -> dict[str, Any]:
    """The JSON-ready dict of a cutpoint (see :meth:`cutpoints.Cutpoint.to_dict`);
    with ``curve=True`` also the rows of its curve (:mod:`cutpoints._saved_curve`)."""
    out: dict[str, Any] = {
        "format": _format(),
        "threshold": json_number(cut.threshold),
        "rule": cut.rule,
        "decision": f"positive iff score {cut.rule} threshold",
        "objective": {
            "metric": cut.metric.name,
            "direction": "maximize" if cut.maximize else "minimize",
            "value": json_number(cut.score),
        },
        "constraints": [str(c) for c in cut.constraints],
        "ties": cut.ties,
        "optimal_thresholds": [json_number(t) for t in cut.optimal_thresholds],
        "counts": {k: json_number(getattr(cut, k)) for k in ("tp", "fp", "tn", "fn")},
        "metrics": {k: json_number(v) for k, v in cut.metrics.items()},
        "labels": {"positive": _label(cut.positive_label), "negative": _label(cut.negative_label)},
        "data": {
            "n_samples": cut.n_samples,
            "n_positive": json_number(cut.n_positive),
            "n_negative": json_number(cut.n_negative),
            "prevalence": json_number(cut.prevalence),
            "weighted": cut.weighted,
            "fingerprint": cut.fingerprint,
        },
        "references": [
            {"name": r.name, "threshold": json_number(r.threshold), "explanation": r.explanation}
            for r in cut.references
        ],
        "runners_up": [
            {"threshold": json_number(t), "value": json_number(v)} for t, v in cut.runners_up
        ],
        "cutpoints_version": cut.version,
    }
    if cut.columns:
        out["columns"] = dict(cut.columns)
    if cut.value_by_outcome is not None:
        out["values"] = {k: json_number(v) for k, v in cut.value_by_outcome.items()}
    if curve:
        out["curve"] = _curve_dict(cut)
    g = cut.guarantee
    if g is not None:
        out["guarantee"] = {
            "constraint": str(g.constraint),
            "confidence": g.confidence,
            "bound": json_number(g.bound),
            "estimate": json_number(g.estimate),
            "method": g.method,
            "certified": [json_number(t) for t in g.certified],
            "bounds": [json_number(b) for b in g.bounds],
        }
    return out


def _curve_dict(cut: Cutpoint) -> dict[str, Any]:
    from ._saved_curve import curve_to_dict

    if cut.curve is None:
        msg = "'curve' is True but this cutpoint has no curve to save (loaded without one?)"
        raise InvalidParameterError(msg)
    # The chosen row and its ties (and their neighbours) are always among the saved rows.
    return curve_to_dict(cut.curve, cut.curve.rows_at([cut.threshold, *cut.optimal_thresholds]))


def _format() -> str:
    from ._cutpoint import FORMAT

    return FORMAT


# ------------------------------------------------------------------------------ reading
def _unavailable(name: str, greater_is_better: bool) -> BoundMetric:
    """A stand-in for a metric this session has not registered: applying the cutpoint
    needs only its threshold, so loading succeeds; evaluating the metric says why not."""

    def missing(*_: Any, **__: Any) -> Any:
        msg = (
            f"metric {name!r} is not registered in this session; register it "
            "(cutpoints.register_metric) to evaluate it"
        )
        raise MetricError(msg)

    return BoundMetric(Metric(name=name, func=missing, greater_is_better=greater_is_better), {})


def saved_metric(text: str, field: str, greater_is_better: bool = True) -> BoundMetric:
    """The metric a saved name refers to, or a stand-in when it is not registered here."""
    try:
        return get_metric(text)
    except UnknownMetricError:
        return _unavailable(text, greater_is_better)
    except CutpointsError as exc:
        msg = f"cutpoint field '{field}' names a metric that cannot be read: {exc}"
        raise InvalidInputError(msg) from None


def saved_constraint(text: Any, field: str) -> Constraint:
    text = _text(text, field)
    try:
        return Constraint.parse(text, lookup=lambda name: saved_metric(name, field))
    except CutpointsError as exc:
        msg = f"cutpoint field '{field}' is not a constraint: {exc}"
        raise InvalidInputError(msg) from None


def _labels(data: Any) -> tuple[Any, Any]:
    labels = _get(data, "labels", "labels")
    positive = _READ.label(_get(labels, "positive", "labels.positive"), "labels.positive")
    negative = _get(labels, "negative", "labels.negative")
    # The negative label is null when the tuning data held only positives.
    return positive, _READ.label(negative, "labels.negative", none=True)


def _check_totals(counts: dict[str, Any], n_pos: Any, n_neg: Any) -> None:
    """tp + fn must be the positives and fp + tn the negatives (to rounding, if weighted)."""
    for a, b, total, name in (("tp", "fn", n_pos, "n_positive"), ("fp", "tn", n_neg, "n_negative")):
        got = counts[a] + counts[b]
        exact = all(isinstance(v, int) for v in (counts[a], counts[b], total))
        if (got != total) if exact else not math.isclose(got, total, rel_tol=1e-9, abs_tol=1e-9):
            msg = (
                f"cutpoint fields 'counts.{a}' + 'counts.{b}' ({got!r}) must equal "
                f"'data.{name}' ({total!r})"
            )
            raise InvalidInputError(msg)


def _guarantee(value: Any) -> Any:
    from ._cutpoint import Guarantee

    if value is None:
        return None
    confidence = _number(_get(value, "confidence", "guarantee.confidence"), "guarantee.confidence")
    if not 0 < confidence < 1:
        _bad("guarantee.confidence", "a probability in (0, 1)", confidence)
    return Guarantee(
        constraint=saved_constraint(
            _get(value, "constraint", "guarantee.constraint"), "guarantee.constraint"
        ),
        confidence=float(confidence),
        bound=float(_number(_get(value, "bound", "guarantee.bound"), "guarantee.bound")),
        estimate=float(
            _number(_get(value, "estimate", "guarantee.estimate"), "guarantee.estimate", nan=True)
        ),
        method=_text(_get(value, "method", "guarantee.method"), "guarantee.method"),
        certified=tuple(
            float(_number(t, "guarantee.certified", inf=True))
            for t in _list(value.get("certified", []), "guarantee.certified")
        ),
        bounds=tuple(
            float(_number(b, "guarantee.bounds", nan=True))
            for b in _list(value.get("bounds", []), "guarantee.bounds")
        ),
    )


def _columns(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        _bad("columns", "an object of role -> column name", value)
    return dict(value)


def _value_by_outcome(value: Any, metrics: Mapping[str, float]) -> dict[str, float] | None:
    """The saved value of each outcome: all four, finite, summing to ``metrics.value``."""
    if value is None:
        return None
    outcomes = ("tp", "fp", "fn", "tn")
    if not isinstance(value, Mapping) or sorted(value) != sorted(outcomes):
        _bad("values", "an object with the value of tp, fp, fn and tn", value)
    split = {k: float(_number(value[k], f"values.{k}")) for k in outcomes}
    total = metrics.get("value")
    if total is not None and not math.isclose(
        sum(split.values()), total, rel_tol=1e-9, abs_tol=1e-9 * (1 + sum(map(abs, split.values())))
    ):
        msg = f"cutpoint fields 'values' must add up to 'metrics.value' ({total!r}; got {split!r})"
        raise InvalidInputError(msg)
    return split


def _saved_curve(data: Any, fields: dict[str, Any]) -> Any:
    """The saved curve (or None), checked against the cutpoint's own ``fields``."""
    from ._saved_curve import curve_from_dict

    fields["positive_label"], fields["negative_label"] = _labels(data)
    return curve_from_dict(data.get("curve"), fields)


def cutpoint_from_dict(cls: type[Cutpoint], data: Any) -> Cutpoint:
    """Rebuild a Cutpoint, checking every field; errors name the field."""
    # Long but flat on purpose: one check per saved field, in the file's order.
    from ._cutpoint import FORMAT, Reference

    data = _READ.check_format(data, FORMAT)
    rule = _get(data, "rule", "rule")
    if rule not in (">=", "<="):
        _bad("rule", "'>=' or '<='", rule)
    objective = _get(data, "objective", "objective")
    direction = _get(objective, "direction", "objective.direction")
    if direction not in ("maximize", "minimize"):
        _bad("objective.direction", "'maximize' or 'minimize'", direction)
    maximize = direction == "maximize"
    metric_text = _text(_get(objective, "metric", "objective.metric"), "objective.metric")
    ties = _get(data, "ties", "ties")
    if ties not in TIE_RULES:
        _bad("ties", f"one of {list(TIE_RULES)!r}", ties)
    counts_in = _get(data, "counts", "counts")
    counts = {
        k: _count(_get(counts_in, k, f"counts.{k}"), f"counts.{k}")
        for k in ("tp", "fp", "tn", "fn")
    }
    info = _get(data, "data", "data")
    n_samples = _get(info, "n_samples", "data.n_samples")
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 0:
        _bad("data.n_samples", "a whole number >= 0", n_samples)
    n_pos = _count(_get(info, "n_positive", "data.n_positive"), "data.n_positive")
    n_neg = _count(_get(info, "n_negative", "data.n_negative"), "data.n_negative")
    _check_totals(counts, n_pos, n_neg)
    weighted = _get(info, "weighted", "data.weighted")
    if not isinstance(weighted, bool):
        _bad("data.weighted", "true or false", weighted)
    metrics_in = _get(data, "metrics", "metrics")
    if not isinstance(metrics_in, Mapping):
        _bad("metrics", "an object of metric -> value", metrics_in)
    metrics = {
        _text(k, "metrics", 200): float(_number(v, f"metrics.{k}", nan=True))
        for k, v in metrics_in.items()
    }
    positive, negative = _labels(data)
    references = tuple(
        Reference(
            _text(_get(r, "name", "references.name"), "references.name", 200),
            float(_number(_get(r, "threshold", "references.threshold"), "references.threshold")),
            _text(_get(r, "explanation", "references.explanation"), "references.explanation"),
        )
        for r in _list(data.get("references", []), "references")
    )
    runners_up = tuple(
        (
            float(
                _number(
                    _get(r, "threshold", "runners_up.threshold"), "runners_up.threshold", inf=True
                )
            ),
            float(_number(_get(r, "value", "runners_up.value"), "runners_up.value", nan=True)),
        )
        for r in _list(data.get("runners_up", []), "runners_up")
    )
    threshold = float(_number(_get(data, "threshold", "threshold"), "threshold", inf=True))
    curve = _saved_curve(
        data,
        {"rule": rule, "n_samples": n_samples, "n_positive": n_pos, "n_negative": n_neg}
        | {"weighted": weighted, "threshold": threshold, "tp": counts["tp"], "fp": counts["fp"]},
    )
    return cls(
        threshold=threshold,
        score=float(
            _number(_get(objective, "value", "objective.value"), "objective.value", nan=True)
        ),
        metric=saved_metric(metric_text, "objective.metric", maximize),
        maximize=maximize,
        optimal_thresholds=tuple(
            float(_number(t, "optimal_thresholds", inf=True))
            for t in _list(
                _get(data, "optimal_thresholds", "optimal_thresholds"), "optimal_thresholds"
            )
        ),
        ties=ties,
        constraints=tuple(
            saved_constraint(c, "constraints")
            for c in _list(_get(data, "constraints", "constraints"), "constraints")
        ),
        metrics=metrics,
        rule=rule,
        n_samples=n_samples,
        n_positive=n_pos,
        n_negative=n_neg,
        weighted=weighted,
        positive_label=positive,
        negative_label=negative,
        references=references,
        runners_up=runners_up,
        version=_text(data.get("cutpoints_version", ""), "cutpoints_version", 200),
        data_fingerprint=_text(
            _get(info, "fingerprint", "data.fingerprint"), "data.fingerprint", 200
        ),
        guarantee=_guarantee(data.get("guarantee")),
        columns=_columns(data.get("columns")),
        value_by_outcome=_value_by_outcome(data.get("values"), metrics),
        curve=curve,
        tp=counts["tp"],
        fp=counts["fp"],
        tn=counts["tn"],
        fn=counts["fn"],
    )
