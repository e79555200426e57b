"""The HTML report: self-contained, escaped, exact, small at any size, live in a browser.

The browser tests drive headless Debian Chromium through playwright: they move the
slider and type thresholds, and check the counts the page shows against
``ConfusionCurve.at`` for the same threshold, the page's number formatting against the
Python formatting, and the layout (titles clear of the toolbar, nice axis ticks, band
colours, commands wrapped at spaces).
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

import cutpoints as cp
from cutpoints._report._format import fmt_count, fmt_percent, fmt_threshold, fmt_value
from cutpoints._report._stops import MAX_STOPS
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


@pytest.fixture(scope="module")
def many():
    """40,000 distinct scores: more curve rows than slider stops."""
    rng = np.random.default_rng(11)
    n = 40_000
    y = (rng.random(n) < 0.08).astype(np.int64)
    p = 1 / (1 + np.exp(-(rng.normal(size=n) + 1.8 * y - 2.5)))
    return y, p


def embedded(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" id="cp-data">(.*?)</script>', page, re.DOTALL
    )
    assert match is not None
    return json.loads(match.group(1))


def markup(page: str) -> str:
    """The page without its scripts (plotly.js holds strings the page never shows)."""
    return re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.DOTALL)


def nan_list(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def stop_thresholds(d: dict) -> np.ndarray:
    inf = math.inf if d["rule"] == ">=" else -math.inf
    return np.array([inf if t is None else t for t in d["stops"]["threshold"]])


def test_self_contained(data):
    y, p = data
    page = cp.report(y, p, metric="f1")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<link\b", page, re.IGNORECASE)
    text = markup(page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text, re.IGNORECASE)
    assert "http://" not in text
    assert "https://" not in text
    assert "Plotly" in page  # plotly.js is inlined
    assert 'id="cp-slider"' in page


def test_embedded_data_equals_curve(data):
    y, p = data
    w = np.arange(len(y)) % 3 + 1
    page = cp.report(y, p, metric="gmean", constraints=["precision >= 0.3"], sample_weight=w)
    d = embedded(page)
    curve = cp.confusion_curve(y, p, sample_weight=w)
    stops = d["stops"]
    # few thresholds: the slider stops at every one of them
    assert stops["row"] == list(range(len(curve)))
    assert stops["threshold"][0] is None  # +inf: flag nothing
    assert stops["threshold"][1:] == curve.thresholds[1:].tolist()
    assert stops["next"][:-1] == curve.thresholds[1:].tolist()
    assert stops["next"][-1] is None
    assert stops["tp"] == curve.tp.tolist()
    assert stops["fp"] == curve.fp.tolist()
    assert d["n_positive"] == curve.n_positive
    assert d["n_negative"] == curve.n_negative
    cut = cp.find_cutpoint(y, p, metric="gmean", constraints=["precision >= 0.3"], sample_weight=w)
    assert stops["threshold"][d["chosen"]] == cut.threshold
    by_name = {m["name"]: m for m in d["metrics"]}
    # the objective first, then the constrained metric, then the key metrics
    assert [m["name"] for m in d["metrics"][:2]] == ["gmean", "precision"]
    assert by_name["gmean"]["objective"]
    for name, m in by_name.items():
        np.testing.assert_array_equal(nan_list(m["values"]), curve.metric(name), err_msg=name)
    (constraint,) = d["constraints"]
    assert constraint["text"] == "precision >= 0.3"
    assert constraint["satisfied"] == (curve.metric("precision") >= 0.3).astype(int).tolist()
    assert f'max="{len(curve) - 1}"' in page
    assert f"The slider stops at all {len(curve):,} thresholds" in page


def test_key_metrics_come_from_display(data):
    from cutpoints._display import KEY_METRICS

    y, p = data
    names = [m["name"] for m in embedded(cp.report(y, p, metric="f1"))["metrics"]]
    assert names == ["f1", *(m for m in KEY_METRICS if m not in ("f1", "flag_rate"))]


def test_stops_keep_named_points_and_shape(many):
    y, p = many
    cut = cp.find_cutpoint(y, p, metric="mcc", constraints=["recall >= 0.3"])
    curve = cut.curve
    page = cp.report(cutpoint=cut, alternatives={"given": 0.123456789, "other": cut})
    d = embedded(page)
    rows = np.array(d["stops"]["row"])
    n_named = len(d["points"]) + 2
    assert len(curve) == len(p) + 1 > len(rows)
    assert len(rows) <= MAX_STOPS + n_named
    assert np.all(np.diff(rows) > 0)
    assert rows[0] == 0 and rows[-1] == len(curve) - 1
    # every named point is a stop, at its own row
    at = {pt["name"]: rows[pt["stop"]] for pt in d["points"]}
    assert at == {
        "chosen: mcc": curve.index_at(cut.threshold),
        "given": curve.index_at(0.123456789),
        "other": curve.index_at(cut.threshold),
    }
    assert rows[d["chosen"]] == curve.index_at(cut.threshold)
    # exact counts at every stop, and the next row's threshold for typed thresholds
    assert d["stops"]["tp"] == curve.tp[rows].tolist()
    assert d["stops"]["fp"] == curve.fp[rows].tolist()
    assert d["stops"]["next"][:-1] == curve.thresholds[rows[:-1] + 1].tolist()
    # shape kept: no gap in flagged count, recall or false positive rate between two
    # consecutive stops exceeds a small share of the whole range
    flagged = (curve.tp + curve.fp)[rows]
    assert np.diff(flagged).max() <= len(p) / 300
    for name in ("recall", "fpr"):
        assert np.abs(np.diff(curve.metric(name)[rows])).max() <= 1 / 300, name
    assert (
        f"The slider moves over {len(rows):,} of {len(curve):,} thresholds" in page
        and "counts at each stop are exact" in page
    )


@pytest.mark.parametrize("seed", range(4))
def test_choose_stops_keeps_every_curve_within_one_step(seed):
    """Between two stops that are not neighbour rows, no followed curve varies by more
    than 1/(k - 1) of its total variation, k being its share of the stops."""
    from cutpoints._report._stops import choose_stops

    rng = np.random.default_rng(seed)
    n = 6_000
    y = (rng.random(n) < 0.1).astype(int)
    p = np.round(rng.random(n) + 0.3 * y, 4)
    curve = cp.confusion_curve(y, p)
    named = rng.integers(0, len(curve), 7).tolist()
    flagged = (curve.tp + curve.fp).astype(float)
    follow = [curve.metric("precision"), curve.metric("mcc")]
    stops = choose_stops(curve, named, follow, max_stops=300)
    assert np.all(np.diff(stops) > 0)
    assert set(named) | {0, len(curve) - 1} <= set(stops.tolist())
    assert len(stops) <= 300 + len(named) + 2
    k = 300 // (2 * 3)
    wide = np.diff(stops) > 1
    assert wide.any()
    for values in (flagged, *follow):
        steps = np.nan_to_num(np.abs(np.diff(values)), nan=0.0)
        cumulative = np.concatenate([[0.0], np.cumsum(steps)])
        between = cumulative[stops[1:]] - cumulative[stops[:-1]]
        assert between[wide].max() <= cumulative[-1] / (k - 1) * (1 + 1e-9)
    assert choose_stops(curve, named, follow, max_stops=len(curve)).tolist() == list(
        range(len(curve))
    )


def test_escaping(data):
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
    assert d["stops"]["threshold"][d["chosen"]] == cut.threshold
    loaded = cp.Cutpoint.from_json(cut.to_json())
    with pytest.raises(cp.errors.InvalidParameterError, match="has no curve"):
        cp.report(cutpoint=loaded)
    with pytest.raises(cp.errors.InvalidParameterError, match="alternative 'bad'"):
        cp.report(cutpoint=cut, alternatives={"bad": float("nan")})
    with pytest.raises(cp.errors.InvalidParameterError, match="'alternatives' must be"):
        cp.report(cutpoint=cut, alternatives="0.5")


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
    bands = d["charts"]["bands"]
    assert {b["metric"] for b in bands} == {"precision", "recall", "f1"}
    frame = boot.bands(metrics=("precision", "recall", "f1"), percentiles=(2.5, 97.5))
    frame = frame[frame["metric"] == "f1"]
    (f1,) = (b for b in bands if b["metric"] == "f1")
    finite = np.isfinite(frame["threshold"].to_numpy())
    np.testing.assert_array_equal(f1["lower"], frame["p2.5"].to_numpy()[finite])
    np.testing.assert_array_equal(f1["upper"], frame["p97.5"].to_numpy()[finite])


# --------------------------------------------------------------------------- issue 9, item 12


def test_thresholds_shown_round_trip(tmp_path):
    """Every threshold on the page is Python's shortest repr, never 6 digits."""
    y = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    p = np.array([0.1, 0.99999939123, 0.9999996, 0.3, 0.87654321987, 0.2, 0.55, 0.41])
    cut = cp.find_cutpoint(y, p, metric="precision", constraints=["recall >= 0.3"])
    assert cut.threshold == 0.99999939123  # f"{t:.6g}" would show 0.999999
    page = cp.report(cutpoint=cut, alternatives={"given": 0.123456789012})
    text = markup(page)
    assert f"score &gt;= {cut.threshold!r}" in text  # the decision card
    assert "0.999999<" not in text and "0.999999 " not in text
    cells = re.findall(r"<tr data-stop=\"\d+\"><td>[^<]*</td><td>([^<]*)</td>", text)
    assert cells == [repr(cut.threshold), "0.123456789012"]
    assert "0.1 to 0.9999996" in text  # the score range in the data summary


