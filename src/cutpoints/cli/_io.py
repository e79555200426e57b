"""Reading labels, scores and weights for the command line: CSV and Parquet via pyarrow.

Only the columns a command needs are read. ``-`` means CSV on stdin, which is read
once, whole, into memory and parsed once (a stream cannot be read twice). Nothing is
ever unpickled: CSV and Parquet are plain data formats. ``pyarrow`` is imported inside
the functions, so ``cutpoints --help`` never pays for it.
"""

from __future__ import annotations

import difflib
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import InvalidInputError
from ._console import CliError
from ._options import DataOptions

__all__ = [
    "STDIN",
    "InputData",
    "arrow_error",
    "check_exists",
    "check_numeric_type",
    "convert_pos_label",
    "csv_header",
    "detect_format",
    "label_column",
    "missing_column_error",
    "numeric_column",
    "read_columns",
    "read_input",
    "read_stdin",
    "read_stdin_stream",
]

STDIN = "-"
_SHOWN_VALUES = 10
_COMPRESSED = (".gz", ".bz2", ".zst", ".lz4")


def detect_format(path: str, *, role: str = "input", option: str = "FILE") -> str:
    """``"csv"`` or ``"parquet"`` from the file name (``-`` is CSV).

    An input with another extension is sniffed (Parquet files start with ``PAR1``);
    an output must say which format it wants.
    """
    if path == STDIN:
        return "csv"
    suffixes = [s.lower() for s in Path(path).suffixes]
    if len(suffixes) > 1 and suffixes[-1] in _COMPRESSED:
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
    msg = (
        f"'{option}' must name a .csv or .parquet file, or '-' for CSV on stdout "
        f"(got '{path}': cannot tell its format)"
    )
    raise CliError(msg)


def check_exists(path: str) -> None:
    """Refuse a missing input, or a directory, with the path in the message."""
    if path == STDIN:
        return
    p = Path(path)
    if not p.exists():
        msg = f"file '{path}' does not exist"
        raise CliError(msg)
    if p.is_dir():
        msg = f"'{path}' is a directory, not a file"
        raise CliError(msg)


def read_stdin_stream() -> BinaryIO:
    """stdin's binary stream; a clear error when stdin is closed."""
    stream = sys.stdin
    if stream is None or stream.closed:
        msg = "stdin is closed: pipe a CSV file with a header row into '-' (e.g. '< scores.csv')"
        raise CliError(msg)
    buffer: BinaryIO = stream.buffer
    return buffer


def read_stdin() -> bytes:
    """All of stdin, read once; a clear error when it is closed or empty."""
    stream = read_stdin_stream()
    try:
        data = stream.read()
    except (OSError, ValueError, AttributeError) as exc:
        msg = f"could not read stdin ({exc}): pipe a CSV file with a header row into '-'"
        raise CliError(msg) from None
    if not data.strip():
        msg = "stdin is empty: pipe a CSV file with a header row into '-'"
        raise CliError(msg)
    return data


def arrow_error(path: str, exc: BaseException) -> CliError:
    """One line saying why ``path`` could not be read."""
    name = "stdin" if path == STDIN else f"'{path}'"
    if isinstance(exc, UnicodeDecodeError):
        return CliError(
            f"could not read {name}: its header is not UTF-8 text (byte "
            f"{exc.object[exc.start : exc.start + 1]!r} at position {exc.start}); "
            "save the file as UTF-8"
        )
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return CliError(f"could not read {name}: {first}")


def _names_near(name: str, available: list[str]) -> list[str]:
    same_but_case = [c for c in available if c.lower() == name.lower()]
    return same_but_case or difflib.get_close_matches(name, available, n=3, cutoff=0.5)


def missing_column_error(name: str, option: str, available: list[str]) -> CliError:
    """``column 'x' (--score) not found``, with the closest names (case ignored first)."""
    close = _names_near(name, available)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(repr(c) for c in available[:20]) + (", ..." if len(available) > 20 else "")
    return CliError(f"column '{name}' ({option}) not found{hint} (columns: {shown})")


