"""Reading and writing tables for the command line: CSV and Parquet through pyarrow.

Only the columns a command needs are read. ``-`` means CSV on stdin (or stdout for
output). Nothing is ever unpickled: CSV and Parquet are plain data formats.
"""

from __future__ import annotations

import difflib
import io
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CliError",
    "InputData",
    "column_names",
    "convert_pos_label",
    "detect_format",
    "iter_batches",
    "read_columns",
    "read_input",
    "write_table",
]

STDIN = "-"
_SHOWN_VALUES = 10


class CliError(Exception):
    """A user error found by the command line itself (file, column, option text)."""


def detect_format(path: str, *, role: str = "input") -> str:
    """``"csv"`` or ``"parquet"`` from the file name (``-`` is CSV)."""
    if path == STDIN:
        return "csv"
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zst", ".lz4") and len(suffixes) > 1:
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext in (".csv", ".txt"):
        return "csv"
    if ext in (".parquet", ".pq", ".parq"):
        return "parquet"
    if role == "input" and Path(path).is_file():
        with open(path, "rb") as fh:
            if fh.read(4) == b"PAR1":
                return "parquet"
        return "csv"
    msg = f"cannot tell the format of {role} file '{path}': use a .csv or .parquet name"
    raise CliError(msg)


def _check_exists(path: str) -> None:
    if path == STDIN:
        return
    p = Path(path)
    if not p.exists():
        msg = f"file '{path}' does not exist"
        raise CliError(msg)
    if p.is_dir():
        msg = f"'{path}' is a directory, not a file"
        raise CliError(msg)


def _csv_source(path: str) -> Any:
    """A path, or the bytes of stdin wrapped in a buffer (read once)."""
    if path == STDIN:
        return io.BytesIO(sys.stdin.buffer.read())
    return path


def _arrow_error(path: str, exc: Exception) -> CliError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    name = "stdin" if path == STDIN else f"'{path}'"
    return CliError(f"could not read {name}: {first}")


def column_names(path: str) -> list[str]:
    """The column names of a CSV or Parquet file (reads only the header / schema)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    _check_exists(path)
    fmt = detect_format(path)
    try:
        if fmt == "parquet":
            return list(pq.read_schema(path).names)
        with pacsv.open_csv(path) as reader:
            return list(reader.schema.names)
    except (pa.ArrowInvalid, OSError) as exc:
        raise _arrow_error(path, exc) from exc


def missing_column_error(name: str, option: str, available: list[str]) -> CliError:
    """``column 'x' (--score) not found``, with the closest names."""
    close = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(repr(c) for c in available[:20]) + (", ..." if len(available) > 20 else "")
    return CliError(f"column '{name}' ({option}) not found{hint} (columns: {shown})")


def read_columns(path: str, wanted: dict[str, str]) -> dict[str, Any]:
    """Read the named columns (only those) as pyarrow ChunkedArrays.

    Parameters
    ----------
    path : str
        A CSV or Parquet file, or ``-`` for CSV on stdin.
    wanted : dict
        Column name -> the option that named it (for messages), e.g. ``{"p": "--score"}``.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    _check_exists(path)
    fmt = detect_format(path)
    columns = list(dict.fromkeys(wanted))
    try:
        if fmt == "parquet":
            names = list(pq.read_schema(path).names)
            for col in columns:
                if col not in names:
                    raise missing_column_error(col, wanted[col], names)
            table = pq.read_table(path, columns=columns)
        else:
            source = _csv_source(path)
            if path == STDIN:
                if not source.getbuffer().nbytes:
                    msg = "stdin is empty: pipe a CSV file with a header row into '-'"
                    raise CliError(msg)
                with pacsv.open_csv(source) as reader:
                    names = list(reader.schema.names)
                source.seek(0)
            else:
                names = column_names(path)
            for col in columns:
                if col not in names:
                    raise missing_column_error(col, wanted[col], names)
            table = pacsv.read_csv(
                source, convert_options=pacsv.ConvertOptions(include_columns=columns)
            )
    except (pa.ArrowInvalid, OSError) as exc:
        raise _arrow_error(path, exc) from exc
    return {col: table.column(col) for col in columns}


def _describe_type(arrow_type: Any) -> str:
    import pyarrow.types as pat

    if pat.is_string(arrow_type) or pat.is_large_string(arrow_type):
        return "text"
    return str(arrow_type)


def _sample_bad_values(column: Any) -> str:
    import pyarrow.compute as pc

    values = pc.unique(column.drop_null()).to_pylist()[:3]
    return ", ".join(repr(v) for v in values)


def numeric_column(column: Any, name: str, option: str, *, keep_int: bool = False) -> np.ndarray:
    """A numeric column as float64 numpy, with a clear error for text or missing values.

    With ``keep_int``, integer columns stay int64 (integer weights keep counts exact).
    """
    import pyarrow.types as pat

    arrow_type = column.type
    if len(column) == 0:
        msg = f"column '{name}' ({option}) has no rows: the file holds only a header"
        raise CliError(msg)
    if pat.is_null(arrow_type):
        msg = f"column '{name}' ({option}) has only missing values ({len(column)} rows)"
        raise CliError(msg)
    if not (pat.is_integer(arrow_type) or pat.is_floating(arrow_type)):
        msg = (
            f"column '{name}' ({option}) must be numeric (got {_describe_type(arrow_type)} "
            f"values such as {_sample_bad_values(column)})"
        )
        raise CliError(msg)
    if column.null_count:
        msg = (
            f"column '{name}' ({option}) has {column.null_count} missing values; remove them first"
        )
        raise CliError(msg)
    if keep_int and pat.is_integer(arrow_type):
        return np.asarray(column.to_numpy(), dtype=np.int64)
    return np.asarray(column.to_numpy(), dtype=np.float64)


