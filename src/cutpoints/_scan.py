"""Scores that do not fit in memory: ``cp.scan`` streams files through the histogram engine.

:func:`scan` names the input (Parquet or CSV files, a directory, a glob, or a Dask or
Spark DataFrame) and its columns; nothing is read until a function asks.
:func:`cutpoints.find_cutpoint` and :func:`cutpoints.confusion_curve` accept the
:class:`Scan` in place of ``y_true, y_score``.

Files are read with pyarrow in record batches, only the label, score and weight columns
(column projection), in sorted path order, in a bounded number of passes:

pass 0 (``"summary"``)
    validates every row (the in-memory rules, with the file and row in the message),
    collects the distinct labels, class totals, the score range and the weight facts;
counting passes (``"count"``)
    per-bin class counts over 2**16 bins of the scores (a few more passes when the bins
    that matter hold many rows);
the refining pass (``"refine"``)
    the rows of the few bins that can hold the answer -- skipped when the counting pass
    already collected them (speculative refinement: the window is guessed from the
    first batch, :meth:`FileSource.first_batch`).

:func:`find_streamed` folds pass 0 into the first counting pass where Parquet metadata
allows (:meth:`FileSource.fold_summary`): row counts and the score range from the
footers and row-group statistics, every row validated (same messages) and the class
totals counted in that pass.

Peak memory is about ``threads * 2`` batches plus the bins' tables plus the refined
rows and the rows a speculative window collects (each at most
:data:`~cutpoints.engines._histogram.STREAM_MAX_ROWS`), whatever the size
of the input. A small input (at most :data:`SMALL_ROWS` rows) is simply read into memory
and answered like arrays.
"""

from __future__ import annotations

import glob as _glob
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ._validation import _MAX_EXACT_INT, _MAX_FLOAT_TOTAL, _MAX_INT_TOTAL, check_target
from ._values import (
    _FLAGGED,
    _POSITIVE_CLASS,
    OUTCOMES,
    RowValues,
    ValueCurve,
    column_names,
    named_values,
    resolve_named,
    value_curve,
)
from .engines._source import Batch, BatchSource, SourceSummary, StaleSummary, ordered_map_reduce
from .errors import InvalidInputError, InvalidLabelsError, InvalidParameterError

if TYPE_CHECKING:
    from ._curve import ConfusionCurve, Rule
    from ._cutpoint import Cutpoint
    from .engines import Engine
    from .engines._histogram import (
        BinLayout,
        Histogram,
        HistogramEngine,
        Level,
        PartialSweep,
        ValueColumn,
    )

__all__ = ["SMALL_ROWS", "FileSource", "Scan", "curve_streamed", "find_streamed", "scan"]

#: A scan of at most this many rows is read into memory and answered as arrays are
#: (engine ``"auto"``): 2**20 rows take about 20 MB there.
SMALL_ROWS = 1 << 20
#: Rows per record batch read from a file (a Parquet row group is read whole).
BATCH_SIZE = 1 << 20

_PARQUET = (".parquet", ".pq", ".parq")
_CSV = (".csv", ".csv.gz", ".csv.bz2", ".tsv")
ProgressHook = Callable[[str, int, "int | None"], Any]


def scan(
    source: Any,
    *,
    label: str,
    score: str,
    weight: str | None = None,
    pos_label: Any = None,
    rule: Rule = ">=",
    batch_size: int = BATCH_SIZE,
    progress: ProgressHook | None = None,
    values: Mapping[str, Any] | None = None,
) -> Scan:
    """Name scores stored in files (or on a cluster), to be streamed, not loaded.

    Pass the result to :func:`cutpoints.find_cutpoint` or
    :func:`cutpoints.confusion_curve` in place of ``y_true, y_score``. The answer is
    identical to the one on the same rows in memory.

    Parameters
    ----------
    source : str, path, sequence of paths, or DataFrame
        A Parquet or CSV file, a directory (its ``.parquet``/``.pq``/``.csv`` files,
        recursively), a glob (``"data/*.parquet"``), or a list of files; files are read
        in sorted path order (a list: in its order). A Dask or Spark DataFrame is
        counted on its cluster (``cutpoints.engines._cluster``).
    label, score : str
        The columns of the binary labels and of the scores.
    weight : str, optional
        The column of non-negative row weights.
    pos_label : object, optional
        The positive class, as for :func:`cutpoints.find_cutpoint`.
    rule : {'>=', '<='}, default='>='
        Flag iff ``score >= threshold`` (or ``<=``).
    batch_size : int, default=1048576
        Rows per record batch: memory holds a few batches at a time.
    progress : callable, optional
        Called as ``progress(pass_name, rows_done, rows_total)`` after each batch read:
        ``pass_name`` is ``"summary"`` (pass 0), ``"count"``, ``"count (level k)"`` or
        ``"refine"`` (or ``"read"`` when a small input is loaded), ``rows_done`` the rows
        read so far in this pass, ``rows_total`` the input's rows (None until known).
    values : dict, optional
        Per-row values (money) of each outcome, for ``metric="value"``: ``{"tp":
        "amount", "fp": -5, "fn": "-amount"}`` maps an outcome (tp, fp, fn, tn) to a
        column name, ``"-name"`` (the column negated) or a number (missing outcomes
        count 0). The columns are read with the others, validated in pass 0 and summed
        per bin, so the answer is the one :func:`cutpoints.find_cutpoint` gives with
        these values in memory. Files, Dask and Spark DataFrames.

    Returns
    -------
    Scan

    Raises
    ------
    InvalidParameterError
        No such file, no data files in a directory, a glob that matches nothing, or a
        bad argument.

    Examples
    --------
    >>> import numpy as np, pyarrow as pa, pyarrow.parquet as pq, tempfile, os
    >>> import cutpoints as cp
    >>> tmp = tempfile.TemporaryDirectory()
    >>> folder = tmp.name
    >>> y, p = [0, 0, 1, 1, 0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.3]
    >>> pq.write_table(pa.table({"y": y, "p": p}), os.path.join(folder, "part-0.parquet"))
    >>> data = cp.scan(folder, label="y", score="p")
    >>> cut = cp.find_cutpoint(data, metric="f1")
    >>> cut.threshold, cut.threshold == cp.find_cutpoint(y, p, metric="f1").threshold
    (0.3, True)
    >>> cut.columns
    {'label': 'y', 'score': 'p'}
    >>> amount = [10, 20, 30, 40, 50, 60, 70, 80]
    >>> pq.write_table(pa.table({"y": y, "p": p, "amount": amount}),
    ...                os.path.join(folder, "part-0.parquet"))
    >>> money = cp.scan(folder, label="y", score="p", values={"tp": "amount", "fp": -5})
    >>> cut = cp.find_cutpoint(money, metric="value")
    >>> cut.threshold, cut.score, cut.value_by_outcome["fp"]
    (0.3, 200.0, -10.0)
    >>> tmp.cleanup()
    """
    for name, value in (("label", label), ("score", score)):
        if not isinstance(value, str):
            msg = f"'{name}' must be a column name (got {value!r})"
            raise InvalidParameterError(msg)
    if weight is not None and not isinstance(weight, str):
        msg = f"'weight' must be a column name or None (got {weight!r})"
        raise InvalidParameterError(msg)
    if rule not in (">=", "<="):
        msg = f"'rule' must be one of ['>=', '<='] (got {rule!r})"
        raise InvalidParameterError(msg)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        msg = f"'batch_size' must be a positive integer (got {batch_size!r})"
        raise InvalidParameterError(msg)
    if progress is not None and not callable(progress):
        msg = f"'progress' must be a callable or None (got {progress!r})"
        raise InvalidParameterError(msg)
    spec = None if values is None else named_values(values)
    options = {
        "values": spec,
        "label": label,
        "score": score,
        "weight": weight,
        "pos_label": pos_label,
        "rule": rule,
        "batch_size": batch_size,
        "progress": progress,
    }
    top = type(source).__module__.split(".")[0]
    if top in ("dask", "dask_expr", "pyspark"):
        try:
            from .engines._cluster import source_for
        except ImportError as exc:  # the cluster sources are not installed here
            msg = f"scanning a {type(source).__name__} needs cutpoints' cluster support ({exc})"
            raise InvalidParameterError(msg) from exc
        cluster = source_for(
            source,
            label=label,
            score=score,
            weight=weight,
            pos_label=pos_label,
            rule=rule,
            values=spec,
        )
        if cluster is None:
            msg = f"'source' must be a Dask or Spark DataFrame here (got {type(source).__name__})"
            raise InvalidParameterError(msg)
        return Scan(paths=(), format="cluster", cluster=cluster, **options)
    paths = _resolve(source)
    return Scan(paths=paths, format=_format_of(paths), **options)


