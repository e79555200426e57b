"""The Cutpoint artifact: applying it, JSON round trips, provenance, references."""

from __future__ import annotations

import json

import numpy as np
import pytest

import cutpoints as cp
from cutpoints.errors import InvalidInputError, InvalidParameterError


def test_counts_reproduced_by_applying_the_threshold(toy):
    y, s = toy
    cut = cp.find_cutpoint(y, s, metric="mcc")
    flagged = cut.flag(s)
    y = np.array(y) == 1
    assert (flagged & y).sum() == cut.tp and (flagged & ~y).sum() == cut.fp
    assert (~flagged & ~y).sum() == cut.tn and (~flagged & y).sum() == cut.fn


def test_lower_is_positive_rule(toy):
    y, s = toy
    cut = cp.find_cutpoint(y, [-v for v in s], metric="f1", rule="<=")
    assert cut.threshold == -0.3 and cut.rule == "<="
    assert cut.predict([-0.5, -0.2]).tolist() == [1, 0]
    again = cp.Cutpoint.from_json(cut.to_json())
    assert again.predict([-0.5, -0.2]).tolist() == [1, 0]


def test_predict_refuses_nan_scores(toy):
    cut = cp.find_cutpoint(*toy)
    with pytest.raises(InvalidInputError, match=r"'scores' must be finite \(got nan at index 1"):
        cut.predict([0.5, np.nan])


def test_metrics_hold_the_whole_catalog_at_the_threshold(toy):
    cut = cp.find_cutpoint(*toy, metric="cost(fp=1, fn=3)", constraints=["fbeta(beta=3) >= 0.1"])
    assert cut.metrics["cost(fp=1, fn=3)"] == cut.score
    assert "fbeta(beta=3)" in cut.metrics
    assert cut.metrics["recall"] == cut.tp / (cut.tp + cut.fn)
    assert {"f1", "precision", "gmean", "youden", "mcc", "flagged", "lr_plus"} <= set(cut.metrics)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"metric": "f1"},
        {"metric": "cost(fp=1, fn=10)", "ties": "lowest"},
        {"metric": "recall", "constraints": ["precision >= 0.6", "flagged <= 6"]},
        {"metric": "cost(fp=9, fn=1)"},  # flags nothing: threshold +inf
        {"metric": "lr_plus"},  # NaN metrics in the summary
    ],
)
def test_json_round_trip(toy, kwargs, tmp_path):
    y, s = toy
    cut = cp.find_cutpoint(
        ["b" if v else "a" for v in y], s, pos_label="b", sample_weight=[1, 2] * 4, **kwargs
    )
    text = cut.to_json()
    json.loads(text)  # strict JSON: no NaN, no Infinity
    assert "NaN" not in text and "Infinity" not in text
    again = cp.Cutpoint.from_json(text)
    assert again == cut
    assert again.to_json() == text
    assert again.predict(s).tolist() == cut.predict(s).tolist()
    path = tmp_path / "cut.json"
    cut.save(path)
    assert cp.Cutpoint.load(path) == cut
    assert cp.Cutpoint.from_json(str(path)) == cut


def test_json_carries_provenance(toy):
    cut = cp.find_cutpoint(*toy, metric="fbeta(beta=2)", constraints="recall >= 0.5", ties="median")
    data = json.loads(cut.to_json())
    assert data["format"] == "cutpoints.cutpoint/1"
    assert data["objective"] == {
        "metric": "fbeta(beta=2)",
        "direction": "maximize",
        "value": cut.score,
    }
    assert data["constraints"] == ["recall >= 0.5"]
    assert data["ties"] == "median"
    assert data["decision"] == "positive iff score >= threshold"
    assert data["data"]["n_samples"] == 8 and data["data"]["prevalence"] == 0.5
    assert data["data"]["n_positive"] == 4 and data["data"]["weighted"] is False
    assert data["data"]["fingerprint"].startswith("sha256:")
    assert data["cutpoints_version"] == cp.__version__
    assert data["labels"] == {"positive": 1, "negative": 0}