# --------------------------------------------------------------------------- issue 9, item 15


def test_references_in_words(data):
    y, p = data
    cut = cp.find_cutpoint(y, p, metric="f1")
    assert cut.references  # probabilities: the F-optimal reference applies
    text = markup(cp.report(cutpoint=cut))
    assert "F-optimal threshold for calibrated probabilities: half the best F1" in text
    assert "Closed-form references: a calibration check" in text  # the guide's section
    assert "lipton" not in text.lower()
    assert "F*_beta" not in text
    text = markup(cp.report(y, p, metric="fbeta(beta=2)"))
    assert "the best F-beta (beta = 2) divided by 1 + beta squared" in text
    assert "lipton" not in text.lower()


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [
        (1, 3200, "0.0313%"),  # 0.03125 exactly: ties round away from zero, as in the page
        (1, 800, "0.125%"),
        (183, 20000, "0.915%"),
        (2, 3, "66.7%"),
        (0, 5, "0%"),
        (5, 5, "100%"),
        (3, 0, "\u2013"),
    ],
)
def test_one_percentage_format(part, whole, shown):
    assert fmt_percent(part, whole) == shown


def test_value_and_count_formats():
    assert fmt_value(0.66666) == "0.6667"
    assert fmt_value(12345.5) == "12,350"
    assert fmt_value(1.2345e-7) == "1.235e-7"  # 1.2345e-7 is just above the tie
    assert fmt_value(float("nan")) == "undefined"
    assert fmt_value(-0.0) == "0"
    assert fmt_count(1234567) == "1,234,567"
    assert fmt_count(12.5) == "12.5"
    assert fmt_threshold(1e-05) == "1e-05"
    assert fmt_threshold(math.inf) == "+inf (flag nothing)"


