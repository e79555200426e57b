"""The exact sweep: one sort, cumulative counts at every distinct score.

This is the oracle every faster or distributed path is tested against. It returns, in
descending order of score, each distinct score value and the (weighted) number of
positive and negative rows whose score is >= that value.

Speed comes from sorting *packed keys* rather than calling ``argsort``: each float64
score is mapped to its order-preserving bit pattern, shifted left one bit, and the label
goes in the freed low bit. ``np.sort`` on those uint64 keys is about 2x faster than a
stable ``argsort`` of the scores and needs no gather afterwards. The shift needs the
sign bit to be free, so non-negative and negative scores are keyed separately (the
magnitude of a negative score orders it in reverse), which is exact for every finite
float64. Weighted input must carry its weights along, so it argsorts the same keys.
"""

from __future__ import annotations

import sys

import numpy as np
import numpy.typing as npt

__all__ = ["exact_sweep"]

_LITTLE_ENDIAN = sys.byteorder == "little"
_ONE = np.uint64(1)

Counts = npt.NDArray[np.int64] | npt.NDArray[np.float64]


def _packed_keys(
    magnitude: npt.NDArray[np.float64], is_positive: npt.NDArray[np.bool_]
) -> npt.NDArray[np.uint64]:
    """Order-preserving keys of non-negative floats, with the label in the low bit.

    For x >= 0 the IEEE-754 bit pattern read as an unsigned integer is monotone in x, and
    its top (sign) bit is 0, so shifting left by one loses nothing. ``-0.0`` has only the
    sign bit set, so the shift maps it to the same key as ``+0.0``, as it must.
    """
    keys = magnitude.view(np.uint64) << _ONE
    keys |= is_positive
    return keys


def _low_bits(keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
    """The low bit of each key as uint8, without an n x 8-byte temporary."""
    if _LITTLE_ENDIAN:
        return keys.view(np.uint8)[::8] & np.uint8(1)
    return (keys & _ONE).astype(np.uint8)  # pragma: no cover - big-endian machines


def _runs(
    magnitude: npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: npt.NDArray[np.float64] | npt.NDArray[np.int64] | None,
) -> tuple[npt.NDArray[np.float64], Counts, Counts]:
    """Distinct magnitudes (ascending) with the positive and negative weight of each run."""
    keys = _packed_keys(magnitude, is_positive)
    if weight is None:
        keys.sort()
        sorted_weight = None
    else:
        order = np.argsort(keys)
        keys = keys[order]
        sorted_weight = weight[order]
    label = _low_bits(keys)
    keys >>= _ONE  # now the float bits alone; equal scores are equal keys
    n = keys.size
    ends = np.flatnonzero(keys[1:] != keys[:-1])
    ends = np.append(ends, n - 1)
    values = keys[ends].view(np.float64)
    if sorted_weight is None:
        positives_through_end = np.cumsum(label, dtype=np.int64)[ends]
        positive = np.diff(positives_through_end, prepend=np.int64(0))
        negative = np.diff(ends, prepend=np.int64(-1)) - positive
        return values, positive, negative
    starts = np.concatenate(([0], ends[:-1] + 1))
    is_pos_sorted = label.view(bool)
    zero = sorted_weight.dtype.type(0)
    positive = np.add.reduceat(np.where(is_pos_sorted, sorted_weight, zero), starts)
    negative = np.add.reduceat(np.where(is_pos_sorted, zero, sorted_weight), starts)
    return values, positive, negative


def exact_sweep(
    score: npt.NDArray[np.float64],
    is_positive: npt.NDArray[np.bool_],
    weight: npt.NDArray[np.float64] | npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.float64], Counts, Counts]:
    """Cumulative confusion counts at every distinct score, highest score first.

    Parameters
    ----------
    score : ndarray of float64, shape (n_samples,)
        Finite scores (validated by the caller).
    is_positive : ndarray of bool, shape (n_samples,)
        True for rows of the positive class.
    weight : ndarray of float64 or int64, shape (n_samples,), optional
        Non-negative row weights; None means every row counts once.

    Returns
    -------
    thresholds : ndarray of float64, shape (n_thresholds,)
        The distinct scores in strictly decreasing order.
    tp : ndarray, shape (n_thresholds,)
        Element i is the (weighted) number of positives with ``score >= thresholds[i]``.
        int64 without weights or with integer weights, float64 otherwise.
    fp : ndarray, shape (n_thresholds,)
        Element i is the (weighted) number of negatives with ``score >= thresholds[i]``.
        Accumulated on its own (not as a total minus tp), so it is monotone.

    Examples
    --------
    >>> import numpy as np
    >>> t, tp, fp = exact_sweep(np.array([0.1, 0.4, 0.35, 0.8, 0.4]),
    ...                         np.array([False, False, True, True, True]))
    >>> t
    array([0.8 , 0.4 , 0.35, 0.1 ])
    >>> tp, fp
    (array([1, 2, 3, 3]), array([0, 1, 1, 2]))
    """
    is_positive = np.asarray(is_positive, dtype=bool)
    if score.size and score.min() >= 0:  # the common case: probabilities, counts
        values, positive, negative = _runs(score, is_positive, weight)
        thresholds = values[::-1]
        positive, negative = positive[::-1], negative[::-1]
    else:
        negative_rows = score < 0
        parts = []
        for take in (~negative_rows, negative_rows):
            if not take.any():
                continue
            part_weight = None if weight is None else weight[take]
            if take is negative_rows:
                # Magnitudes ascend as the (negative) scores descend: already in order.
                values, pos, neg = _runs(-score[take], is_positive[take], part_weight)
                parts.append((-values, pos, neg))
            else:
                values, pos, neg = _runs(score[take], is_positive[take], part_weight)
                parts.append((values[::-1], pos[::-1], neg[::-1]))
        thresholds = np.concatenate([p[0] for p in parts])
        positive = np.concatenate([p[1] for p in parts])
        negative = np.concatenate([p[2] for p in parts])
    return thresholds, np.cumsum(positive), np.cumsum(negative)
