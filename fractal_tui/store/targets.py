"""Goal targets, their conditions and their evaluation."""

from fractal_tui.store.base import StoreBase


class TargetsMixin(StoreBase):
    pass
