"""Inputs: every container users have, and a named error for every bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cutpoints as cp
from cutpoints._validation import check_weights, check_weights_with_range
from cutpoints.errors import (
    CutpointsError,
    InvalidInputError,
    InvalidLabelsError,
    InvalidParameterError,
)

Y = [0, 0, 1, 1, 0, 1, 0, 1]
S = [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3]

CONTAINERS = {
    "list": lambda v: list(v),
    "tuple": lambda v: tuple(v),
    "numpy": lambda v: np.asarray(v),
    "column-vector": lambda v: np.asarray(v).reshape(-1, 1),
    "pandas": lambda v: pd.Series(v),
    "polars": lambda v: pl.Series(v),
    "pyarrow": lambda v: pa.array(v),
    "pyarrow-chunked": lambda v: pa.chunked_array([v[:3], v[3:]]),
}


@pytest.mark.parametrize("container", list(CONTAINERS))
def test_every_container_gives_the_same_answer(container):
    convert = CONTAINERS[container]
    expected = cp.find_cutpoint(Y, S, sample_weight=[1, 2, 1, 2, 1, 2, 1, 2])
    got = cp.find_cutpoint(convert(Y), convert(S), sample_weight=convert([1, 2, 1, 2, 1, 2, 1, 2]))
    assert got == expected


@pytest.mark.parametrize(
    ("labels", "pos_label", "positive", "negative"),
    [
        ([0, 1, 1, 0], None, 1, 0),
        ([-1, 1, 1, -1], None, 1, -1),
        ([False, True, True, False], None, True, False),
        ([0.0, 1.0, 1.0, 0.0], None, 1.0, 0.0),
        (["no", "yes", "yes", "no"], "yes", "yes", "no"),
        (["no", "yes", "yes", "no"], "no", "no", "yes"),
        ([2, 7, 7, 2], 7, 7, 2),
        (pd.Series(["a", "b", "b", "a"], dtype="category"), "b", "b", "a"),
    ],
)
def test_label_conventions(labels, pos_label, positive, negative):
    curve = cp.confusion_curve(labels, [0.1, 0.9, 0.8, 0.2], pos_label=pos_label)
    assert (curve.positive_label, curve.negative_label) == (positive, negative)
    assert curve.n_positive == 2
    cut = cp.find_cutpoint(labels, [0.1, 0.9, 0.8, 0.2], pos_label=pos_label)
    assert cut.predict([0.95, 0.05]).tolist() == [positive, negative]


# ------------------------------------------------------------------ bad inputs
BAD = [
    # (y_true, y_score, kwargs, error, message)
    (Y, [*S[:-1], np.nan], {}, InvalidInputError, r"'y_score' must be finite \(got nan at index 7; 1 NaN values in all\)"),
    (Y, [*S[:-2], np.inf, -np.inf], {}, InvalidInputError, r"'y_score' must be finite \(got inf at index 6; 2 infinite values in all\)"),
    (Y, S[:-1], {}, InvalidInputError, r"inputs must have the same length \('y_true' has 8, 'y_score' has 7\)"),
    (Y, S, {"sample_weight": [1, 2]}, InvalidInputError, r"'sample_weight' must have one weight per row \('sample_weight' has 2, the scores have 8\)"),
    ([], [], {}, InvalidInputError, r"'y_score' must not be empty \(got 0 values\)"),
    (Y, [["a"]] * 8, {}, InvalidInputError, r"'y_score' must be numeric \(got dtype <U1"),
    (Y, ["0.1", "x", *S[2:]], {}, InvalidInputError, r"'y_score' must be numeric"),
    (Y, [True] * 8, {}, InvalidInputError, r"'y_score' must be numeric scores \(got booleans\)"),
    (Y, np.ones((8, 2)), {}, InvalidInputError, r"'y_score' must be 1-D \(got an array of shape \(8, 2\)\)"),
    (Y, "0.1,0.2", {}, InvalidInputError, r"'y_score' must be an array of values, not a string"),
    (Y, None, {}, InvalidInputError, r"'y_score' is required \(got None\)"),
    (Y, [2**60, *range(7)], {}, InvalidInputError, r"'y_score' has integers beyond 2\*\*53"),
    ([0, 1, 2, 1, 0, 1, 0, 1], S, {}, InvalidLabelsError, r"'y_true' must have two classes for a threshold \(got 3 distinct values: 0, 1, 2\)\. For more classes"),
    (["a", "b", "c", "d", "e", "f", "g", "h"], S, {}, InvalidLabelsError, r"got 8 distinct values: 'a', 'b'"),
    (["no", "yes"] * 4, S, {}, InvalidLabelsError, r"'y_true' takes the values \['no', 'yes'\], so cutpoints cannot tell which class is positive; pass pos_label='no' or pos_label='yes'"),
    (["no", "yes"] * 4, S, {"pos_label": "Yes"}, InvalidLabelsError, r"'pos_label' must be one of the values of 'y_true' \['no', 'yes'\] \(got 'Yes'\)"),
    ([0, 1, 0, 1, 0, 1, 0, np.nan], S, {}, InvalidLabelsError, r"'y_true' must not contain NaN or infinity \(got nan at index 7\)"),
    (pd.Series([0, 1, None, 1, 0, 1, 0, 1]), S, {}, InvalidInputError, r"'y_true' must not contain missing values \(got 1 missing\)"),
    (pl.Series([0, 1, None, 1, 0, 1, 0, 1]), S, {}, InvalidInputError, r"'y_true' must not contain missing values \(got 1 nulls\)"),
    (pa.array([0, 1, None, 1, 0, 1, 0, 1]), S, {}, InvalidInputError, r"'y_true' must not contain missing values \(got 1 nulls\)"),
    (pd.DataFrame({"a": Y, "b": Y}), S, {}, InvalidInputError, r"'y_true' must be one column, not a DataFrame"),
    (Y, S, {"sample_weight": [1, 1, 1, -1, 1, 1, 1, 1]}, InvalidInputError, r"'sample_weight' must be non-negative \(got -1 at index 3\)"),
    (Y, S, {"sample_weight": [1.0, 1, 1, 1, np.nan, 1, 1, 1]}, InvalidInputError, r"'sample_weight' must be finite \(got nan at index 4\)"),
    (Y, S, {"sample_weight": [1.0, 1, 1, 1, np.inf, 1, 1, 1]}, InvalidInputError, r"'sample_weight' must be finite \(got inf at index 4\)"),
    (Y, S, {"sample_weight": [0] * 8}, InvalidInputError, r"'sample_weight' must not be all zero \(got 8 zero weights\)"),
    # Totals that cannot be represented: int64 wrapped to a negative n_positive, and float
    # weights overflowed to inf and picked threshold inf with only a RuntimeWarning.
    (Y, S, {"sample_weight": [2**62] * 8}, InvalidInputError, r"'sample_weight' must add up to at most 2\*\*53, where integer counts stop being exact \(got a total of 3\.689e\+19\)"),
    (Y, S, {"sample_weight": np.array([2**63 + 5] + [1] * 7, dtype=np.uint64)}, InvalidInputError, r"'sample_weight' must add up to at most 2\*\*53"),
    (Y, S, {"sample_weight": [1e308] * 8}, InvalidInputError, r"'sample_weight' must add up to at most 1e150 \(got a total of inf\)"),
    (Y, S, {"rule": ">"}, InvalidParameterError, r"'rule' must be one of \['>=', '<='\] \(got '>'\)"),
    ([1, 1, 1], [0.1, 0.2, 0.3], {"metric": "specificity"}, InvalidLabelsError, r"'y_true' holds only one class: every row \(with weight\) is positive"),
    ([0, 0, 0], [0.1, 0.2, 0.3], {"metric": "recall"}, InvalidLabelsError, r"'y_true' holds only one class: every row \(with weight\) is negative"),
]  # fmt: skip


@pytest.mark.parametrize(("y", "s", "kwargs", "error", "message"), BAD)
def test_bad_input_gets_a_named_error(y, s, kwargs, error, message):
    with pytest.raises(error, match=message):
        cp.find_cutpoint(y, s, **kwargs)


@pytest.mark.parametrize(("y", "s", "kwargs", "error", "message"), BAD[:5])
def test_errors_are_cutpoints_errors_and_value_errors(y, s, kwargs, error, message):
    with pytest.raises(CutpointsError):
        cp.find_cutpoint(y, s, **kwargs)
    with pytest.raises(ValueError):
        cp.find_cutpoint(y, s, **kwargs)


def test_inputs_are_not_modified():
    y = np.array(Y)
    s = np.array(S)
    w = np.array([1.0] * 8)
    before = (y.copy(), s.copy(), w.copy())
    cp.find_cutpoint(y, s, sample_weight=w, rule="<=")
    for a, b in zip((y, s, w), before):
        np.testing.assert_array_equal(a, b)


def test_float32_scores_keep_their_exact_values():
    s32 = np.array(S, dtype=np.float32)
    cut = cp.find_cutpoint(Y, s32)
    assert cut.threshold == float(np.float32(0.3))
    assert (s32 >= cut.threshold).sum() == cut.flagged


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-2, 5).map(float),
            st.sampled_from([np.nan, np.inf, -np.inf, -0.0, 1e300, 0.5]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["float64", "float32", "int64", "int32", "uint8", "int8", "uint32"]),
)
def test_check_weights_fast_path_agrees_with_the_rules(values, dtype):
    # The two-pass fast path must accept exactly what the per-rule checks accept.
    raw = np.array(values)
    if dtype[0] in "iu":
        # Integers hold neither NaN, inf nor 1e300 (nor negatives, unsigned).
        if not (np.isfinite(raw) & (np.abs(raw) < 1e9)).all() or (
            dtype[0] == "u" and (raw < 0).any()
        ):
            return
        raw = raw.astype(dtype)
    else:
        with np.errstate(over="ignore"):  # 1e300 as float32 is inf: a case, not an error
            raw = raw.astype(dtype)
    wide = raw.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # inf + -inf: NaN, a case here
        total = float(np.sum(wide))
    limit = 2**53 if dtype[0] in "iu" else 1e150
    valid = bool(np.isfinite(wide).all() and (wide >= 0).all() and 0 < total <= limit)
    if valid:
        got = check_weights(raw, len(raw))
        assert got.dtype == (np.int64 if dtype[0] in "iu" else np.float64)
        np.testing.assert_array_equal(got, wide)
        # as_given: narrow weights come back as they are (the same array), wide ones as
        # without it; the same values either way.
        given_ = check_weights(raw, len(raw), as_given=True)
        if dtype in ("int64", "float64"):
            assert given_.dtype == got.dtype
        else:
            assert given_ is raw
        np.testing.assert_array_equal(given_, wide)
    else:
        with pytest.raises(InvalidInputError, match="'sample_weight' must") as plain:
            check_weights(raw, len(raw))
        with pytest.raises(InvalidInputError) as narrow:
            check_weights(raw, len(raw), as_given=True)
        assert str(narrow.value) == str(plain.value)  # word for word


@pytest.mark.parametrize(
    "dtype", ["int8", "int16", "int32", "uint8", "uint16", "uint32", "float32", "float16"]
)
def test_narrow_weights_as_given_are_checked_and_never_changed(dtype):
    info = np.iinfo(dtype) if dtype[0] in "iu" else np.finfo(dtype)
    raw = np.array([0, 1, 2, info.max, 3], dtype=dtype)
    before = raw.copy()
    given_ = check_weights(raw, len(raw), as_given=True)
    wide = check_weights(raw, len(raw))
    np.testing.assert_array_equal(given_, wide)
    assert wide.dtype == (np.int64 if dtype[0] in "iu" else np.float64)
    # float16 has no compiled kernel: widened as before; the others stay as given.
    assert given_.dtype == (np.float64 if dtype == "float16" else np.dtype(dtype))
    assert not np.shares_memory(wide, raw)
    np.testing.assert_array_equal(raw, before)
    bad = {"i": [-1], "u": [], "f": [-1.0, np.nan, np.inf]}[raw.dtype.kind]
    for value in bad:
        broken = raw.copy()
        broken[3] = value
        with pytest.raises(InvalidInputError) as narrow:
            check_weights(broken, len(broken), as_given=True)
        with pytest.raises(InvalidInputError) as plain:
            check_weights(broken, len(broken))
        assert "at index 3" in str(narrow.value)
        assert str(narrow.value) == str(plain.value)
    with pytest.raises(InvalidInputError, match="must not be all zero"):
        check_weights(np.zeros(4, dtype=dtype), 4, as_given=True)


@pytest.mark.parametrize("compiled", [False, True])
def test_weight_range_comes_with_the_checked_weights(monkeypatch, compiled):
    """check_weights_with_range: the integer weights' (min, max) validation took (by the
    compiled one-pass scan, once numba runs, for big inputs), the same checks and
    messages either way."""
    from cutpoints import _validation
    from cutpoints.engines import _compiled

    if compiled:
        if not _compiled.AVAILABLE:
            pytest.skip("numba is not installed")
        monkeypatch.setattr(_compiled, "_warm", True)
        monkeypatch.setattr(_validation, "_COMPILED_MIN_MAX_ROWS", 4)
        scans = []
        real = _compiled.min_max
        monkeypatch.setattr(_compiled, "min_max", lambda a: scans.append(len(a)) or real(a))
    raw = np.array([3, 0, 7, 2, 5, 1], dtype=np.int32)
    weights, bounds = check_weights_with_range(raw, 6, as_given=True)
    assert weights is raw and bounds == (0, 7)
    assert check_weights_with_range(raw.astype(np.uint16), 6)[1] == (0, 7)
    assert check_weights_with_range(raw * 0.5, 6)[1] is None  # floats: no range
    assert check_weights_with_range(None, 6) == (None, None)
    for bad, message in [
        (-4, "'sample_weight' must be non-negative (got -4 at index 2)"),
        (0, None),
    ]:
        broken = raw.astype(np.int64)
        broken[2] = bad
        if message is None:  # a zero is fine: the range says so
            assert check_weights_with_range(broken, 6)[1] == (0, 5)
            continue
        with pytest.raises(InvalidInputError) as error:
            check_weights_with_range(broken, 6)
        assert str(error.value) == message
    with pytest.raises(InvalidInputError, match="must not be all zero"):
        check_weights_with_range(np.zeros(6, dtype=np.int64), 6)
    if compiled:
        assert scans and set(scans) == {6}  # the compiled scan ran


def test_weight_range_survives_a_broken_numba(monkeypatch):
    """numba installed but failing to load: validation's compiled scan gives way to
    numpy's min and max (as every other compiled caller does), with the same range."""
    from cutpoints import _validation
    from cutpoints.engines import _compiled

    monkeypatch.setattr(_compiled, "AVAILABLE", True)  # worthwhile, numba or not
    monkeypatch.setattr(_compiled, "_warm", True)
    monkeypatch.setattr(_validation, "_COMPILED_MIN_MAX_ROWS", 4)
    calls = []

    def broken(values):
        calls.append(len(values))
        raise ImportError("numba failed to load")

    monkeypatch.setattr(_compiled, "min_max", broken)
    raw = np.array([3, 0, 7, 2, 5, 1], dtype=np.int64)
    weights, bounds = check_weights_with_range(raw, 6)
    assert calls == [6] and bounds == (0, 7)
    np.testing.assert_array_equal(weights, raw)