def test_command_is_whole_tokens(data):
    y, p = data
    command = "cutpoints report my-data/x.csv --constraint 'precision >= 0.9'"
    page = cp.report(y, p, command=command)
    block = re.search(r'<pre id="cp-command">(.*?)</pre>', page, re.DOTALL)
    assert block is not None
    tokens = re.findall(r'<span class="tok">([^<]*)</span>', block.group(1))
    assert [html.unescape(t) for t in tokens] == command.split()
    assert html.unescape(re.sub(r"<[^>]+>", "", block.group(1))) == command
    style = page.split("<style>")[1].split("</style>")[0]
    assert "break-all" not in style
    rule = re.search(r"^pre \.tok \{([^}]*)\}", style, re.MULTILINE)
    assert rule is not None
    assert "display: inline-block" in rule.group(1)
    assert "overflow-wrap: anywhere" in rule.group(1)


# --------------------------------------------------------------------------- files


def test_path_written_atomically_and_never_over_an_input(tmp_path, data):
    y, p = data
    src = tmp_path / "scores.csv"
    src.write_text("y,p\n1,0.5\n", encoding="utf-8")
    with pytest.raises(cp.errors.InvalidParameterError, match="'path'.*same file as the input"):
        cp.report(y, p, source={"file": str(src)}, path=src)
    link = tmp_path / "link.csv"
    os.link(src, link)
    with pytest.raises(cp.errors.InvalidParameterError, match="same file"):
        cp.report(y, p, source={"file": str(src)}, path=link)
    assert src.read_text(encoding="utf-8") == "y,p\n1,0.5\n"
    out = tmp_path / "report.html"
    out.write_text("old", encoding="utf-8")
    keep = tmp_path / "keep.html"
    os.link(out, keep)
    page = cp.report(y, p, source={"file": str(src)}, path=out)
    assert out.read_text(encoding="utf-8") == page
    # a complete new file was renamed over the old one, whose other name still reads it
    assert keep.read_text(encoding="utf-8") == "old"
    names = sorted(f.name for f in tmp_path.iterdir())
    assert names == ["keep.html", "link.csv", "report.html", "scores.csv"]  # no temp left
    with pytest.raises(cp.errors.InvalidParameterError, match="does not exist"):
        cp.report(y, p, path=tmp_path / "missing" / "r.html")


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
    assert d["stops"]["threshold"][d["chosen"]] == cut.threshold
    out2 = tmp_path / "tune.html"
    result = runner.invoke(app, ["tune", str(src), "-l", evil, "-s", "p", "--report", str(out2)])
    assert result.exit_code == 0, result.output
    assert embedded(out2.read_text(encoding="utf-8"))["stops"]["tp"] == d["stops"]["tp"]


