"""The metric catalog: named, vectorised functions of the confusion counts.

A metric is a pure function ``f(tp, fp, tn, fn, **params) -> ndarray`` evaluated on
whole arrays of counts (one element per threshold). Each :class:`Metric` record says
whether larger is better, which parameters it takes (with defaults, or required), and
what it returns where it is undefined: always NaN, never a silent 0, so an undefined
value can never win a selection.

Metrics are named by strings in Python and in the CLI: ``"f1"``, ``"fbeta(beta=2)"``,
``"cost(fp=1, fn=10)"``. Parameter values are numbers (or true/false); the text is
parsed, never evaluated.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import InvalidParameterError, MetricError, UnknownMetricError

__all__ = [
    "REQUIRED",
    "BoundMetric",
    "Metric",
    "MetricLike",
    "get_metric",
    "list_metrics",
    "literal_param",
    "register_metric",
    "summary_metrics",
    "unregister_metric",
]

FloatArray = npt.NDArray[np.float64]
Monotonicity = tuple[int, int] | Callable[[Mapping[str, Any]], "tuple[int, int] | None"] | None


class _Required:
    """Marks a metric parameter that has no default."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Metric:
    """A named metric of the confusion counts.

    Attributes
    ----------
    name : str
        The canonical name, e.g. ``"fbeta"``.
    func : callable
        ``func(tp, fp, tn, fn, **params)`` on float64 arrays of equal shape; returns an
        array of that shape.
    greater_is_better : bool
        The direction selection optimizes in unless told otherwise.
    params : mapping of str to float
        Parameter names with their defaults; ``REQUIRED`` marks one without a default.
    aliases : tuple of str
        Other names. An alias may fix parameters (``"f1"`` is ``fbeta(beta=1)``).
    description, formula, undefined : str
        What it measures, how it is computed, and where it is NaN.
    value_range : tuple of float
        The values it can take (for documentation and plots).
    binomial : callable or None
        For ratio metrics with a binomial denominator (precision is tp out of tp + fp):
        ``binomial(tp, fp, tn, fn) -> (successes, trials)``. Used for exact intervals.
    check_params : callable or None
        Raises for invalid parameter values.
    columns : tuple of str
        Extra per-threshold columns the metric reads besides the counts, passed to
        ``func`` as keyword arguments of the same name (``"value"``: the total value
        of per-row values, on a curve built with ``values=``). Sources without them
        make evaluation fail with a clear error.
    monotone : (int, int), callable or None
        How the metric moves with tp and with fp when the class totals are fixed
        (``tn = N - fp``, ``fn = P - tp``): ``+1`` never decreases, ``-1`` never
        increases, ``0`` does not change; e.g. ``(1, -1)`` for precision. A callable
        takes the bound parameters and returns such a pair, or None where the
        parameters break monotonicity. None means unknown. Selection uses it to skip
        blocks of thresholds that cannot hold the optimum (bootstrap resamples, binned
        engines); a wrong declaration gives wrong answers, so declare only what holds.
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
    binomial: Callable[..., tuple[Any, Any]] | None = None
    check_params: Callable[[Mapping[str, Any]], None] | None = None
    monotone: Monotonicity = None
    columns: tuple[str, ...] = ()

    def bind(self, **params: Any) -> BoundMetric:
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
        for key, value in values.items():
            if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(
                value, str
            ):
                msg = f"parameter '{key}' of metric '{self.name}' must be a number (got {value!r})"
                raise InvalidParameterError(msg)
            try:
                finite = math.isfinite(float(value))
            except OverflowError:  # an int too large for a float64
                finite = False
            if not finite:
                shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
                msg = f"parameter '{key}' of metric '{self.name}' must be finite (got {shown})"
                raise InvalidParameterError(msg)
        if self.check_params is not None:
            self.check_params(values)
        return BoundMetric(self, values)


@dataclass(frozen=True)
class BoundMetric:
    """A metric with its parameters fixed: what ``"fbeta(beta=2)"`` names.

    Calling it on count arrays returns the metric's values; ``str()`` gives the text
    that names it again (``get_metric(str(m))`` is ``m``).
    """

    metric: Metric
    params: Mapping[str, Any]
    label: str = ""

    @property
    def name(self) -> str:
        """The text that names this metric, e.g. ``"f1"`` or ``"cost(fp=1, fn=10)"``."""
        if self.label:
            return self.label
        defaults = self.metric.params
        shown = {
            k: v
            for k, v in self.params.items()
            if defaults.get(k, REQUIRED) is REQUIRED or defaults[k] != v
        }
        if not shown:
            return self.metric.name
        inner = ", ".join(f"{k}={_format_value(v)}" for k, v in shown.items())
        return f"{self.metric.name}({inner})"

    @property
    def greater_is_better(self) -> bool:
        """Whether larger values are better."""
        return self.metric.greater_is_better

    @property
    def monotonicity(self) -> tuple[int, int] | None:
        """The declared signs of the metric in (tp, fp) at fixed class totals, or None.

        See :attr:`Metric.monotone`.
        """
        declared = self.metric.monotone
        if callable(declared):
            declared = declared(self.params)
        if declared is None:
            return None
        signs = (int(declared[0]), int(declared[1]))
        if any(v not in (-1, 0, 1) for v in signs):
            msg = f"metric '{self.name}' declares monotone={declared!r}; use -1, 0 or +1"
            raise MetricError(msg)
        return signs

    @property
    def columns(self) -> tuple[str, ...]:
        """The extra columns the metric reads besides the counts (see :attr:`Metric.columns`)."""
        return self.metric.columns

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"get_metric({self.name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # A registered metric travels by name (its function may be a lambda, which pickle
        # refuses); an unregistered one travels as is.
        if _REGISTRY.get(self.metric.name) is self.metric:
            return (get_metric, (self.name,))
        return (BoundMetric, (self.metric, dict(self.params), self.label))

    def __call__(self, tp: Any, fp: Any, tn: Any, fn: Any, **columns: Any) -> FloatArray:
        """Evaluate on count arrays (and the extra ``columns`` it reads); checks the result."""
        counts = [
            c if isinstance(c, np.ndarray) and c.dtype == np.float64 else np.asarray(c, np.float64)
            for c in (tp, fp, tn, fn)
        ]
        missing = [name for name in self.metric.columns if name not in columns]
        if missing:
            hint = " (pass values= with the value of each outcome)" if "value" in missing else ""
            msg = f"metric '{self.name}' reads the '{missing[0]}' column besides the counts{hint}"
            raise MetricError(msg)
        extra = {name: np.asarray(columns[name], np.float64) for name in self.metric.columns}
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = self.metric.func(*counts, **self.params, **extra)
        try:
            values = np.asarray(out, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            msg = f"metric '{self.name}' must return numbers (got {type(out).__name__}: {exc})"
            raise MetricError(msg) from exc
        if values.shape != counts[0].shape:
            if values.ndim == 0:
                return np.full(counts[0].shape, float(values))
            msg = (
                f"metric '{self.name}' must return one value per threshold "
                f"(got shape {values.shape}, expected {counts[0].shape})"
            )
            raise MetricError(msg)
        if np.isinf(values).any():
            msg = (
                f"metric '{self.name}' returned infinite values; return NaN where it is "
                "undefined so that such thresholds never win"
            )
            raise MetricError(msg)
        return values


MetricLike = str | Metric | BoundMetric | Callable[..., Any]


_REGISTRY: dict[str, Metric] = {}
_ALIASES: dict[str, tuple[str, dict[str, Any]]] = {}


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return repr(value) if not isinstance(value, np.generic) else repr(value.item())


def _split_alias(alias: str | tuple[str, Mapping[str, Any]]) -> tuple[str, dict[str, Any]]:
    if isinstance(alias, str):
        return alias.lower(), {}
    return alias[0].lower(), dict(alias[1])


def register_metric(
    name: str,
    func: Callable[..., Any] | None = None,
    *,
    greater_is_better: bool = True,
    params: Mapping[str, Any] | None = None,
    aliases: Iterable[str | tuple[str, Mapping[str, Any]]] = (),
    description: str = "",
    formula: str = "",
    undefined: str = "",
    value_range: tuple[float, float] = (-math.inf, math.inf),
    binomial: Callable[..., tuple[Any, Any]] | None = None,
    check_params: Callable[[Mapping[str, Any]], None] | None = None,
    monotone: Monotonicity = None,
    columns: Iterable[str] = (),
    overwrite: bool = False,
) -> Any:
    """Add a metric to the catalog, so it can be named in any call or on the command line.

    Parameters
    ----------
    name : str
        The name users will type. Letters, digits, ``_`` and ``.``; case-insensitive.
    func : callable, optional
        ``func(tp, fp, tn, fn, **params)`` on float64 arrays, returning an array of the
        same shape, with NaN where the metric is undefined. If omitted,
        ``register_metric`` returns a decorator.
    greater_is_better : bool, default=True
        The direction to optimize in.
    params : mapping, optional
        Parameter defaults; ``cutpoints.REQUIRED`` for one without a default. By default
        they are read from ``func``'s keyword-only parameters.
    aliases : iterable
        Other names, or ``(alias, {param: value})`` pairs that fix parameters.
    description, formula, undefined : str
        Shown by ``cutpoints metrics`` and in the docs.
    value_range : (float, float)
        The values it can take.
    binomial : callable, optional
        For ratio metrics: ``binomial(tp, fp, tn, fn) -> (successes, trials)``.
    check_params : callable, optional
        Raises for invalid parameter values.
    monotone : (int, int) or callable, optional
        The signs of the metric in tp and fp at fixed class totals, e.g. ``(1, -1)``
        for a metric that never falls as more positives are flagged and never rises as
        more negatives are; lets selection skip thresholds that cannot win. A callable
        gets the bound parameters. Leave it None unless it holds for every count.
    columns : iterable of str, optional
        Extra columns ``func`` reads as keyword arguments besides the counts, e.g.
        ``("value",)`` for the total of per-row values (a curve built with
        ``values=`` has it). Such a metric is evaluated only where the column exists.
    overwrite : bool, default=False
        Replace a metric of the same name instead of raising.

    Returns
    -------
    Metric
        The registered record (or a decorator when ``func`` is omitted).

    Examples
    --------
    >>> import numpy as np
    >>> import cutpoints as cp
    >>> def flagged_positives_share(tp, fp, tn, fn, *, floor=0.0):
    ...     return np.maximum(tp / (tp + fn), floor)
    >>> _ = cp.register_metric("my_recall", flagged_positives_share)
    >>> cp.find_cutpoint([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], metric="my_recall(floor=0.2)").score
    1.0
    >>> cp.unregister_metric("my_recall")
    """
    if func is None:

        def decorator(f: Callable[..., Any]) -> Callable[..., Any]:
            register_metric(
                name,
                f,
                greater_is_better=greater_is_better,
                params=params,
                aliases=aliases,
                description=description,
                formula=formula,
                undefined=undefined,
                value_range=value_range,
                binomial=binomial,
                check_params=check_params,
                monotone=monotone,
                columns=columns,
                overwrite=overwrite,
            )
            return f

        return decorator
    if not callable(func):
        msg = f"'func' must be callable (got {func!r})"
        raise InvalidParameterError(msg)
    key = name.lower()
    if not _NAME.fullmatch(key):
        msg = f"'name' must be letters, digits, '_' or '.' and start with a letter (got {name!r})"
        raise InvalidParameterError(msg)
    extra_columns = tuple(str(c) for c in columns)
    if params is None:
        params = {k: v for k, v in _keyword_params(func).items() if k not in extra_columns}
    alias_pairs = [_split_alias(a) for a in aliases]
    taken = [k for k in [key, *(a for a, _ in alias_pairs)] if _owner(k) not in (None, key)]
    if (key in _REGISTRY or taken) and not overwrite:
        clash = key if key in _REGISTRY else taken[0]
        msg = f"metric name {clash!r} is already registered; pass overwrite=True to replace it"
        raise InvalidParameterError(msg)
    if key in _REGISTRY:
        unregister_metric(key)
    record = Metric(
        name=key,
        func=func,
        greater_is_better=bool(greater_is_better),
        params=dict(params),
        aliases=tuple(a for a, _ in alias_pairs),
        description=description or (inspect.getdoc(func) or "").split("\n")[0],
        formula=formula,
        undefined=undefined,
        value_range=value_range,
        binomial=binomial,
        check_params=check_params,
        monotone=monotone,
        columns=extra_columns,
    )
    for alias, fixed in alias_pairs:
        unknown = sorted(set(fixed) - set(record.params))
        if unknown:  # fail now, not at first use
            msg = f"alias {alias!r} fixes {unknown[0]!r}, which metric '{key}' does not take"
            raise InvalidParameterError(msg)
        _ALIASES[alias] = (key, fixed)
    _REGISTRY[key] = record
    return record


def unregister_metric(name: str) -> None:
    """Remove a metric and its aliases from the catalog."""
    key = name.lower()
    if key not in _REGISTRY:
        raise UnknownMetricError(_unknown_message(key))
    del _REGISTRY[key]
    for alias in [a for a, (owner, _) in _ALIASES.items() if owner == key]:
        del _ALIASES[alias]


def _owner(name: str) -> str | None:
    if name in _REGISTRY:
        return name
    if name in _ALIASES:
        return _ALIASES[name][0]
    return None


def _keyword_params(func: Callable[..., Any]) -> dict[str, Any]:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # builtins without a signature
        return {}
    return {
        p.name: (REQUIRED if p.default is inspect.Parameter.empty else p.default)
        for p in signature.parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def list_metrics() -> list[Metric]:
    """Every registered metric, sorted by name.

    Examples
    --------
    >>> import cutpoints as cp
    >>> [m.name for m in cp.list_metrics()][:4]
    ['abs_sens_spec_diff', 'accuracy', 'balanced_accuracy', 'cohen_kappa']
    """
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


_NAME = re.compile(r"[a-z_][a-z0-9_.]*")
_SPEC = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\((.*)\))?\s*$", re.DOTALL)


def _unknown_message(name: str) -> str:
    known = sorted([*_REGISTRY, *_ALIASES])
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return (
        f"unknown metric {name!r}{hint} (all {len(_REGISTRY)} are listed by "
        "'cutpoints metrics' on the command line, or cutpoints.list_metrics())"
    )


def literal_param(node: ast.expr, text: str, *, lists: bool = False) -> Any:
    """A metric parameter from parsed text: a number or true/false, never evaluated.

    With ``lists=True`` (multiclass cost matrices) also a nested list of them.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool)):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float))
        and not isinstance(node.operand.value, bool)
    ):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Name) and node.id.lower() in ("true", "false"):
        return node.id.lower() == "true"
    if lists and isinstance(node, (ast.List, ast.Tuple)):
        return [literal_param(e, text, lists=True) for e in node.elts]
    if lists:
        shown = text if len(text) <= 60 else text[:57] + "..."
        msg = f"metric parameters must be numbers or lists of numbers (got {shown!r})"
    else:
        msg = f"metric parameters must be numbers, e.g. 'fbeta(beta=2)' (got {text!r})"
    raise InvalidParameterError(msg)


