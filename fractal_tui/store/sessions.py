"""Sessions, their goals, activity instances and the timer ledger."""

from fractal_tui.store.base import StoreBase


class SessionsMixin(StoreBase):
    pass
