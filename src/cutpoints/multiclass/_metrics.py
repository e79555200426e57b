"""Multiclass metrics: named, vectorised functions of a K×K confusion matrix.

The binary catalog (:mod:`cutpoints._metrics`) holds functions of (tp, fp, tn, fn);
these are functions of a whole confusion matrix ``C`` with the true class on the rows
and the predicted class on the columns (scikit-learn's ``confusion_matrix``), weighted
when sample weights are given. The conventions are the binary catalog's: a name with
aliases, the direction that is better, parameters with defaults (``REQUIRED`` for none),
NaN where the metric is undefined (never a silent 0, so an undefined value never wins),
text like ``"cost(matrix=[[0, 1], [5, 0]])"`` that is parsed, never evaluated, and
:func:`register_multiclass_metric` for your own.

A metric function takes ``C`` of shape ``(..., K, K)`` (a stack of matrices: one per
candidate decision rule) and returns an array of shape ``(...)``.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .._metrics import REQUIRED, literal_param
from ..errors import InvalidParameterError, MetricError, UnknownMetricError

__all__ = [
    "BoundMulticlassMetric",
    "MulticlassMetric",
    "MulticlassMetricLike",
    "get_multiclass_metric",
    "list_multiclass_metrics",
    "register_multiclass_metric",
    "unregister_multiclass_metric",
]

FloatArray = npt.NDArray[np.float64]
_MAX_TEXT = 10_000


@dataclass(frozen=True)
class MulticlassMetric:
    """A named metric of a K×K confusion matrix (rows true, columns predicted).

    Attributes
    ----------
    name : str
        The canonical name, e.g. ``"macro_f1"``.
    func : callable
        ``func(C, **params)`` on float64 ``C`` of shape ``(..., K, K)``, returning shape
        ``(...)``, NaN where undefined.
    greater_is_better : bool
        The direction to optimize in.
    params : mapping
        Parameter names with defaults (numbers, or K×K matrices); ``REQUIRED`` for none.
    aliases : tuple of str
        Other names.
    description, formula, undefined : str
        What it measures, how, and where it is NaN (for the docs).
    value_range : (float, float)
        The values it can take.
    check_params : callable or None
        Raises for invalid parameter values.
    binary : str or None
        The binary catalog metric that plays its role for one class against the rest
        (``"f1"`` for ``macro_f1``): the one-vs-rest cutpoints use it.
    margins : callable or None
        The same metric from the margins only, ``margins(diag, true, pred, **params)``
        on arrays of shape ``(..., K)`` (the diagonal, the row sums and the column
        sums). Lets the weight search track 2K numbers per decision rule instead of K².
    cells : callable or None
        For a metric linear in the cells, ``Σ C_ij · M_ij`` (divided by n when
        ``normalize``): ``cells(params) -> M``. The search then tracks one number.
    """

    name: str
    func: Callable[..., Any]
    greater_is_better: bool
    params: Mapping[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    description: str = ""
    formula: str = ""
    undefined: str = ""
    value_range: tuple[float, float] = (-math.inf, math.inf)
    check_params: Callable[[Mapping[str, Any]], None] | None = None
    binary: str | None = None
    margins: Callable[..., Any] | None = None
    cells: Callable[[Mapping[str, Any]], Any] | None = None

    def bind(self, **params: Any) -> BoundMulticlassMetric:
        """Fix the parameters, checking names, required ones and values."""
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            known = ", ".join(self.params) or "none"
            msg = f"metric '{self.name}' has no parameter {unknown[0]!r} (its parameters: {known})"
            raise InvalidParameterError(msg)
        values = {**self.params, **params}
        missing = [k for k, v in values.items() if v is REQUIRED]
        if missing:
            example = ", ".join(f"{k}=..." for k in missing)
            msg = f"metric '{self.name}' needs {', '.join(missing)} (e.g. '{self.name}({example})')"
            raise InvalidParameterError(msg)
        values = {k: _param_value(self.name, k, v) for k, v in values.items()}
        if self.check_params is not None:
            self.check_params(values)
        return BoundMulticlassMetric(self, values)


def _param_value(metric: str, key: str, value: Any) -> Any:
    """A parameter as stored: a bool, a finite float, or a finite float64 matrix."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            msg = f"parameter '{key}' of metric '{metric}' must be finite (got {value!r})"
            raise InvalidParameterError(msg)
        return number
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        msg = (
            f"parameter '{key}' of metric '{metric}' must be a number or a matrix "
            f"(got {value!r:.60})"
        )
        raise InvalidParameterError(msg) from None
    if array.ndim != 2:
        msg = (
            f"parameter '{key}' of metric '{metric}' must be a number or a 2-D matrix "
            f"(got an array of shape {array.shape})"
        )
        raise InvalidParameterError(msg)
    if not np.isfinite(array).all():
        msg = f"parameter '{key}' of metric '{metric}' must be finite (got {value!r:.60})"
        raise InvalidParameterError(msg)
    array.flags.writeable = False
    return array


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, np.ndarray):
        rows = ", ".join("[" + ", ".join(_format_value(float(v)) for v in r) + "]" for r in value)
        return f"[{rows}]"
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


