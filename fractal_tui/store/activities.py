"""Activity groups, activities, metric and split definitions."""

from fractal_tui.store.base import StoreBase


class ActivitiesMixin(StoreBase):
    pass
