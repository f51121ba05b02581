"""Run reports: Pareto plots per band and overall (PNG), the front as CSV, one HTML page."""

from __future__ import annotations

from hwnas.report._report import RunView, write_report

__all__ = ["RunView", "write_report"]
