"""Reads and writes for export and import."""

from fractal_tui.store.base import StoreBase


class ExchangeMixin(StoreBase):
    pass