def _resolve(source: Any) -> tuple[str, ...]:
    """The files ``source`` names, in the order they are read."""
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if any(c in text for c in "*?["):
            found = sorted(p for p in _glob.glob(text, recursive=True) if os.path.isfile(p))
            if not found:
                msg = f"'source' must match at least one file (got the glob {text!r})"
                raise InvalidParameterError(msg)
            return tuple(found)
        path = Path(text)
        if path.is_dir():
            found = sorted(
                str(p)
                for p in path.rglob("*")
                if p.is_file()
                and p.name.lower().endswith(_PARQUET + _CSV)
                and not p.name.startswith(("_", "."))
            )
            if not found:
                msg = (
                    f"'source' must be a directory with .parquet or .csv files (got {text!r}: "
                    "none found)"
                )
                raise InvalidParameterError(msg)
            return tuple(found)
        if not path.is_file():
            msg = f"'source' must be an existing file, directory or glob (got {text!r})"
            raise InvalidParameterError(msg)
        return (text,)
    if isinstance(source, Sequence) and source and not isinstance(source, (bytes, bytearray)):
        out: list[str] = []
        for item in source:
            if not isinstance(item, (str, os.PathLike)) or not os.path.isfile(item):
                msg = f"'source' must list existing files (got {item!r})"
                raise InvalidParameterError(msg)
            out.append(os.fspath(item))
        return tuple(out)
    msg = (
        "'source' must be a path, a directory, a glob, a list of files, or a Dask or "
        f"Spark DataFrame (got {type(source).__name__})"
    )
    raise InvalidParameterError(msg)


def _format_of(paths: Sequence[str]) -> str:
    formats = set()
    for p in paths:
        lower = p.lower()
        if lower.endswith(_PARQUET):
            formats.add("parquet")
        elif lower.endswith(_CSV):
            formats.add("csv")
        else:
            with open(p, "rb") as f:
                formats.add("parquet" if f.read(4) == b"PAR1" else "csv")
    if len(formats) > 1:
        msg = f"'source' must hold files of one format (got {sorted(formats)!r})"
        raise InvalidParameterError(msg)
    return formats.pop()


