""":class:`FixedCutpointClassifier`: apply a known threshold (a number or a saved Cutpoint)."""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils.validation import _num_samples, indexable

from .._cutpoint import Cutpoint
from .._responses import TunedParts, resolve_response_method
from .._validation import _python_scalar, check_weights
from ..errors import InvalidLabelsError, InvalidParameterError
from ._base import (
    BaseCutpointClassifier,
    ResponseMethod,
    Rule,
    check_binary_target,
    check_rule,
    fit_params_with_weight,
    is_fitted,
    not_fitted,
)

__all__ = ["FixedCutpointClassifier"]


class FixedCutpointClassifier(BaseCutpointClassifier):
    """A classifier that applies a known threshold (a number or a saved Cutpoint).

    Wrap an already fitted model and a threshold tuned elsewhere (for instance
    ``CutpointClassifier.cutpoint_`` saved with :meth:`cutpoints.Cutpoint.save`, or a
    certified cutpoint from :func:`cutpoints.find_cutpoint_guaranteed`): :meth:`predict`
    works at once, without ``fit``. Calling ``fit`` fits a clone of the estimator and
    keeps the threshold.

    A cutpoint file is read once: by ``fit``, or (without ``fit``) by the first
    prediction; later predictions reuse it.

    Parameters
    ----------
    estimator : estimator instance
        A binary classifier with ``predict_proba`` or ``decision_function``.
    threshold : float, optional
        Flag ``score >= threshold`` (see ``rule``). Give ``threshold`` or ``cutpoint``,
        not both.
    cutpoint : Cutpoint, str or path, optional
        A :class:`cutpoints.Cutpoint`, or the path of a file written by
        :meth:`cutpoints.Cutpoint.save` (or ``cutpoints tune --save``). Its threshold,
        rule and positive label are used. (For JSON text, pass
        ``Cutpoint.from_json(text)``.)
    rule : {'>=', '<='}, optional
        Flag ``score >= threshold`` (default) or ``<=``, for scores where lower means
        positive. A cutpoint carries its own rule; giving a different one is an error.
    response_method : {'auto', 'predict_proba', 'decision_function', 'predict'}, \
default='auto'
        Which scores the threshold applies to; must be the scores it was tuned on.
    pos_label : object, optional
        The positive class; by default the cutpoint's positive label, else
        ``classes_[1]``.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted estimator.
    threshold_ : float
        The threshold applied.
    cutpoint_ : Cutpoint or None
        The cutpoint (read from its file by ``fit``), when one was given.
    classes_ : ndarray of shape (2,)

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> import cutpoints as cp
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> model = LogisticRegression().fit(X, y)
    >>> strict = cp.FixedCutpointClassifier(model, threshold=0.9)
    >>> int(strict.predict(X).sum()), int(model.predict(X).sum())
    (68, 103)
    """

    def __init__(
        self,
        estimator: Any,
        *,
        threshold: float | None = None,
        cutpoint: Cutpoint | str | os.PathLike[str] | None = None,
        rule: Rule | None = None,
        response_method: ResponseMethod = "auto",
        pos_label: Any = None,
    ) -> None:
        self.estimator = estimator
        self.threshold = threshold
        self.cutpoint = cutpoint
        self.rule = rule
        self.response_method = response_method
        self.pos_label = pos_label

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state.pop("_loaded_", None)  # a cache of the file; fit's cutpoint_ is what is kept
        return state

    def _load(self) -> Cutpoint:
        """The ``cutpoint`` parameter as a Cutpoint; a file is read once per path."""
        source = self.cutpoint
        if isinstance(source, Cutpoint):
            return source
        if not isinstance(source, (str, os.PathLike)):
            msg = (
                "'cutpoint' must be a cutpoints.Cutpoint or the path of a file saved with "
                f"Cutpoint.save (got {type(source).__name__})"
            )
            raise InvalidParameterError(msg)
        key = os.fspath(source)
        cached = getattr(self, "_loaded_", None)
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[no-any-return]
        cut = Cutpoint.load(source)
        self._loaded_ = (key, cut)
        return cut

    def _resolve(self) -> tuple[float, str, Cutpoint | None]:
        """(threshold, rule, cutpoint) from the parameters."""
        if (self.threshold is None) == (self.cutpoint is None):
            msg = (
                "give exactly one of 'threshold' and 'cutpoint' (got "
                f"threshold={self.threshold!r}, cutpoint="
                f"{'None' if self.cutpoint is None else type(self.cutpoint).__name__})"
            )
            raise InvalidParameterError(msg)
        if self.rule is not None:
            check_rule(self.rule)
        if self.cutpoint is not None:
            cut = self._load()
            if self.rule is not None and self.rule != cut.rule:
                msg = (
                    f"'rule' is {self.rule!r} but the cutpoint was tuned with rule "
                    f"{cut.rule!r}; leave 'rule' unset to use the cutpoint's own"
                )
                raise InvalidParameterError(msg)
            return float(cut.threshold), cut.rule, cut
        try:
            value = float(self.threshold)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            msg = f"'threshold' must be a number (got {self.threshold!r})"
            raise InvalidParameterError(msg) from None
        if math.isnan(value):
            msg = "'threshold' must be a number, not NaN"
            raise InvalidParameterError(msg)
        return value, ">=" if self.rule is None else self.rule, None

    def _positive(self, estimator: Any, cut: Cutpoint | None) -> Any:
        """The positive label among a fitted ``estimator``'s two classes."""
        classes = np.asarray(estimator.classes_)
        if len(classes) != 2:
            msg = f"'estimator' must be a binary classifier (its classes_ are {classes.tolist()!r})"
            raise InvalidLabelsError(msg)
        pos = self.pos_label
        if pos is None:
            pos = cut.positive_label if cut is not None else classes[1]
            if cut is not None and not (classes == pos).any():
                msg = (
                    f"the cutpoint's positive label {pos!r} is not one of the estimator's "
                    f"classes {classes.tolist()!r}; pass pos_label"
                )
                raise InvalidParameterError(msg)
        elif not (classes == pos).any():
            msg = f"'pos_label' must be one of the classes {classes.tolist()!r} (got {pos!r})"
            raise InvalidLabelsError(msg)
        return _python_scalar(pos)

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, **fit_params: Any
    ) -> FixedCutpointClassifier:
        """Fit a clone of the estimator; the threshold stays as given.

        A cutpoint file is read here, once (see ``cutpoint_``).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Binary target.
        sample_weight : array-like of shape (n_samples,), optional
            Passed to the estimator's ``fit`` when it accepts it.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : FixedCutpointClassifier
        """
        self.__dict__.pop("_loaded_", None)  # fit reads the file afresh
        threshold, rule, cut = self._resolve()
        X, y = indexable(X, y)
        target = check_binary_target(y, self.pos_label)
        resolve_response_method(self.estimator, self.response_method)
        weights = (
            None
            if sample_weight is None
            else np.asarray(check_weights(sample_weight, _num_samples(X), "sample_weight"))
        )
        params = fit_params_with_weight(self.estimator, weights, fit_params)
        model = clone(self.estimator).fit(X, target.y, **params)
        pos = self._positive(model, cut)
        self.__dict__.pop("_loaded_", None)  # cutpoint_ holds it from now on
        self.estimator_ = model
        self.threshold_ = threshold
        self.cutpoint_ = cut
        self._rule_ = rule
        self._pos_label_ = pos
        return self

    def __cutpoints_tuned__(self) -> TunedParts:
        """The model, cutpoint, threshold, response method and positive label applied.

        After ``fit``, what ``fit`` read; before, the parameters with ``estimator`` as
        fitted (an unfitted estimator raises NotFittedError).
        """
        fitted = getattr(self, "estimator_", None)
        if fitted is not None:
            method = resolve_response_method(fitted, self.response_method)
            return TunedParts(
                fitted, self.cutpoint_, self.threshold_, method, self._pos_label_, self._rule_
            )
        if not is_fitted(self.estimator):
            raise not_fitted(self)
        threshold, rule, cut = self._resolve()
        method = resolve_response_method(self.estimator, self.response_method)
        pos = self._positive(self.estimator, cut)
        return TunedParts(self.estimator, cut, threshold, method, pos, rule)

    @property
    def classes_(self) -> np.ndarray:
        """The class labels, from the (fitted) estimator."""
        fitted = getattr(self, "estimator_", None)
        if fitted is None:
            if not is_fitted(self.estimator):
                msg = "FixedCutpointClassifier has no classes_ before its estimator is fitted"
                raise AttributeError(msg)
            fitted = self.estimator
        return np.asarray(fitted.classes_)