def test_demo_writes_report(tmp_path):
    from typer.testing import CliRunner

    out = tmp_path / "demo.html"
    result = CliRunner().invoke(app, ["demo", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["report"] == str(out)
    assert 'id="cp-slider"' in out.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (apt-get install chromium); CI installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Page:
    """A report opened in Chromium, recording console errors and network requests."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 1600):
        self.problems: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on(
            "request",
            lambda r: (
                self.problems.append(f"network request: {r.url}")
                if not r.url.startswith(("file:", "data:", "blob:", "about:"))
                else None
            ),
        )
        self.page.goto(path.as_uri())
        self.page.wait_for_selector("body[data-ready='1']", timeout=30_000)

    def counts(self) -> dict[str, float]:
        return {
            k: float(self.page.get_attribute(f"#cp-{k}", "data-value"))
            for k in ("tp", "fp", "tn", "fn", "flagged")
        }

    def slide(self, stop: int) -> None:
        self.page.eval_on_selector(
            "#cp-slider",
            "(el, v) => { el.value = String(v);"
            " el.dispatchEvent(new Event('input', {bubbles: true})); }",
            stop,
        )
        assert self.page.get_attribute("body", "data-stop") == str(stop)

    def type_threshold(self, text: str) -> None:
        self.page.fill("#cp-threshold-input", text)
        self.page.dispatch_event("#cp-threshold-input", "change")

    def close(self) -> None:
        self.page.close()
        assert self.problems == []


def expected_counts(curve, threshold: float) -> dict[str, float]:
    at = curve.at(threshold)
    return {
        "tp": at["tp"],
        "fp": at["fp"],
        "tn": at["tn"],
        "fn": at["fn"],
        "flagged": at["tp"] + at["fp"],
    }


@pytest.mark.browser
def test_report_in_browser(browser, tmp_path, data):
    y, p = data
    cut = cp.find_cutpoint(y, p, metric="f1", constraints=["recall >= 0.4"])
    curve = cut.curve
    path = tmp_path / "report.html"
    cp.report(y, p, cutpoint=cut, title="browser test", path=path)
    view = Page(browser, path)
    page = view.page

    i0 = curve.index_at(cut.threshold)  # every row is a stop here
    assert view.counts() == expected_counts(curve, curve.thresholds[i0])
    assert page.inner_text("#cp-tp") == str(cut.tp)

    last = len(curve) - 1
    for i in (0, 1, 7, last // 3, i0 + 5, last - 1, last):
        view.slide(i)
        assert view.counts() == expected_counts(curve, curve.thresholds[i]), f"stop {i}"
        if i > 0:
            assert page.inner_text("#cp-threshold") == repr(float(curve.thresholds[i]))
            precision = curve.metric("precision")[i]
            assert page.inner_text("#cp-metric-precision") == fmt_value(precision)

    # typing a threshold that is not an observed score: same rule as curve.at; no snapping
    for t in (0.5, 0.31234, 2.0, -1.0):
        view.type_threshold(str(t))
        assert view.counts() == expected_counts(curve, t), t
        assert page.inner_text("#cp-snap") == ""

    page.click("#cp-reset")
    assert view.counts() == expected_counts(curve, cut.threshold)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    view.close()


@pytest.mark.browser
@pytest.mark.parametrize("rule", [">=", "<="])
def test_slider_and_snapping_in_browser(browser, tmp_path, many, rule):
    """More rows than stops: exact counts at every stop; typed thresholds snap, and say so."""
    y, p = many
    if rule == "<=":
        p = -p  # lower scores mean positive
    cut = cp.find_cutpoint(y, p, metric="f1", rule=rule)
    curve = cut.curve
    path = tmp_path / "many.html"
    d = embedded(cp.report(cutpoint=cut, path=path))
    rows = np.array(d["stops"]["row"])
    thresholds = stop_thresholds(d)
    assert len(rows) < len(curve)
    view = Page(browser, path)
    page = view.page
    assert view.counts() == expected_counts(curve, cut.threshold)
    names = [m["name"] for m in d["metrics"]]
    for stop in (0, 1, len(rows) // 2, d["chosen"] + 1, len(rows) - 1):
        view.slide(stop)
        t = thresholds[stop]
        assert view.counts() == expected_counts(curve, t), stop
        assert page.get_attribute("body", "data-row") == str(rows[stop])
        shown = {n: page.get_attribute(f"[data-metric='{n}']", "data-metric") for n in names}
        assert shown == {n: n for n in names}
        values = curve.metrics_at(t, names)
        for name in names:
            assert page.inner_text(f"td[data-metric='{name}']") == fmt_value(values[name])

    # a stop's own threshold is exact; so is a value between its row's and the next row's
    stop = len(rows) // 3
    for t in (thresholds[stop], (thresholds[stop] + d["stops"]["next"][stop]) / 2):
        view.type_threshold(repr(float(t)))
        assert page.get_attribute("body", "data-stop") == str(stop)
        assert view.counts() == expected_counts(curve, t)
        assert page.inner_text("#cp-snap") == ""
    # a threshold whose row is not a stop snaps to the nearer stop, and says so
    gaps = np.flatnonzero(np.diff(rows) > 2)
    checked = 0
    for g in gaps[:: max(1, len(gaps) // 5)]:
        inside = rows[g] + (rows[g + 1] - rows[g]) // 2
        t = float(curve.thresholds[inside])
        near = g if abs(thresholds[g] - t) <= abs(thresholds[g + 1] - t) else g + 1
        view.type_threshold(repr(t))
        assert page.get_attribute("body", "data-stop") == str(near)
        assert view.counts() == expected_counts(curve, thresholds[near])
        snap = page.inner_text("#cp-snap")
        assert f"No slider stop at {t!r}: snapped to the nearest stop, " in snap
        assert repr(float(thresholds[near])) in snap
        checked += 1
    assert checked >= 3
    view.slide(0)
    assert page.inner_text("#cp-snap") == ""  # moving the slider clears the message
    view.close()


@pytest.mark.browser
def test_formatting_matches_python(browser, tmp_path, data):
    """The page's number formatting is the Python formatting, value for value."""
    y, p = data
    path = tmp_path / "r.html"
    cp.report(y, p, path=path)
    view = Page(browser, path)
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [
            rng.choice([-1, 1], 400) * 10 ** rng.uniform(-9, 18, 400),
            rng.random(200),
            [0.03125, 0.125, 9.9995, 0.99995, 2.5e-7, 12345.5, 1e15, 1e-5, 123.0, 0.0, -0.0],
            [0.1 + 0.2, 1 / 3, 2 / 3, 1e16, 1.5e16, 0.00012345, 5e-324, 1.7976931348623157e308],
        ]
    ).tolist()
    js = view.page.evaluate(
        "(xs) => xs.map((x) => [cutpointsReport.format.value(x),"
        " cutpointsReport.format.value(x, 8), cutpointsReport.format.threshold(x)])",
        values,
    )
    py = [[fmt_value(x), fmt_value(x, 8), fmt_threshold(x)] for x in values]
    assert js == py
    pairs = [
        (int(a), int(b)) for b in (7, 800, 3200, 20000, 1_000_003) for a in range(0, b, 1 + b // 97)
    ]
    pairs += [(183, 20000), (1, 3200), (3, 0)]
    js = view.page.evaluate(
        "(ps) => ps.map((q) => cutpointsReport.format.percent(q[0], q[1]))", pairs
    )
    assert js == [fmt_percent(a, b) for a, b in pairs]
    counts = [0, 7, 1234, 1234567, 12.5, 1e6 + 0.25, 3.0, 2.0**52]
    js = view.page.evaluate("(cs) => cs.map((c) => cutpointsReport.format.count(c))", counts)
    assert js == [fmt_count(c) for c in counts]
    view.close()


@pytest.mark.browser
def test_same_numbers_in_cards_table_and_panel(browser, tmp_path, data):
    """A count or metric shown twice reads the same (no 0.915% beside 0.914%)."""
    y, p = data
    path = tmp_path / "r.html"
    page_text = cp.report(y, p, metric="mcc", path=path)
    view = Page(browser, path)
    page = view.page
    card = page.inner_text(".card:nth-child(3) .big")  # "flagged (share%)"
    assert card == f"{page.inner_text('#cp-flagged')} ({page.inner_text('#cp-flag-rate')})"
    head = [h.inner_text() for h in page.query_selector_all("#cp-alternatives thead th")]
    rows = page.query_selector_all("#cp-alternatives tbody tr")
    assert len(rows) == len(embedded(page_text)["points"]) >= 4
    for row in rows:
        cells = [c.inner_text() for c in row.query_selector_all("td")]
        row.query_selector("button").click()
        assert page.get_attribute("body", "data-stop") == row.get_attribute("data-stop")
        for column in ("tp", "fp", "tn", "fn", "flagged"):
            assert cells[head.index(column)] == page.inner_text(f"#cp-{column}"), column
        for column in ("precision", "recall", "f1", "mcc"):
            shown = page.inner_text(f"td[data-metric='{column}']")
            assert cells[head.index(column)] == shown, column
    view.close()


@pytest.mark.browser
def test_flag_share_on_a_rounding_tie(browser, tmp_path):
    """1 of 3,200 rows is 0.03125%: the card and the panel round it the same way."""
    rng = np.random.default_rng(2)
    y = (rng.random(3200) < 0.2).astype(int)
    y[0] = 1
    p = np.linspace(1, 0, 3200)  # row 0 alone at the top: precision 1 flags one row
    path = tmp_path / "r.html"
    cp.report(y, p, metric="precision", path=path)
    view = Page(browser, path)
    assert view.page.inner_text(".card:nth-child(3) .big") == "1 (0.0313%)"
    assert view.page.inner_text("#cp-flag-rate") == "0.0313%"
    view.close()


def _tick_step_is_nice(values: list[float]) -> bool:
    steps = np.diff(values)
    if len(steps) == 0:
        return True
    if not np.allclose(steps, steps[0], rtol=1e-6):
        return False
    exponent = math.floor(math.log10(abs(steps[0])))
    mantissa = abs(steps[0]) / 10**exponent
    return any(math.isclose(mantissa, m, rel_tol=1e-6) for m in (1, 2, 2.5, 5, 10))


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 760])
def test_chart_layout(browser, tmp_path, data, width):
    """Titles clear of the toolbar, one y axis per chart with nice ticks, band colours."""
    y, p = data
    boot = cp.bootstrap(y, p, metric="f1", n_resamples=30, random_state=0)
    path = tmp_path / "r.html"
    cp.report(y, p, metric="cost(fp=1, fn=10)", bootstrap=boot, path=path)
    view = Page(browser, path, width=width)
    page = view.page
    charts = page.eval_on_selector_all(".chart", "els => els.map(e => e.id)")
    assert {
        "chart-roc",
        "chart-pr",
        "chart-metrics",
        "chart-objective",
        "chart-net-benefit",
    } <= set(charts)
    for chart in charts:
        page.hover(f"#{chart}")
        boxes = page.evaluate(
            """(id) => {
                const gd = document.getElementById(id);
                const box = (sel) => { const r = gd.querySelector(sel).getBoundingClientRect();
                    return [r.left, r.top, r.right, r.bottom]; };
                return {title: box('.gtitle'), modebar: box('.modebar'),
                        overlaying: Object.keys(gd._fullLayout).filter(
                            (k) => /^yaxis\\d+$/.test(k) && gd._fullLayout[k].overlaying),
                        ticks: Array.from(gd.querySelectorAll('.ytick text')).map((t) => t.textContent)};
            }""",
            chart,
        )
        t, m = boxes["title"], boxes["modebar"]
        assert m[2] - m[0] > 20, chart  # the toolbar is there
        assert t[2] <= m[0] or m[2] <= t[0] or t[3] <= m[1] or m[3] <= t[1], (chart, t, m)
        assert boxes["overlaying"] == [], chart
        ticks = [float(x.replace("\u2212", "-").replace(",", "")) for x in boxes["ticks"] if x]
        assert _tick_step_is_nice(sorted(ticks)), (chart, boxes["ticks"])
    traces = page.evaluate(
        "() => document.getElementById('chart-metrics').data.map("
        "(t) => ({name: t.name, fill: t.fill || null, fillcolor: t.fillcolor || null,"
        " color: t.line && t.line.color}))"
    )
    lines = {t["name"]: t["color"] for t in traces if t["fill"] is None}
    bands = [t for t in traces if t["fill"] == "tonexty"]
    assert len(bands) == 3
    for band in bands:
        metric = band["name"].split(" ")[0]
        hexcolor = lines[metric].lstrip("#")
        rgb = [int(hexcolor[i : i + 2], 16) for i in (0, 2, 4)]
        assert re.match(
            r"rgba\((\d+),(\d+),(\d+),", band["fillcolor"].replace(" ", "")
        ).groups() == tuple(str(v) for v in rgb), band
    if width == 1280:
        page.evaluate("() => window.scrollTo(0, 0)")  # the slider box is sticky
        page.screenshot(path=str(ARTIFACTS / "report-cost-bootstrap.png"), full_page=True)
    view.close()


