"""The bulk path: many rows in few statements, with the same built-in rules."""

from fractal_tui.store.base import StoreBase


class BulkMixin(StoreBase):
    pass
