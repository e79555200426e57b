"""The saved-cutpoint file format: writing it, and reading it back without trusting it.

A saved cutpoint is plain JSON (never pickle). Reading one checks every field's type,
finiteness and range and fails with the field's name, so a hand-edited or damaged file
(``"threshold": null``, a count of -1, 100,000 nested brackets, bytes that are not
UTF-8) is refused instead of labelling every row wrongly.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ._metrics import BoundMetric, Metric, get_metric
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

MAX_FILE_BYTES = 16 * 2**20  # a saved cutpoint is a few KB; refuse to slurp anything huge
_MAX_TEXT = 10_000  # longest metric or constraint text accepted from a file
_JSON_SCALARS = (str, int, float, bool, type(None))


# ------------------------------------------------------------------------------ writing
def json_number(value: float | int) -> float | int | str | None:
    """JSON has no NaN or infinity: NaN becomes null, infinities the strings '+inf'/'-inf'."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return value


def _label(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def cutpoint_to_dict(cut: Cutpoint) -> dict[str, Any]:
    """The JSON-ready dict of a cutpoint (see :meth:`cutpoints.Cutpoint.to_dict`)."""
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


def _format() -> str:
    from ._cutpoint import FORMAT

    return FORMAT


# ------------------------------------------------------------------------------ reading
def _bad(field: str, expected: str, value: Any) -> NoReturn:
    """Raise the error for a malformed field: its name, what it must be, what it was."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    msg = f"cutpoint field '{field}' must be {expected} (got {shown})"
    raise InvalidInputError(msg)


def parse_json(text: str | bytes, what: str) -> Any:
    """``json.loads`` that fails with one clear error on any malformed input."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})"
            raise InvalidInputError(msg) from None
    if not isinstance(text, str):
        msg = f"{what} must be JSON text (got {type(text).__name__})"
        raise InvalidInputError(msg)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{what} is not valid JSON ({exc}); to read a file, use Cutpoint.load(path)"
        raise InvalidInputError(msg) from None
    except RecursionError:
        msg = f"{what} is nested too deeply to be a saved cutpoint"
        raise InvalidInputError(msg) from None
    except ValueError as exc:  # e.g. an integer literal with too many digits
        msg = f"{what} could not be parsed ({exc})"
        raise InvalidInputError(msg) from None


def read_file(path: str | os.PathLike[str]) -> Any:
    """The parsed JSON of a saved cutpoint file, with one clear error when it cannot be."""
    if not isinstance(path, (str, os.PathLike)):
        msg = f"'path' must be a file path (got {type(path).__name__})"
        raise InvalidParameterError(msg)
    if isinstance(path, str) and path.lstrip().startswith("{"):
        msg = "Cutpoint.load() takes a file path; use Cutpoint.from_json() for JSON text"
        raise InvalidParameterError(msg)
    p = Path(path)
    if not p.is_file():
        msg = f"cutpoint file not found: {str(p)!r}"
        raise InvalidInputError(msg)
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        msg = f"cutpoint file {str(p)!r} is {size} bytes; a saved cutpoint is a few KB"
        raise InvalidInputError(msg)
    return parse_json(p.read_bytes(), f"cutpoint file {str(p)!r}")


def _number(value: Any, field: str, *, nan: bool = False, inf: bool = False) -> float | int:
    """A JSON number (or null = NaN, '+inf'/'-inf'), checked for what the field allows."""
    if value is None:
        if nan:
            return math.nan
        _bad(field, "a number (not null)", value)
    if isinstance(value, str) and value in ("+inf", "inf", "Infinity", "-inf", "-Infinity"):
        if inf:
            return -math.inf if value.startswith("-") else math.inf
        _bad(field, "a finite number", value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _bad(field, "a number", value)
    try:
        as_float = float(value)
    except OverflowError:
        _bad(field, "a number that fits in a float64", value)
    if math.isnan(as_float) and not nan:
        _bad(field, "a number (not NaN)", value)
    if math.isinf(as_float) and not inf:
        _bad(field, "a finite number", value)
    return value


def _count(value: Any, field: str) -> float | int:
    number = _number(value, field)
    if number < 0:
        _bad(field, "a count >= 0", value)
    if isinstance(number, int) and number >= 2**63:
        _bad(field, "a count below 2**63", value)
    return number


def _get(mapping: Any, key: str, field: str) -> Any:
    if not isinstance(mapping, Mapping):
        _bad(field.rsplit(".", 1)[0] if "." in field else field, "an object", mapping)
    if key not in mapping:
        msg = f"cutpoint field '{field}' is missing"
        raise InvalidInputError(msg)
    return mapping[key]


def _text(value: Any, field: str, limit: int = _MAX_TEXT) -> str:
    if not isinstance(value, str):
        _bad(field, "text", value)
    if len(value) > limit:
        _bad(field, f"text of at most {limit} characters", f"<{len(value)} characters>")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        _bad(field, "a list", value)
    return value


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
    positive = _get(labels, "positive", "labels.positive")
    negative = _get(labels, "negative", "labels.negative")
    for name, value in (("positive", positive), ("negative", negative)):
        if not isinstance(value, _JSON_SCALARS) or (name == "positive" and value is None):
            _bad(f"labels.{name}", "a label (text, number or boolean)", value)
        if isinstance(value, float) and not math.isfinite(value):
            _bad(f"labels.{name}", "a finite label", value)
    return positive, negative


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


def cutpoint_from_dict(cls: type[Cutpoint], data: Any) -> Cutpoint:
    """Rebuild a Cutpoint, checking every field; errors name the field."""
    from ._cutpoint import FORMAT, Reference

    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        got = data.get("format") if isinstance(data, Mapping) else type(data).__name__
        msg = f"not a cutpoints cutpoint (expected format {FORMAT!r}, got {got!r})"
        raise InvalidInputError(msg)
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
    return cls(
        threshold=float(_number(_get(data, "threshold", "threshold"), "threshold", inf=True)),
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
        tp=counts["tp"],
        fp=counts["fp"],
        tn=counts["tn"],
        fn=counts["fn"],
    )
