"""The Spark source: exact thresholds over a ``pyspark.sql.DataFrame``, in Spark SQL only.

Every pass is a DataFrame aggregation that Spark plans and runs itself -- no Python
UDFs, no RDDs, no collect of raw rows -- so it runs where Python on the executors is
slow or not allowed:

pass 0
    ``groupBy(label)``: rows, weight totals, score range, bad values (a handful of rows
    back); skipped for a plain read of Parquet files with statistics, whose first
    counting pass checks the rows instead (:meth:`SparkSource.summary`);
counting passes
    the score's order-preserving key from its bits (rebuilt with exact double
    arithmetic, a chain of binade comparisons: the same key the in-memory engine
    computes with numpy), the cell
    ``(key - base) >> shift`` with integer arithmetic that cannot overflow, then
    ``groupBy(cell, is_positive)`` with row counts and weight sums: at most 2 x 65,536
    rows back;
refining pass
    rows in the chosen cells (score ranges, or the cells' key prefixes), grouped by
    ``(score, is_positive)``: one row back per distinct score and class.

The refining pass returns each distinct (score, class) once, its row count (or weight
total) as the weight, which gives the sort engine's sweep the same counts as the rows
themselves.

Per-row values (``cp.scan(df, ..., values={"tp": "amount", "fp": -5})``) ride along as
more sums in the same aggregations: pass 0 counts each value column's bad rows (null,
NaN, infinite); the counting and refining passes sum, per group, ``weight * value`` of
each value column and the positive and negative parts of each row's flag gain (the
extra columns of :func:`cutpoints._scan.value_table`, in SQL). Spark adds doubles in an
order of its own: integer (and dyadic) values give the in-memory sums exactly, others
may differ in the last bits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .._scan import value_names
from .._values import _FLAGGED, _POSITIVE_CLASS, column_names
from ..errors import CutpointsError, InvalidInputError
from ._cluster import PartFacts, check_columns, merge_facts, named_value_columns, summarize
from ._histogram import BinLayout, Histogram, Level, finish_histogram
from ._source import BoolArray, ExtraRows, Ranges, Rows, SourceSummary, StaleSummary

__all__ = ["SparkSource"]

_TWO_52 = float(1 << 52)
_MIN_NORMAL = 2.0**-1022  # the smallest normal double
_MAX_DOUBLE = float(np.finfo(np.float64).max)
_PREFIX = "__cutpoints_"  # the names of the key's intermediate columns
_MAX_RUNS = 16  # contiguous key runs expressed as range predicates; more use isin
# Binades of |score| a chain of comparisons covers (see SparkSource._keyed): float32
# probabilities need 25, float64 ones in [1e-9, 1] 31; more take the log2 path. (64
# made the folded counting pass's generated method too big for the JIT: 5x slower.)
_MAX_CHAIN = 32


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
        values: Mapping[str, float | tuple[float, str]] | None = None,
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
        if values is not None:
            _check_value_columns(values, columns, fields)
        # Per-row values, parsed (outcome -> a number or (sign, column)): see the notes.
        self.values = values
        self.frame = frame
        self.label, self.score, self.weight = label, score, weight
        self.pos_label = pos_label
        self.rule = rule
        self._summary: SourceSummary | None = None
        # the smallest nonzero |score| (pass 0), for the key's chain; None: not known
        self._smallest: float | None = 0.0
        # Pass 0 folded into the first counting pass (see summary()): where allowed, and
        # whether the current summary is the provisional one of file statistics.
        self._fold = weight is None and values is None and pos_label is None
        self._folding = False

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

    def _keyed(
        self, frame: Any, binades: tuple[int, int] | None = None, *, unchecked: bool = False
    ) -> tuple[Any, Any]:
        """``frame`` with the score's order-preserving key minus 2**63 (a signed long,
        same order), and that key's column.

        For ``x >= 0`` that is the float's bits; for ``x < 0``, ``-1 - bits(|x|)``. The
        bits of ``|x|`` come from exact double arithmetic, no reflection (measured 2x
        faster than ``java_method('java.lang.Double', 'doubleToRawLongBits', x)``).

        With ``binades=(top, bottom)`` (every nonzero ``|x|`` lies in
        ``[2**bottom, 2**(top + 1))``, from pass 0: :meth:`_binades`), a chain of
        comparisons finds the binade ``e`` of ``a = |x|``, from the top (where
        probabilities crowd), and the bits are ``(e + 1022) << 52`` plus
        ``a * 2**(52 - e)``: an integer in ``[2**52, 2**53)``, exact (a scaling by a power
        of two). A subnormal's bits (and zero's) are ``a * 2**1074``, in two exact
        scalings. No ``log2`` or ``pow`` at all: Spark computes those with
        ``StrictMath``, the largest cost of the counting pass before.

        Without it (a range over more than :data:`_MAX_CHAIN` binades), each step is a
        column of its own: a normal ``a`` in ``[2**e, 2**(e + 1))`` has bits
        ``(e + 1023) << 52 | m`` with ``m = (a / 2**e - 1) * 2**52`` -- a division by a
        power of two, a subtraction exact by Sterbenz's lemma, a scaling, all exact;
        ``e`` is ``floor(log2(a))`` corrected by one step against ``pow(2, e)``, which
        Java computes exactly. Written as one expression, ``log2`` and ``pow`` ran
        several times a row (Spark does not share them across ``CASE`` branches),
        measured 2-4x slower at 1e7 rows. (Finding ``e`` with a tree of comparisons
        over every binade was slower still: the generated method grows past what the
        JVM compiles.)

        ``unchecked``: rows pass 0 has not checked yet (a folded pass 0) may hold NaN or
        infinite scores, whose key would raise in Spark's ANSI mode; they get key 0
        (and the caller refuses them).
        """
        from pyspark.sql import functions as F

        x, a = F.col(f"{_PREFIX}x"), F.col(f"{_PREFIX}a")
        frame = frame.withColumn(f"{_PREFIX}x", self._engine_score())
        magnitude = F.abs(x)
        if unchecked:  # NaN compares above every number in Spark
            magnitude = F.when(magnitude <= F.lit(_MAX_DOUBLE), magnitude).otherwise(F.lit(0.0))
        frame = frame.withColumn(f"{_PREFIX}a", magnitude)
        subnormal = (a * F.lit(2.0**1000) * F.lit(2.0**74)).cast("long")  # 0 for 0.0
        if binades is not None:
            top, bottom = binades
            # Outside the chain: zero, subnormals, and (only if the rows changed since
            # pass 0) any other double, exact still (one slow expression, not reached).
            low = max(bottom, -1022)
            outside = (a < F.lit(2.0**low)) & (a >= F.lit(_MIN_NORMAL))
            if top < 1023:
                outside = (a >= F.lit(2.0 ** max(top + 1, -1022))) | outside
            # the slow expression once in the code (each copy adds to the generated method)
            chain = F.when(outside, _bits_of_normal(a))
            for e in range(top, low - 1, -1):
                scaled = a * F.lit(2.0 ** min(52 - e, 1000))
                if 52 - e > 1000:  # 2**(52 - e) overflows a double: scale in two steps
                    scaled = scaled * F.lit(2.0 ** (52 - e - 1000))
                bits_e = F.lit((e + 1022) << 52) + scaled.cast("long")
                chain = chain.when(a >= F.lit(2.0**e), bits_e)
            bits = chain.otherwise(subnormal)
        else:
            e0, exponent = F.col(f"{_PREFIX}e0"), F.col(f"{_PREFIX}e")
            # off by at most one near powers of two: corrected in the next step
            frame = frame.withColumn(f"{_PREFIX}e0", F.floor(F.log2(a)))
            frame = frame.withColumn(f"{_PREFIX}e", _corrected(a, e0))
            bits = F.when(a < F.lit(_MIN_NORMAL), subnormal).otherwise(_normal_bits(a, exponent))
        frame = frame.withColumn(f"{_PREFIX}bits", bits)
        bits = F.col(f"{_PREFIX}bits")
        # Negative floats: every bit but the sign flipped (reverses their order).
        key = F.when(x < 0.0, F.lit(-1).cast("long") - bits).otherwise(bits)
        return frame, key

    def _binades(self) -> tuple[int, int] | None:
        """The binades ``(top, bottom)`` of the nonzero ``|x|`` (pass 0's range), for
        :meth:`_keyed`'s chain; None when they are more than :data:`_MAX_CHAIN`. With
        the smallest ``|x|`` not known (statistics whose range holds zero), the top
        :data:`_MAX_CHAIN` binades: rows below take the slow exact expression."""
        summary = self.summary()
        biggest = max(abs(summary.low), abs(summary.high))
        smallest = self._smallest
        if smallest is None and biggest > 0.0:  # not known: the top binades
            top = int(np.frexp(biggest)[1]) - 1
            return (top, top - _MAX_CHAIN + 1)
        if smallest is None or not (biggest > 0.0 and 0.0 < smallest <= biggest):
            return (-1022, -1022) if biggest == 0.0 else None  # only zeros: no chain needed
        top = int(np.frexp(biggest)[1]) - 1
        bottom = max(int(np.frexp(smallest)[1]) - 1, -1022)
        return (top, bottom) if top - bottom < _MAX_CHAIN else None

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

    def _weight_sum(self) -> Any:
        from pyspark.sql import functions as F

        if self.weight is None:
            return F.count(F.lit(1)).alias("w")
        cast = "long" if self._integer_weights else "double"
        return F.sum(F.col(self.weight).cast(cast)).alias("w")

    # -- the Source protocol
    def summary(self) -> SourceSummary:
        """Pass 0 (cached): one ``groupBy(label)`` with counts, sums, range and checks.

        A DataFrame that is a plain read of Parquet files with statistics (unweighted,
        no values, labels 0/1 or boolean, no ``pos_label``) skips it: the summary comes
        from the files' footers (:meth:`_summary_from_statistics`), and the first
        counting pass checks every row and finds the exact range and class totals in
        the same query (:meth:`_folded_histogram`).
        """
        if self._summary is not None:
            return self._summary
        if self._fold:
            self._fold = False  # once: a stale guess falls back to pass 0 for good
            provisional = self._summary_from_statistics()
            if provisional is not None:
                self._summary, self._folding = provisional, True
                # the smallest nonzero |score|, if the range does not hold zero
                low, high = provisional.low, provisional.high
                self._smallest = low if low > 0 else -high if high < 0 else None
                return provisional
        from pyspark.sql import functions as F

        s = self._engine_score()
        raw = F.col(self.score).cast("double")
        aggs = [
            F.count(F.lit(1)).alias("n"),
            F.min(F.when(~F.isnan(raw), s)).alias("low"),
            F.max(F.when(~F.isnan(raw), s)).alias("high"),
            F.min(F.when(~F.isnan(raw) & (s != 0.0), F.abs(s))).alias("tiny"),
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
        names = [] if self.values is None else column_names(self.values)
        for i, name in enumerate(names):
            v = F.col(name).cast("double")
            bad = v.isNull() | F.isnan(v) | (F.abs(v) == float("inf"))
            aggs.append(F.sum(F.when(bad, 1).otherwise(0)).alias(f"v{i}"))
        groups = self.frame.groupBy(F.col(self.label).alias("label")).agg(*aggs)
        found = groups.limit(_LABELS_BACK).collect()
        facts = PartFacts()
        n_bad_values = [0] * len(names)
        tiny = [float(row["tiny"]) for row in found if row["tiny"] is not None]
        self._smallest = min(tiny, default=0.0)
        for row in found:
            for i in range(len(names)):
                n_bad_values[i] += int(row[f"v{i}"] or 0)
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
        if self.values is not None:
            self._check_values(names, n_bad_values)
            # the value columns, then each row's positive and negative flag gain
            n_extra = len(value_names(self.values)) + 2
            self._summary = replace(self._summary, n_extra=n_extra)
        return self._summary

    def _check_values(self, names: list[str], n_bad: list[int]) -> None:
        assert self.values is not None
        for name, count in zip(names, n_bad, strict=True):
            if count:
                keys = [k for k, v in self.values.items() if isinstance(v, tuple) and v[1] == name]
                shown = ", ".join(f'values["{k}"]' for k in keys)
                msg = (
                    f"'{name}' must be finite and not missing (got {count} missing, NaN or "
                    f"infinite values in the DataFrame, for {shown})"
                )
                raise InvalidInputError(msg)

    def _value_sums(self) -> list[Any]:
        """Per group: ``sum(weight * value)`` of each value column (``x0``, ``x1``, ...,
        in :func:`~cutpoints._scan.value_names` order; the driver keeps the groups of
        the outcome's class), then the sums of the positive (``gain_up``) and negative
        (``gain_down``) parts of each row's flag gain, as :func:`~cutpoints._scan.value_table`
        computes them in memory (same operations, same order: the same doubles)."""
        from pyspark.sql import functions as F

        positive = F.col(self.label) == F.lit(self.summary().positive_label)
        parts, gain = self._value_parts()
        zero = F.lit(0.0)
        row_gain = F.when(positive, gain[True]).otherwise(gain[False])
        return [
            *(F.sum(part).alias(f"x{k}") for k, (_, part) in enumerate(parts)),
            F.sum(F.greatest(row_gain, zero)).alias("gain_up"),
            F.sum(F.least(row_gain, zero)).alias("gain_down"),
        ]

    def _value_parts(self) -> tuple[list[tuple[bool, Any]], dict[bool, Any]]:
        """Per row: ``weight * value`` of each value column, with its outcome's class
        (in :func:`~cutpoints._scan.value_names` order), and the flag gain of a row of
        each class, as :func:`~cutpoints._scan.value_table` computes them in memory
        (same operations, same order: the same doubles)."""
        from pyspark.sql import functions as F

        assert self.values is not None
        w = None if self.weight is None else F.col(self.weight).cast("double")
        names = value_names(self.values)
        sums: list[Any] = [None] * len(names)
        gain: dict[bool, Any] = {True: None, False: None}
        for key, entry in self.values.items():
            if isinstance(entry, tuple):
                value = F.lit(entry[0]) * F.col(entry[1]).cast("double")
            elif entry == 0.0:
                continue
            else:
                value = F.lit(float(entry))
            part = value if w is None else value * w
            cls = _POSITIVE_CLASS[key]
            if key in names:
                sums[names.index(key)] = (cls, part)
            before = gain[cls]
            if before is None:
                gain[cls] = part if _FLAGGED[key] else -part
            else:
                gain[cls] = before + part if _FLAGGED[key] else before - part
        zero = F.lit(0.0)
        return sums, {c: zero if g is None else g for c, g in gain.items()}

    def _extra_of(self, found: dict[str, np.ndarray], pos: BoolArray) -> np.ndarray:
        """The extra columns of collected groups (shape ``(n_extra, groups)``): each
        value column's sum on the groups of its outcome's class, 0 on the others."""
        assert self.values is not None
        names = value_names(self.values)
        out = np.zeros((len(names) + 2, len(pos)), dtype=np.float64)
        for k, key in enumerate(names):
            sums = np.asarray(found[f"x{k}"], dtype=np.float64)
            out[k] = np.where(pos == _POSITIVE_CLASS[key], sums, 0.0)
        out[-2] = found["gain_up"]
        out[-1] = found["gain_down"]
        return out

    def _summary_from_statistics(self) -> SourceSummary | None:
        """The provisional summary of a plain Parquet read, from the files' statistics
        (as :meth:`cutpoints._scan.FileSource.fold_summary` reads them), or None."""
        paths = _parquet_files(self.frame)
        if paths is None:
            return None
        from .._scan import scan

        try:
            rule = "<=" if self.rule == "<=" else ">="
            files = scan(paths, label=self.label, score=self.score, rule=rule)  # type: ignore[arg-type]
            found = files.source()._summary_from_statistics()
        except (CutpointsError, OSError):
            return None
        return found if isinstance(found, SourceSummary) else None

    def _folded_histogram(self, layout: BinLayout, levels: Sequence[Level]) -> Histogram:
        """The first counting pass on the statistics' layout, with pass 0's checks.

        Each group also brings back its score range, smallest nonzero ``|score|`` and
        its rows' bad values (scores outside the statistics' range, null, NaN or
        infinite; labels other than 0 and 1). Anything unexpected drops the
        provisional summary and raises :class:`StaleSummary`: the driver then asks for
        :meth:`summary` again, a real pass 0 (which names the problem), and counts
        again; so does a range narrower than the statistics said.
        """
        from pyspark.sql import functions as F

        provisional = self.summary()
        frame, key = self._keyed(self.frame, self._binades(), unchecked=True)
        x = F.col(f"{_PREFIX}x")
        raw = F.col(self.score).cast("double")
        label = F.col(self.label)
        bad_label = label.isNull()
        if provisional.positive_label is not True:
            bad_label = bad_label | ~label.isin(0, 1)
        inside = (
            ~bad_label & (x >= F.lit(provisional.low)) & (x <= F.lit(provisional.high))
        )  # false for null, NaN and infinite scores (outside the finite range)
        positive = label == F.lit(provisional.positive_label)
        signed = self._cell(key, layout, levels[-1].shift).bitwiseXOR(-positive.cast("long"))
        found = _collect(
            frame.groupBy(F.when(inside, signed).alias("g")).agg(
                F.count(F.lit(1)).alias("n"),
                F.min(x).alias("low"),
                F.max(x).alias("high"),
                F.min(F.when(x != 0.0, F.abs(x))).alias("tiny"),
                # NaN compares above every number in Spark: outside; null: ~inside is null
                F.count(F.when(~inside | raw.isNull(), 1)).alias("bad"),
            )
        )
        n = np.asarray(found["n"], dtype=np.int64)
        if found["bad"].any() or int(n.sum()) != provisional.n_rows:
            self._summary = None  # the next summary() is a real pass 0
            raise StaleSummary
        raw_g = np.asarray(found["g"], dtype=np.int64)
        pos = raw_g < 0
        facts = PartFacts(
            n_rows=int(n.sum()),
            low=float(np.min(found["low"])),
            high=float(np.max(found["high"])),
        )
        n_pos = int(n[pos].sum())
        one, zero = (True, False) if provisional.positive_label is True else (1, 0)
        facts.labels = {v: (k, k) for v, k in ((one, n_pos), (zero, facts.n_rows - n_pos)) if k}
        facts.label_sample = list(facts.labels)
        tiny = np.asarray(found["tiny"], dtype=np.float64)
        self._smallest = float(tiny[tiny > 0].min()) if (tiny > 0).any() else 0.0
        # In the engine's terms already (negated for "<="): summarize as such.
        self._summary = summarize(
            facts,
            label=self.label,
            score=self.score,
            weight=None,
            pos_label=None,
            label_dtype=self._label_dtype,
            integer_weights=False,
            integer_scores=self._integer_scores,
        )
        return self._counted(found, levels[-1], self._summary)

    def histogram(self, layout: BinLayout, levels: Sequence[Level]) -> Histogram:
        """A counting pass: ``groupBy(cell, is_positive)`` over the rows of the last level."""
        from pyspark.sql import functions as F

        if self._folding:
            self._folding = False
            return self._folded_histogram(layout, levels)
        summary = self.summary()
        frame, key = self._keyed(self.frame, self._binades())
        level = levels[-1]
        if len(levels) > 1:
            # Rows of the split parents only: their key prefix at the parent level.
            assert level.parent_rank is not None
            parent = levels[-2]
            prefixes = parent.grid[level.parent_rank >= 0]
            frame = frame.where(_member(self._cell(key, layout, parent.shift), prefixes))
        cell = self._cell(key, layout, level.shift)
        # One grouping key, the cell (>= 0) of a negative row and -1 - cell (all bits
        # flipped) of a positive one; written with the cell once, as the key expression
        # is long (twice, the generated code grows past what the JVM compiles).
        positive = F.col(self.label) == F.lit(summary.positive_label)
        signed = cell.bitwiseXOR(-positive.cast("long")).alias("g")
        aggs = [F.count(F.lit(1)).alias("n")]
        if self.weight is not None:
            aggs.append(self._weight_sum())
        if self.values is not None:
            aggs += self._value_sums()
        # at most 2 rows per cell of this level
        found = _collect(frame.groupBy(signed).agg(*aggs))
        return self._counted(found, level, summary)

    def _counted(
        self, found: dict[str, np.ndarray], level: Level, summary: SourceSummary
    ) -> Histogram:
        """The histogram of a counting pass's groups (``g``: the cell, all bits flipped
        for positives; ``n`` rows, ``w`` weights, value sums)."""
        raw = np.asarray(found["g"], dtype=np.int64)
        pos = raw < 0
        g = np.where(pos, -1 - raw, raw).astype(np.uint64)
        n = np.asarray(found["n"], dtype=np.int64)
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
        values = n if self.weight is None else np.asarray(found["w"], dtype=by_class.dtype)
        np.add.at(by_class, slots, values)
        rows = None
        if summary.zero_weights:
            rows = np.zeros(level.n_cells, dtype=np.int64)
            np.add.at(rows, cells.astype(np.int64), n)
        hist = finish_histogram(
            by_class,
            rows,
            weighted=summary.weighted,
            integer_weights=summary.integer_weights,
            n_rows=summary.n_rows,
        )
        if self.values is None:
            return hist
        sums = np.zeros((summary.n_extra, level.n_cells), dtype=np.float64)
        extra = self._extra_of(found, pos)
        for k in range(summary.n_extra):
            np.add.at(sums[k], cells, extra[k])
        return Histogram(hist.positive, hist.negative, hist.rows, sums)

    def rows_in(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> Rows:
        """The refining pass: one row per distinct (score, class) in the chosen cells,
        weighted by its row count (or weight total)."""
        return self._refine(layout, levels, chosen, ranges)[:3]

    def rows_with_extra(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> ExtraRows:
        """:meth:`rows_in` plus, per row, the sums of the extra columns (value columns,
        then the flag gains' positive and negative parts) of its (score, class)."""
        return self._refine(layout, levels, chosen, ranges)

    def _refine(
        self,
        layout: BinLayout,
        levels: Sequence[Level],
        chosen: list[BoolArray],
        ranges: Ranges,
    ) -> ExtraRows:
        from pyspark.sql import functions as F

        summary = self.summary()
        s = self._engine_score()
        frame = self.frame
        if ranges is not None:
            lows, highs = ranges
            inside = None
            for low, high in zip(lows, highs, strict=True):
                term = (s >= float(low)) & (s < float(high))
                inside = term if inside is None else inside | term
        else:
            frame, key = self._keyed(frame, self._binades())
            inside = None
            for level, marked in zip(levels, chosen, strict=True):
                if not marked.any():
                    continue
                term = _member(self._cell(key, layout, level.shift), level.grid[marked])
                inside = term if inside is None else inside | term
        if inside is None:
            inside = F.lit(False)
        # Grouped by score alone, each class's sums in its own columns: half the groups
        # of grouping by (score, class), on one double.
        positive = F.col(self.label) == F.lit(summary.positive_label)
        float_weights = summary.weighted and not summary.integer_weights
        aggs = []
        parts, gain = ([], {}) if self.values is None else self._value_parts()
        for c, suffix in ((True, "1"), (False, "0")):
            inside_class = positive if c else ~positive
            aggs.append(F.count(F.when(inside_class, F.lit(1))).alias(f"n{suffix}"))
            if self.weight is not None:
                w = F.col(self.weight).cast("double" if float_weights else "long")
                aggs.append(F.sum(F.when(inside_class, w)).alias(f"w{suffix}"))
            if self.values is not None:
                aggs += [
                    F.sum(F.when(inside_class, F.greatest(gain[c], F.lit(0.0)))).alias(
                        f"gain_up{suffix}"
                    ),
                    F.sum(F.when(inside_class, F.least(gain[c], F.lit(0.0)))).alias(
                        f"gain_down{suffix}"
                    ),
                ]
                aggs += [
                    F.sum(F.when(inside_class, part)).alias(f"x{k}{suffix}")
                    for k, (cls, part) in enumerate(parts)
                    if cls == c
                ]
        found = _collect(frame.where(inside).groupBy(s.alias("s")).agg(*aggs))
        pieces = []
        for c, suffix in ((True, "1"), (False, "0")):
            n = np.asarray(found[f"n{suffix}"], dtype=np.int64)
            held = n > 0  # a score of this class (of zero weight, maybe)
            w_dtype = np.float64 if float_weights else np.int64
            weight = n if self.weight is None else np.asarray(found[f"w{suffix}"], w_dtype)
            extra = np.zeros((len(parts) + 2 if self.values is not None else 0, len(n)))
            if self.values is not None:
                for k, (cls, _) in enumerate(parts):
                    if cls == c:
                        extra[k] = found[f"x{k}{suffix}"]
                extra[-2] = found[f"gain_up{suffix}"]
                extra[-1] = found[f"gain_down{suffix}"]
            score = np.asarray(found["s"], dtype=np.float64)[held]
            is_positive = np.full(int(held.sum()), c, dtype=bool)
            pieces.append((score, is_positive, weight[held].astype(w_dtype), extra[:, held]))
        return (
            np.concatenate([p[0] for p in pieces]),
            np.concatenate([p[1] for p in pieces]),
            np.concatenate([p[2] for p in pieces]),
            np.concatenate([p[3] for p in pieces], axis=1),
        )

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


def _collect(table: Any) -> dict[str, np.ndarray]:
    """A small aggregated table's columns as numpy arrays (nulls as 0).

    Through Arrow where pyspark has ``DataFrame.toArrow`` (4.0 on): no Python object
    per value (measured 0.4 s less than ``collect()`` for 35,000 groups).
    """
    to_arrow = getattr(table, "toArrow", None)
    if to_arrow is not None:
        arrow = to_arrow()
        out = {}
        for name in arrow.column_names:
            column = arrow.column(name)
            out[name] = (column.fill_null(0) if column.null_count else column).to_numpy()
        return out
    rows = table.collect()
    return {name: np.array([r[name] or 0 for r in rows]) for name in table.columns}


def _parquet_files(frame: Any) -> list[str] | None:
    """The local Parquet files a DataFrame reads as they are (no filter, no projection),
    or None (any other plan, remote files, Spark Connect)."""
    try:
        plan = frame._jdf.queryExecution().optimizedPlan()
        if plan.getClass().getSimpleName() != "LogicalRelation":
            return None
        relation = plan.relation()
        if relation.getClass().getSimpleName() != "HadoopFsRelation":
            return None
        if relation.fileFormat().shortName() != "parquet":
            return None
        uris = list(frame.inputFiles())
    except Exception:  # not a classic plan we know (Spark Connect, ...): no statistics
        return None
    from urllib.parse import unquote, urlparse

    paths = []
    for uri in uris:
        parsed = urlparse(uri)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            return None  # files the driver may not reach: read them with pass 0
        paths.append(unquote(parsed.path))
    return paths or None


def _corrected(a: Any, e0: Any) -> Any:
    """The binade of ``a`` from ``e0 = floor(log2(a))``, off by at most one."""
    from pyspark.sql import functions as F

    two = F.lit(2.0)
    return F.when(F.pow(two, e0) > a, e0 - 1).when(F.pow(two, e0 + 1) <= a, e0 + 1).otherwise(e0)


def _normal_bits(a: Any, e: Any) -> Any:
    """The bits of a normal double ``a`` in binade ``e`` (see :meth:`SparkSource._keyed`)."""
    from pyspark.sql import functions as F

    mantissa = ((a / F.pow(F.lit(2.0), e) - 1.0) * F.lit(_TWO_52)).cast("long")
    return (e + 1023).cast("long") * F.lit(1 << 52) + mantissa


def _bits_of_normal(a: Any) -> Any:
    """:func:`_normal_bits` in one expression (``log2`` and ``pow`` run several times)."""
    from pyspark.sql import functions as F

    return _normal_bits(a, _corrected(a, F.floor(F.log2(a))))


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


def _check_value_columns(
    values: Mapping[str, float | tuple[float, str]], columns: list[Any], fields: dict[str, Any]
) -> None:
    """Refuse value columns the DataFrame lacks or that are not numbers (named by key)."""
    from pyspark.sql import types as T

    for key, name in named_value_columns(values, columns):
        kind = fields[name]
        if isinstance(kind, T.BooleanType) or not isinstance(kind, T.NumericType):
            msg = (
                f"'{name}' must be a numeric value column (got {kind.simpleString()} for "
                f'values["{key}"])'
            )
            raise InvalidInputError(msg)
