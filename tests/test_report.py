"""The HTML report: self-contained, escaped, exact, and live in a real browser.

The browser test drives headless Chromium through playwright: it moves the slider and
checks the counts the page shows against ``ConfusionCurve.at`` for the same threshold.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest

import cutpoints as cp
from cutpoints.cli import app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 3_000
    y = (rng.random(n) < 0.1).astype(np.int64)
    p = np.round(np.clip(rng.beta(2, 5, n) + 0.3 * y, 0, 1), 3)  # ties on purpose
    return y, p


def embedded(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="cp-data">(.*?)</script>', page, re.DOTALL
    )
    assert match is not None
    return json.loads(match.group(1))


def test_self_contained(data):
    y, p = data
    page = cp.report(y, p, metric="f1")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
    # outside the inlined scripts (plotly.js holds URL strings it never loads here)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.DOTALL)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup, re.IGNORECASE)
    assert "http://" not in markup
    assert "https://" not in markup
    assert "Plotly" in page  # plotly.js is inlined
    assert 'id="cp-slider"' in page


def test_embedded_data_equals_curve(data):
    y, p = data
    w = np.arange(len(y)) % 3 + 1
    page = cp.report(y, p, metric="gmean", constraints=["precision >= 0.3"], sample_weight=w)
    d = embedded(page)
    curve = cp.confusion_curve(y, p, sample_weight=w)
    assert d["thresholds"][0] is None  # +inf: flag nothing
    assert d["thresholds"][1:] == curve.thresholds[1:].tolist()
    assert d["tp"] == curve.tp.tolist()
    assert d["fp"] == curve.fp.tolist()
    assert d["n_positive"] == curve.n_positive
    assert d["n_negative"] == curve.n_negative
    cut = cp.find_cutpoint(y, p, metric="gmean", constraints=["precision >= 0.3"], sample_weight=w)
    assert d["thresholds"][d["chosen_index"]] == cut.threshold
    expected = curve.metric("gmean")
    got = np.array([np.nan if v is None else v for v in d["objective"]["values"]])
    np.testing.assert_array_equal(got, expected)
    (constraint,) = d["constraints"]
    assert constraint["text"] == "precision >= 0.3"
    assert constraint["satisfied"] == (curve.metric("precision") >= 0.3).astype(int).tolist()
    # the slider's stops are the exact thresholds: one stop per curve row
    assert f'max="{len(curve) - 1}"' in page


def test_escaping(tmp_path, data):
    y, p = data
    evil = "<script>alert(1)</script>"
    page = cp.report(
        y,
        p,
        title=evil,
        command=f"cutpoints report x.csv --label '{evil}'",
        source={"file": f"{evil}.csv", "label": evil, "score": "p&<!--", "weight": None},
    )
    assert evil not in page
    assert html.escape(evil) in page
    assert "<!--" not in page.split('id="cp-data">')[1].split("</script>")[0]
    # JSON stays parseable and the only </script> tags are the page's own
    embedded(page)
    assert page.count("</script>") == 3


def test_escaping_labels_in_json(data):
    y, p = data
    labels = np.where(y == 1, "</script><!--", "neg")
    page = cp.report(labels, p, pos_label="</script><!--")
    assert page.count("</script>") == 3
    assert "<!--" not in page
    assert "&lt;/script&gt;&lt;!--" in page


def test_report_from_cutpoint_and_alternatives(tmp_path, data):
    y, p = data
    cut = cp.find_cutpoint(y, p, metric="youden")
    out = tmp_path / "r.html"
    page = cp.report(
        cutpoint=cut, alternatives={"strict": 0.9, "f1": cp.find_cutpoint(y, p)}, path=out
    )
    assert out.read_text(encoding="utf-8") == page
    assert "strict" in page
    d = embedded(page)
    assert d["thresholds"][d["chosen_index"]] == cut.threshold
    loaded = cp.Cutpoint.from_json(cut.to_json())
    with pytest.raises(cp.errors.InvalidParameterError, match="has no curve"):
        cp.report(cutpoint=loaded)


def test_default_alternatives(data):
    y, p = data
    page = cp.report(y, p, metric="mcc")
    for name in ("chosen: mcc", "F1 optimum", "default 0.5", "capacity K", "capacity 2K"):
        assert name in page


def test_bootstrap_section(data):
    y, p = data
    boot = cp.bootstrap(y, p, metric="f1", n_resamples=30, random_state=0)
    page = cp.report(y, p, bootstrap=boot)
    assert 'id="cp-bootstrap"' in page
    d = embedded(page)
    assert d["bands"], "bands from BootstrapResult.bands() are embedded"
    assert {b["metric"] for b in d["bands"]} <= {"precision", "recall", "f1"}


def test_cli_report_and_tune_report(tmp_path, data):
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from typer.testing import CliRunner

    y, p = data
    evil = "<script>alert(1)</script>"
    src = tmp_path / "<b>scores&.csv"
    pacsv.write_csv(pa.table({evil: y, "p": p}), src)
    out = tmp_path / "report.html"
    runner = CliRunner()
    result = runner.invoke(
        app, ["report", str(src), "-l", evil, "-s", "p", "-c", "recall>=0.5", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<b>scores" not in page
    assert evil not in page
    assert html.escape(evil) in page  # shown, escaped, as the label column
    assert "cutpoints report" in page
    assert "--constraint" in page
    d = embedded(page)
    cut = cp.find_cutpoint(y, p, constraints=["recall>=0.5"])
    assert d["thresholds"][d["chosen_index"]] == cut.threshold
    out2 = tmp_path / "tune.html"
    result = runner.invoke(app, ["tune", str(src), "-l", evil, "-s", "p", "--report", str(out2)])
    assert result.exit_code == 0, result.output
    assert embedded(out2.read_text(encoding="utf-8"))["tp"] == d["tp"]


def test_demo_writes_report(tmp_path):
    from typer.testing import CliRunner

    out = tmp_path / "demo.html"
    result = CliRunner().invoke(app, ["demo", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["report"] == str(out)
    assert 'id="cp-slider"' in out.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- browser


@pytest.mark.browser
def test_report_in_browser(tmp_path, data):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    y, p = data
    cut = cp.find_cutpoint(y, p, metric="f1", constraints=["recall >= 0.4"])
    curve = cut.curve
    path = tmp_path / "report.html"
    cp.report(y, p, cutpoint=cut, title="browser test", path=path)

    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.on(
                "console",
                lambda m: (
                    problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
                ),
            )
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on(
                "request",
                lambda r: (
                    problems.append(f"network request: {r.url}")
                    if not r.url.startswith(("file:", "data:", "blob:", "about:"))
                    else None
                ),
            )
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)

            def shown() -> dict[str, float]:
                return {
                    k: float(page.get_attribute(f"#cp-{k}", "data-value"))
                    for k in ("tp", "fp", "tn", "fn", "flagged")
                }

            def expect(i: int) -> dict[str, float]:
                at = curve.at(curve.thresholds[i])
                return {
                    "tp": at["tp"],
                    "fp": at["fp"],
                    "tn": at["tn"],
                    "fn": at["fn"],
                    "flagged": at["tp"] + at["fp"],
                }

            # at load: the chosen point
            i0 = curve.index_at(cut.threshold)
            assert shown() == expect(i0)
            assert page.inner_text("#cp-tp") == str(cut.tp)

            last = len(curve) - 1
            for i in (0, 1, 7, last // 3, i0 + 5, last - 1, last):
                page.eval_on_selector(
                    "#cp-slider",
                    "(el, v) => { el.value = String(v);"
                    " el.dispatchEvent(new Event('input', {bubbles: true})); }",
                    i,
                )
                assert page.get_attribute("body", "data-index") == str(i)
                assert shown() == expect(i), f"slider stop {i}"
                text = page.inner_text("#cp-threshold")
                if i > 0:
                    assert float(text) == pytest.approx(curve.thresholds[i], rel=1e-7)
                precision = page.inner_text("#cp-metric-precision")
                if i > 0:
                    expected = curve.metric("precision")[i]
                    assert float(precision) == pytest.approx(expected, rel=1e-3)

            # typing a threshold that is not an observed score: same rule as curve.at
            for t in (0.5, 0.31234, 2.0, -1.0):
                page.fill("#cp-threshold-input", str(t))
                page.dispatch_event("#cp-threshold-input", "change")
                at = curve.at(t)
                assert shown() == {
                    "tp": at["tp"],
                    "fp": at["fp"],
                    "tn": at["tn"],
                    "fn": at["fn"],
                    "flagged": at["tp"] + at["fp"],
                }, t

            page.click("#cp-reset")
            assert shown() == expect(i0)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert problems == []
