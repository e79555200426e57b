"""Built-in demo data: the classic threshold-moving example, made on the fly."""

from __future__ import annotations

from ._demo import DemoData, load_demo

__all__ = ["DemoData", "load_demo"]
