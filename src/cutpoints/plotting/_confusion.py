"""Confusion matrices at one or more thresholds, side by side or as a difference."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import InvalidParameterError
from ._base import Marked, check_ax, import_pyplot
from ._display import CurveDisplay

__all__ = ["ConfusionMatrixDisplay"]

Mode = Literal["single", "side_by_side", "difference"]
Normalize = Literal["true", "pred", "all"]
_MODES = ("single", "side_by_side", "difference")
_NORMALIZE = (None, "true", "pred", "all")


def _normalize(matrix: npt.NDArray[np.float64], how: str | None) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = matrix
    with np.errstate(invalid="ignore", divide="ignore"):
        if how == "true":
            out = matrix / matrix.sum(axis=1, keepdims=True)
        elif how == "pred":
            out = matrix / matrix.sum(axis=0, keepdims=True)
        elif how == "all":
            out = matrix / matrix.sum()
    return out


def _is_integral(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(np.all(finite == np.round(finite)))


class ConfusionMatrixDisplay(CurveDisplay):
    """Confusion matrix at a threshold, or two thresholds compared.

    The counts are rows of the exact :class:`~cutpoints.ConfusionCurve`: for each
    threshold ``t`` the matrix is ``[[tn, fp], [fn, tp]]`` of flagging ``score >= t``
    (rows: true class negative, positive; columns: predicted negative, positive).

    With several thresholds, ``mode="side_by_side"`` draws one matrix per threshold
    and ``mode="difference"`` draws the last minus the first (e.g. tuned minus 0.5).
    From a cutpoint, its threshold comes last, after the thresholds it is compared to.

    Parameters
    ----------
    curve : ConfusionCurve
        The exact curve.
    thresholds : float or list of float, optional
        Thresholds to show (at least one, unless a cutpoint is given).
    cutpoint : Cutpoint, optional
        A chosen cutpoint, shown last.
    name : str, optional
        Prefix of the titles.

    Attributes
    ----------
    matrices_ : ndarray of shape (n_thresholds, 2, 2)
        The raw (weighted) counts ``[[tn, fp], [fn, tp]]`` at each threshold, in the
        order shown.
    values_ : list of ndarray of shape (2, 2)
        What each panel shows (normalized, or the difference).
    axes_ : list of matplotlib Axes
        One per panel; ``ax_`` is the first.
    ims_ : list of matplotlib AxesImage
        The heat maps; ``im_`` is the first.
    texts_ : list of ndarray of matplotlib Text, shape (2, 2)
        The cell annotations; ``text_`` is the first.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from cutpoints.plotting import ConfusionMatrixDisplay
    >>> y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.7]
    >>> disp = ConfusionMatrixDisplay.from_predictions(
    ...     y, s, thresholds=[0.5, 0.3], mode="difference")
    >>> disp.matrices_.tolist()
    [[[3, 0], [1, 2]], [[2, 1], [0, 3]]]
    >>> disp.values_[0].tolist()
    [[-1, 1], [-1, 1]]
    """

    _what = "a confusion matrix"

    @property
    def _order(self) -> list[Marked]:
        marks = list(self.marked)
        if self.cutpoint is not None and marks:
            marks = [*marks[1:], marks[0]]
        return marks

    def plot(
        self,
        ax: Any = None,
        *,
        mode: Mode | None = None,
        normalize: Normalize | None = None,
        cmap: str | None = None,
        values_format: str | None = None,
        colorbar: bool = False,
    ) -> ConfusionMatrixDisplay:
        """Draw the matrix (or matrices).

        Parameters
        ----------
        ax : matplotlib Axes or sequence of Axes, optional
            Where to draw: one Axes, or one per threshold for ``"side_by_side"``. A new
            figure if None.
        mode : {'single', 'side_by_side', 'difference'}, optional
            ``"single"`` for one threshold (the default then), ``"side_by_side"`` (the
            default for several), or ``"difference"`` (exactly two: last minus first).
        normalize : {'true', 'pred', 'all'}, optional
            Divide by row sums (rates per true class), column sums, or the total.
        cmap : str, optional
            Colormap; ``"Blues"`` (``"RdBu"`` centered on 0 for differences). Counts
            are shaded by their share of the true class (row) and annotated with it, so
            a rare class stays readable; a difference is shaded by improvement (blue
            where correct decisions rise or errors fall, red the reverse).
        values_format : str, optional
            Format of the cell text, e.g. ``".2f"``; chosen from the values by default.
        colorbar : bool, default=False
            Add a colorbar to each panel.

        Returns
        -------
        ConfusionMatrixDisplay
            ``self``.
        """
        marks = self._order
        if not marks:
            msg = "'thresholds' must name at least one threshold for a confusion matrix"
            raise InvalidParameterError(msg)
        if mode is None:
            mode = "single" if len(marks) == 1 else "side_by_side"
        if mode not in _MODES:
            msg = f"'mode' must be one of {list(_MODES)!r} (got {mode!r})"
            raise InvalidParameterError(msg)
        if normalize not in _NORMALIZE:
            msg = f"'normalize' must be one of {list(_NORMALIZE)!r} (got {normalize!r})"
            raise InvalidParameterError(msg)
        if mode == "single" and len(marks) != 1:
            msg = (
                f"'mode' 'single' shows one threshold (got {len(marks)}); use "
                "'side_by_side' or 'difference'"
            )
            raise InvalidParameterError(msg)
        if mode == "difference" and len(marks) != 2:
            msg = f"'mode' 'difference' needs exactly two thresholds (got {len(marks)})"
            raise InvalidParameterError(msg)
        curve = self.curve
        self.matrices_ = np.stack(
            [
                np.array(
                    [[curve.tn[m.index], curve.fp[m.index]], [curve.fn[m.index], curve.tp[m.index]]]
                )
                for m in marks
            ]
        )
        if mode == "difference":
            panels = [
                _normalize(self.matrices_[1].astype(float), normalize)
                - _normalize(self.matrices_[0].astype(float), normalize)
                if normalize
                else self.matrices_[1] - self.matrices_[0]
            ]
            titles = [f"{marks[1].label}  minus  {marks[0].label}"]
        else:
            panels = [
                _normalize(m.astype(float), normalize) if normalize else m for m in self.matrices_
            ]
            titles = [m.label for m in marks]
        axes = self._axes_for(ax, len(panels))
        neg = "negative" if curve.negative_label is None else str(curve.negative_label)
        pos = str(curve.positive_label)
        self.values_ = panels
        self.ims_, self.texts_ = [], []
        for a, values, title in zip(axes, panels, titles, strict=True):
            im, texts = self._draw_panel(a, values, mode, cmap, values_format, colorbar, normalize)
            a.set(
                xticks=[0, 1],
                yticks=[0, 1],
                xticklabels=[f"negative\n({neg})", f"positive\n({pos})"],
                yticklabels=[f"negative\n({neg})", f"positive\n({pos})"],
                xlabel="Predicted label",
                ylabel="True label",
                title=f"{self.name}: {title}" if self.name else title,
            )
            self.ims_.append(im)
            self.texts_.append(texts)
        self.axes_ = list(axes)
        self.im_, self.text_ = self.ims_[0], self.texts_[0]
        self._set_axes(axes[0])
        return self

    def _axes_for(self, ax: Any, n: int) -> list[Any]:
        if n == 1:
            if isinstance(ax, (list, tuple, np.ndarray)):
                if len(ax) != 1:
                    msg = f"'ax' must be one Axes for one panel (got {len(ax)} Axes)"
                    raise InvalidParameterError(msg)
                ax = ax[0]
            return [check_ax(ax)]
        if ax is None:
            plt = import_pyplot()
            _, axes = plt.subplots(1, n, figsize=(4.2 * n, 4), layout="constrained")
            return list(axes)
        axes = list(np.ravel(ax)) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
        if len(axes) != n:
            msg = (
                f"'ax' must be a sequence of {n} Axes for {n} side-by-side panels (got {len(axes)})"
            )
            raise InvalidParameterError(msg)
        return [check_ax(a) for a in axes]

    @staticmethod
    def _draw_panel(
        ax: Any,
        values: np.ndarray,
        mode: str,
        cmap: str | None,
        values_format: str | None,
        colorbar: bool,
        normalize: str | None,
    ) -> tuple[Any, np.ndarray]:
        shown = np.asarray(values, dtype=float)
        if mode == "difference":
            # Shade by improvement: more correct decisions (diagonal up) or fewer errors
            # (off-diagonal down) is blue, the reverse red; the text keeps the sign.
            shade = shown * np.array([[1.0, -1.0], [-1.0, 1.0]])
            limit = float(np.nanmax(np.abs(shade))) or 1.0
            im = ax.imshow(shade, cmap=cmap or "RdBu", vmin=-limit, vmax=limit)
        elif normalize is None:
            # Shade by the share of the true class, so a rare class stays readable.
            with np.errstate(invalid="ignore", divide="ignore"):
                shade = shown / shown.sum(axis=1, keepdims=True)
            im = ax.imshow(shade, cmap=cmap or "Blues", vmin=0, vmax=1)
        else:
            shade = shown
            im = ax.imshow(shade, cmap=cmap or "Blues", vmin=0)
        if values_format is None:
            if normalize:
                values_format = "+.1%" if mode == "difference" else ".1%"
            elif _is_integral(shown):
                values_format = "+,.0f" if mode == "difference" else ",.0f"
            else:
                values_format = "+.4g" if mode == "difference" else ".4g"
        cmap_obj = im.cmap
        texts = np.empty((2, 2), dtype=object)
        lo, hi = im.norm.vmin, im.norm.vmax
        for i in range(2):
            for j in range(2):
                v, c = shown[i, j], shade[i, j]
                frac = 0.5 if hi == lo or not np.isfinite(c) else (c - lo) / (hi - lo)
                r, g, b, _ = cmap_obj(frac)
                color = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
                text = "n/a" if not np.isfinite(v) else format(v, values_format)
                if mode != "difference" and normalize is None and np.isfinite(c):
                    text += f"\n({c:.1%} of row)"
                texts[i, j] = ax.text(j, i, text, ha="center", va="center", color=color)
        if colorbar:
            bar = ax.figure.colorbar(im, ax=ax)
            if mode == "difference":
                bar.set_label("better (blue) / worse (red)")
            elif normalize is None:
                bar.set_label("share of the true class")
        return im, texts