@pytest.mark.browser
def test_command_wraps_at_spaces(browser, tmp_path, data):
    y, p = data
    command = (
        "cutpoints report data/scores-2024-03.csv --label is_fraud --score model_score "
        "--weight amount --metric 'cost(fp=1, fn=25)' --constraint 'precision >= 0.8' "
        "--constraint 'flagged <= 5000' --ties lowest --bootstrap 500 "
        "--title 'Fraud review queue, March' --output reports/fraud-2024-03.html"
    )
    path = tmp_path / "r.html"
    cp.report(y, p, command=command, path=path)
    view = Page(browser, path, width=520)
    lines = view.page.eval_on_selector(
        "#cp-command",
        """(el) => {
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            let text = "", top = null, node;
            const starts = [];
            while ((node = walker.nextNode())) {
                for (let i = 0; i < node.textContent.length; i++) {
                    range.setStart(node, i); range.setEnd(node, i + 1);
                    const rects = range.getClientRects();
                    if (rects.length) {
                        if (top !== null && rects[0].top > top + 2) starts.push(text.length);
                        top = rects[0].top;
                    }
                    text += node.textContent[i];
                }
            }
            return {text, starts};
        }""",
    )
    assert lines["text"] == command
    assert len(lines["starts"]) >= 3  # it does wrap
    for i in lines["starts"]:
        assert command[i - 1] == " ", command[max(0, i - 15) : i] + "|" + command[i : i + 15]
    view.close()


