"""The event log of the open fractal, newest first, filterable by kind."""

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from fractal_tui.screens.base import FractalScreen, fill_table
from fractal_tui.views import EventView
from fractal_tui.widgets import ago, local_time

HISTORY_LIMIT = 300


def kind_label(kind: str | None) -> str:
    return "all kinds" if not kind else kind.replace("_", " ")


class HistoryScreen(FractalScreen):
    DEFAULT_CSS = """
    HistoryScreen #history-filter {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    HistoryScreen #history-table {
        height: 1fr;
    }
    """

    NEEDS_FRACTAL = False

    BINDINGS = [
        Binding("f", "next_kind", "Filter kind"),
        Binding("F", "previous_kind", "Previous kind", show=False),
        Binding("a", "all_kinds", "All kinds"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sub_title = "History"
        self.kind: str | None = None
        self.kinds: list[str] = []

    def compose_content(self) -> ComposeResult:
        yield Static("", id="history-filter")
        table: DataTable[Any] = DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        table.add_column("When", key="when")
        table.add_column("Kind", key="kind")
        table.add_column("What", key="what")
        yield table

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#history-table", DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self._show_filter(0)

    def load(self) -> tuple[str | None, tuple[EventView, ...]]:
        kind = self.kind
        store = self.app.store  # type: ignore[attr-defined]
        events = store.history(self.fractal_id, limit=HISTORY_LIMIT, kind=kind)
        return kind, tuple(events)

    def show(self, data: tuple[str | None, tuple[EventView, ...]]) -> None:
        kind, events = data
        if kind is None:
            for e in events:
                if e.kind not in self.kinds:
                    self.kinds.append(e.kind)
            self.kinds.sort()
        now = self.app.clock()  # type: ignore[attr-defined]
        rows = [
            (
                e.id,
                (
                    Text.assemble(local_time(e.created_at), (f"  {ago(e.created_at, now)}", "dim")),
                    kind_label(e.kind),
                    e.message,
                ),
            )
            for e in events
        ]
        fill_table(self.table, rows)
        self._show_filter(len(events))

    def _show_filter(self, count: int) -> None:
        shown = f"{count} event{'s' if count != 1 else ''}"
        self.query_one("#history-filter", Static).update(
            f"Showing {kind_label(self.kind)} · {shown} · f: filter by kind, a: all"
        )

    def _step(self, offset: int) -> None:
        choices: list[str | None] = [None, *self.kinds]
        index = choices.index(self.kind) if self.kind in choices else 0
        self.kind = choices[(index + offset) % len(choices)]
        self.reload()

    def action_next_kind(self) -> None:
        self._step(1)

    def action_previous_kind(self) -> None:
        self._step(-1)

    def action_all_kinds(self) -> None:
        self.kind = None
        self.reload()
