"""The store: the only code that touches the database.

``Store`` gathers one mixin per area over ``StoreBase`` (transactions and the built-in rules:
root_id, soft delete, ordering, audit times, events). Every public method is one transaction
and returns read models from ``fractal_tui.views``. Mixins earlier in the list override the
hooks of later ones (targets fill in the goal detail and react to practice changes).
"""

from fractal_tui.errors import Conflict, FractalError, Invalid, NotFound
from fractal_tui.store.activities import ActivitiesMixin
from fractal_tui.store.analytics import AnalyticsMixin
from fractal_tui.store.base import StoreBase, describe_counts
from fractal_tui.store.bulk import BulkMixin
from fractal_tui.store.exchange import ExchangeMixin
from fractal_tui.store.goals import GoalsMixin
from fractal_tui.store.notes import NotesMixin
from fractal_tui.store.practice import PracticeMixin
from fractal_tui.store.sessions import SessionsMixin
from fractal_tui.store.targets import TargetsMixin
from fractal_tui.store.templates import TemplatesMixin
from fractal_tui.store.trash import TrashMixin


class Store(
    AnalyticsMixin,
    ExchangeMixin,
    BulkMixin,
    TargetsMixin,
    TemplatesMixin,
    NotesMixin,
    PracticeMixin,
    SessionsMixin,
    ActivitiesMixin,
    GoalsMixin,
    TrashMixin,
    StoreBase,
):
    """Fractal's data access: construct with an engine and a clock."""


__all__ = [
    "Conflict",
    "FractalError",
    "Invalid",
    "NotFound",
    "Store",
    "describe_counts",
]