@dataclass(frozen=True, eq=False)
class BoundMulticlassMetric:
    """A multiclass metric with its parameters fixed.

    Calling it on confusion matrices returns the metric's values; ``str()`` gives the
    text that names it again (``get_multiclass_metric(str(m))`` is equivalent).
    """

    metric: MulticlassMetric
    params: Mapping[str, Any]
    label: str = ""

    @property
    def name(self) -> str:
        """The text that names this metric, e.g. ``"cost(matrix=[[0, 1], [5, 0]])"``."""
        if self.label:
            return self.label
        defaults = self.metric.params
        shown = {
            k: v
            for k, v in self.params.items()
            if defaults.get(k, REQUIRED) is REQUIRED or not _same(defaults[k], v)
        }
        if not shown:
            return self.metric.name
        inner = ", ".join(f"{k}={_format_value(v)}" for k, v in shown.items())
        return f"{self.metric.name}({inner})"

    @property
    def greater_is_better(self) -> bool:
        """Whether larger values are better."""
        return self.metric.greater_is_better

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BoundMulticlassMetric):
            return NotImplemented
        return self.metric is other.metric and self.name == other.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"get_multiclass_metric({self.name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if _REGISTRY.get(self.metric.name) is self.metric:
            return (get_multiclass_metric, (self.name,))
        return (BoundMulticlassMetric, (self.metric, dict(self.params), self.label))

    def __call__(self, confusion: Any) -> FloatArray:
        """Evaluate on confusion matrices of shape ``(..., K, K)``; returns shape ``(...)``."""
        c = np.asarray(confusion, dtype=np.float64)
        if c.ndim < 2 or c.shape[-1] != c.shape[-2]:
            msg = f"metric '{self.name}' needs square confusion matrices (got shape {c.shape})"
            raise MetricError(msg)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self.metric.func(c, **self.params)
        return self._checked(out, c.shape[:-2])

    def from_margins(self, diag: FloatArray, true: FloatArray, pred: FloatArray) -> FloatArray:
        """The metric from the margins (diagonal, row sums, column sums), shape ``(..., K)``.

        Only for metrics registered with ``margins=``.
        """
        if self.metric.margins is None:
            msg = f"metric '{self.name}' has no margin form"
            raise MetricError(msg)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self.metric.margins(diag, true, pred, **self.params)
        return self._checked(out, np.broadcast_shapes(diag.shape, pred.shape)[:-1])

    def _checked(self, out: Any, shape: tuple[int, ...]) -> FloatArray:
        try:
            values = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            msg = f"metric '{self.name}' must return numbers (got {type(out).__name__}: {exc})"
            raise MetricError(msg) from exc
        if values.shape != shape:
            if values.ndim == 0:
                return np.full(shape, float(values))
            msg = (
                f"metric '{self.name}' must return one value per confusion matrix "
                f"(got shape {values.shape}, expected {shape})"
            )
            raise MetricError(msg)
        if np.isinf(values).any():
            msg = (
                f"metric '{self.name}' returned infinite values; return NaN where it is "
                "undefined so that such decisions never win"
            )
            raise MetricError(msg)
        return values


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    return bool(a == b)


MulticlassMetricLike = str | MulticlassMetric | BoundMulticlassMetric | Callable[..., Any]

_REGISTRY: dict[str, MulticlassMetric] = {}
_ALIASES: dict[str, str] = {}


