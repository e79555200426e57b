"""The report's section for thresholds per group: one row per group, the overall line."""

from __future__ import annotations

import math
import os
from typing import Any

from .._files import atomic_write_text
from ._format import escape, fmt_count, fmt_percent, fmt_threshold, fmt_value

__all__ = ["group_page", "groups_html", "groups_section"]

_METRICS = ("precision", "recall", "fpr", "flag_rate")


def groups_section(result: Any) -> str:
    """HTML for a :class:`~cutpoints.GroupCutpoint`: per-group thresholds, counts, the
    metric and key rates, each group's share of the flagged rows, and the gap limits.

    Every text is HTML-escaped (group labels come from the data).

    Examples
    --------
    >>> import cutpoints as cp
    >>> from cutpoints._report._groups import groups_section
    >>> gc = cp.find_cutpoint([0, 1, 1, 0, 0, 1], [0.1, 0.8, 0.6, 0.3, 0.2, 0.9],
    ...                       groups=["<a>", "<a>", "<a>", "b", "b", "b"])
    >>> html = groups_section(gc)
    >>> "&lt;a&gt;" in html and "<a>" not in html
    True
    """
    metric = result.metric.name
    head = ["group", "threshold", "rows", "tp", "fp", "tn", "fn", "flagged", "share of flagged",
            metric, *(m for m in _METRICS if m != metric)]  # fmt: skip
    lines = [
        f"<h2>Thresholds per group ({escape(result.mode)})</h2>",
        "<p class='muted'>"
        + escape(
            f"Each row of a group is flagged iff its score {result.rule} the group's "
            f"threshold; {_explain(result)}"
        )
        + "</p>",
        "<table class='groups'><thead><tr>"
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>",
    ]
    total = result.flagged
    for row in result.rows(tuple(m for m in _METRICS if m != metric)):
        cells = [
            escape(row["group"]),
            escape(fmt_threshold(row["threshold"])),
            escape(fmt_count(row["n"])),
            *(escape(fmt_count(row[k])) for k in ("tp", "fp", "tn", "fn", "flagged")),
            escape(fmt_percent(row["flagged"], total) if total else "–"),
            *(escape(fmt_value(row[m])) for m in head[9:]),
        ]
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</tbody></table>")
    overall = (
        f"Overall: {metric} = {fmt_value(result.score)}; tp {fmt_count(result.tp)}, "
        f"fp {fmt_count(result.fp)}, tn {fmt_count(result.tn)}, fn {fmt_count(result.fn)}; "
        f"{fmt_count(total)} flagged."
    )
    lines.append(f"<p>{escape(overall)}</p>")
    lines.append(_value_split(result))
    for gap in result.gap_constraints:
        value = result.gap(gap.metric)
        words = f"{gap.metric.name} gap between groups: {fmt_value(value)} (limit: {gap})"
        lines.append(f"<p>{escape(words)}</p>")
    return "\n".join(lines)


def _value_split(result: Any) -> str:
    """With per-row values: each group's total value split by outcome, then all groups'
    (``""`` without values). Each split adds up to its group's total value."""
    if result.value_by_outcome is None:
        return ""
    outcomes = ("tp", "fp", "fn", "tn")
    head = ["group", "threshold", "flagged", "total value", *outcomes]
    rows = [
        (g, fmt_threshold(c.threshold), fmt_count(c.tp + c.fp), c.value_by_outcome)
        for g, c in result.cutpoints.items()
    ]
    rows.append(("all groups", "", fmt_count(result.flagged), result.value_by_outcome))
    body = "".join(
        "<tr>"
        + "".join(f"<td>{escape(c)}</td>" for c in (group, threshold, flagged))
        + f"<td><b>{escape(fmt_value(math.fsum(split.values())))}</b></td>"
        + "".join(f"<td>{escape(fmt_value(split[k]))}</td>" for k in outcomes)
        + "</tr>"
        for group, threshold, flagged, split in rows
    )
    return (
        "<h3>Value per group</h3><p class='muted'>The total value (money) of each group's "
        "decisions at its threshold, split by outcome (<code>values=</code>).</p>"
        "<table id='cp-group-values'><thead><tr>"
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{body}</tbody></table>"
    )


def groups_html(result: Any) -> str:
    """The section for the main report: empty without a per-group result."""
    return "" if result is None else groups_section(result)


def _explain(result: Any) -> str:
    constraints = ", ".join(str(c) for c in (*result.constraints, *result.gap_constraints))
    where = f" under {constraints}" if constraints else ""
    if result.mode == "joint":
        return f"chosen together to optimize {result.metric.name} on the overall counts{where}."
    return f"each group's own optimum of {result.metric.name}{where}."


def group_page(
    result: Any, *, title: str | None = None, path: str | os.PathLike[str] | None = None
) -> str:
    """A self-contained HTML page of :func:`groups_section` (written atomically to ``path``)."""
    text = title or "cutpoints: thresholds per group"
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(text)}</title><style>body{{font:15px system-ui,sans-serif;"
        "margin:24px}} td,th{{padding:4px 10px;border-bottom:1px solid #d0d7de;"
        "text-align:right}} td:first-child,th:first-child{{text-align:left}}"
        ".muted{{color:#656d76}}</style></head><body>"
        f"<h1>{escape(text)}</h1>\n{groups_section(result)}\n</body></html>\n"
    )
    if path is not None:
        atomic_write_text(path, page)
    return page