def csv_header(source: Any) -> list[str]:
    """The column names of a CSV path or in-memory CSV bytes (only the first block)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    stream = pa.BufferReader(source) if isinstance(source, bytes) else source
    with pacsv.open_csv(stream) as reader:
        return list(reader.schema.names)


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

    check_exists(path)
    columns = list(dict.fromkeys(wanted))
    try:
        if detect_format(path) == "parquet":
            table = _read_parquet(path, columns, wanted)
        else:
            source: Any = read_stdin() if path == STDIN else path
            table = _read_csv(source, columns, wanted)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        raise arrow_error(path, exc) from exc
    return {col: table.column(col) for col in columns}


def _read_parquet(path: str, columns: list[str], wanted: dict[str, str]) -> Any:
    import pyarrow.parquet as pq

    names = list(pq.read_schema(path).names)
    for col in columns:
        if col not in names:
            raise missing_column_error(col, wanted[col], names)
    return pq.read_table(path, columns=columns)


def _read_csv(source: Any, columns: list[str], wanted: dict[str, str]) -> Any:
    """One parse of the whole CSV (types inferred over every row, not the first block).

    A missing column is found by the parse itself; only then is the header read again
    (from the same bytes or path) to suggest the closest names.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    stream = pa.BufferReader(source) if isinstance(source, bytes) else source
    try:
        return pacsv.read_csv(stream, convert_options=pacsv.ConvertOptions(include_columns=columns))
    except pa.ArrowKeyError:
        names = csv_header(source)
        for col in columns:
            if col not in names:
                raise missing_column_error(col, wanted[col], names) from None
        raise


def _describe_type(arrow_type: Any) -> str:
    import pyarrow.types as pat

    if pat.is_string(arrow_type) or pat.is_large_string(arrow_type):
        return "text"
    return str(arrow_type)


def _sample_bad_values(column: Any) -> str:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pc.unique(column.drop_null()).to_pylist()[:3]
    except pa.ArrowException:  # nested types (lists, structs) have no unique()
        return ""
    return " such as " + ", ".join(repr(v) for v in values)


def check_numeric_type(arrow_type: Any, name: str, option: str, column: Any = None) -> None:
    """Refuse a column that is not integer or floating point (text, lists, structs)."""
    import pyarrow.types as pat

    if pat.is_integer(arrow_type) or pat.is_floating(arrow_type):
        return
    sample = _sample_bad_values(column) if column is not None else ""
    kind = _describe_type(arrow_type)
    msg = f"column '{name}' ({option}) must be numeric (got {kind} values{sample})"
    raise CliError(msg)


def numeric_column(column: Any, name: str, option: str, *, keep_int: bool = False) -> np.ndarray:
    """A numeric column as float64 numpy, with a clear error for text or missing values.

    With ``keep_int``, integer columns stay int64 (integer weights keep counts exact).
    Integer scores go through the library's own check, so integers that float64 cannot
    hold exactly (beyond 2**53) are refused here as they are by ``find_cutpoint``.
    """
    import pyarrow.types as pat

    from .._validation import check_scores

    arrow_type = column.type
    if len(column) == 0:
        msg = f"column '{name}' ({option}) has no rows: the file holds only a header"
        raise CliError(msg)
    if pat.is_null(arrow_type):
        msg = f"column '{name}' ({option}) has only missing values ({len(column)} rows)"
        raise CliError(msg)
    check_numeric_type(arrow_type, name, option, column)
    if column.null_count:
        msg = (
            f"column '{name}' ({option}) has {column.null_count} missing values; remove them first"
        )
        raise CliError(msg)
    values = np.asarray(column.to_numpy())
    if keep_int and pat.is_integer(arrow_type):
        return np.asarray(values, dtype=np.int64)
    if pat.is_integer(arrow_type):
        try:
            return check_scores(values, name)
        except InvalidInputError as exc:
            msg = f"column '{name}' ({option}): {exc}"
            raise CliError(msg) from None
    return np.asarray(values, dtype=np.float64)


