"""Hypothesis strategies shared by the tests: scores with ties, labels, weights, imbalance."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# A small pool of values makes heavy ties likely; it includes negatives, zeros of both
# signs, and magnitudes far apart.
TIE_POOL = [-1e300, -3.5, -1.0, -0.5, -0.0, 0.0, 1e-300, 0.25, 0.5, 0.75, 1.0, 2.0, 7.0, 1e300]


@st.composite
def binary_problems(draw, min_size=1, max_size=40, weighted=None, integer_weights=True):
    """(y_positive: bool array, score: float array, weight: array or None)."""
    n = draw(st.integers(min_size, max_size))
    kind = draw(st.sampled_from(["ties", "floats", "few"]))
    if kind == "ties":
        score = np.array(draw(st.lists(st.sampled_from(TIE_POOL), min_size=n, max_size=n)))
    elif kind == "few":
        score = np.array(draw(st.lists(st.sampled_from([0.1, 0.2, 0.3]), min_size=n, max_size=n)))
    else:
        score = draw(
            hnp.arrays(
                np.float64,
                n,
                elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64),
            )
        )
    y = draw(hnp.arrays(np.bool_, n))
    use_weights = draw(st.booleans()) if weighted is None else weighted
    weight = None
    if use_weights:
        if integer_weights:
            weight = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 5)))
        else:
            # Dyadic rationals: sums are exact in float64, so counts compare exactly.
            weight = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 64))) / 8.0
        if not np.any(weight):
            weight = weight.copy()
            weight[0] = 1
    return y, score, weight


@st.composite
def imbalanced_problems(draw, n=20_000):
    """Extreme imbalance, down to 1 positive in 10,000 (or none)."""
    seed = draw(st.integers(0, 2**32 - 1))
    n_pos = draw(st.sampled_from([0, 1, 2, 3]))
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=bool)
    y[rng.choice(n, size=n_pos, replace=False)] = True
    score = np.round(rng.normal(size=n) + 2 * y, draw(st.sampled_from([1, 2, 6])))
    return y, score, None
