"""Old home of the scikit-learn estimators, kept so saved models and imports still load.

The estimators live in :mod:`cutpoints.sklearn`; a model pickled or saved with skops
under ``cutpoints._estimator.FixedCutpointClassifier`` finds its class here.
"""

from .sklearn._classifier import CutpointClassifier
from .sklearn._fixed import FixedCutpointClassifier

__all__ = ["CutpointClassifier", "FixedCutpointClassifier"]
