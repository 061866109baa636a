"""Sets and metric values of activity instances."""

from fractal_tui.store.base import StoreBase


class PracticeMixin(StoreBase):
    pass
