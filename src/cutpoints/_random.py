"""One convention for randomness: numpy's ``SeedSequence``.

Every function with a ``random_state`` (the bootstrap, repeated experiments) turns it
into a :class:`numpy.random.SeedSequence` here and gives each unit of work (a resample,
an experiment) its own child from ``.spawn(n)``. Results then depend on the seed and on
the unit's position only, never on batching, ``n_jobs`` or the order work finishes in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InvalidParameterError

__all__ = ["seed_sequence"]


def seed_sequence(random_state: Any) -> np.random.SeedSequence:
    """A ``SeedSequence`` from ``random_state``: None, an int, a SeedSequence or a Generator.

    Examples
    --------
    >>> from cutpoints._random import seed_sequence
    >>> first, second = seed_sequence(7), seed_sequence(7)
    >>> bool(first.spawn(2)[1].generate_state(1)[0] == second.spawn(2)[1].generate_state(1)[0])
    True
    """
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    if isinstance(random_state, np.random.Generator):
        return np.random.SeedSequence(int(random_state.integers(0, 2**63)))
    if random_state is None or (
        isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    ):
        if random_state is not None and int(random_state) < 0:
            msg = f"'random_state' must be a non-negative int (got {random_state!r})"
            raise InvalidParameterError(msg)
        return np.random.SeedSequence(None if random_state is None else int(random_state))
    msg = (
        f"'random_state' must be None, an int, a SeedSequence or a Generator (got {random_state!r})"
    )
    raise InvalidParameterError(msg)
