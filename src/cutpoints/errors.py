"""Exceptions raised by cutpoints.

Every error the library raises on purpose derives from :class:`CutpointsError`, so
``except cutpoints.errors.CutpointsError`` catches them all. Each subclass also derives
from the built-in exception that old code would expect, so ``except ValueError`` keeps
working::

    CutpointsError
    ├── InvalidInputError (ValueError)         bad data: NaN scores, length mismatch, labels ...
    │   └── InvalidLabelsError                 labels that need pos_label, >2 classes, one class
    ├── InvalidParameterError (ValueError, TypeError)
    │   │                                      bad argument: unknown option, malformed text
    │   ├── UnknownMetricError                 metric name not in the registry (suggests names)
    │   └── ConstraintSyntaxError              "precision >= 0.9"-style text that does not parse
    ├── InfeasibleConstraintError (ValueError) no threshold satisfies the constraints
    ├── UndefinedMetricError (ValueError)      the objective is undefined at every threshold
    ├── MetricError (ValueError)               a (user) metric returned something unusable
    └── NotFittedError (ValueError, AttributeError)
                                               a result or estimator used before it is ready

Messages follow one pattern: the argument, what it must be, and the offending value,
e.g. ``'y_score' must be finite (got nan at index 3; 2 NaN values in all)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ClosestPoint",
    "ConstraintSyntaxError",
    "CutpointsError",
    "InfeasibleConstraintError",
    "InvalidInputError",
    "InvalidLabelsError",
    "InvalidParameterError",
    "MetricError",
    "NotFittedError",
    "UndefinedMetricError",
    "UnknownMetricError",
]


class CutpointsError(Exception):
    """Base class of every error cutpoints raises on purpose."""


class InvalidInputError(CutpointsError, ValueError):
    """The data passed in cannot be used as it is (NaN, lengths, dtype, weights...)."""


class InvalidLabelsError(InvalidInputError):
    """The labels cannot be read as a binary problem without more information."""


class InvalidParameterError(CutpointsError, ValueError, TypeError):
    """An argument has the wrong type or value (unknown option, malformed text...)."""


class UnknownMetricError(InvalidParameterError, KeyError):
    """A metric name is not registered. The message lists the closest known names."""

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return str(self.args[0]) if self.args else ""


class ConstraintSyntaxError(InvalidParameterError):
    """A constraint string such as ``"precision >= 0.9"`` could not be parsed."""


class MetricError(CutpointsError, ValueError):
    """A metric function returned values of the wrong shape or type."""


class UndefinedMetricError(CutpointsError, ValueError):
    """The objective is undefined (NaN) at every candidate threshold."""


class NotFittedError(CutpointsError, ValueError, AttributeError):
    """An object was used before it holds what the call needs."""


@dataclass(frozen=True)
class ClosestPoint:
    """Where one constraint comes closest to holding.

    Attributes
    ----------
    constraint : str
        The constraint as text, e.g. ``"precision >= 0.9"``.
    threshold : float
        The threshold at which the constrained metric is best.
    value : float
        The constrained metric's value there.
    satisfiable_alone : bool
        Whether some threshold satisfies this constraint on its own.
    """

    constraint: str
    threshold: float
    value: float
    satisfiable_alone: bool


class InfeasibleConstraintError(CutpointsError, ValueError):
    """No candidate threshold satisfies every constraint.

    Attributes
    ----------
    closest : list of ClosestPoint
        For each constraint, the threshold where its metric comes closest to the bound
        and the value there, so the user sees how far off the request is.
    """

    def __init__(self, message: str, closest: list[ClosestPoint] | None = None) -> None:
        super().__init__(message)
        self.closest: list[ClosestPoint] = list(closest or [])

    def __reduce__(self) -> tuple[Any, ...]:  # keep `closest` through copy/multiprocessing
        return (type(self), (self.args[0], self.closest))
