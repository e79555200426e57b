"""One way to write each kind of number in the report.

The page's script ports these functions (``FMT`` in ``templates/report.html``) and a
browser test compares the two on many values, so a number that appears both in the
static page and in the live panel reads the same in both places:

- thresholds: Python's shortest round-trip ``repr`` (typing the shown text back into
  the threshold box gives the same double, hence the same counts);
- metric values and percentages: rounded to a few significant digits with ties away
  from zero on the exact binary value (what JavaScript's ``toPrecision`` does), then
  written in plain decimal notation with thousands separators;
- counts: exact integers with thousands separators (weighted counts: 8 digits).
"""

from __future__ import annotations

import html
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

__all__ = [
    "COUNT_DIGITS",
    "PERCENT_DIGITS",
    "VALUE_DIGITS",
    "escape",
    "fmt_count",
    "fmt_percent",
    "fmt_threshold",
    "fmt_value",
]

#: Significant digits of metric values.
VALUE_DIGITS = 4
#: Significant digits of percentages.
PERCENT_DIGITS = 3
#: Significant digits of non-integer (weighted) counts.
COUNT_DIGITS = 8
_EXACT_INTEGER = 2.0**53


def escape(value: Any) -> str:
    """HTML-escape any value's text, quotes included."""
    return html.escape(str(value), quote=True)


def _round_significant(x: float, digits: int) -> float:
    """``x`` rounded to ``digits`` significant digits, ties away from zero.

    On the exact binary value of ``x``, as JavaScript's ``Number(x.toPrecision(digits))``.
    """
    exact = Decimal(x)
    step = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    rounded = float(exact.quantize(step, rounding=ROUND_HALF_UP))
    return rounded if math.isfinite(rounded) else x  # rounding up past the largest double


def _layout(r: float) -> str:
    """A double in plain notation from its shortest digits: ``12,350``, ``0.0312``."""
    if r == 0:
        return "0"
    sign, digit_tuple, exponent = Decimal(repr(r)).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    e = len(digits) - 1 + exponent  # decimal exponent of the leading digit
    if e < -5 or e >= 15:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        text = f"{mantissa}e{'-' if e < 0 else '+'}{abs(e)}"
    elif e < 0:
        text = "0." + "0" * (-e - 1) + digits
    else:
        whole, fraction = digits[: e + 1].ljust(e + 1, "0"), digits[e + 1 :]
        text = f"{int(whole):,}" + ("." + fraction if fraction else "")
    return ("-" if sign else "") + text


def fmt_value(value: Any, digits: int = VALUE_DIGITS) -> str:
    """A metric value: ``digits`` significant digits; NaN or None is ``"undefined"``."""
    if value is None:
        return "undefined"
    number = float(value)
    if math.isnan(number):
        return "undefined"
    if math.isinf(number):
        return "+inf" if number > 0 else "-inf"
    return _layout(_round_significant(number, digits))


def fmt_percent(part: Any, whole: Any) -> str:
    """``part`` as a percentage of ``whole`` (the one percentage format of the report)."""
    if float(whole) == 0:
        return "\u2013"
    return fmt_value(100.0 * float(part) / float(whole), PERCENT_DIGITS) + "%"


def fmt_count(value: Any) -> str:
    """A (weighted) count: exact integers with separators, else 8 significant digits."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    number = float(value)
    if number.is_integer() and abs(number) < _EXACT_INTEGER:
        return f"{int(number):,}"
    return fmt_value(number, COUNT_DIGITS)


def fmt_threshold(value: Any) -> str:
    """A threshold as its shortest round-trip ``repr``; infinities flag nothing."""
    number = float(value)
    if math.isinf(number):
        return "+inf (flag nothing)" if number > 0 else "-inf (flag nothing)"
    return repr(number)