MAX_METRIC_LENGTH = 1_000


def _parse_spec(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    if len(text) > MAX_METRIC_LENGTH:
        msg = (
            f"metric text must be at most {MAX_METRIC_LENGTH} characters "
            f"(got {len(text)}: {text[:40]!r}...)"
        )
        raise InvalidParameterError(msg)
    match = _SPEC.match(text)
    if not match:
        msg = f"metric must look like 'name' or 'name(key=value, ...)' (got {text!r})"
        raise InvalidParameterError(msg)
    name, inner = match.group(1).lower(), match.group(2)
    if inner is None or not inner.strip():
        return name, [], {}
    try:
        call = ast.parse(f"f({inner})", mode="eval").body
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        # ValueError: an integer literal beyond Python's digit limit; Recursion/Memory:
        # thousands of nested signs or brackets. All are malformed parameters.
        shown = text if len(text) <= 60 else text[:57] + "..."
        msg = f"metric parameters must look like 'key=value, ...' (got {shown!r})"
        raise InvalidParameterError(msg) from None
    assert isinstance(call, ast.Call)
    args = [literal_param(a, text) for a in call.args]
    kwargs: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:
            msg = f"metric parameters must be named numbers (got {text!r})"
            raise InvalidParameterError(msg)
        kwargs[kw.arg] = literal_param(kw.value, text)
    return name, args, kwargs


def get_metric(metric: MetricLike, **params: Any) -> BoundMetric:
    """Look up a metric by name or text and fix its parameters.

    Parameters
    ----------
    metric : str, Metric, BoundMetric or callable
        ``"f1"``, ``"fbeta(beta=2)"``, ``"cost(fp=1, fn=10)"``, a record from the
        registry, or any function ``f(tp, fp, tn, fn)`` (used as is, maximized).
    **params
        Parameter values; they override those written in the text.

    Returns
    -------
    BoundMetric

    Raises
    ------
    UnknownMetricError
        The name is not registered; the message suggests the closest names.

    Examples
    --------
    >>> import cutpoints as cp
    >>> m = cp.get_metric("cost(fp=1, fn=10)")
    >>> m.name, m.greater_is_better
    ('cost(fp=1, fn=10)', False)
    >>> cp.get_metric("f2").params
    {'beta': 2}
    """
    if isinstance(metric, BoundMetric):
        return metric if not params else metric.metric.bind(**{**metric.params, **params})
    if isinstance(metric, Metric):
        return metric.bind(**params)
    if isinstance(metric, str):
        name, args, kwargs = _parse_spec(metric)
        fixed: dict[str, Any] = {}
        if name in _REGISTRY:
            record = _REGISTRY[name]
        elif name in _ALIASES:
            owner, fixed = _ALIASES[name]
            record = _REGISTRY[owner]
        else:
            raise UnknownMetricError(_unknown_message(name))
        names = [k for k in record.params if k not in fixed]
        if len(args) > len(names):
            msg = f"metric '{name}' takes at most {len(names)} positional values (got {metric!r})"
            raise InvalidParameterError(msg)
        given = dict(zip(names, args, strict=False))
        clash = set(given) & set(kwargs)
        if clash:
            msg = f"parameter {sorted(clash)[0]!r} given twice in {metric!r}"
            raise InvalidParameterError(msg)
        bound = record.bind(**{**fixed, **given, **kwargs, **params})
        # An alias used as is keeps its short name ("f1", not "fbeta(beta=1)").
        label = name if fixed and not (args or kwargs or params) else ""
        return BoundMetric(record, bound.params, label)
    if callable(metric):
        label = getattr(metric, "__name__", "custom_metric")
        record = Metric(
            name=label,
            func=metric,
            greater_is_better=True,
            params=_keyword_params(metric),
        )
        return record.bind(**params)
    msg = f"'metric' must be a name, a Metric or a callable (got {metric!r})"
    raise InvalidParameterError(msg)


def summary_metrics() -> list[BoundMetric]:
    """The metrics reported at a chosen threshold: every metric that needs no parameter.

    Metrics with named variants (``fbeta`` as ``f1``, ``f2``, ``f0.5``) appear as those
    variants; metrics with required parameters (cost, utility, net benefit) appear only
    when they are the objective or a constraint.
    """
    out: list[BoundMetric] = []
    for record in list_metrics():
        variants = [(a, f) for a, (o, f) in _ALIASES.items() if o == record.name and f]
        if variants:
            out.extend(BoundMetric(record, record.bind(**f).params, a) for a, f in variants)
        elif not record.columns and all(v is not REQUIRED for v in record.params.values()):
            # Metrics that read extra columns (value) appear only where those exist.
            out.append(record.bind())
    return out


# ---------------------------------------------------------------------------------------
# Built-in metrics. Notation: P = tp + fn (positives), N = fp + tn (negatives),
# F = tp + fp (flagged), n = P + N.
# ---------------------------------------------------------------------------------------


def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    """num / den, NaN where den == 0."""
    # A plain (vectorised) divide, then NaN where den == 0: twice as fast as a masked
    # divide (`where=`), which numpy runs without SIMD.
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(np.divide(num, den), dtype=np.float64)
    zero = den == 0
    if zero.any():  # usually only a row or two: fix those alone
        out[zero] = np.nan
    return out


def _tpr(tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray) -> FloatArray:
    return _ratio(tp, tp + fn)


def _tnr(tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray) -> FloatArray:
    return _ratio(tn, tn + fp)


def _ppv(tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray) -> FloatArray:
    return _ratio(tp, tp + fp)


def _npv(tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray) -> FloatArray:
    return _ratio(tn, tn + fn)


def _fbeta(
    tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray, /, **p: Any
) -> FloatArray:
    b2 = float(p["beta"]) ** 2
    weighted_tp = (1 + b2) * tp
    den = b2 * fn
    den += weighted_tp
    den += fp
    return _ratio(weighted_tp, den)


def _check_beta(p: Mapping[str, Any]) -> None:
    if not p["beta"] > 0:
        msg = f"parameter 'beta' of metric 'fbeta' must be > 0 (got {p['beta']!r})"
        raise InvalidParameterError(msg)


def _mcc(tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray) -> FloatArray:
    den = np.sqrt((tp + fp) * (tp + fn)) * np.sqrt((tn + fp) * (tn + fn))
    return _ratio(tp * tn - fp * fn, den)


def _kappa(tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray) -> FloatArray:
    return _ratio(2 * (tp * tn - fn * fp), (tp + fp) * (fp + tn) + (tp + fn) * (fn + tn))


def _cost(
    tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray, /, **p: Any
) -> FloatArray:
    total = p["fp"] * fp + p["fn"] * fn + p["tp"] * tp + p["tn"] * tn
    return _ratio(total, tp + fp + tn + fn) if p["normalize"] else total


def _utility(
    tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray, /, **p: Any
) -> FloatArray:
    total = p["tp"] * tp + p["fp"] * fp + p["tn"] * tn + p["fn"] * fn
    return _ratio(total, tp + fp + tn + fn) if p["normalize"] else total


def _check_utility(p: Mapping[str, Any]) -> None:
    if not any(p[k] for k in ("tp", "fp", "tn", "fn")):
        msg = "metric 'utility' needs at least one non-zero gain, e.g. 'utility(tp=5, fp=-1)'"
        raise InvalidParameterError(msg)


def _net_benefit(
    tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray, /, **p: Any
) -> FloatArray:
    pt = float(p["pt"])
    n = tp + fp + tn + fn
    return _ratio(tp - fp * (pt / (1 - pt)), n)


def _check_pt(p: Mapping[str, Any]) -> None:
    if not 0 < p["pt"] < 1:
        msg = f"parameter 'pt' of metric 'net_benefit' must be in (0, 1) (got {p['pt']!r})"
        raise InvalidParameterError(msg)


def _builtin(
    name: str,
    func: Callable[..., Any],
    greater_is_better: bool,
    formula: str,
    description: str,
    undefined: str = "never",
    aliases: Iterable[str | tuple[str, Mapping[str, Any]]] = (),
    value_range: tuple[float, float] = (0.0, 1.0),
    params: Mapping[str, Any] | None = None,
    binomial: Callable[..., tuple[Any, Any]] | None = None,
    check_params: Callable[[Mapping[str, Any]], None] | None = None,
    monotone: Monotonicity = None,
    columns: tuple[str, ...] = (),
) -> None:
    register_metric(
        name,
        func,
        greater_is_better=greater_is_better,
        params=params or {},
        aliases=aliases,
        description=description,
        formula=formula,
        undefined=undefined,
        value_range=value_range,
        binomial=binomial,
        check_params=check_params,
        monotone=monotone,
        columns=columns,
    )


def _linear_signs(tp: str, fn: str, fp: str, tn: str) -> Callable[[Mapping[str, Any]], Any]:
    """Signs in (tp, fp) of a linear metric a·tp + b·fp + c·tn + d·fn at fixed P, N.

    With fn = P - tp and tn = N - fp the slopes are a - d and b - c.
    """

    def signs(p: Mapping[str, Any]) -> tuple[int, int]:
        return (
            int(np.sign(float(p[tp]) - float(p[fn]))),
            int(np.sign(float(p[fp]) - float(p[tn]))),
        )

    return signs


_INF = math.inf
_COUNT_RANGE = (0.0, _INF)

_builtin(
    "tp",
    lambda tp, fp, tn, fn: tp,
    True,
    "tp",
    "true positives: positives flagged",
    value_range=_COUNT_RANGE,
    aliases=["true_positives"],
    monotone=(1, 0),
)
_builtin(
    "fp",
    lambda tp, fp, tn, fn: fp,
    False,
    "fp",
    "false positives: negatives flagged",
    value_range=_COUNT_RANGE,
    aliases=["false_positives"],
    monotone=(0, 1),
)
_builtin(
    "tn",
    lambda tp, fp, tn, fn: tn,
    True,
    "tn",
    "true negatives: negatives not flagged",
    value_range=_COUNT_RANGE,
    aliases=["true_negatives"],
    monotone=(0, -1),
)
_builtin(
    "fn",
    lambda tp, fp, tn, fn: fn,
    False,
    "fn",
    "false negatives: positives missed",
    value_range=_COUNT_RANGE,
    aliases=["false_negatives"],
    monotone=(-1, 0),
)
_builtin(
    "flagged",
    lambda tp, fp, tn, fn: tp + fp,
    False,
    "tp + fp",
    "number flagged positive (the review queue); weighted when weights are given",
    value_range=_COUNT_RANGE,
    aliases=["predicted_positives", "queue", "capacity"],
    monotone=(1, 1),
)
_builtin(
    "flag_rate",
    lambda tp, fp, tn, fn: _ratio(tp + fp, tp + fp + tn + fn),
    False,
    "(tp + fp) / n",
    "share of all rows flagged (queue rate)",
    aliases=["queue_rate", "positive_rate", "alert_rate"],
    monotone=(1, 1),
)
_builtin(
    "precision",
    _ppv,
    True,
    "tp / (tp + fp)",
    "share of flagged rows that are positive",
    "nothing flagged",
    aliases=["ppv", "positive_predictive_value"],
    binomial=lambda tp, fp, tn, fn: (tp, tp + fp),
    monotone=(1, -1),
)
_builtin(
    "recall",
    _tpr,
    True,
    "tp / (tp + fn)",
    "share of positives flagged",
    "no positives",
    aliases=["tpr", "sensitivity", "hit_rate", "true_positive_rate"],
    binomial=lambda tp, fp, tn, fn: (tp, tp + fn),
    monotone=(1, 0),
)
_builtin(
    "specificity",
    _tnr,
    True,
    "tn / (tn + fp)",
    "share of negatives not flagged",
    "no negatives",
    aliases=["tnr", "selectivity", "true_negative_rate"],
    binomial=lambda tp, fp, tn, fn: (tn, tn + fp),
    monotone=(0, -1),
)
_builtin(
    "fpr",
    lambda tp, fp, tn, fn: _ratio(fp, fp + tn),
    False,
    "fp / (fp + tn)",
    "share of negatives flagged (false alarm rate)",
    "no negatives",
    aliases=["fall_out", "false_positive_rate"],
    binomial=lambda tp, fp, tn, fn: (fp, fp + tn),
    monotone=(0, 1),
)
_builtin(
    "fnr",
    lambda tp, fp, tn, fn: _ratio(fn, fn + tp),
    False,
    "fn / (fn + tp)",
    "share of positives missed",
    "no positives",
    aliases=["miss_rate", "false_negative_rate"],
    binomial=lambda tp, fp, tn, fn: (fn, fn + tp),
    monotone=(-1, 0),
)
_builtin(
    "npv",
    _npv,
    True,
    "tn / (tn + fn)",
    "share of unflagged rows that are negative",
    "everything flagged",
    aliases=["negative_predictive_value"],
    binomial=lambda tp, fp, tn, fn: (tn, tn + fn),
    monotone=(1, -1),
)
_builtin(
    "fdr",
    lambda tp, fp, tn, fn: _ratio(fp, fp + tp),
    False,
    "fp / (fp + tp)",
    "share of flagged rows that are negative",
    "nothing flagged",
    aliases=["false_discovery_rate"],
    binomial=lambda tp, fp, tn, fn: (fp, fp + tp),
    monotone=(-1, 1),
)
_builtin(
    "for",
    lambda tp, fp, tn, fn: _ratio(fn, fn + tn),
    False,
    "fn / (fn + tn)",
    "false omission rate: share of unflagged rows that are positive",
    "everything flagged",
    aliases=["false_omission_rate"],
    binomial=lambda tp, fp, tn, fn: (fn, fn + tn),
    monotone=(-1, 1),
)
_builtin(
    "accuracy",
    lambda tp, fp, tn, fn: _ratio(tp + tn, tp + fp + tn + fn),
    True,
    "(tp + tn) / n",
    "share of rows classified correctly",
    aliases=["acc"],
    binomial=lambda tp, fp, tn, fn: (tp + tn, tp + fp + tn + fn),
    monotone=(1, -1),
)
_builtin(
    "error_rate",
    lambda tp, fp, tn, fn: _ratio(fp + fn, tp + fp + tn + fn),
    False,
    "(fp + fn) / n",
    "share of rows classified wrongly",
    aliases=["misclassification_rate"],
    binomial=lambda tp, fp, tn, fn: (fp + fn, tp + fp + tn + fn),
    monotone=(-1, 1),
)
_builtin(
    "balanced_accuracy",
    lambda tp, fp, tn, fn: (_tpr(tp, fp, tn, fn) + _tnr(tp, fp, tn, fn)) / 2,
    True,
    "(tpr + tnr) / 2",
    "mean of recall and specificity",
    "one class absent",
    monotone=(1, -1),
)
_builtin(
    "fbeta",
    _fbeta,
    True,
    "(1 + β²) tp / ((1 + β²) tp + β² fn + fp)",
    "weighted harmonic mean of precision and recall; β > 1 favours recall",
    "no positives and nothing flagged",
    params={"beta": 1.0},
    aliases=["f", ("f1", {"beta": 1}), ("f2", {"beta": 2}), ("f0.5", {"beta": 0.5})],
    check_params=_check_beta,
    monotone=(1, -1),
)
_builtin(
    "gmean",
    lambda tp, fp, tn, fn: np.sqrt(_tpr(tp, fp, tn, fn) * _tnr(tp, fp, tn, fn)),
    True,
    "√(tpr · tnr)",
    "geometric mean of recall and specificity",
    "one class absent",
    aliases=["g_mean", "geometric_mean"],
    monotone=(1, -1),
)
_builtin(
    "youden",
    lambda tp, fp, tn, fn: _tpr(tp, fp, tn, fn) + _tnr(tp, fp, tn, fn) - 1,
    True,
    "tpr + tnr − 1",
    "Youden's J: distance above the ROC diagonal (also called informedness)",
    "one class absent",
    aliases=["j", "youden_j", "informedness", "bookmaker_informedness"],
    value_range=(-1.0, 1.0),
    monotone=(1, -1),
)
_builtin(
    "markedness",
    lambda tp, fp, tn, fn: _ppv(tp, fp, tn, fn) + _npv(tp, fp, tn, fn) - 1,
    True,
    "ppv + npv − 1",
    "markedness (Δp)",
    "nothing flagged or everything flagged",
    value_range=(-1.0, 1.0),
    monotone=(1, -1),
)
_builtin(
    "mcc",
    _mcc,
    True,
    "(tp·tn − fp·fn) / √((tp+fp)(tp+fn)(tn+fp)(tn+fn))",
    "Matthews correlation coefficient",
    "any margin (flagged, unflagged, P or N) is zero",
    aliases=["matthews_corrcoef", "phi"],
    value_range=(-1.0, 1.0),
)
_builtin(
    "cohen_kappa",
    _kappa,
    True,
    "2(tp·tn − fn·fp) / ((tp+fp)(fp+tn) + (tp+fn)(fn+tn))",
    "Cohen's kappa: agreement beyond chance",
    "the denominator is zero",
    aliases=["kappa"],
    value_range=(-1.0, 1.0),
)
_builtin(
    "lr_plus",
    lambda tp, fp, tn, fn: _ratio(_tpr(tp, fp, tn, fn), _ratio(fp, fp + tn)),
    True,
    "tpr / fpr",
    "positive likelihood ratio",
    "one class absent, or fpr = 0",
    aliases=["positive_likelihood_ratio"],
    value_range=(0.0, _INF),
    monotone=(1, -1),
)
_builtin(
    "lr_minus",
    lambda tp, fp, tn, fn: _ratio(_ratio(fn, fn + tp), _tnr(tp, fp, tn, fn)),
    False,
    "fnr / tnr",
    "negative likelihood ratio",
    "one class absent, or tnr = 0",
    aliases=["negative_likelihood_ratio"],
    value_range=(0.0, _INF),
    monotone=(-1, 1),
)
_builtin(
    "diagnostic_odds_ratio",
    lambda tp, fp, tn, fn: _ratio(tp * tn, fp * fn),
    True,
    "(tp·tn) / (fp·fn)",
    "diagnostic odds ratio",
    "fp = 0 or fn = 0",
    aliases=["dor"],
    value_range=(0.0, _INF),
    monotone=(1, -1),
)
_builtin(
    "jaccard",
    lambda tp, fp, tn, fn: _ratio(tp, tp + fp + fn),
    True,
    "tp / (tp + fp + fn)",
    "Jaccard index (threat score, critical success index)",
    "no positives and nothing flagged",
    aliases=["threat_score", "csi", "critical_success_index"],
    monotone=(1, -1),
)
_builtin(
    "fowlkes_mallows",
    lambda tp, fp, tn, fn: np.sqrt(_ppv(tp, fp, tn, fn) * _tpr(tp, fp, tn, fn)),
    True,
    "√(ppv · tpr)",
    "Fowlkes–Mallows index",
    "nothing flagged or no positives",
    aliases=["fm", "fmi"],
    monotone=(1, -1),
)
_builtin(
    "roc01",
    lambda tp, fp, tn, fn: np.sqrt((1 - _tpr(tp, fp, tn, fn)) ** 2 + _ratio(fp, fp + tn) ** 2),
    False,
    "√((1 − tpr)² + fpr²)",
    "distance to the top-left corner (0, 1) of the ROC plot",
    "one class absent",
    aliases=["roc_01", "distance_to_corner"],
    value_range=(0.0, math.sqrt(2)),
    monotone=(-1, 1),
)
_builtin(
    "abs_sens_spec_diff",
    lambda tp, fp, tn, fn: np.abs(_tpr(tp, fp, tn, fn) - _tnr(tp, fp, tn, fn)),
    False,
    "|tpr − tnr|",
    "gap between sensitivity and specificity (0 where they are equal)",
    "one class absent",
    aliases=["sens_eq_spec"],
)
_builtin(
    "cost",
    _cost,
    False,
    "c_fp·fp + c_fn·fn + c_tp·tp + c_tn·tn (÷ n if normalize)",
    "total misclassification cost, or per row with normalize=true",
    "n = 0 with normalize",
    params={"fp": REQUIRED, "fn": REQUIRED, "tp": 0.0, "tn": 0.0, "normalize": False},
    aliases=["misclassification_cost"],
    value_range=(-_INF, _INF),
    monotone=_linear_signs("tp", "fn", "fp", "tn"),
)
_builtin(
    "utility",
    _utility,
    True,
    "u_tp·tp + u_fp·fp + u_tn·tn + u_fn·fn (÷ n if normalize)",
    "total gain: gains (positive) and losses (negative) per cell",
    "n = 0 with normalize",
    params={"tp": REQUIRED, "fp": REQUIRED, "tn": 0.0, "fn": 0.0, "normalize": False},
    aliases=["gain", "profit"],
    value_range=(-_INF, _INF),
    check_params=_check_utility,
    monotone=_linear_signs("tp", "fn", "fp", "tn"),
)
_builtin(
    "net_benefit",
    _net_benefit,
    True,
    "(tp − fp · pt / (1 − pt)) / n",
    "decision-curve net benefit at threshold probability pt (Vickers & Elkin 2006)",
    "n = 0",
    params={"pt": REQUIRED},
    aliases=["nb"],
    value_range=(-_INF, 1.0),
    check_params=_check_pt,
    monotone=(1, -1),
)


def _value(
    tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray, /, *, value: FloatArray
) -> FloatArray:
    # The curve sums the per-row values along the sweep (cutpoints._values); the metric
    # only reads that column.
    return value


_builtin(
    "value",
    _value,
    True,
    "Σ over rows of w · (value of the row's outcome: tp, fp, fn or tn)",
    "total value (money) of the decisions, from per-row values of each outcome "
    "(a number or one per row, e.g. a transaction amount); needs values=",
    "never (needs values=)",
    value_range=(-_INF, _INF),
    columns=("value",),
)