def label_column(column: Any, name: str) -> np.ndarray:
    """The label column as numpy (bool, int, float or text)."""
    if column.null_count:
        msg = f"column '{name}' (--label) has {column.null_count} missing values; remove them first"
        raise CliError(msg)
    return np.asarray(column.to_numpy())


def _distinct(values: np.ndarray) -> list[Any]:
    uniques = np.unique(values)
    return [v.item() if hasattr(v, "item") else v for v in uniques[: _SHOWN_VALUES + 1]]


def convert_pos_label(text: str | None, labels: np.ndarray, name: str) -> Any:
    """Turn ``--pos-label`` text into a value of the label column's type.

    Numeric and boolean columns get a number or bool; text columns keep the text. An
    error lists the values found when the text matches none of them. Without
    ``--pos-label``, labels other than {0, 1}, {-1, 1} or booleans are an error that
    suggests each value.
    """
    found = _distinct(labels)
    shown = ", ".join(repr(v) for v in found[:_SHOWN_VALUES])
    if len(found) > _SHOWN_VALUES:
        shown += ", ..."
    kind = labels.dtype.kind
    if text is None:
        if kind == "b":
            return None
        if kind in "iuf" and (set(found) <= {0, 1} or set(found) <= {-1, 1}):
            return None
        if len(found) > 2:
            return None  # the library explains that a threshold needs two classes
        options = " or ".join(f"--pos-label {_shell_word(v)}" for v in found)
        msg = (
            f"column '{name}' (--label) takes the values {shown}, so cutpoints cannot tell "
            f"which class is positive; pass {options}"
        )
        raise CliError(msg)
    value: Any = text
    try:
        if kind == "b":
            lowered = text.strip().lower()
            if lowered in ("true", "1", "yes", "t", "y"):
                value = True
            elif lowered in ("false", "0", "no", "f", "n"):
                value = False
            else:
                raise ValueError(text)
        elif kind in "iu":
            number = float(text)
            value = int(number) if number.is_integer() else number
        elif kind == "f":
            value = float(text)
    except ValueError:
        msg = f"--pos-label {text!r} is not one of the values of column '{name}' ({shown})"
        raise CliError(msg) from None
    matches = (
        bool(np.any(labels == value))
        if not (isinstance(value, float) and math.isnan(value))
        else False
    )
    if not matches:
        msg = f"--pos-label {text!r} is not one of the values of column '{name}' ({shown})"
        raise CliError(msg)
    return value


def _shell_word(value: Any) -> str:
    text = str(value)
    if text and all(c.isalnum() or c in "._-+" for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


@dataclass
class InputData:
    """What ``tune``, ``report`` and ``curve`` read: labels, scores, optional weights."""

    y_true: np.ndarray
    y_score: np.ndarray
    sample_weight: np.ndarray | None
    pos_label: Any
    source: str
    label: str
    score: str
    weight: str | None


def read_input(
    path: str, label: str, score: str, weight: str | None, pos_label: str | None
) -> InputData:
    """Read and check the label, score and weight columns of ``path``."""
    wanted = {label: "--label", score: "--score"}
    if weight is not None:
        wanted.setdefault(weight, "--weight")
    columns = read_columns(path, wanted)
    y_score = numeric_column(columns[score], score, "--score")
    weights = numeric_column(columns[weight], weight, "--weight", keep_int=True) if weight else None
    y_true = label_column(columns[label], label)
    positive = convert_pos_label(pos_label, y_true, label)
    return InputData(
        y_true=y_true,
        y_score=y_score,
        sample_weight=weights,
        pos_label=positive,
        source=path,
        label=label,
        score=score,
        weight=weight,
    )


def iter_batches(path: str, batch_size: int) -> tuple[Any, Iterator[Any], int | None]:
    """Stream ``path`` as record batches: ``(schema, batches, total_rows or None)``.

    Parquet is read with ``ParquetFile.iter_batches`` and CSV with ``pyarrow.csv.open_csv``,
    so memory stays bounded by the batch size whatever the file size.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    _check_exists(path)
    fmt = detect_format(path)
    try:
        if fmt == "parquet":
            pf = pq.ParquetFile(path)
            return pf.schema_arrow, pf.iter_batches(batch_size=batch_size), pf.metadata.num_rows
        source = sys.stdin.buffer if path == STDIN else path
        # block_size is in bytes; ~64 bytes a row is a fair guess for a batch of rows.
        block = max(1 << 16, min(batch_size * 64, 1 << 28))
        reader = pacsv.open_csv(source, read_options=pacsv.ReadOptions(block_size=block))
    except (pa.ArrowInvalid, OSError) as exc:
        raise _arrow_error(path, exc) from exc

    def batches() -> Iterator[Any]:
        try:
            yield from reader
        except (pa.ArrowInvalid, OSError) as exc:
            raise _arrow_error(path, exc) from exc

    return reader.schema, batches(), None


def write_table(table: Any, path: str) -> None:
    """Write a pyarrow Table as CSV or Parquet (from the extension; ``-`` = CSV on stdout)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    fmt = detect_format(path, role="output")
    if fmt == "parquet":
        pq.write_table(table, path)
    elif path == STDIN:
        sink = io.BytesIO()
        pacsv.write_csv(table, sink)
        sys.stdout.write(sink.getvalue().decode("utf-8"))
        sys.stdout.flush()
    else:
        pacsv.write_csv(table, path)
