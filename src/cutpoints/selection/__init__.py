"""Selection: objectives, constraints and the one kernel that chooses a row of counts."""

from ._constraints import Constraint, ConstraintLike, as_constraints
from ._kernel import TIE_RULES, Selection, Status, TieRule, select_rows

__all__ = [
    "TIE_RULES",
    "Constraint",
    "ConstraintLike",
    "Selection",
    "Status",
    "TieRule",
    "as_constraints",
    "select_rows",
]