def test_fingerprint_identifies_the_tuning_data(toy):
    y, s = toy
    a = cp.find_cutpoint(y, s)
    b = cp.find_cutpoint(y[::-1], s[::-1], metric="gmean")
    c = cp.find_cutpoint(y, s, sample_weight=[2] * 8)
    assert a.fingerprint == b.fingerprint != c.fingerprint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"cutpoint JSON could not be parsed"),
        (
            '{"format": "something/else"}',
            r"not a cutpoints cutpoint \(expected format 'cutpoints.cutpoint/1', got 'something/else'\)",
        ),
        (
            '{"format": "cutpoints.cutpoint/1"}',
            r"cutpoint JSON is missing or has a malformed field \(KeyError\('rule'\)\)",
        ),
        (
            '{"format": "cutpoints.cutpoint/1", "rule": ">"}',
            r"'rule' must be '>=' or '<=' \(got '>'\)",
        ),
        ("[1, 2]", r"not a cutpoints cutpoint"),
        ("no/such/file.json", r"cutpoint file not found: 'no/such/file.json'"),
    ],
)
def test_bad_json_is_named(text, message):
    with pytest.raises(InvalidInputError, match=message):
        cp.Cutpoint.from_json(text)


def test_bad_json_number_is_named(toy):
    data = json.loads(cp.find_cutpoint(*toy).to_json())
    data["threshold"] = "high"
    with pytest.raises(
        InvalidInputError, match=r"field 'threshold' must be a number \(got 'high'\)"
    ):
        cp.Cutpoint.from_json(json.dumps(data))


def test_load_refuses_json_text():
    with pytest.raises(InvalidParameterError, match="takes a file path"):
        cp.Cutpoint.load('{"format": 1}')


# ------------------------------------------------------------------ references
def test_bayes_reference_for_costs(rng):
    n = 200_000
    p = rng.random(n)
    y = rng.random(n) < p  # calibrated by construction
    cut = cp.find_cutpoint(y, p, metric="cost(fp=1, fn=9)")
    (ref,) = cut.references
    assert ref.name == "bayes" and ref.threshold == pytest.approx(0.1)
    assert cut.threshold == pytest.approx(0.1, abs=0.02)  # the empirical optimum agrees


def test_general_cost_matrix_and_utility_references():
    y, s = [0, 1, 1, 0], [0.1, 0.9, 0.6, 0.4]
    (ref,) = cp.find_cutpoint(y, s, metric="cost(fp=3, fn=4, tp=1, tn=0.5)").references
    assert ref.threshold == pytest.approx(2.5 / (2.5 + 3))
    (ref,) = cp.find_cutpoint(y, s, metric="utility(tp=5, fp=-1)").references
    assert ref.threshold == pytest.approx(1 / 6)
    (ref,) = cp.find_cutpoint(y, s, metric="net_benefit(pt=0.15)").references
    assert ref.threshold == 0.15


def test_lipton_reference_for_f1(rng):
    n = 200_000
    p = rng.beta(0.5, 3, n)
    y = rng.random(n) < p
    cut = cp.find_cutpoint(y, p, metric="f1")
    (ref,) = cut.references
    assert ref.name == "lipton" and ref.threshold == pytest.approx(cut.score / 2)
    assert cut.threshold == pytest.approx(ref.threshold, abs=0.02)


def test_no_reference_for_scores_outside_unit_interval():
    assert cp.find_cutpoint([0, 1, 1, 0], [-2, 3, 1, 0], metric="cost(fp=1, fn=2)").references == ()


def test_evaluate_threshold_at_the_default(toy):
    result = cp.evaluate_threshold(*toy, 0.5, metrics=["f1", "precision"])
    assert result == {
        "threshold": 0.5,
        "tp": 2,
        "fp": 1,
        "tn": 3,
        "fn": 2,
        "f1": pytest.approx(4 / 7),
        "precision": pytest.approx(2 / 3),
    }
    full = cp.evaluate_threshold(*toy, 0.5)
    assert "mcc" in full and "youden" in full
    with pytest.raises(InvalidParameterError, match="'threshold' must be a number, not NaN"):
        cp.evaluate_threshold(*toy, float("nan"))


def test_cutpoint_and_metrics_pickle(toy):
    import pickle

    cut = cp.find_cutpoint(*toy, metric="fbeta(beta=2)", constraints=["precision >= 0.5"])
    again = pickle.loads(pickle.dumps(cut))
    assert again == cut
    metric = pickle.loads(pickle.dumps(cp.get_metric("cost(fp=1, fn=4)")))
    assert metric.name == "cost(fp=1, fn=4)"
