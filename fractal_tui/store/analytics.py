"""Aggregates for analytics and reports, computed in SQL."""

from fractal_tui.store.base import StoreBase


class AnalyticsMixin(StoreBase):
    pass
