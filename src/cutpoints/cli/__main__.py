"""``python -m cutpoints.cli``."""

from __future__ import annotations

from ._app import main

main()
