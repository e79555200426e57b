"""Bootstrap per group: each group's threshold resampled on its own rows."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._random import seed_sequence
from .._validation import as_1d, check_consistent_length
from .._values import check_values
from ..errors import InvalidParameterError
from ._data import encode_groups

__all__ = ["bootstrap_groups"]


def bootstrap_groups(
    y_true: Any,
    y_score: Any,
    *,
    groups: Any,
    mode: str = "independent",
    sample_weight: Any = None,
    random_state: Any = None,
    values: Any = None,
    **options: Any,
) -> dict[Any, Any]:
    """``bootstrap(..., groups=g)``: group -> BootstrapResult of that group's threshold.

    Each group's rows are resampled on their own (the bootstrap stratified by group, as
    independent per-group thresholds are chosen), with a child of ``random_state``'s
    seed sequence per group, in sorted order of the labels: reproducible, and adding a
    group leaves the others' seeds as they were only if it sorts last. Per-row
    ``values`` are checked once against all rows (errors name the outcome), then each
    group resamples its own rows' values with them.

    Examples
    --------
    >>> import cutpoints as cp
    >>> y = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0]
    >>> s = [0.1, 0.8, 0.6, 0.3, 0.9, 0.2, 0.4, 0.7, 0.65, 0.35, 0.95, 0.15]
    >>> res = cp.bootstrap(y, s, groups=["a"] * 6 + ["b"] * 6, n_resamples=50,
    ...                    random_state=0)
    >>> sorted(res), type(res["a"]).__name__
    (['a', 'b'], 'BootstrapResult')
    """
    from ..uncertainty import bootstrap

    if mode != "independent":
        msg = (
            "bootstrap with groups resamples independent per-group thresholds; "
            f"'mode' must be 'independent' (got {mode!r})"
        )
        raise InvalidParameterError(msg)
    labels_in = as_1d(y_true, "y_true")
    scores = as_1d(y_score, "y_score")
    check_consistent_length(y_true=labels_in, y_score=scores)
    weight = None if sample_weight is None else as_1d(sample_weight, "sample_weight")
    labels, codes = encode_groups(groups, len(scores))
    if values is not None:
        check_values(values, len(scores))  # errors about all the rows, not one group's
    children = seed_sequence(random_state).spawn(len(labels))
    out: dict[Any, Any] = {}
    for g, (label, child) in enumerate(zip(labels, children, strict=True)):
        rows = np.flatnonzero(codes == g)
        out[label] = bootstrap(
            labels_in[rows],
            scores[rows],
            sample_weight=None if weight is None else weight[rows],
            random_state=child,
            values=None if values is None else _values_of(values, rows),
            **options,
        )
    return out


def _values_of(values: Any, rows: Any) -> dict[str, Any]:
    """One group's share of checked ``values``: numbers as given, columns at ``rows``."""
    return {key: v if np.ndim(v) == 0 else np.asarray(v)[rows] for key, v in values.items()}