@dataclass(eq=False)
class Scan:
    """Scores in files (or on a cluster), named by :func:`scan`; read when asked.

    Attributes
    ----------
    paths : tuple of str
        The files, in the order they are read (empty for a cluster DataFrame).
    format : {'parquet', 'csv', 'cluster'}
    label, score, weight, pos_label, rule, batch_size, progress
        As given to :func:`scan`.
    values : dict or None
        The per-row values, parsed: outcome -> a number or ``(sign, column)``.
    """

    paths: tuple[str, ...]
    format: str
    label: str
    score: str
    weight: str | None = None
    pos_label: Any = None
    rule: Rule = ">="
    batch_size: int = BATCH_SIZE
    progress: ProgressHook | None = None
    cluster: Any = field(default=None, repr=False)
    values: dict[str, float | tuple[float, str]] | None = None
    _files: FileSource | None = field(default=None, init=False, repr=False)

    def columns(self) -> dict[str, str]:
        """The columns used, as :attr:`cutpoints.Cutpoint.columns` records them."""
        out = {"label": self.label, "score": self.score}
        if self.weight is not None:
            out["weight"] = self.weight
        if self.values:
            from ._values import recorded_columns

            out.update(recorded_columns(self.values))  # as `cutpoints tune --value` does
        return out

    def source(self) -> Any:
        """The :class:`~cutpoints.engines._source.Source` the engine reads."""
        if self.cluster is not None:
            return self.cluster
        if self._files is None:
            self._files = FileSource(self)
        return self._files

    def summary(self) -> SourceSummary:
        """Pass 0 over every row: validation, totals, score range (computed once)."""
        return cast("SourceSummary", self.source().summary())

    @property
    def n_rows(self) -> int:
        """Rows in the input (runs pass 0 the first time)."""
        return int(self.summary().n_rows)

    def read(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Every row in memory: ``(labels, scores, weights or None)`` as stored.

        For small inputs; the arrays take about 17 bytes a row (more for string labels).
        """
        if self.cluster is not None:
            msg = "'source' is a cluster DataFrame: it is counted there, never read whole"
            raise InvalidParameterError(msg)
        files: FileSource = self.source()
        return files.read()

    def read_values(self) -> dict[str, Any] | None:
        """Every row's values in memory, as ``values=`` for
        :func:`cutpoints.find_cutpoint` takes them (None without values)."""
        if self.values is None:
            return None
        files: FileSource = self.source()
        return resolve_named(self.values, files.read_columns(column_names(self.values)))

    def value_column(self) -> ValueColumn:
        """``column(tp, fp, sums)``: the ``"value"`` column of rows with these counts and
        cumulative sums of the value columns (see :meth:`FileSource.value_names`)."""
        assert self.values is not None
        scalars = {k: v for k, v in self.values.items() if not isinstance(v, tuple) and v != 0.0}
        names = value_names(self.values)

        def column(tp: Any, fp: Any, sums: Sequence[Any]) -> ValueCurve:
            return value_curve(
                RowValues(scalars),
                tp,
                fp,
                names,
                list(sums),
                n_positive=tp[-1].item(),
                n_negative=fp[-1].item(),
            )

        return column


def value_names(spec: Mapping[str, float | tuple[float, str]]) -> list[str]:
    """The outcomes whose values are columns, in the order their sums are carried."""
    return [k for k in OUTCOMES if isinstance(spec.get(k), tuple)]


# ---------------------------------------------------------------------------- files
@dataclass
class _Facts:
    """What pass 0 learns from the batches seen so far."""

    n_rows: int = 0
    low: float = np.inf
    high: float = -np.inf
    labels: dict[Any, list[float]] = field(default_factory=dict)  # value -> [rows, weight]
    seen_in: dict[Any, str] = field(default_factory=dict)  # value -> first file with it
    integer_weights: bool = True
    zero_weights: bool = False
    any_weight: bool = False
    float32: bool = True


@dataclass(frozen=True)
class _Raw:
    """One record batch as read, with where it came from."""

    table: Any  # pyarrow.RecordBatch
    path: str
    row: int  # the batch's first row within its file
    start: int  # ... within the whole input


class FileSource(BatchSource):
    """Parquet or CSV files, read in record batches with pyarrow (only the used columns)."""

    def __init__(self, spec: Scan) -> None:
        self.spec = spec
        self._summary: SourceSummary | None = None
        self._positive: Any = None
        self._has_positive = False
        self._float32 = False
        # Pass 0 folded into the first counting pass (see fold_summary): while the
        # summary is the statistics' provisional one, every converted batch is checked
        # and its score range recorded here; None otherwise.
        self._fold = False
        # Per batch of a folded pass 0: score range, any weight > 0, weight total (float).
        self._checked: list[tuple[float, float, bool, float]] | None = None

    # -- reading
    def _columns(self) -> list[str]:
        cols = [self.spec.label, self.spec.score]
        if self.spec.weight is not None:
            cols.append(self.spec.weight)
        if self.spec.values is not None:
            cols.extend(column_names(self.spec.values))
        return list(dict.fromkeys(cols))

    def _file_batches(self, path: str) -> Iterator[Any]:
        import pyarrow as pa

        cols = self._columns()
        try:
            if self.spec.format == "parquet":
                import pyarrow.parquet as pq

                handle = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
                self._check_columns(path, handle.schema_arrow.names)
                yield from handle.iter_batches(batch_size=self.spec.batch_size, columns=cols)
                return
            import pyarrow.csv as pacsv

            header = pacsv.open_csv(path)
            self._check_columns(path, header.schema.names)
            reader = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(block_size=1 << 22),
                # Types are inferred from the first block; a score column of whole
                # numbers there and decimals later would fail, so scores read as float64.
                convert_options=pacsv.ConvertOptions(
                    include_columns=cols, column_types={self.spec.score: pa.float64()}
                ),
            )
            pending: list[Any] = []
            size = 0
            for batch in reader:  # CSV blocks vary in rows: regroup to about batch_size
                pending.append(batch)
                size += batch.num_rows
                if size >= self.spec.batch_size:
                    yield from _rebatch(pending, self.spec.batch_size)
                    pending, size = [], 0
            yield from _rebatch(pending, self.spec.batch_size)
        except (pa.ArrowInvalid, OSError) as exc:
            msg = f"cannot read {path!r} as {self.spec.format} ({exc})"
            raise InvalidInputError(msg) from exc

    def _check_columns(self, path: str, names: Sequence[str]) -> None:
        for role, column in (
            ("label", self.spec.label),
            ("score", self.spec.score),
            ("weight", self.spec.weight),
            *(
                (f'values["{k}"]', v[1])
                for k, v in (self.spec.values or {}).items()
                if isinstance(v, tuple)
            ),
        ):
            if column is not None and column not in names:
                msg = (
                    f"'{role}' must name a column of {path!r} (got {column!r}; the columns "
                    f"are {list(names)!r})"
                )
                raise InvalidInputError(msg)

    def _raw(self, pass_name: str) -> Iterator[_Raw]:
        total = None if self._summary is None else self._summary.n_rows
        start = 0
        hook = self.spec.progress
        for path in self.spec.paths:
            row = 0
            for table in self._file_batches(path):
                n = table.num_rows
                if n:
                    yield _Raw(table, path, row, start)
                row += n
                start += n
                if hook is not None:
                    hook(pass_name, start, total)
        if total is not None and start != total:
            msg = (
                f"the input changed while it was read: pass 0 saw {total:,} rows, "
                f"pass {pass_name!r} {start:,}"
            )
            raise InvalidInputError(msg)

    def first_batch(self) -> Batch | None:
        """The first non-empty batch, read on its own and not validated (nor counted as a
        pass: no progress): the sample the engine guesses a speculative window from."""
        self.summary()
        saved, self._checked = self._checked, None  # no folded pass-0 bookkeeping
        try:
            for path in self.spec.paths:
                for table in self._file_batches(path):
                    if table.num_rows:
                        return self._convert(_Raw(table, path, 0, 0))
        finally:
            self._checked = saved
        return None

    def batches(self, pass_name: str) -> Iterator[Batch]:
        """Validated batches, as the engine sees them (after pass 0)."""
        self.summary()
        for raw in self._raw(pass_name):
            yield self._convert(raw)

    def map_reduce(
        self,
        task: Callable[[Batch], Any],
        combine: Callable[[Any, Any], Any],
        *,
        pass_name: str = "pass",
    ) -> Any:
        """``task`` on every batch (converted on the worker threads), in batch order."""
        self.summary()
        inner = _Converted(self, task)
        return ordered_map_reduce(self._raw(pass_name), inner, combine, self.threads)

    # -- pass 0
    def row_count(self) -> int:
        """Rows in the files: from Parquet metadata when it has them (no pass over the
        rows), else from pass 0."""
        if self._summary is None and self.spec.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:
                return sum(pq.ParquetFile(path).metadata.num_rows for path in self.spec.paths)
            except (pa.ArrowInvalid, OSError):
                pass  # pass 0 reads the files and names the problem
        return self.summary().n_rows

    def fold_summary(self) -> None:
        """Let the first counting pass do pass 0's work, where the files allow it.

        For Parquet files whose row groups have statistics (score range, no nulls; labels
        boolean, or integers within [0, 1]; weights >= 0), :meth:`summary` is taken from
        the statistics without reading a row: the layout needs only bounds of the scores.
        The first counting pass then validates every row (the same checks and messages as
        pass 0, naming file, column and row: an invalid row means no answer), and the
        class totals come from its histogram. One pass over the files fewer; anything
        else (CSV, value columns, ``pos_label``, missing statistics) keeps pass 0.
        """
        self._fold = True

    def summary(self) -> SourceSummary:
        """Validate every row; rows, score range, labels and totals (cached)."""
        if self._summary is not None:
            return self._summary
        if self._fold:
            provisional = self._summary_from_statistics()
            if provisional is not None:
                self._summary, self._checked = provisional, []
                return provisional
        facts = (
            ordered_map_reduce(self._raw("summary"), self._facts, _merge_facts, self.threads)
            or _Facts()
        )
        spec = self.spec
        if facts.n_rows == 0:
            msg = f"'source' must hold at least one row (got 0 rows in {len(spec.paths)} files)"
            raise InvalidInputError(msg)
        if len(facts.labels) > 2:
            _too_many_labels(facts.labels, spec, list(facts.seen_in.values())[2])
        values = sorted(facts.labels, key=lambda v: (str(type(v)), v))
        target = check_target(np.array(values), spec.pos_label, spec.label)
        self._positive = target.positive_label
        self._has_positive = any(v == target.positive_label for v in values)
        n_pos = sum(t[1] for v, t in facts.labels.items() if v == target.positive_label)
        n_neg = sum(t[1] for v, t in facts.labels.items() if v != target.positive_label)
        weighted = spec.weight is not None
        if weighted:
            if not facts.any_weight:
                msg = f"'{spec.weight}' must not be all zero (got {facts.n_rows} zero weights)"
                raise InvalidInputError(msg)
            total = n_pos + n_neg
            limit = _MAX_INT_TOTAL if facts.integer_weights else _MAX_FLOAT_TOTAL
            if not total <= limit:
                msg = (
                    f"'{spec.weight}' must add up to at most {limit:.4g} (got a total of "
                    f"{total:.4g}); rescale the weights"
                )
                raise InvalidInputError(msg)
        integer = weighted and facts.integer_weights
        self._float32 = facts.float32
        low, high = (facts.low, facts.high) if spec.rule == ">=" else (-facts.high, -facts.low)
        self._summary = SourceSummary(
            n_rows=facts.n_rows,
            low=float(low),
            high=float(high),
            n_positive=int(n_pos) if integer or not weighted else float(n_pos),
            n_negative=int(n_neg) if integer or not weighted else float(n_neg),
            weighted=weighted,
            integer_weights=integer,
            zero_weights=weighted and facts.zero_weights,
            positive_label=target.positive_label,
            negative_label=target.negative_label,
            # the value columns, then each row's positive and negative flag gain
            n_extra=0 if spec.values is None else len(value_names(spec.values)) + 2,
        )
        return self._summary

    def _summary_from_statistics(self) -> SourceSummary | None:
        """The summary from Parquet row-group statistics (see :meth:`fold_summary`), or
        None where they do not say enough. Class totals are left None (the counting pass
        finds them)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        spec = self.spec
        if spec.format != "parquet" or spec.values is not None or spec.pos_label is not None:
            return None
        n_rows, low, high = 0, np.inf, -np.inf
        float32, integer, zero, boolean = True, True, False, True
        try:
            for path in spec.paths:
                handle = pq.ParquetFile(path)
                schema, meta = handle.schema_arrow, handle.metadata
                if any(name not in schema.names for name in self._columns()):
                    return None  # pass 0 names the column (after any earlier bad row)
                if meta.num_columns != len(schema.names):
                    return None  # nested columns: leaf and field numbers differ
                types = {name: schema.field(name).type for name in self._columns()}
                label, score = types[spec.label], types[spec.score]
                if not (pa.types.is_boolean(label) or pa.types.is_integer(label)):
                    return None
                if not (pa.types.is_float32(score) or pa.types.is_float64(score)):
                    return None
                boolean &= pa.types.is_boolean(label)
                float32 &= pa.types.is_float32(score)
                if spec.weight is not None:
                    kind = types[spec.weight]
                    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
                        return None
                    integer &= pa.types.is_integer(kind)
                index = {name: schema.get_field_index(name) for name in types}
                for g in range(meta.num_row_groups):
                    group = meta.row_group(g)
                    if group.num_rows == 0:
                        continue
                    stats = {name: group.column(i).statistics for name, i in index.items()}
                    if any(
                        st is None or not st.has_min_max or not st.has_null_count or st.null_count
                        for st in stats.values()
                    ):
                        return None
                    s_low, s_high = float(stats[spec.score].min), float(stats[spec.score].max)
                    if not (np.isfinite(s_low) and np.isfinite(s_high)):
                        return None  # NaN or inf in the statistics: pass 0 looks at the rows
                    low, high = min(low, s_low), max(high, s_high)
                    if not boolean and not 0 <= stats[spec.label].min <= stats[spec.label].max <= 1:
                        return None  # other label values: pass 0 checks and names them
                    if spec.weight is not None:
                        w_low = stats[spec.weight].min
                        if not w_low >= 0:
                            return None
                        zero |= w_low == 0
                n_rows += meta.num_rows
        except (pa.ArrowInvalid, OSError):
            return None  # pass 0 reads the file and names the problem
        if n_rows == 0 or not (np.isfinite(low) and np.isfinite(high)):
            return None
        self._float32 = float32
        self._positive = True if boolean else 1
        self._has_positive = True
        weighted = spec.weight is not None
        low, high = (low, high) if spec.rule == ">=" else (-high, -low)
        return SourceSummary(
            n_rows=n_rows,
            low=float(low),
            high=float(high),
            weighted=weighted,
            integer_weights=weighted and integer,
            zero_weights=weighted and zero,
            positive_label=True if boolean else 1,
            negative_label=False if boolean else 0,
        )

    def histogram(self, layout: BinLayout, levels: Sequence[Level]) -> Histogram:
        """A counting pass; the first one also completes a folded pass 0."""
        if self._checked is None:
            return super().histogram(layout, levels)
        try:
            hist = super().histogram(layout, levels)
            self._summary = self._confirmed(hist)
        except BaseException:
            # Nothing half-checked is kept: the next call starts over, with pass 0.
            self._summary, self._fold = None, False
            raise
        finally:
            self._checked = None
        return hist

    def _confirmed(self, hist: Histogram) -> SourceSummary:
        """The provisional summary completed by the first counting pass: totals from its
        histogram, the exact score range, and pass 0's checks of the weights' total."""
        spec, summary, seen = self.spec, self._summary, self._checked
        assert summary is not None
        assert seen is not None
        low, high = min(s[0] for s in seen), max(s[1] for s in seen)
        n_pos, n_neg = hist.positive.sum().item(), hist.negative.sum().item()
        if spec.weight is not None:
            if not any(s[2] for s in seen):
                msg = f"'{spec.weight}' must not be all zero (got {summary.n_rows} zero weights)"
                raise InvalidInputError(msg)
            total = n_pos + n_neg
            limit = _MAX_INT_TOTAL if summary.integer_weights else _MAX_FLOAT_TOTAL
            # The int64 cells wrap past 2**63; the batches' float totals cannot.
            approximate = math.fsum(s[3] for s in seen)
            if approximate > 2.0**62:
                total = approximate
            if not total <= limit:
                msg = (
                    f"'{spec.weight}' must add up to at most {limit:.4g} (got a total of "
                    f"{total:.4g}); rescale the weights"
                )
                raise InvalidInputError(msg)
        # Statistics are exact minima and maxima in practice; if a writer's were only
        # bounds, the engine counts again on the exact range (it compares the summaries).
        low, high = (low, high) if spec.rule == ">=" else (-high, -low)
        return replace(summary, low=low, high=high, n_positive=n_pos, n_negative=n_neg)

    def _facts(self, raw: _Raw) -> _Facts:
        spec = self.spec
        table = raw.table
        facts = _Facts(n_rows=table.num_rows)
        score = _score_array(table.column(spec.score), spec.score, raw)
        facts.float32 = score.dtype == np.float32
        facts.low, facts.high = _finite_range(score, spec.score, raw)
        weight = None
        if spec.weight is not None:
            weight = _weight_array(table.column(spec.weight), spec.weight, raw)
            facts.integer_weights = weight.dtype.kind in "iu"
            facts.zero_weights = not weight.min() > 0
            facts.any_weight = bool(weight.max() > 0)
        for name in column_names(spec.values or {}):
            _value_array(table.column(name), name, raw)
        facts.labels = _label_totals(table.column(spec.label), spec.label, raw, weight)
        facts.seen_in = dict.fromkeys(facts.labels, raw.path)
        if len(facts.labels) > 2:
            _too_many_labels(facts.labels, spec, raw.path)
        return facts

    # -- later passes
    def _convert(self, raw: _Raw) -> Batch:
        import pyarrow as pa
        import pyarrow.compute as pc

        spec = self.spec
        table = raw.table
        checking = self._checked is not None  # pass 0 folded into this pass: check here
        score: Any = _score_array(table.column(spec.score), spec.score, raw, check=checking)
        low, high = _finite_range(score, spec.score, raw) if checking else (0.0, 0.0)
        provisional = self._summary
        if checking and provisional is not None and len(score):
            bottom, top = (
                (provisional.low, provisional.high)
                if spec.rule == ">="
                else (-provisional.high, -provisional.low)
            )
            if low < bottom or high > top:
                raise StaleSummary  # the statistics did not cover these rows
        if score.dtype != np.float32:
            score = np.asarray(score, dtype=np.float64)
        if spec.rule == "<=":
            score = -score
        labels = table.column(spec.label)
        if not self._has_positive:
            is_positive = np.zeros(len(labels), dtype=bool)
        elif pa.types.is_boolean(labels.type):
            is_positive = _numpy(labels).astype(bool, copy=False)
            if not self._positive:
                is_positive = ~is_positive
        elif pa.types.is_integer(labels.type) or pa.types.is_floating(labels.type):
            is_positive = _numpy(labels) == self._positive
        else:
            value = pa.scalar(self._positive)
            is_positive = np.asarray(
                _numpy(pc.equal(labels, value.cast(labels.type))),
                dtype=bool,
            )
        weight = None
        if spec.weight is not None:
            weight = _weight_array(table.column(spec.weight), spec.weight, raw, check=checking)
            if self._summary is not None and self._summary.integer_weights:
                weight = weight.astype(np.int64, copy=False)
            else:
                weight = weight.astype(np.float64, copy=False)
        if checking:  # labels last, as in pass 0 (statistics said: no nulls, 0/1 only)
            _null_check(labels, spec.label, raw, InvalidLabelsError)
        extra = None
        if spec.values is not None:
            extra = _value_table(spec.values, table, raw, is_positive, weight)
        if checking and self._checked is not None:
            any_weight = weight is None or bool(len(weight) and weight.max() > 0)
            total = 0.0 if weight is None else float(weight.sum(dtype=np.float64))
            self._checked.append((low, high, any_weight, total))  # list.append: thread-safe
        return Batch(score, is_positive, weight, extra, raw.start)

    def read_columns(self, names: Sequence[str]) -> dict[str, np.ndarray]:
        """Every row of the value columns ``names`` in memory, as float64."""
        self.summary()
        parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
        for raw in self._raw("read"):
            for name in names:
                parts[name].append(_value_array(raw.table.column(name), name, raw, check=False))
        return {name: np.concatenate(arrays) for name, arrays in parts.items()}

    def read(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Every row in memory (labels as stored, scores, weights)."""
        self.summary()
        spec = self.spec
        labels, scores, weights = [], [], []
        for raw in self._raw("read"):
            table = raw.table
            labels.append(_numpy(table.column(spec.label)))
            scores.append(_score_array(table.column(spec.score), spec.score, raw, check=False))
            if spec.weight is not None:
                weights.append(
                    _weight_array(table.column(spec.weight), spec.weight, raw, check=False)
                )
        return (
            np.concatenate(labels),
            np.concatenate(scores),
            np.concatenate(weights) if spec.weight is not None else None,
        )


class _Converted:
    """A task on raw batches: convert (on the worker thread), then run ``task``."""

    def __init__(self, source: FileSource, task: Callable[[Batch], Any]) -> None:
        self.source, self.task = source, task

    def __call__(self, raw: _Raw) -> Any:
        return self.task(self.source._convert(raw))


def _rebatch(pending: list[Any], size: int) -> Iterator[Any]:
    import pyarrow as pa

    if not pending:
        return
    table = pa.Table.from_batches(pending)
    yield from table.to_batches(max_chunksize=size)


def _numpy(column: Any) -> np.ndarray:
    """A pyarrow array as numpy, without copies where possible.

    Numbers and booleans without nulls are read from the buffers directly: pyarrow's own
    ``to_numpy`` imports pandas (a second or more on first use) when it is installed.
    """
    import pyarrow as pa

    kind = column.type
    n, offset = len(column), column.offset
    if column.null_count == 0:
        buffers = column.buffers()
        if pa.types.is_boolean(kind):
            bits = np.frombuffer(buffers[1], dtype=np.uint8)
            unpacked = np.unpackbits(bits, bitorder="little")[offset : offset + n]
            return unpacked.view(bool)
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            code = (
                "f"
                if pa.types.is_floating(kind)
                else "i"
                if pa.types.is_signed_integer(kind)
                else "u"
            )
            dtype = np.dtype(f"{code}{kind.bit_width // 8}")
            return np.frombuffer(buffers[1], dtype=dtype, count=n, offset=offset * dtype.itemsize)
    out: np.ndarray = column.to_numpy(zero_copy_only=False)
    return out


def _finite_range(score: np.ndarray, name: str, raw: _Raw) -> tuple[float, float]:
    """A batch's lowest and highest score, or raise naming the first value not finite."""
    low, high = float(score.min()), float(score.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        bad = ~np.isfinite(score)
        first = int(np.argmax(bad))
        n_nan = int(np.isnan(score).sum())
        msg = (
            f"'{name}' must be finite (got {score[first].item()!r} at "
            f"{_where(raw, first)}; {n_nan} NaN and {int(bad.sum()) - n_nan} infinite "
            "values in that batch). Remove or impute them first."
        )
        raise InvalidInputError(msg)
    return low, high


def _where(raw: _Raw, index: int) -> str:
    return f"row {raw.row + index} of {raw.path!r}"


def _null_check(column: Any, name: str, raw: _Raw, error: type[InvalidInputError]) -> None:
    if column.null_count:
        import pyarrow.compute as pc

        first = int(np.argmax(_numpy(pc.is_null(column))))
        msg = f"'{name}' must not contain missing values (got null at {_where(raw, first)})"
        raise error(msg)


def _score_array(column: Any, name: str, raw: _Raw, *, check: bool = True) -> np.ndarray:
    """A batch's scores as numpy: float32 kept, other floats and integers as float64."""
    import pyarrow as pa

    kind = column.type
    if check:
        _null_check(column, name, raw, InvalidInputError)
        if pa.types.is_boolean(kind):
            msg = f"'{name}' must be numeric scores (got booleans in {raw.path!r})"
            raise InvalidInputError(msg)
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            msg = f"'{name}' must be numeric (got {kind} in {raw.path!r})"
            raise InvalidInputError(msg)
    array = _numpy(column)
    if pa.types.is_floating(kind):
        return array if array.dtype in (np.float32, np.float64) else array.astype(np.float64)
    if (
        check
        and array.size
        and (int(array.max()) > _MAX_EXACT_INT or int(array.min()) < -_MAX_EXACT_INT)
    ):
        msg = f"'{name}' has integers beyond 2**53 that float64 cannot hold exactly ({raw.path!r})"
        raise InvalidInputError(msg)
    return array.astype(np.float64)


def _value_array(column: Any, name: str, raw: _Raw, *, check: bool = True) -> np.ndarray:
    """A batch's value column as float64: numeric (not booleans), no nulls, finite."""
    import pyarrow as pa

    kind = column.type
    if check:
        _null_check(column, name, raw, InvalidInputError)
        if pa.types.is_boolean(kind) or not (
            pa.types.is_integer(kind) or pa.types.is_floating(kind)
        ):
            msg = f"'{name}' must be a numeric value column (got {kind} in {raw.path!r})"
            raise InvalidInputError(msg)
    array = _numpy(column).astype(np.float64, copy=False)
    if check and not np.isfinite(array).all():
        first = int(np.argmax(~np.isfinite(array)))
        msg = f"'{name}' must be finite (got {array[first].item()!r} at {_where(raw, first)})"
        raise InvalidInputError(msg)
    return array


def _value_table(
    spec: Mapping[str, float | tuple[float, str]],
    table: Any,
    raw: _Raw,
    is_positive: np.ndarray,
    weight: np.ndarray | None,
) -> np.ndarray:
    """A record batch's extra columns (see :func:`value_table`)."""
    columns = {
        name: _value_array(table.column(name), name, raw, check=False)
        for name in column_names(spec)
    }
    return value_table(spec, columns, is_positive, weight)


def value_table(
    spec: Mapping[str, float | tuple[float, str]],
    columns: Mapping[str, np.ndarray],
    is_positive: np.ndarray,
    weight: np.ndarray | None,
) -> np.ndarray:
    """A batch's extra columns (shape ``(k + 2, rows)``): for each value column (in
    :func:`value_names` order) ``weight * value`` on its outcome's class and 0 on the
    other, then the positive and the negative part of each row's flag gain (as
    :meth:`cutpoints._values.RowValues.extra_columns` and ``flag_gain`` in memory)."""
    names = value_names(spec)
    n = len(is_positive)
    out = np.zeros((len(names) + 2, n), dtype=np.float64)
    gain = np.zeros(n, dtype=np.float64)
    for key, entry in spec.items():
        if isinstance(entry, tuple):
            sign, column = entry
            value: Any = sign * columns[column]
        elif entry == 0.0:
            continue
        else:
            value = entry
        mask = is_positive if _POSITIVE_CLASS[key] else ~is_positive
        part = np.where(mask, value, 0.0)
        if weight is not None:
            part *= weight
        if key in names:
            out[names.index(key)] = part
        gain += part if _FLAGGED[key] else -part
    np.maximum(gain, 0.0, out=out[-2])
    np.minimum(gain, 0.0, out=out[-1])
    return out


def _weight_array(column: Any, name: str, raw: _Raw, *, check: bool = True) -> np.ndarray:
    """A batch's weights as numpy int64 (integer columns) or float64."""
    import pyarrow as pa

    kind = column.type
    if check:
        _null_check(column, name, raw, InvalidInputError)
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            msg = f"'{name}' must be numeric weights (got {kind} in {raw.path!r})"
            raise InvalidInputError(msg)
    array = _numpy(column)
    array = array.astype(np.int64 if array.dtype.kind in "iu" else np.float64, copy=False)
    if check:
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            first = int(np.argmax(~np.isfinite(array)))
            msg = f"'{name}' must be finite (got {array[first].item()!r} at {_where(raw, first)})"
            raise InvalidInputError(msg)
        if (array < 0).any():
            first = int(np.argmax(array < 0))
            msg = (
                f"'{name}' must be non-negative (got {array[first].item()!r} at "
                f"{_where(raw, first)})"
            )
            raise InvalidInputError(msg)
    return array


def _label_totals(
    column: Any, name: str, raw: _Raw, weight: np.ndarray | None
) -> dict[Any, list[float]]:
    """Each distinct label of a batch: ``[rows, weight]`` (at most three are counted)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _null_check(column, name, raw, InvalidLabelsError)
    if pa.types.is_floating(column.type):
        values = _numpy(column)
        if not np.isfinite(values).all():
            first = int(np.argmax(~np.isfinite(values)))
            msg = (
                f"'{name}' must not contain NaN or infinity (got {values[first].item()!r} "
                f"at {_where(raw, first)})"
            )
            raise InvalidLabelsError(msg)
    out: dict[Any, list[float]] = {}
    numeric = pa.types.is_boolean(column.type) or pa.types.is_integer(column.type)
    if numeric or pa.types.is_floating(column.type):
        # numpy, not pyarrow's compute: comparing with a pyarrow scalar imports pandas.
        values = _numpy(column)
        masks: list[tuple[Any, np.ndarray]]
        found: Sequence[Any] = ()
        if values.dtype == bool:
            masks = [(False, ~values), (True, values)]
        else:
            lo, hi = (values.min().item(), values.max().item()) if len(values) else (0, 0)
            if numeric and hi - lo <= 2:  # 0/1 or -1/1: no sort of the batch
                found = range(int(lo), int(hi) + 1)
            else:
                found = np.unique(values).tolist()
            masks = [(v, values == v) for v in found[:3]]
        for value, mask in masks:
            rows = int(np.count_nonzero(mask))
            if rows:
                out[value] = [rows, rows if weight is None else weight[mask].sum().item()]
        for value in found[3:]:
            out[value] = [0, 0]
        return out
    distinct = pc.unique(column).to_pylist()
    for value in distinct[:3]:
        mask = np.asarray(
            _numpy(pc.equal(column, pa.scalar(value, type=column.type))),
            dtype=bool,
        )
        rows = int(mask.sum())
        out[value] = [rows, rows if weight is None else weight[mask].sum().item()]
    for value in distinct[3:]:
        out[value] = [0, 0]
    return out


def _too_many_labels(labels: dict[Any, list[float]], spec: Scan, path: str) -> None:
    values = sorted(labels, key=lambda v: (str(type(v)), v))
    try:
        check_target(np.array(values), spec.pos_label, spec.label)
    except InvalidLabelsError as exc:
        msg = f"{exc} (a third value first appears in {path!r})"
        raise InvalidLabelsError(msg) from None
    msg = f"'{spec.label}' must have two classes for a threshold (got {values!r})"
    raise InvalidLabelsError(msg)  # pragma: no cover - check_target refuses first


def _merge_facts(a: _Facts, b: _Facts) -> _Facts:
    a.n_rows += b.n_rows
    a.low, a.high = min(a.low, b.low), max(a.high, b.high)
    for value, (rows, weight) in b.labels.items():
        entry = a.labels.setdefault(value, [0, 0])
        entry[0] += rows
        entry[1] += weight
        a.seen_in.setdefault(value, b.seen_in[value])
    a.integer_weights &= b.integer_weights
    a.zero_weights |= b.zero_weights
    a.any_weight |= b.any_weight
    a.float32 &= b.float32
    return a


# ---------------------------------------------------------------------------- answers
def _engine_for(engine: str | Engine, n_rows: int, streamed: bool) -> HistogramEngine | None:
    """The histogram engine to stream with, or None to read the rows into memory."""
    from .engines import HistogramEngine, get_engine

    if isinstance(engine, HistogramEngine):
        return engine
    if engine == "auto":
        return HistogramEngine() if streamed or n_rows > SMALL_ROWS else None
    chosen = get_engine(engine)
    if isinstance(chosen, HistogramEngine):
        return chosen
    if streamed:
        msg = f"'engine' must be 'auto' or 'histogram' for a cluster DataFrame (got {engine!r})"
        raise InvalidParameterError(msg)
    return None  # the sort engine (or another full-curve engine): read into memory


def _partial_curve(data: Scan, partial: PartialSweep, engine: HistogramEngine) -> ConfusionCurve:
    summary = data.summary()

    def full() -> tuple[Any, Any, Any]:
        return _full_sweep(data, engine)

    return partial.curve(
        rule=data.rule,
        source=full,
        n_positive=partial.tp[-1].item(),
        n_negative=partial.fp[-1].item(),
        n_samples=summary.n_rows,
        weighted=data.weight is not None,
        positive_label=getattr(summary, "positive_label", 1),
        negative_label=getattr(summary, "negative_label", 0),
    )


def _full_sweep(data: Scan, engine: HistogramEngine) -> tuple[Any, Any, Any]:
    """The full sweep of a scan's rows as the engine sees them, if they fit."""
    from .engines._sort import sweep_with_top

    _check_fits(data, engine)
    labels, score, weight = data.read()
    from ._api import _columns

    columns = _columns(labels, score, weight, data.pos_label, data.rule, "sort")
    return sweep_with_top(
        np.asarray(columns.score, dtype=np.float64), columns.is_positive, columns.weight
    )


def _check_fits(data: Scan, engine: HistogramEngine) -> None:
    """Refuse to read a scan's rows into memory beyond the engine's ``max_rows``."""
    from .engines._histogram import STREAM_MAX_ROWS

    cap = STREAM_MAX_ROWS if engine.max_rows is None else engine.max_rows
    n = data.n_rows
    if data.cluster is not None or n > cap:
        msg = (
            f"'max_rows' must be at least the input's rows for a full curve (got "
            f"max_rows={cap:,} for {n:,} rows); ask for the rows you need with "
            "confusion_curve(scan, at=[...]) instead"
        )
        raise InvalidInputError(msg)


def _in_memory_curve(data: Scan, engine: str | Engine = "sort") -> ConfusionCurve:
    """The full curve of a scan's rows read into memory, with its value columns."""
    from ._api import confusion_curve

    labels, score, weight = data.read()
    return confusion_curve(
        labels,
        score,
        sample_weight=weight,
        pos_label=data.pos_label,
        rule=data.rule,
        engine=engine,
        values=data.read_values(),
    )


def _with_values(
    data: Scan, curve: ConfusionCurve, partial: PartialSweep, engine: HistogramEngine
) -> ConfusionCurve:
    """``curve`` with its ``"value"`` column from the engine's summed value columns;
    ``full()`` of a binned one re-reads the rows with their values (when they fit)."""
    from .engines._histogram import BinnedCurve

    if data.values is None:
        return curve
    assert partial.extra is not None
    curve.values = data.value_column()(curve.tp, curve.fp, partial.extra)
    if isinstance(curve, BinnedCurve):

        def full() -> ConfusionCurve:
            _check_fits(data, engine)
            return _in_memory_curve(data)

        curve._source = full
    return curve


def find_streamed(
    data: Any,
    y_score: Any,
    *,
    metric: Any,
    constraints: Any,
    maximize: bool | None,
    ties: Any,
    sample_weight: Any,
    pos_label: Any,
    rule: Any,
    engine: str | Engine,
    values: Any = None,
) -> Cutpoint | None:
    """find_cutpoint for a :class:`Scan` (or Dask arrays); None for anything else."""
    if not isinstance(data, Scan):
        arrays = _cluster_arrays(data, y_score, sample_weight, pos_label, rule, values)
        if arrays is None:
            if y_score is None:
                msg = "'y_score' is required (got None), unless 'y_true' is a cp.scan(...)"
                raise InvalidInputError(msg)
            return None
        data = arrays
    else:
        _check_scan_arguments(y_score, sample_weight, pos_label, values)
    from ._api import N_RUNNERS_UP, cutpoint_from_selection, find_cutpoint
    from ._metrics import get_metric
    from ._validation import check_choice
    from .selection import TIE_RULES, as_constraints, select_rows

    if rule != ">=" and rule != data.rule:
        msg = f"'rule' must be given to cp.scan(...) for a scan (got rule={rule!r})"
        raise InvalidParameterError(msg)
    objective = get_metric(metric)
    check_choice(ties, "ties", TIE_RULES)
    constraint_list = as_constraints(constraints)
    streamed = data.cluster is not None
    files: FileSource | None = None if streamed else data.source()
    n_rows = data.summary().n_rows if files is None else files.row_count()
    chosen = _engine_for(engine, n_rows, streamed)
    if chosen is None:
        labels, score, weight = data.read()
        cut = find_cutpoint(
            labels,
            score,
            metric=objective,
            constraints=constraint_list,
            maximize=maximize,
            ties=ties,
            sample_weight=weight,
            pos_label=data.pos_label,
            rule=data.rule,
            engine="sort" if engine == "auto" else engine,
            values=data.read_values(),
        )
        return replace(cut, columns=data.columns())
    if files is not None:
        files.fold_summary()  # the first counting pass validates: one pass fewer
    direction = objective.greater_is_better if maximize is None else bool(maximize)
    partial = chosen.sweep_source(
        data.source(),
        objective=objective,
        constraints=constraint_list,
        maximize=direction,
        n_runners_up=N_RUNNERS_UP,
        value_column=None if data.values is None else data.value_column(),
    )
    curve = _with_values(data, _partial_curve(data, partial, chosen), partial, chosen)
    selection = select_rows(curve, objective, constraint_list, ties=ties, maximize=maximize)
    if selection.status in ("infeasible", "undefined") and data.values is not None:
        # The error names the closest points of the full curve, as in memory, if it fits.
        try:
            _check_fits(data, chosen)
        except InvalidInputError:
            pass
        else:
            curve = _in_memory_curve(data)
            selection = select_rows(curve, objective, constraint_list, ties=ties, maximize=maximize)
    elif selection.status in ("infeasible", "undefined") and not partial.complete:
        # The error names the closest points on the full curve, as in memory, when the
        # rows fit; otherwise on the rows built (bin edges and refined bins).
        try:
            thresholds, tp, fp = _full_sweep(data, chosen)
        except InvalidInputError:
            pass
        else:
            full = _partial_curve(data, _complete(thresholds, tp, fp), chosen)
            selection = select_rows(full, objective, constraint_list, ties=ties, maximize=maximize)
            curve = full
    cut = cutpoint_from_selection(curve, selection.raise_for_status(), ties=ties)
    return replace(cut, columns=data.columns())


def _check_scan_arguments(y_score: Any, sample_weight: Any, pos_label: Any, values: Any) -> None:
    """A scan names its own columns: the array arguments must not be given too."""
    given = {
        "y_score": y_score,
        "sample_weight": sample_weight,
        "pos_label": pos_label,
        "values": values,
    }
    extra = {name: value for name, value in given.items() if value is not None}
    if extra:
        shown = ", ".join(f"{name}={type(v).__name__}" for name, v in extra.items())
        msg = (
            f"{', '.join(repr(n) for n in extra)} must be None for a scan: name the columns "
            f"(and pos_label, and values) in cp.scan(...) (got {shown})"
        )
        raise InvalidParameterError(msg)


def _complete(thresholds: Any, tp: Any, fp: Any) -> PartialSweep:
    from .engines._histogram import PartialSweep

    return PartialSweep(thresholds, tp, fp)


def _cluster_arrays(
    y_true: Any, y_score: Any, sample_weight: Any, pos_label: Any, rule: Any, values: Any = None
) -> Scan | None:
    """Dask arrays (and ``values=`` beside them) as a Scan over the cluster source, or
    None (nothing imported)."""
    tops = {type(x).__module__.split(".")[0] for x in (y_true, y_score, sample_weight)}
    if not tops & {"dask", "dask_expr"}:
        return None
    from .engines._cluster import source_from_arrays

    cluster = source_from_arrays(
        y_true, y_score, sample_weight, pos_label=pos_label, rule=rule, values=values
    )
    if cluster is None:
        return None
    return Scan(
        paths=(),
        format="cluster",
        label="y_true",
        score="y_score",
        weight=None if sample_weight is None else "sample_weight",
        pos_label=pos_label,
        rule=rule,
        cluster=cluster,
        values=cluster.values,
    )


def curve_streamed(
    data: Scan,
    *,
    at: Any = None,
    engine: str | Engine = "auto",
    rule: Any = ">=",
    sample_weight: Any = None,
    pos_label: Any = None,
    values: Any = None,
) -> ConfusionCurve:
    """confusion_curve for a :class:`Scan`: bin edges plus exact rows at ``at``.

    A small input (at most :data:`SMALL_ROWS` rows, engine ``"auto"``) or engine
    ``"sort"`` gives the full curve, read into memory.
    """
    _check_scan_arguments(None, sample_weight, pos_label, values)
    if rule != ">=" and rule != data.rule:
        msg = f"'rule' must be given to cp.scan(...) for a scan (got rule={rule!r})"
        raise InvalidParameterError(msg)
    at_values = None
    if at is not None:
        at_values = np.atleast_1d(np.asarray(at, dtype=np.float64))
        if at_values.ndim != 1 or np.isnan(at_values).any():
            msg = f"'at' must be a list of thresholds without NaN (got {at!r})"
            raise InvalidParameterError(msg)
    summary = data.summary()
    chosen = _engine_for(engine, summary.n_rows, data.cluster is not None)
    if chosen is None:
        return _in_memory_curve(data, "sort" if engine == "auto" else engine)
    if at_values is not None and data.rule == "<=":
        at_values = -at_values  # the engine sees the scores negated
    if at_values is not None:
        # Thresholds beyond the scores' range flag all or nothing: no bin to refine.
        at_values = at_values[(at_values >= summary.low) & (at_values <= summary.high)]
    value_column = None if data.values is None else data.value_column()
    partial = chosen.sweep_source(data.source(), at=at_values, value_column=value_column)
    return _with_values(data, _partial_curve(data, partial, chosen), partial, chosen)
