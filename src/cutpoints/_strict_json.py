"""Reading saved results back without trusting them: one strict field reader.

A saved cutpoint (:mod:`cutpoints._artifact`), reject band
(:class:`cutpoints.RejectBand`) and set of class weights (:class:`cutpoints.ClassWeights`)
are plain JSON, read back through this one reader. Reading one checks every field's
type, finiteness and range, and fails with the field's name, so a hand-edited or damaged
file is refused instead of deciding every row wrongly.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from .errors import InvalidInputError, InvalidParameterError

__all__ = ["MAX_FILE_BYTES", "FieldReader", "json_label", "json_number"]

MAX_FILE_BYTES = 16 * 2**20  # a saved result is a few KB; refuse to slurp anything huge
_MAX_TEXT = 10_000
_JSON_SCALARS = (str, int, float, bool)


def json_number(value: float | int) -> float | int | str | None:
    """JSON has no NaN or infinity: NaN becomes null, infinities the strings '+inf'/'-inf'."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return value


def json_label(value: Any) -> Any:
    """A class label as JSON: numpy scalars become Python ones."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


class FieldReader:
    """Checks for the fields of one kind of saved result, with messages naming the field.

    Parameters
    ----------
    what : str
        The kind of result, as people read it: ``"reject band"``.
    loader : str
        The class method that reads a file, for the hint when text is given a path
        (``"RejectBand.load"``).
    """

    def __init__(self, what: str, loader: str) -> None:
        self.what = what
        self.loader = loader

    # ------------------------------------------------------------------ errors
    def bad(self, field: str, expected: str, value: Any) -> NoReturn:
        """Raise the error for a malformed field: its name, what it must be, what it was."""
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        msg = f"{self.what} field '{field}' must be {expected} (got {shown})"
        raise InvalidInputError(msg)

    # ------------------------------------------------------------------ text and files
    def parse(self, text: str | bytes) -> Any:
        """``json.loads`` of JSON text, with one clear error on any malformed input."""
        what = f"{self.what} JSON text"
        if isinstance(text, os.PathLike):
            msg = (
                f"{self.loader.rsplit('.', 1)[0]}.from_json() takes JSON text; to read the "
                f"file use {self.loader}({os.fspath(text)!r})"
            )
            raise InvalidParameterError(msg)
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                msg = f"{what} is not UTF-8 text ({exc.reason} at byte {exc.start})"
                raise InvalidInputError(msg) from None
        if not isinstance(text, str):
            msg = f"{what} must be JSON text (got {type(text).__name__})"
            raise InvalidInputError(msg)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            msg = f"{what} is not valid JSON ({exc}); to read a file, use {self.loader}(path)"
            raise InvalidInputError(msg) from None
        except RecursionError:
            msg = f"{what} is nested too deeply to be a saved {self.what}"
            raise InvalidInputError(msg) from None
        except ValueError as exc:  # e.g. an integer literal with too many digits
            msg = f"{what} could not be parsed ({exc})"
            raise InvalidInputError(msg) from None

    def read(self, path: str | os.PathLike[str]) -> Any:
        """The parsed JSON of a saved file, with one clear error when it cannot be."""
        if not isinstance(path, (str, os.PathLike)):
            msg = f"'path' must be a file path (got {type(path).__name__})"
            raise InvalidParameterError(msg)
        if isinstance(path, str) and path.lstrip().startswith("{"):
            owner = self.loader.rsplit(".", 1)[0]
            msg = f"{self.loader}() takes a file path; use {owner}.from_json() for JSON text"
            raise InvalidParameterError(msg)
        p = Path(path)
        if not p.is_file():
            msg = f"{self.what} file not found: {str(p)!r}"
            raise InvalidInputError(msg)
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            msg = f"{self.what} file {str(p)!r} is {size} bytes; a saved {self.what} is a few KB"
            raise InvalidInputError(msg)
        return self.parse(p.read_bytes())

    # ------------------------------------------------------------------ fields
    def check_format(self, data: Any, expected: str) -> Mapping[str, Any]:
        """The top-level object, which must carry ``"format": expected``."""
        if not isinstance(data, Mapping) or data.get("format") != expected:
            got = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            msg = f"not a cutpoints {self.what} (expected format {expected!r}, got {got!r})"
            raise InvalidInputError(msg)
        return data

    def get(self, mapping: Any, key: str, field: str) -> Any:
        """``mapping[key]``, or an error naming ``field`` when it is missing."""
        if not isinstance(mapping, Mapping):
            self.bad(field.rsplit(".", 1)[0] if "." in field else field, "an object", mapping)
        if key not in mapping:
            msg = f"{self.what} field '{field}' is missing"
            raise InvalidInputError(msg)
        return mapping[key]

    def number(
        self, value: Any, field: str, *, nan: bool = False, inf: bool = False
    ) -> float | int:
        """A JSON number (or null = NaN, '+inf'/'-inf'), checked for what the field allows."""
        if value is None:
            if nan:
                return math.nan
            self.bad(field, "a number (not null)", value)
        if isinstance(value, str) and value in ("+inf", "inf", "Infinity", "-inf", "-Infinity"):
            if inf:
                return -math.inf if value.startswith("-") else math.inf
            self.bad(field, "a finite number", value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.bad(field, "a number", value)
        try:
            as_float = float(value)
        except OverflowError:
            self.bad(field, "a number that fits in a float64", value)
        if math.isnan(as_float) and not nan:
            self.bad(field, "a number (not NaN)", value)
        if math.isinf(as_float) and not inf:
            self.bad(field, "a finite number", value)
        return value

    def count(self, value: Any, field: str) -> float | int:
        """A (weighted) count: a finite number >= 0."""
        number = self.number(value, field)
        if number < 0:
            self.bad(field, "a count >= 0", value)
        if isinstance(number, int) and number >= 2**63:
            self.bad(field, "a count below 2**63", value)
        return number

    def whole(self, value: Any, field: str) -> int:
        """A whole number >= 0 (not a boolean)."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.bad(field, "a whole number >= 0", value)
        return value

    def text(self, value: Any, field: str, limit: int = _MAX_TEXT) -> str:
        """A string of at most ``limit`` characters."""
        if not isinstance(value, str):
            self.bad(field, "text", value)
        if len(value) > limit:
            self.bad(field, f"text of at most {limit} characters", f"<{len(value)} characters>")
        return value

    def boolean(self, value: Any, field: str) -> bool:
        """true or false."""
        if not isinstance(value, bool):
            self.bad(field, "true or false", value)
        return value

    def list(self, value: Any, field: str) -> list[Any]:
        """A JSON list."""
        if not isinstance(value, list):
            self.bad(field, "a list", value)
        return value

    def label(self, value: Any, field: str, *, none: bool = False) -> Any:
        """A class label: text, a finite number or a boolean (or null where allowed)."""
        if value is None and none:
            return None
        if not isinstance(value, _JSON_SCALARS):
            self.bad(field, "a label (text, number or boolean)", value)
        if isinstance(value, float) and not math.isfinite(value):
            self.bad(field, "a finite label", value)
        return value

    def choice(self, value: Any, field: str, options: tuple[Any, ...]) -> Any:
        """One of ``options``."""
        if value not in options:
            self.bad(field, f"one of {list(options)!r}", value)
        return value