def register_multiclass_metric(
    name: str,
    func: Callable[..., Any],
    *,
    greater_is_better: bool = True,
    params: Mapping[str, Any] | None = None,
    aliases: Iterable[str] = (),
    description: str = "",
    formula: str = "",
    undefined: str = "",
    value_range: tuple[float, float] = (-math.inf, math.inf),
    check_params: Callable[[Mapping[str, Any]], None] | None = None,
    binary: str | None = None,
    margins: Callable[..., Any] | None = None,
    overwrite: bool = False,
) -> MulticlassMetric:
    """Add a metric of the K×K confusion matrix, so it can be named in any call.

    Parameters
    ----------
    name : str
        Letters, digits, ``_`` and ``.``; case-insensitive.
    func : callable
        ``func(C, **params)`` on float64 ``C`` of shape ``(..., K, K)`` (true classes on
        the rows, predicted on the columns), returning shape ``(...)`` with NaN where
        undefined.
    greater_is_better : bool, default=True
    params : mapping, optional
        Parameter defaults (``cutpoints.REQUIRED`` for none); by default read from the
        function's keyword-only parameters.
    aliases : iterable of str
    description, formula, undefined : str
    value_range : (float, float)
    check_params : callable, optional
    binary : str, optional
        The binary metric that plays the same role one class against the rest.
    margins : callable, optional
        The same metric from the margins, ``margins(diag, true, pred, **params)`` on
        arrays of shape ``(..., K)``: the diagonal, row sums (true classes) and column
        sums (predictions). Optional; it makes :func:`find_class_weights` faster.
    overwrite : bool, default=False

    Returns
    -------
    MulticlassMetric

    Examples
    --------
    >>> import numpy as np
    >>> from cutpoints.multiclass import register_multiclass_metric, get_multiclass_metric
    >>> def worst_recall(C):
    ...     return np.min(np.diagonal(C, axis1=-2, axis2=-1) / C.sum(axis=-1), axis=-1)
    >>> _ = register_multiclass_metric("worst_recall", worst_recall)
    >>> float(get_multiclass_metric("worst_recall")(np.array([[3, 1], [0, 2]])))
    0.75
    """
    from .._metrics import _NAME

    if not callable(func):
        msg = f"'func' must be callable (got {func!r})"
        raise InvalidParameterError(msg)
    key = name.lower()
    if not _NAME.fullmatch(key):
        msg = f"'name' must be letters, digits, '_' or '.' and start with a letter (got {name!r})"
        raise InvalidParameterError(msg)
    alias_keys = [a.lower() for a in aliases]
    taken = [a for a in [key, *alias_keys] if _owner(a) not in (None, key)]
    if (key in _REGISTRY or taken) and not overwrite:
        clash = key if key in _REGISTRY else taken[0]
        msg = f"metric name {clash!r} is already registered; pass overwrite=True to replace it"
        raise InvalidParameterError(msg)
    if key in _REGISTRY:
        unregister_multiclass_metric(key)
    if params is None:
        params = _keyword_params(func)
    record = MulticlassMetric(
        name=key,
        func=func,
        greater_is_better=bool(greater_is_better),
        params=dict(params),
        aliases=tuple(alias_keys),
        description=description or (inspect.getdoc(func) or "").split("\n")[0],
        formula=formula,
        undefined=undefined,
        value_range=value_range,
        check_params=check_params,
        binary=binary,
        margins=margins,
    )
    for alias in alias_keys:
        _ALIASES[alias] = key
    _REGISTRY[key] = record
    return record


def unregister_multiclass_metric(name: str) -> None:
    """Remove a multiclass metric and its aliases."""
    key = name.lower()
    if key not in _REGISTRY:
        raise UnknownMetricError(_unknown(key))
    del _REGISTRY[key]
    for alias in [a for a, owner in _ALIASES.items() if owner == key]:
        del _ALIASES[alias]


def list_multiclass_metrics() -> list[MulticlassMetric]:
    """Every registered multiclass metric, sorted by name.

    Examples
    --------
    >>> from cutpoints.multiclass import list_multiclass_metrics
    >>> [m.name for m in list_multiclass_metrics()][:3]
    ['accuracy', 'balanced_accuracy', 'cohen_kappa']
    """
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def _owner(name: str) -> str | None:
    if name in _REGISTRY:
        return name
    return _ALIASES.get(name)


