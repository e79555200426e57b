"""The report's bootstrap parts: percentile bands for the chart, intervals for the table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .._metrics import get_metric
from ._format import escape, fmt_count, fmt_threshold, fmt_value
from ._payload import is_bounded, json_numbers

__all__ = ["BAND_METRICS", "BootstrapLike", "bootstrap_bands", "bootstrap_section"]

#: Metrics drawn with bands (the lines of the metrics chart).
BAND_METRICS = ("precision", "recall", "f1")
_ESTIMATES = {
    "threshold": "threshold",
    "at_threshold": "at the chosen threshold",
    "in_bag": "at each resample's optimum, on the resample",
    "out_of_bag": "at each resample's optimum, on the rows left out",
}


class BootstrapLike(Protocol):
    """What the report reads of a :class:`~cutpoints.BootstrapResult`."""

    @property
    def confidence(self) -> float: ...

    @property
    def n_resamples(self) -> int: ...

    def bands(self, metrics: Sequence[str], percentiles: Sequence[float]) -> Any: ...

    def summary(self) -> Any: ...


def _percentiles(boot: BootstrapLike) -> tuple[float, float]:
    # Rounded so that confidence 0.95 asks for the 2.5th percentile, not 2.500000000000002.
    low = round(50.0 * (1.0 - float(boot.confidence)), 10)
    return low, round(100.0 - low, 10)


def bootstrap_bands(boot: BootstrapLike | None) -> list[dict[str, Any]]:
    """One band per metric of :data:`BAND_METRICS`: thresholds, lower and upper values."""
    if boot is None:
        return []
    low, high = _percentiles(boot)
    frame = boot.bands(metrics=BAND_METRICS, percentiles=(low, high))
    label = f"{100 * float(boot.confidence):g}% band"
    bands = []
    for name in BAND_METRICS:
        part = frame[frame["metric"] == name]
        thresholds = part["threshold"].to_numpy(dtype=np.float64)
        keep = np.isfinite(thresholds)
        bands.append(
            {
                "metric": name,
                "label": label,
                "threshold": json_numbers(thresholds[keep]),
                "lower": json_numbers(part[f"p{low:g}"].to_numpy(dtype=np.float64)[keep]),
                "upper": json_numbers(part[f"p{high:g}"].to_numpy(dtype=np.float64)[keep]),
            }
        )
    return bands


def bootstrap_section(boot: BootstrapLike | None, wanted: Sequence[str]) -> str:
    """The "Uncertainty" section: intervals of the threshold and of ``wanted`` metrics."""
    if boot is None:
        return ""
    frame = boot.summary()
    records = [
        r
        for r in frame.to_dict("records")
        if r["quantity"] == "threshold" or r["quantity"] in wanted
    ]
    # Out-of-bag rows are about 37% of the data: their counts and totals (unbounded
    # metrics such as flagged or cost) are not comparable with the full data's.
    records = [r for r in records if r["estimate"] != "out_of_bag" or _is_rate(r["quantity"])]
    pct = f"{100 * float(boot.confidence):g}%"
    head = "".join(
        f"<th>{h}</th>"
        for h in ("quantity", "estimate", "full data", f"{pct} interval", "resamples")
    )
    body = "".join(_row(r) for r in records)
    return (
        "<h2>Uncertainty (bootstrap)</h2>"
        f"<p>{fmt_count(boot.n_resamples)} bootstrap resamples: {pct} percentile intervals of "
        "the threshold and of metrics at it; shaded bands on the metrics chart. Out-of-bag "
        "estimates cover the rows each resample left out (about 37% of them), so only rates "
        "are shown for them.</p>"
        f'<table id="cp-bootstrap"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def _is_rate(name: str) -> bool:
    return is_bounded(get_metric(name))


def _row(record: dict[str, Any]) -> str:
    show = fmt_threshold if record["quantity"] == "threshold" else fmt_value
    interval = f"[{_shown(show, record['lower'])}, {_shown(show, record['upper'])}]"
    cells = [
        f"<code>{escape(record['quantity'])}</code>",
        escape(_ESTIMATES.get(str(record["estimate"]), record["estimate"])),
        _shown(show, record["point"]),
        interval,
        fmt_count(record["n"]),
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _shown(show: Any, value: Any) -> str:
    number = float(value)
    return "undefined" if math.isnan(number) else escape(show(number))
