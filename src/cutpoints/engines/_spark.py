"""The Spark source: exact thresholds over a ``pyspark.sql.DataFrame``, in Spark SQL only.

Every pass is a DataFrame aggregation that Spark plans and runs itself -- no Python
UDFs, no RDDs, no collect of raw rows -- so it runs where Python on the executors is
slow or not allowed:

pass 0
    ``groupBy(label)``: rows, weight totals, score range, bad values (a handful of rows
    back);
counting passes
    the score's order-preserving key from its bits (rebuilt with exact double
    arithmetic: the same key the in-memory engine computes with numpy), the cell
    ``(key - base) >> shift`` with integer arithmetic that cannot overflow, then
    ``groupBy(cell, is_positive)`` with row counts and weight sums: at most 2 x 65,536
    rows back;
refining pass
    rows in the chosen cells (score ranges, or the cells' key prefixes), grouped by
    ``(score, is_positive)``: one row back per distinct score and class.

The refining pass returns each distinct (score, class) once, its row count (or weight
total) as the weight, which gives the sort engine's sweep the same counts as the rows
themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from ._cluster import PartFacts, check_columns, merge_facts, summarize
from ._histogram import BinLayout, Histogram, Level, finish_histogram
from ._source import BoolArray, Ranges, Rows, SourceSummary

__all__ = ["SparkSource"]

_TWO_52 = float(1 << 52)
_MIN_NORMAL = 2.0**-1022  # the smallest normal double
_MAX_RUNS = 16  # contiguous key runs expressed as range predicates; more use isin


class SparkSource:
    """A Source over columns of a Spark DataFrame (see :mod:`cutpoints.engines._source`).

    Built by :func:`cutpoints.engines._cluster.source_for`; checks the columns at once
    (names and types), the values in pass 0 (:meth:`summary`).
    """

    def __init__(
        self,
        frame: Any,
        *,
        label: str,
        score: str,
        weight: str | None = None,
        pos_label: Any = None,
        rule: str = ">=",
    ) -> None:
        from pyspark.sql import types as T

        columns = list(frame.columns)
        check_columns(columns, label, score, weight)
        fields = {f.name: f.dataType for f in frame.schema.fields}
        score_type = fields[score]
        if isinstance(score_type, T.BooleanType) or not isinstance(score_type, T.NumericType):
            msg = f"'{score}' must be a numeric column (got {score_type.simpleString()})"
            raise InvalidInputError(msg)
        self._integer_scores = isinstance(score_type, T.IntegralType)
        self._integer_weights = False
        if weight is not None:
            weight_type = fields[weight]
            if isinstance(weight_type, T.BooleanType) or not isinstance(weight_type, T.NumericType):
                shown = weight_type.simpleString()
                msg = f"'{weight}' must be a numeric column of weights (got {shown})"
                raise InvalidInputError(msg)
            self._integer_weights = isinstance(weight_type, T.IntegralType)
        label_type = fields[label]
        if isinstance(label_type, T.BooleanType):
            self._label_dtype: Any = bool
        elif isinstance(label_type, T.IntegralType):
            self._label_dtype = np.int64
        elif isinstance(label_type, (T.FloatType, T.DoubleType)):
            self._label_dtype = np.float64
        else:
            self._label_dtype = object
        self.frame = frame
        self.label, self.score, self.weight = label, score, weight
        self.pos_label = pos_label
        self.rule = rule
        self._summary: SourceSummary | None = None

    def __repr__(self) -> str:
        return (
            f"SparkSource(label={self.label!r}, score={self.score!r}, "
            f"weight={self.weight!r}, rule={self.rule!r})"
        )

    # -- column expressions
    def _engine_score(self) -> Any:
        """The score as the engine sees it: double, negated for "<=", -0.0 as +0.0."""
        from pyspark.sql import functions as F

        s = F.col(self.score).cast("double")
        if self.rule == "<=":
            s = -s
        return F.when(s == 0.0, F.lit(0.0)).otherwise(s)  # -0.0 and +0.0 share a key

    def _signed_key(self) -> Any:
        """The order-preserving key minus 2**63, as a signed long (same order).

        For ``x >= 0`` that is the float's bits; for ``x < 0``, ``-1 - bits(|x|)``. The
        bits of ``|x|`` come from exact double arithmetic, no reflection (measured 2x
        faster than ``java_method('java.lang.Double', 'doubleToRawLongBits', x)``):
        a normal ``a`` in ``[2**e, 2**(e + 1))`` has bits ``(e + 1023) << 52 | m`` with
        ``m = (a / 2**e - 1) * 2**52`` -- a division by a power of two, a subtraction
        exact by Sterbenz's lemma, a scaling, all exact; ``e`` is ``floor(log2(a))``
        corrected by one step against ``pow(2, e)``, which Java computes exactly. A
        subnormal's bits are ``a * 2**1074`` (in two exact scalings).
        """
        from pyspark.sql import functions as F

        x = self._engine_score()
        a = F.abs(x)
        two = F.lit(2.0)
        e0 = F.floor(F.log2(a))  # off by at most one near powers of two: corrected below
        e = F.when(F.pow(two, e0) > a, e0 - 1).when(F.pow(two, e0 + 1) <= a, e0 + 1).otherwise(e0)
        mantissa = ((a / F.pow(two, e) - 1.0) * F.lit(_TWO_52)).cast("long")
        normal = (e + 1023).cast("long") * F.lit(1 << 52) + mantissa
        subnormal = (a * F.lit(2.0**1000) * F.lit(2.0**74)).cast("long")
        bits = (
            F.when(a == 0.0, F.lit(0).cast("long"))
            .when(a < F.lit(_MIN_NORMAL), subnormal)
            .otherwise(normal)
        )
        # Negative floats: every bit but the sign flipped (reverses their order).
        return F.when(x < 0.0, F.lit(-1).cast("long") - bits).otherwise(bits)

    def _cell(self, key: Any, layout: BinLayout, shift: int) -> Any:
        """``(key - base) >> shift`` without overflowing a long (Spark's ANSI mode raises)."""
        from pyspark.sql import functions as F

        base = layout.base - (1 << 63)  # in the signed key's terms
        if layout.top - layout.base < 1 << 63:
            return F.shiftright(key - F.lit(base), shift)  # the difference fits a long
        # The range spans 2**63 keys or more, so shift >= 48. Halve both keys first:
        # key - base = 2 d + r with r in {0, 1}, and (2 d + r) >> shift = d >> (shift - 1).
        half, low_bit = base >> 1, base & 1
        d = (F.shiftright(key, 1) - F.lit(half)) + F.shiftright(
            (key.bitwiseAND(F.lit(1))) - F.lit(low_bit), 1
        )
        return F.shiftright(d, shift - 1)

    def _is_positive(self) -> Any:
        from pyspark.sql import functions as F

        positive = self.summary().positive_label
        return (F.col(self.label) == F.lit(positive)).alias("pos")

    def _weight_sum(self) -> Any:
        from pyspark.sql import functions as F

        if self.weight is None:
            return F.count(F.lit(1)).alias("w")
        cast = "long" if self._integer_weights else "double"
        return F.sum(F.col(self.weight).cast(cast)).alias("w")

    # -- the Source protocol
    def summary(self) -> SourceSummary:
        """Pass 0 (cached): one ``groupBy(label)`` with counts, sums, range and checks."""
        if self._summary is not None:
            return self._summary
        from pyspark.sql import functions as F

        s = self._engine_score()
        raw = F.col(self.score).cast("double")
        aggs = [
            F.count(F.lit(1)).alias("n"),
            F.min(F.when(~F.isnan(raw), s)).alias("low"),
            F.max(F.when(~F.isnan(raw), s)).alias("high"),
            F.sum(F.when(F.isnan(raw), 1).otherwise(0)).alias("n_nan"),
            F.sum(F.when(F.abs(raw) == float("inf"), 1).otherwise(0)).alias("n_inf"),
            F.sum(F.when(raw.isNull(), 1).otherwise(0)).alias("n_missing"),
        ]
        if self.weight is not None:
            w = F.col(self.weight).cast("double")
            bad = w.isNull() | F.isnan(w) | (F.abs(w) == float("inf"))
            cast = "long" if self._integer_weights else "double"
            aggs += [
                F.sum(F.when(bad, 1).otherwise(0)).alias("n_bad"),
                F.sum(F.when(w < 0, 1).otherwise(0)).alias("n_negative"),
                F.sum(F.when(w == 0, 1).otherwise(0)).alias("n_zero"),
                F.sum(F.when(~bad, w)).alias("total"),
                F.sum(F.when(~bad, F.col(self.weight).cast(cast))).alias("exact_total"),
            ]
        groups = self.frame.groupBy(F.col(self.label).alias("label")).agg(*aggs)
        found = groups.limit(_LABELS_BACK).collect()
        facts = PartFacts()
        for row in found:
            part = PartFacts(
                n_rows=int(row["n"]),
                low=np.inf if row["low"] is None else float(row["low"]),
                high=-np.inf if row["high"] is None else float(row["high"]),
                n_nan=int(row["n_nan"] or 0),
                n_inf=int(row["n_inf"] or 0),
                n_missing=int(row["n_missing"] or 0),
            )
            # With inf among the scores, min/max are inf: reported through n_inf.
            if not np.isfinite(part.low) or not np.isfinite(part.high):
                part.low, part.high = np.inf, -np.inf
            value = row["label"]
            if self.weight is None:
                part.labels = {value: (part.n_rows, part.n_rows)}
            else:
                exact = row["exact_total"] or 0
                part.labels = {value: (part.n_rows, exact)}
                part.n_bad_weight = int(row["n_bad"] or 0)
                part.n_negative_weight = int(row["n_negative"] or 0)
                part.n_zero_weight = int(row["n_zero"] or 0)
                part.weight_total = float(row["total"] or 0.0)
            part.label_sample = [value]
            facts = merge_facts(facts, part)
        self._summary = summarize(
            facts,
            label=self.label,
            score=self.score,
            weight=self.weight,
            pos_label=self.pos_label,
            label_dtype=self._label_dtype,
            integer_weights=self._integer_weights,
            integer_scores=self._integer_scores,
        )
        return self._summary

    def histogram(self, layout: BinLayout, levels: Sequence[Level]) -> Histogram:
        """A counting pass: ``groupBy(cell, is_positive)`` over the rows of the last level."""
        from pyspark.sql import functions as F

        summary = self.summary()
        key = self._signed_key()
        level = levels[-1]
        frame = self.frame
        if len(levels) > 1:
            # Rows of the split parents only: their key prefix at the parent level.
            assert level.parent_rank is not None
            parent = levels[-2]
            prefixes = parent.grid[level.parent_rank >= 0]
            frame = frame.where(_member(self._cell(key, layout, parent.shift), prefixes))
        cell = self._cell(key, layout, level.shift).alias("g")
        table = frame.groupBy(cell, self._is_positive()).agg(
            F.count(F.lit(1)).alias("n"), self._weight_sum()
        )
        found = table.collect()  # at most 2 cells' worth of rows per cell of this level
        g = np.array([r["g"] for r in found], dtype=np.int64).astype(np.uint64)
        pos = np.array([bool(r["pos"]) for r in found], dtype=bool)
        n = np.array([r["n"] for r in found], dtype=np.int64)
        cells = np.searchsorted(level.grid, g)
        if len(g) and not (
            (cells < level.n_cells).all()
            and (level.grid[np.minimum(cells, level.n_cells - 1)] == g).all()
        ):
            msg = (
                f"'{self.score}' changed between two passes over the DataFrame (a counting "
                "pass found scores outside the cells it asked about): cache or persist a "
                "DataFrame whose rows are not deterministic (rand() without a seed, a table "
                "being written) before scanning it"
            )
            raise InvalidInputError(msg)
        slots = 2 * cells.astype(np.int64) + pos
        float_weights = summary.weighted and not summary.integer_weights
        by_class = np.zeros(2 * level.n_cells, dtype=np.float64 if float_weights else np.int64)
        values = np.array([r["w"] or 0 for r in found], dtype=by_class.dtype)
        np.add.at(by_class, slots, values)
        rows = None
        if summary.zero_weights:
            rows = np.zeros(level.n_cells, dtype=np.int64)
            np.add.at(rows, cells.astype(np.int64), n)
        return finish_histogram(
            by_class,
            rows,
            weighted=summary.weighted,
            integer_weights=summary.integer_weights,
            n_rows=summary.n_rows,
        )

    def rows_in(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> Rows:
        """The refining pass: one row per distinct (score, class) in the chosen cells,
        weighted by its row count (or weight total)."""
        from pyspark.sql import functions as F

        summary = self.summary()
        s = self._engine_score()
        if ranges is not None:
            lows, highs = ranges
            inside = None
            for low, high in zip(lows, highs, strict=True):
                term = (s >= float(low)) & (s < float(high))
                inside = term if inside is None else inside | term
        else:
            key = self._signed_key()
            inside = None
            for level, marked in zip(levels, chosen, strict=True):
                if not marked.any():
                    continue
                term = _member(self._cell(key, layout, level.shift), level.grid[marked])
                inside = term if inside is None else inside | term
        if inside is None:
            inside = F.lit(False)
        table = (
            self.frame.where(inside)
            .groupBy(s.alias("s"), self._is_positive())
            .agg(self._weight_sum())
        )
        found = table.collect()
        score = np.array([r["s"] for r in found], dtype=np.float64)
        is_positive: BoolArray = np.array([bool(r["pos"]) for r in found], dtype=bool)
        float_weights = summary.weighted and not summary.integer_weights
        weight: Any = np.array(
            [r["w"] or 0 for r in found], dtype=np.float64 if float_weights else np.int64
        )
        return score, is_positive, weight

    def map_reduce(self, task: Any, combine: Any, *, pass_name: str = "pass") -> Any:
        """Not available on Spark: it would run Python on the executors.

        Raises
        ------
        InvalidInputError
            Always; count on Spark with :meth:`histogram` and :meth:`rows_in` (SQL).
        """
        del task, combine, pass_name
        msg = (
            "a Spark DataFrame runs only Spark SQL aggregations (no Python on the "
            "executors), so per-row Python passes such as the streaming bootstrap are not "
            "available on it; sample the rows you need (df.sample(...).toPandas()) or "
            "convert to Dask"
        )
        raise InvalidInputError(msg)


_LABELS_BACK = 12  # label groups brought back: enough to show a multi-class mistake


def _member(cell: Any, values: np.ndarray) -> Any:
    """``cell`` in ``values`` (sorted): range predicates for a few runs, else ``isin``."""
    from pyspark.sql import functions as F

    values = np.asarray(values, dtype=np.int64)
    starts = np.concatenate(([True], np.diff(values) != 1))
    if int(starts.sum()) <= _MAX_RUNS:
        ends = np.concatenate((starts[1:], [True]))
        out = None
        for low, high in zip(values[starts], values[ends], strict=True):
            term = cell.between(F.lit(int(low)), F.lit(int(high)))
            out = term if out is None else out | term
        return out if out is not None else F.lit(False)
    return cell.isin([int(v) for v in values])
