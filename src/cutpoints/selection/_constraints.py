"""Constraints: bounds on any metric, such as ``"precision >= 0.9"`` or ``"flagged <= 5000"``.

A constraint is a boolean mask over the thresholds of a confusion curve, never a change
to the objective. A threshold where the constrained metric is undefined (NaN) does not
satisfy the constraint.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._metrics import BoundMetric, MetricLike, get_metric
from ..errors import ConstraintSyntaxError, InvalidParameterError

__all__ = ["MAX_CONSTRAINT_LENGTH", "Constraint", "ConstraintLike", "as_constraints"]

Operator = Literal[">=", "<=", ">", "<"]
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_EXAMPLE = "e.g. 'precision >= 0.9', 'fpr <= 0.01', 'flagged <= 5000' or 'flag_rate <= 2%'"


@dataclass(frozen=True)
class Constraint:
    """A bound on one metric: ``metric op bound``.

    Parameters
    ----------
    metric : BoundMetric
        The constrained metric.
    op : {'>=', '<=', '>', '<'}
        The comparison.
    bound : float
        The value compared against.

    Examples
    --------
    >>> from cutpoints import Constraint
    >>> c = Constraint.parse("flag_rate <= 2%")
    >>> c.metric.name, c.op, c.bound
    ('flag_rate', '<=', 0.02)
    >>> str(c)
    'flag_rate <= 0.02'
    """

    metric: BoundMetric
    op: Operator
    bound: float

    def __str__(self) -> str:
        return f"{self.metric.name} {self.op} {_format_bound(self.bound)}"

    def __repr__(self) -> str:
        return f"Constraint.parse({str(self)!r})"

    @property
    def wants_large(self) -> bool:
        """True for lower bounds (``>=``, ``>``): larger metric values are closer to holding."""
        return self.op in (">=", ">")

    def mask(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """True where ``values`` satisfy the bound (NaN never does)."""
        result: npt.NDArray[np.bool_] = _OPS[self.op](values, self.bound)
        return result

    @classmethod
    def parse(cls, text: str, *, lookup: Callable[[str], BoundMetric] = get_metric) -> Constraint:
        """Read ``"<metric> <op> <value>"``; ``value`` may end in ``%``.

        Parsing is one linear scan, and the text is at most
        :data:`MAX_CONSTRAINT_LENGTH` characters. ``lookup`` turns the metric text into
        a metric (a saved file's reader passes one that tolerates unregistered names).
        """
        if not isinstance(text, str):
            msg = f"a constraint must be text like 'precision >= 0.9' (got {text!r})"
            raise ConstraintSyntaxError(msg)
        if len(text) > MAX_CONSTRAINT_LENGTH:
            msg = (
                f"a constraint must be at most {MAX_CONSTRAINT_LENGTH} characters "
                f"(got {len(text)}: {text[:40]!r}...)"
            )
            raise ConstraintSyntaxError(msg)
        metric_text, op_text, value_text = _split_operator(text)
        op = _operator(op_text, text)
        bound = _parse_bound(value_text, text)
        try:
            metric = lookup(metric_text)
        except InvalidParameterError as exc:
            msg = f"in constraint {text!r}: {exc}"
            raise type(exc)(msg) from None
        return cls(metric, op, bound)


MAX_CONSTRAINT_LENGTH = 1_000
_OP_CHARS = frozenset("<>=!")


def _split_operator(text: str) -> tuple[str, str, str]:
    """(metric, operator, value) of a constraint, by one scan for the first operator
    character outside the metric's parentheses; linear in the length of the text."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and ch in _OP_CHARS:
            j = i
            while j < len(text) and text[j] in _OP_CHARS:
                j += 1
            metric, value = text[:i].strip(), text[j:]
            if not metric or not value.strip():
                break
            if any(c in _OP_CHARS for c in value):
                msg = f"constraint must have one operator of >=, <=, >, < (got {text!r})"
                raise ConstraintSyntaxError(msg)
            return metric, text[i:j], value
    msg = f"constraint must look like '<metric> <op> <value>', {_EXAMPLE} (got {text!r})"
    raise ConstraintSyntaxError(msg)


def _operator(op: str, text: str) -> Operator:
    if op in _OPS:
        return op  # type: ignore[return-value]
    if op in ("=>", "=<"):
        # Not silently read as '>=': a reversed operator is more often a typo than a
        # convention, and guessing would hide it.
        msg = (
            f"constraint operator {op!r} is not an operator; did you mean {op[::-1]!r}? "
            f"(in {text!r})"
        )
        raise ConstraintSyntaxError(msg)
    if op in ("=", "==", "!="):
        msg = (
            f"constraint operator must be one of >=, <=, >, < (got {op!r} in "
            f"{text!r}); equality is too brittle on a finite set of thresholds"
        )
        raise ConstraintSyntaxError(msg)
    msg = f"constraint must have one operator of >=, <=, >, < (got {text!r})"
    raise ConstraintSyntaxError(msg)


def _parse_bound(value: str, text: str) -> float:
    raw = value.strip().replace("_", "")
    percent = raw.endswith("%")
    try:
        number = float(raw[:-1] if percent else raw)
    except ValueError:
        msg = f"constraint bound must be a number (got {value.strip()!r} in {text!r}), {_EXAMPLE}"
        raise ConstraintSyntaxError(msg) from None
    if not math.isfinite(number):
        msg = f"constraint bound must be finite (got {value.strip()!r} in {text!r})"
        raise ConstraintSyntaxError(msg)
    return number / 100 if percent else number


def _format_bound(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() and abs(bound) < 1e15 else repr(bound)


ConstraintLike = str | Constraint | tuple[MetricLike, str, float]


def as_constraints(
    constraints: ConstraintLike | Iterable[ConstraintLike] | None,
) -> list[Constraint]:
    """Normalize the ``constraints`` argument of the public API to a list of Constraint.

    Accepts one constraint or many, each as text, a :class:`Constraint`, or a
    ``(metric, op, bound)`` tuple.
    """
    if constraints is None:
        return []
    if isinstance(constraints, (str, Constraint)) or (
        isinstance(constraints, tuple)
        and len(constraints) == 3
        and isinstance(constraints[1], str)
        and constraints[1] in _OPS
    ):
        constraints = [constraints]  # type: ignore[list-item]
    out: list[Constraint] = []
    for item in constraints:  # type: ignore[union-attr]
        if isinstance(item, Constraint):
            out.append(item)
        elif isinstance(item, str):
            out.append(Constraint.parse(item))
        elif isinstance(item, tuple) and len(item) == 3:
            metric, op, bound = item
            if op not in _OPS:
                msg = f"constraint operator must be one of >=, <=, >, < (got {op!r})"
                raise ConstraintSyntaxError(msg)
            try:
                bound = float(bound)
            except (TypeError, ValueError):
                msg = f"constraint bound must be a number (got {bound!r})"
                raise ConstraintSyntaxError(msg) from None
            out.append(Constraint(get_metric(metric), op, bound))  # type: ignore[arg-type]
        else:
            msg = (
                "each constraint must be text like 'precision >= 0.9' or a Constraint "
                f"(got {item!r})"
            )
            raise ConstraintSyntaxError(msg)
    return out