# --------------------------------------------------------------------------- issue 9, item 16


@pytest.mark.slow
def test_report_of_two_million_rows_is_small_and_exact():
    rng = np.random.default_rng(16)
    n = 2_000_000
    y = (rng.random(n) < 0.05).astype(np.int8)
    p = 1 / (1 + np.exp(-(rng.normal(size=n) + 2 * y - 3)))
    # The full curve (the sort engine): 2e6 rows in, ~4,000 stops out. A binned curve
    # (engine="auto" at this size) is covered by tests/test_report_binned.py.
    cut = cp.find_cutpoint(y, p, metric="f1", constraints=["precision >= 0.3"], engine="sort")
    curve = cut.curve
    assert len(curve) > 1_900_000
    page = cp.report(y, p, cutpoint=cut)
    assert len(page.encode("utf-8")) < 10_000_000
    d = embedded(page)
    rows = np.array(d["stops"]["row"])
    assert len(rows) <= MAX_STOPS + len(d["points"]) + 2
    assert f"The slider moves over {len(rows):,} of {len(curve):,} thresholds" in page
    thresholds = stop_thresholds(d)
    names = [m["name"] for m in d["metrics"]]
    values = {m["name"]: nan_list(m["values"]) for m in d["metrics"]}
    (constraint,) = d["constraints"]
    for i, t in enumerate(thresholds):
        at = curve.at(t)
        assert (d["stops"]["tp"][i], d["stops"]["fp"][i]) == (at["tp"], at["fp"]), t
        expected = curve.metrics_at(t, names)
        shown = {name: values[name][i] for name in names}
        np.testing.assert_equal(shown, expected, err_msg=str(t))
        assert constraint["satisfied"][i] == int(expected["precision"] >= 0.3)
    # the named points are stops: the chosen threshold and every default alternative
    at = {pt["name"]: rows[pt["stop"]] for pt in d["points"]}
    assert at[f"chosen: {cut.metric.name}"] == curve.index_at(cut.threshold)
    assert at["default 0.5"] == curve.index_at(0.5)
    assert at["F1 optimum"] == curve.index_at(cp.find_cutpoint(y, p).threshold)
    k = curve.n_positive
    for label, capacity in (("K", k), ("2K", 2 * k)):
        best = cp.select_cutpoint(curve, metric="recall", constraints=[f"flagged <= {capacity}"])
        assert at[f"capacity {label} = {capacity:,}"] == curve.index_at(best.threshold)
