"""Session templates and their items."""

from fractal_tui.store.base import StoreBase


class TemplatesMixin(StoreBase):
    pass
