"""The README's two commands, .ci/run, and the generated docs stay in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import cutpoints as cp
from cutpoints._docs import metrics_markdown

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text.split("---", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", head, re.DOTALL)


def test_readme_starts_with_exactly_two_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    demo, tests = commands
    assert demo.startswith("pip install") and demo.endswith("cutpoints demo")
    assert tests.startswith('pip install -e ".[test]"') and "pytest" in tests and "ruff" in tests


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    last = [line for line in ci.splitlines() if line.strip() and not line.startswith("#")][-1]
    assert last == readme_commands()[1]
    assert "set -euo pipefail" in ci


def test_metric_catalog_page_is_current():
    page = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert page == metrics_markdown(), "run: python -m cutpoints._docs > docs/metrics.md"


def test_every_metric_is_documented_with_its_undefined_case():
    for metric in cp.list_metrics():
        assert metric.description, metric.name
        assert metric.formula, metric.name
        assert metric.undefined, metric.name


def test_every_lazy_name_resolves_and_core_import_stays_light():
    import subprocess
    import sys

    for name in cp._LAZY:
        assert getattr(cp, name) is not None, name
    assert cp.plotting.ROCDisplay is not None
    assert cp.datasets.load_demo is not None
    code = (
        "import sys, cutpoints; "
        "heavy = {'sklearn', 'matplotlib', 'plotly', 'dask', 'distributed', 'pyspark', "
        "'pandas', 'scipy'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