def label_column(column: Any, name: str) -> np.ndarray:
    """The label column as numpy (bool, int, float or text)."""
    import pyarrow as pa

    if column.null_count:
        msg = f"column '{name}' (--label) has {column.null_count} missing values; remove them first"
        raise CliError(msg)
    try:
        return np.asarray(column.to_numpy())
    except pa.ArrowException as exc:
        msg = f"column '{name}' (--label) must hold one class per row (got {column.type} values)"
        raise CliError(msg) from exc


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
    value = _typed_label(text, kind)
    matches = (
        bool(np.any(labels == value))
        if value is not None and not (isinstance(value, float) and math.isnan(value))
        else False
    )
    if not matches:
        msg = f"--pos-label {text!r} is not one of the values of column '{name}' ({shown})"
        raise CliError(msg)
    return value


def _typed_label(text: str, kind: str) -> Any:
    """``text`` as a value of a column of numpy kind ``kind``; None if it cannot be one."""
    if kind == "b":
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes", "t", "y"):
            return True
        if lowered in ("false", "0", "no", "f", "n"):
            return False
        return None
    if kind in "iuf":
        try:
            number = float(text)
        except ValueError:
            return None
        if kind == "f":
            return number
        return int(number) if number.is_integer() else number
    return text


def _shell_word(value: Any) -> str:
    text = str(value)
    if text and all(c.isalnum() or c in "._-+" for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def _check_not_swapped(label_column: Any, score_column: Any, data: DataOptions) -> None:
    """A hint when the label column looks like scores and the score column like labels."""
    import pyarrow.compute as pc
    import pyarrow.types as pat

    label_type, score_type = label_column.type, score_column.type
    if not pat.is_floating(label_type):
        return
    n_labels = pc.count_distinct(label_column).as_py()
    if n_labels <= 2:
        return
    numeric_score = pat.is_integer(score_type) or pat.is_floating(score_type)
    if numeric_score and pc.count_distinct(score_column).as_py() > 2:
        return
    msg = (
        f"column '{data.label}' (--label) holds {n_labels:,} distinct numbers, like scores, "
        f"while column '{data.score}' (--score) looks like labels: --label and --score look "
        f"swapped; try --label {_shell_word(data.score)} --score {_shell_word(data.label)}"
    )
    raise CliError(msg)


@dataclass
class InputData:
    """What ``tune``, ``report`` and ``curve`` read: labels, scores, optional weights."""

    y_true: np.ndarray
    y_score: np.ndarray
    sample_weight: np.ndarray | None
    pos_label: Any
    options: DataOptions
    extra: dict[str, Any] = field(default_factory=dict)  # other columns asked for, raw


def read_input(data: DataOptions, extra: dict[str, str] | None = None) -> InputData:
    """Read and check the label, score and weight columns that ``data`` names.

    ``extra`` (column -> the option that names it, e.g. ``{"region": "--group"}``):
    more columns read in the same pass, returned unchecked in :attr:`InputData.extra`.
    """
    wanted = {data.label: "--label", data.score: "--score"}
    if data.weight is not None:
        wanted.setdefault(data.weight, "--weight")
    for name, option in (extra or {}).items():
        wanted.setdefault(name, option)
    columns = read_columns(data.file, wanted)
    _check_not_swapped(columns[data.label], columns[data.score], data)
    y_score = numeric_column(columns[data.score], data.score, "--score")
    weights = (
        numeric_column(columns[data.weight], data.weight, "--weight", keep_int=True)
        if data.weight is not None
        else None
    )
    y_true = label_column(columns[data.label], data.label)
    positive = convert_pos_label(data.pos_label, y_true, data.label)
    return InputData(
        y_true=y_true,
        y_score=y_score,
        sample_weight=weights,
        pos_label=positive,
        options=data,
        extra={name: columns[name] for name in extra or {}},
    )