def _keyword_params(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return {}
    return {
        p.name: (REQUIRED if p.default is inspect.Parameter.empty else p.default)
        for p in signature.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _unknown(name: str) -> str:
    known = sorted([*_REGISTRY, *_ALIASES])
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    names = ", ".join(sorted(_REGISTRY))
    return f"unknown multiclass metric {name!r}{hint} (known: {names})"


def _parse(text: str) -> tuple[str, dict[str, Any]]:
    if len(text) > _MAX_TEXT:
        msg = f"metric text must be at most {_MAX_TEXT} characters (got {len(text)})"
        raise InvalidParameterError(msg)
    stripped = text.strip()
    head, paren, rest = stripped.partition("(")
    name = head.strip().lower()
    if not name or (paren and not rest.endswith(")")):
        msg = f"metric must look like 'name' or 'name(key=value, ...)' (got {text!r})"
        raise InvalidParameterError(msg)
    if not paren or not rest[:-1].strip():
        return name, {}
    try:
        call = ast.parse(f"f({rest[:-1]})", mode="eval").body
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        shown = text if len(text) <= 60 else text[:57] + "..."
        msg = f"metric parameters must look like 'key=value, ...' (got {shown!r})"
        raise InvalidParameterError(msg) from None
    assert isinstance(call, ast.Call)
    if call.args or any(kw.arg is None for kw in call.keywords):
        msg = f"multiclass metric parameters must be named, e.g. 'cost(matrix=...)' (got {text!r})"
        raise InvalidParameterError(msg)
    return name, {
        kw.arg: literal_param(kw.value, text, lists=True) for kw in call.keywords if kw.arg
    }


def get_multiclass_metric(metric: MulticlassMetricLike, **params: Any) -> BoundMulticlassMetric:
    """Look up a multiclass metric by name or text and fix its parameters.

    Parameters
    ----------
    metric : str, MulticlassMetric, BoundMulticlassMetric or callable
        ``"macro_f1"``, ``"cost(matrix=[[0, 1], [5, 0]])"``, a record, or any function
        ``f(C)`` of confusion matrices (used as is, maximized).
    **params
        Parameter values; they override those in the text.

    Examples
    --------
    >>> from cutpoints.multiclass import get_multiclass_metric
    >>> m = get_multiclass_metric("cost", matrix=[[0, 1], [5, 0]])
    >>> m.name, m.greater_is_better
    ('cost(matrix=[[0, 1], [5, 0]])', False)
    """
    if isinstance(metric, BoundMulticlassMetric):
        return metric if not params else metric.metric.bind(**{**metric.params, **params})
    if isinstance(metric, MulticlassMetric):
        return metric.bind(**params)
    if isinstance(metric, str):
        name, parsed = _parse(metric)
        owner = _owner(name)
        if owner is None:
            raise UnknownMetricError(_unknown(name))
        return _REGISTRY[owner].bind(**{**parsed, **params})
    if callable(metric):
        label = getattr(metric, "__name__", "custom_metric")
        record = MulticlassMetric(
            name=label, func=metric, greater_is_better=True, params=_keyword_params(metric)
        )
        return record.bind(**params)
    msg = f"'metric' must be a name, a MulticlassMetric or a callable (got {metric!r})"
    raise InvalidParameterError(msg)


# ---------------------------------------------------------------------------------------
# Built-ins. C[..., i, j]: weight of rows of true class i predicted j. Notation: n_i the
# rows of class i (row sums), m_j the rows predicted j (column sums), n the total.
# ---------------------------------------------------------------------------------------


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(np.divide(num, den), dtype=np.float64)
    zero = np.broadcast_to(np.asarray(den == 0), out.shape)
    if zero.any():
        out[zero] = np.nan
    return out


def _diag(c: FloatArray) -> FloatArray:
    return np.diagonal(c, axis1=-2, axis2=-1)


def _total(c: FloatArray) -> FloatArray:
    return np.asarray(c.sum(axis=(-2, -1)))


def _margins(c: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    return _diag(c), np.asarray(c.sum(axis=-1)), np.asarray(c.sum(axis=-2))


def _via_margins(margins: Callable[..., FloatArray]) -> Callable[..., FloatArray]:
    def func(c: FloatArray, /, **p: Any) -> FloatArray:
        return margins(*_margins(c), **p)

    func.__name__ = margins.__name__
    func.margins = margins  # type: ignore[attr-defined]
    return func


# Margin forms: d = diagonal, t = true class sizes (row sums), p = predictions (columns).
def _m_accuracy(d: FloatArray, t: FloatArray, p: FloatArray) -> FloatArray:
    return _ratio(d.sum(axis=-1), t.sum(axis=-1))


def _m_error_rate(d: FloatArray, t: FloatArray, p: FloatArray) -> FloatArray:
    n = t.sum(axis=-1)
    return _ratio(n - d.sum(axis=-1), n)


def _m_balanced_accuracy(d: FloatArray, t: FloatArray, p: FloatArray) -> FloatArray:
    return np.asarray(_ratio(d, t).mean(axis=-1))


def _m_macro_f1(d: FloatArray, t: FloatArray, p: FloatArray) -> FloatArray:
    return np.asarray(_ratio(2 * d, t + p).mean(axis=-1))


def _m_weighted_f1(d: FloatArray, t: FloatArray, p: FloatArray) -> FloatArray:
    f1 = np.where(t > 0, _ratio(2 * d, t + p), 0.0)
    return _ratio((f1 * t).sum(axis=-1), t.sum(axis=-1))


def _m_macro_precision(d: FloatArray, t: FloatArray, p: FloatArray) -> FloatArray:
    return np.asarray(_ratio(d, p).mean(axis=-1))


def _m_kappa(d: FloatArray, t: FloatArray, p: FloatArray) -> FloatArray:
    n = t.sum(axis=-1)
    chance = (t * p).sum(axis=-1)
    return _ratio(n * d.sum(axis=-1) - chance, n * n - chance)


def _m_mcc(d: FloatArray, t: FloatArray, p: FloatArray) -> FloatArray:
    n = t.sum(axis=-1)
    cov = d.sum(axis=-1) * n - (t * p).sum(axis=-1)
    den = np.sqrt(n * n - (p * p).sum(axis=-1)) * np.sqrt(n * n - (t * t).sum(axis=-1))
    return _ratio(cov, den)


def _matrix_param(c: FloatArray, matrix: FloatArray, name: str) -> FloatArray:
    k = c.shape[-1]
    if matrix.shape != (k, k):
        msg = (
            f"parameter 'matrix' of metric '{name}' must be {k}×{k} for {k} classes "
            f"(got shape {matrix.shape})"
        )
        raise MetricError(msg)
    return matrix


def _cost(c: FloatArray, /, **p: Any) -> FloatArray:
    total = (c * _matrix_param(c, p["matrix"], "cost")).sum(axis=(-2, -1))
    return _ratio(total, _total(c)) if p["normalize"] else np.asarray(total)


def _utility(c: FloatArray, /, **p: Any) -> FloatArray:
    total = (c * _matrix_param(c, p["matrix"], "utility")).sum(axis=(-2, -1))
    return _ratio(total, _total(c)) if p["normalize"] else np.asarray(total)


def _check_cost(p: Mapping[str, Any]) -> None:
    check_cost_matrix(p["matrix"], "matrix", utility=False)


def _check_utility(p: Mapping[str, Any]) -> None:
    check_cost_matrix(p["matrix"], "matrix", utility=True)


def check_cost_matrix(
    matrix: Any, name: str = "cost_matrix", *, utility: bool = False
) -> FloatArray:
    """A K×K cost (or utility) matrix: square, finite, K >= 2; costs off the diagonal >= 0.

    ``matrix[i, j]`` is the cost (gain) of predicting class j when the truth is class i.
    """
    try:
        array = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"'{name}' must be a K×K matrix of numbers (got {matrix!r:.60})"
        raise InvalidParameterError(msg) from None
    if array.ndim != 2 or array.shape[0] != array.shape[1] or array.shape[0] < 2:
        msg = f"'{name}' must be a square K×K matrix with K >= 2 (got shape {array.shape})"
        raise InvalidParameterError(msg)
    if not np.isfinite(array).all():
        i, j = np.argwhere(~np.isfinite(array))[0]
        msg = f"'{name}' must be finite (got {float(array[i, j])!r} at [{i}, {j}])"
        raise InvalidParameterError(msg)
    if not utility:
        off = ~np.eye(len(array), dtype=bool) & (array < 0)
        if off.any():
            i, j = np.argwhere(off)[0]
            msg = (
                f"'{name}' must have costs >= 0 off the diagonal (got {float(array[i, j])!r} at "
                f"[{i}, {j}]: predicting class {j} when the truth is {i}); for gains use a "
                "utility matrix"
            )
            raise InvalidParameterError(msg)
    return array


def _builtin(
    name: str,
    func: Callable[..., Any],
    greater_is_better: bool,
    formula: str,
    description: str,
    undefined: str,
    binary: str | None,
    aliases: Iterable[str] = (),
    value_range: tuple[float, float] = (0.0, 1.0),
    params: Mapping[str, Any] | None = None,
    check_params: Callable[[Mapping[str, Any]], None] | None = None,
    cells: Callable[[Mapping[str, Any]], Any] | None = None,
) -> None:
    record = register_multiclass_metric(
        name,
        func,
        greater_is_better=greater_is_better,
        params=params or {},
        aliases=aliases,
        description=description,
        formula=formula,
        undefined=undefined,
        value_range=value_range,
        check_params=check_params,
        binary=binary,
        margins=getattr(func, "margins", None),
    )
    if cells is not None:
        _REGISTRY[record.name] = dataclasses.replace(record, cells=cells)


_builtin(
    "accuracy",
    _via_margins(_m_accuracy),
    True,
    "Σ C_ii / n",
    "share of rows classified correctly (equals micro-averaged F1 for one label a row)",
    "n = 0",
    "accuracy",
    aliases=["acc", "micro_f1"],
)
_builtin(
    "error_rate",
    _via_margins(_m_error_rate),
    False,
    "1 − Σ C_ii / n",
    "share of rows classified wrongly",
    "n = 0",
    "error_rate",
)
_builtin(
    "balanced_accuracy",
    _via_margins(_m_balanced_accuracy),
    True,
    "mean_i C_ii / n_i",
    "mean recall over the classes",
    "a class has no rows",
    "balanced_accuracy",
    aliases=["macro_recall", "bacc"],
)
_builtin(
    "macro_f1",
    _via_margins(_m_macro_f1),
    True,
    "mean_i 2 C_ii / (n_i + m_i)",
    "unweighted mean of the per-class F1 scores",
    "a class has no rows and is never predicted",
    "f1",
    aliases=["f1_macro"],
)
_builtin(
    "weighted_f1",
    _via_margins(_m_weighted_f1),
    True,
    "Σ_i n_i F1_i / n",
    "mean of the per-class F1 scores weighted by class size",
    "n = 0",
    "f1",
    aliases=["f1_weighted"],
)
_builtin(
    "macro_precision",
    _via_margins(_m_macro_precision),
    True,
    "mean_i C_ii / m_i",
    "unweighted mean of the per-class precisions",
    "a class is never predicted",
    "precision",
)
_builtin(
    "cohen_kappa",
    _via_margins(_m_kappa),
    True,
    "(n Σ C_ii − Σ n_i m_i) / (n² − Σ n_i m_i)",
    "Cohen's kappa: agreement beyond chance",
    "the denominator is zero",
    "cohen_kappa",
    aliases=["kappa"],
    value_range=(-1.0, 1.0),
)
_builtin(
    "mcc",
    _via_margins(_m_mcc),
    True,
    "(n Σ C_ii − Σ n_i m_i) / √((n² − Σ m_i²)(n² − Σ n_i²))",
    "Matthews correlation coefficient for K classes (Gorodkin's R_K)",
    "every row is of one class, or every row is predicted one class",
    "mcc",
    aliases=["matthews_corrcoef"],
    value_range=(-1.0, 1.0),
)
_builtin(
    "cost",
    _cost,
    False,
    "Σ_ij C_ij · matrix_ij (÷ n if normalize)",
    "total misclassification cost; matrix[i][j] is the cost of predicting j for class i",
    "n = 0 with normalize",
    None,
    aliases=["misclassification_cost"],
    value_range=(-math.inf, math.inf),
    params={"matrix": REQUIRED, "normalize": False},
    check_params=_check_cost,
    cells=lambda p: p["matrix"],
)
_builtin(
    "utility",
    _utility,
    True,
    "Σ_ij C_ij · matrix_ij (÷ n if normalize)",
    "total gain; matrix[i][j] is the gain of predicting j for class i",
    "n = 0 with normalize",
    None,
    aliases=["gain", "profit"],
    value_range=(-math.inf, math.inf),
    params={"matrix": REQUIRED, "normalize": False},
    check_params=_check_utility,
    cells=lambda p: p["matrix"],
)
