"""A self-contained, interactive HTML report of a cutpoint.

One file, no network: plotly.js is inlined and the exact confusion counts at a bounded
set of slider stops are embedded as JSON, so the page stays small at any number of rows
(see :mod:`._stops`). The slider updates the confusion matrix, metrics and flagged count
from those exact counts.

Layout: :mod:`._points` (the named operating points), :mod:`._stops` (which rows are
embedded), :mod:`._payload` (the JSON), :mod:`._uncertainty` (bootstrap parts),
:mod:`._sections` (static HTML), :mod:`._format` (every number's text, mirrored by the
page's script), :mod:`._page` (the template).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from .._api import confusion_curve, select_cutpoint
from .._curve import ConfusionCurve
from .._cutpoint import Cutpoint
from .._files import atomic_write_text, check_not_an_input
from .._metrics import MetricLike
from ..errors import InvalidParameterError
from ..selection import ConstraintLike
from ._page import render
from ._payload import safe_json
from ._points import Alternatives
from ._uncertainty import BootstrapLike

__all__ = ["report", "safe_json"]


def report(
    y_true: Any = None,
    y_score: Any = None,
    *,
    cutpoint: Cutpoint | None = None,
    metric: MetricLike = "f1",
    constraints: ConstraintLike | Iterable[ConstraintLike] | None = (),
    ties: str = "highest",
    rule: str = ">=",
    sample_weight: Any = None,
    pos_label: Any = None,
    bootstrap: BootstrapLike | None = None,
    alternatives: Alternatives | None = None,
    title: str | None = None,
    command: str | None = None,
    source: Mapping[str, Any] | None = None,
    path: str | os.PathLike[str] | None = None,
    band: Any = None,
    groups: Any = None,
    values: Any = None,
) -> str:
    """Write a self-contained interactive HTML report of a threshold choice.

    The file needs no network: plotly.js and exact confusion counts are inlined. It
    shows the chosen operating point and why (objective, constraints, tie rule), a
    threshold slider that updates the confusion matrix, key metrics and flagged count
    live, ROC, precision-recall, metrics-by-threshold and net-benefit or objective charts
    with the current threshold marked, alternatives side by side, bootstrap bands and
    intervals if given, a data summary, and the command or call that reproduces it.

    The slider stops at every candidate threshold when there are at most 4,000 of them;
    beyond that at about 4,000 stops chosen to keep the curves' shape, always including
    every point the page names, so the file stays under about 6 MB at any number of rows.
    Counts and metrics at every stop are exact.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples,), optional
        Labels and scores. Optional when ``cutpoint`` carries its curve (a cutpoint from
        :func:`find_cutpoint` does).
    cutpoint : Cutpoint, optional
        The chosen operating point; by default found with ``metric`` and ``constraints``.
    metric, constraints, ties, rule, sample_weight, pos_label :
        As for :func:`find_cutpoint`.
    bootstrap : BootstrapResult, optional
        From :func:`cutpoints.bootstrap`: adds its percentile bands and intervals.
    alternatives : dict or list, optional
        Operating points to compare, as ``{name: threshold or Cutpoint}`` or a list of
        thresholds/Cutpoints. By default: the F1 optimum, 0.5 (for probabilities) and
        capacities K and 2K where K is the number of positives.
    title : str, optional
        The report's title.
    command : str, optional
        The command line that made the report, shown under "Reproduce".
    source : dict, optional
        Where the data came from: ``file``, ``label``, ``score``, ``weight`` (shown).
        ``path`` may not be the same file as ``file``.
    path : str or path-like, optional
        Write the HTML there (UTF-8, atomically: a complete file or none) as well as
        returning it.
    band : RejectBand, optional
        A reject band (:func:`cutpoints.find_reject_band`): the slider gets a second
        handle (the band's negative threshold; the first is its positive one), a panel
        shows who is decided positive, decided negative and sent to review at the two
        handles, and the charts shade the band.
    groups : array-like of shape (n_samples,) or GroupCutpoint, optional
        Each row's group (independent per-group thresholds are then found for the same
        metric and constraints), or a result of ``find_cutpoint(..., groups=...)``: adds
        the per-group section (thresholds, counts, share of the flagged rows, gaps).
        The rest of the page is about the pooled rows.
    values : dict, optional
        Per-row values of each outcome, as for :func:`find_cutpoint` (needed with
        ``metric="value"`` when the data is given): adds the "Value of the decisions"
        section (total value against the threshold and the flagged count).

    Returns
    -------
    str
        The HTML document. All user text is HTML-escaped; embedded JSON is script-safe.

    Examples
    --------
    >>> import cutpoints as cp
    >>> page = cp.report([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    >>> page.startswith("<!DOCTYPE html>"), 'id="cp-slider"' in page
    (True, True)
    """
    # Long only for its docstring (the public reference); the work is in render().
    src = dict(source or {})
    if path is not None:  # refuse before any work
        check_not_an_input(path, [src.get("file")], "path")
    curve = _curve(y_true, y_score, cutpoint, sample_weight, pos_label, rule, values)
    cut = cutpoint
    if cut is None:
        cut = select_cutpoint(curve, metric=metric, constraints=constraints, ties=ties)  # type: ignore[arg-type]
    page = render(
        curve,
        cut,
        y_score=y_score,
        pos_label=pos_label,
        boot=bootstrap,
        alternatives=alternatives,
        title=title,
        command=command,
        source=src,
        band=band,
        groups=_groups(groups, y_true, y_score, cut, constraints, sample_weight, pos_label),
    )
    if path is not None:
        atomic_write_text(path, page)
    return page


def _groups(
    groups: Any,
    y_true: Any,
    y_score: Any,
    cut: Cutpoint,
    constraints: Any,
    sample_weight: Any,
    pos_label: Any,
) -> Any:
    """The per-group result the report shows (None without ``groups``)."""
    if groups is None:
        return None
    from ..groups import GroupCutpoint, find_group_cutpoint

    if isinstance(groups, GroupCutpoint):
        return groups
    if y_true is None or y_score is None:
        msg = "report(groups=...) with group labels needs y_true and y_score too"
        raise InvalidParameterError(msg)
    return find_group_cutpoint(
        y_true,
        y_score,
        groups=groups,
        metric=cut.metric,
        constraints=constraints,
        ties=cut.ties,  # type: ignore[arg-type]  # a Cutpoint's tie rule is one of TIE_RULES
        sample_weight=sample_weight,
        pos_label=pos_label,
        rule=cut.rule,
    )


def _curve(
    y_true: Any,
    y_score: Any,
    cutpoint: Cutpoint | None,
    sample_weight: Any,
    pos_label: Any,
    rule: str,
    values: Any = None,
) -> ConfusionCurve:
    """The data's curve, or the cutpoint's own when no data is given."""
    if cutpoint is not None and y_true is None and y_score is None:
        if cutpoint.curve is None:
            msg = "'cutpoint' has no curve (loaded from JSON?): pass y_true and y_score too"
            raise InvalidParameterError(msg)
        return cutpoint.curve
    if y_true is None or y_score is None:
        msg = "report() needs y_true and y_score, or a cutpoint from find_cutpoint()"
        raise InvalidParameterError(msg)
    return confusion_curve(
        y_true,
        y_score,
        sample_weight=sample_weight,
        pos_label=pos_label,
        # A given cutpoint's threshold means something under its own rule only.
        rule=rule if cutpoint is None else cutpoint.rule,  # type: ignore[arg-type]
        values=values,
    )
