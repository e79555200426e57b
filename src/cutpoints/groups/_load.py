"""Reading a saved GroupCutpoint back without trusting it: every field checked by name."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .._artifact import saved_constraint, saved_metric
from .._cutpoint import Cutpoint
from .._strict_json import FieldReader
from ..errors import CutpointsError, InvalidInputError

if TYPE_CHECKING:
    from ._result import GroupCutpoint

__all__ = ["group_cutpoint_from_dict"]

_READ = FieldReader("group cutpoint", "GroupCutpoint.load")


def group_cutpoint_from_dict(cls: type[GroupCutpoint], data: Any) -> GroupCutpoint:
    """Rebuild a GroupCutpoint; errors name the field."""
    from ._parity import GapConstraint
    from ._result import FORMAT

    data = _READ.check_format(data, FORMAT)
    mode = _READ.choice(_READ.get(data, "mode", "mode"), "mode", ("independent", "joint"))
    maximize = _READ.boolean(_READ.get(data, "maximize", "maximize"), "maximize")
    metric = saved_metric(
        _READ.text(_READ.get(data, "metric", "metric"), "metric"), "metric", maximize
    )
    constraints = tuple(
        saved_constraint(c, "constraints")
        for c in _READ.list(_READ.get(data, "constraints", "constraints"), "constraints")
    )
    gaps = []
    for text in _READ.list(
        _READ.get(data, "gap_constraints", "gap_constraints"), "gap_constraints"
    ):
        try:
            gaps.append(GapConstraint.parse(_READ.text(text, "gap_constraints")))
        except CutpointsError as exc:
            msg = f"group cutpoint field 'gap_constraints' is not a gap constraint: {exc}"
            raise InvalidInputError(msg) from None
    rule = _READ.choice(_READ.get(data, "rule", "rule"), "rule", (">=", "<="))
    counts = {k: _READ.count(_READ.get(data, k, k), k) for k in ("tp", "fp", "tn", "fn")}
    score = float(_READ.number(_READ.get(data, "score", "score"), "score", nan=True))
    positive = _READ.label(_READ.get(data, "positive_label", "positive_label"), "positive_label")
    negative = _READ.label(
        _READ.get(data, "negative_label", "negative_label"), "negative_label", none=True
    )
    version = _READ.text(_READ.get(data, "version", "version"), "version", 200)
    columns = data.get("columns", {})
    if not isinstance(columns, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        _READ.bad("columns", "an object of role -> column name", columns)
    entries = _READ.list(_READ.get(data, "groups", "groups"), "groups")
    if not entries:
        _READ.bad("groups", "a non-empty list", entries)
    cutpoints: dict[Any, Cutpoint] = {}
    sums = dict.fromkeys(("tp", "fp", "tn", "fn"), 0.0)
    for entry in entries:
        label = _READ.label(_READ.get(entry, "group", "groups.group"), "groups.group")
        if label in cutpoints:
            _READ.bad("groups.group", "distinct group labels", label)
        try:
            cut = Cutpoint.from_dict(_READ.get(entry, "cutpoint", "groups.cutpoint"))
        except CutpointsError as exc:
            msg = f"group cutpoint field 'groups' (group {label!r}) is not a cutpoint: {exc}"
            raise InvalidInputError(msg) from None
        if cut.rule != rule:
            _READ.bad("groups.cutpoint.rule", f"the file's rule {rule!r}", cut.rule)
        cutpoints[label] = cut
        for k in sums:
            sums[k] += float(getattr(cut, k))
    for k, total in sums.items():
        if not math.isclose(total, float(counts[k]), rel_tol=1e-9, abs_tol=1e-9):
            msg = (
                f"group cutpoint field '{k}' must equal the sum over groups ({total!r}; "
                f"got {counts[k]!r})"
            )
            raise InvalidInputError(msg)
    _check_values(cutpoints, metric.name, score)
    return cls(
        cutpoints=cutpoints,
        mode=mode,
        metric=metric,
        maximize=maximize,
        constraints=constraints,
        gap_constraints=tuple(gaps),
        score=score,
        positive_label=positive,
        negative_label=negative,
        rule=rule,
        version=version,
        columns=dict(columns),
        **counts,
    )


def _check_values(cutpoints: dict[Any, Cutpoint], metric: str, score: float) -> None:
    """Per-row values: every group has its split or none does, and for the metric
    ``"value"`` the score is the total over groups."""
    splits = [c.value_by_outcome for c in cutpoints.values()]
    if any(v is None for v in splits) and any(v is not None for v in splits):
        missing = [repr(g) for g, c in cutpoints.items() if c.value_by_outcome is None]
        msg = (
            "group cutpoint field 'groups' must give the value split ('values') of every "
            f"group or of none (missing for group {', '.join(missing[:5])})"
        )
        raise InvalidInputError(msg)
    if metric != "value":
        return
    if any(v is None for v in splits):
        _READ.bad("groups.cutpoint.values", "each group's value split for metric 'value'", None)
    total = math.fsum(sum(v.values()) for v in splits if v is not None)
    scale = math.fsum(abs(x) for v in splits if v is not None for x in v.values())
    if not math.isclose(score, total, rel_tol=1e-9, abs_tol=1e-9 * (1 + scale)):
        msg = (
            f"group cutpoint field 'score' must equal the total value over groups "
            f"({total!r}; got {score!r})"
        )
        raise InvalidInputError(msg)
