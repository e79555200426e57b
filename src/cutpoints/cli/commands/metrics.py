"""``cutpoints metrics``: the metric catalog."""

from __future__ import annotations

from typing import Any

from ..._metrics import list_metrics
from .._console import handle_errors, print_json, stdout_console
from .._options import JsonOpt

__all__ = ["EPILOG", "catalog", "metrics"]

EPILOG = """\
[bold]Examples[/bold]

  cutpoints metrics

  cutpoints metrics --json | jq -r '.[].name'
"""


def catalog() -> list[dict[str, Any]]:
    """The metric registry as plain records."""
    return [
        {
            "name": m.name,
            "aliases": list(m.aliases),
            "greater_is_better": m.greater_is_better,
            "params": {
                k: ("required" if not isinstance(v, (int, float)) else v)
                for k, v in m.params.items()
            },
            "description": m.description,
            "formula": m.formula,
            "undefined": m.undefined,
        }
        for m in list_metrics()
    ]


@handle_errors
def metrics(json_: JsonOpt = False) -> None:
    """List the metric catalog: names, aliases, direction, formula, where undefined.

    Any of these names (or aliases) works with --metric and in --constraint. Metrics with
    parameters take them in parentheses: 'fbeta(beta=2)', 'cost(fp=1, fn=10)',
    'net_benefit(pt=0.2)'. P = tp + fn, N = fp + tn.
    """
    from .._render import metrics_catalog_table

    records = catalog()
    if json_:
        print_json(records)
        return
    console = stdout_console()
    console.print(metrics_catalog_table(records, console.width))
