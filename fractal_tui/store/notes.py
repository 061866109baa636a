"""Notes on goals, sessions and activity instances."""

from fractal_tui.store.base import StoreBase


class NotesMixin(StoreBase):
    pass
