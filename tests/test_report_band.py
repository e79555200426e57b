"""A reject band in the HTML report: two handles on the slider, a three-outcome panel."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import cutpoints as cp
from cutpoints._reject import evaluate_reject_band, find_reject_band
from cutpoints.errors import InvalidParameterError

from .test_report import Page, browser  # noqa: F401 - the Chromium fixture


def _payload(page: str) -> dict:
    text = re.search(r'id="cp-data">(.*?)</script>', page, re.DOTALL).group(1)
    return json.loads(text)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(4)
    y = rng.random(3000) < 0.35
    s = np.round(rng.random(3000) * 0.6 + 0.35 * y, 4)
    return y, s


def test_band_stops_and_panel(data):
    y, s = data
    band = find_reject_band(y, s, metric="accuracy", coverage=0.85)
    page = cp.report(y, s, band=band)
    payload = _payload(page)
    stops = payload["stops"]
    hi, lo = payload["band"]["hi_stop"], payload["band"]["lo_stop"]
    assert stops["threshold"][hi] == band.hi and stops["threshold"][lo] == band.lo
    # The counts at the two stops are the band's three outcomes.
    assert stops["tp"][hi] == band.tp and stops["fp"][hi] == band.fp
    assert stops["tp"][lo] - stops["tp"][hi] == band.abstained_positive
    assert payload["n_negative"] - stops["fp"][lo] == band.tn
    assert 'id="cp-slider-lo"' in page and f'value="{lo}"' in page
    assert 'id="cp-band-table"' in page and "exact over every pair" in page


def test_no_band_no_second_handle(data):
    y, s = data
    page = cp.report(y, s)
    assert 'id="cp-slider-lo"' not in page and _payload(page)["band"] is None


def test_band_must_match_the_rule(data):
    y, s = data
    band = evaluate_reject_band(y, -s, lo=-0.6, hi=-0.3, rule="<=")
    with pytest.raises(InvalidParameterError, match=r"'band' is for rule '<='"):
        cp.report(y, s, band=band)
    with pytest.raises(InvalidParameterError, match=r"'band' must be a cutpoints.RejectBand"):
        cp.report(y, s, band=(0.2, 0.4))


def _band_counts(view) -> dict[str, float]:
    return {
        k: float(view.page.get_attribute(f"#cp-band-{k}", "data-value"))
        for k in ("tp", "fp", "ap", "an", "tn", "fn")
    }


def _expected(curve, i_row, j_row):
    return {
        "tp": float(curve.tp[i_row]),
        "fp": float(curve.fp[i_row]),
        "ap": float(curve.tp[j_row] - curve.tp[i_row]),
        "an": float(curve.fp[j_row] - curve.fp[i_row]),
        "tn": float(curve.n_negative - curve.fp[j_row]),
        "fn": float(curve.n_positive - curve.tp[j_row]),
    }


@pytest.mark.browser
def test_two_handles_in_browser(browser, tmp_path, data):  # noqa: F811 - the fixture
    y, s = data
    band = find_reject_band(y, s, metric="f1", coverage=0.8)
    curve = band.curve
    path = tmp_path / "band.html"
    cp.report(y, s, band=band, path=path)
    view = Page(browser, path)
    page = view.page
    payload = json.loads(page.eval_on_selector("#cp-data", "el => el.textContent"))
    rows = payload["stops"]["row"]
    hi, lo = payload["band"]["hi_stop"], payload["band"]["lo_stop"]
    assert _band_counts(view) == _expected(curve, rows[hi], rows[lo])
    assert page.get_attribute("body", "data-band") == f"{hi},{lo}"

    def move(selector, stop):
        page.eval_on_selector(
            selector,
            "(el, v) => { el.value = String(v);"
            " el.dispatchEvent(new Event('input', {bubbles: true})); }",
            stop,
        )

    move("#cp-slider-lo", lo + 7)
    assert _band_counts(view) == _expected(curve, rows[hi], rows[lo + 7])
    move("#cp-slider", hi - 3)  # the positive handle, and the single-threshold panel
    assert _band_counts(view) == _expected(curve, rows[hi - 3], rows[lo + 7])
    assert view.counts()["tp"] == float(curve.tp[rows[hi - 3]])
    move("#cp-slider-lo", hi - 10)  # cannot pass the positive handle
    assert page.get_attribute("body", "data-band") == f"{hi - 3},{hi - 3}"
    assert _band_counts(view)["ap"] == 0 and _band_counts(view)["an"] == 0
    page.click("#cp-band-reset")
    assert _band_counts(view) == _expected(curve, rows[hi], rows[lo])
    view.close()
