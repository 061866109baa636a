"""The trash: everything soft-deleted, one row per delete batch; restore or purge."""

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from fractal_tui.errors import Invalid
from fractal_tui.screens.base import FractalScreen, fill_table, selected_key
from fractal_tui.store import describe_counts
from fractal_tui.views import TrashBatch
from fractal_tui.widgets import ago, local_time
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import Field, FormScreen


def parse_days(text: str) -> float:
    try:
        days = float(text.strip())
    except ValueError:
        raise Invalid(f"{text.strip() or 'nothing'!r} is not a number of days") from None
    if days != days or days in (float("inf"), float("-inf")) or days < 0:
        raise Invalid("the number of days must be zero or more")
    return days


def batch_label(batch: TrashBatch) -> str:
    what = batch.kind or "item"
    if batch.kind == "goal" and batch.id == batch.root_id:
        what = "fractal"
    return f"{what} {batch.name!r}" if batch.name else what


class TrashScreen(FractalScreen):
    """All deleted batches of every fractal, newest first."""

    DEFAULT_CSS = """
    TrashScreen #trash-table {
        height: 1fr;
    }
    TrashScreen #trash-empty {
        display: none;
    }
    TrashScreen.-empty #trash-empty {
        display: block;
    }
    TrashScreen.-empty #trash-table {
        display: none;
    }
    """

    NEEDS_FRACTAL = False

    BINDINGS = [
        Binding("enter,u", "restore", "Restore", key_display="⏎"),
        Binding("x", "purge_batch", "Purge"),
        Binding("p", "purge_older", "Purge older…"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sub_title = "Trash"
        self.batches: dict[str, TrashBatch] = {}

    def compose_content(self) -> ComposeResult:
        yield Static("The trash is empty.", id="trash-empty", classes="empty-hint")
        table: DataTable[Any] = DataTable(id="trash-table", cursor_type="row", zebra_stripes=True)
        table.add_column("Deleted", key="when")
        table.add_column("Fractal", key="fractal")
        table.add_column("What", key="what")
        table.add_column("Rows", key="rows")
        yield table

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#trash-table", DataTable)

    def on_mount(self) -> None:
        self.table.focus()

    def load(self) -> tuple[tuple[TrashBatch, ...], dict[str, str]]:
        store = self.app.store  # type: ignore[attr-defined]
        batches = tuple(store.trash())
        names = {f.id: f.name for f in store.list_fractals()}
        for b in batches:
            if b.kind == "goal" and b.id == b.root_id:
                names.setdefault(b.root_id, b.name)
        return batches, names

    def show(self, data: tuple[tuple[TrashBatch, ...], dict[str, str]]) -> None:
        batches, names = data
        now = self.app.clock()  # type: ignore[attr-defined]
        self.batches = {b.batch: b for b in batches}
        self.set_class(not batches, "-empty")
        rows = []
        for b in batches:
            when = Text.assemble(local_time(b.deleted_at), (f"  {ago(b.deleted_at, now)}", "dim"))
            rows.append(
                (
                    b.batch,
                    (
                        when,
                        names.get(b.root_id, "—"),
                        batch_label(b),
                        describe_counts(b.counts),
                    ),
                )
            )
        fill_table(self.table, rows)

    @property
    def selected(self) -> TrashBatch | None:
        key = selected_key(self.table)
        return self.batches.get(key) if key else None

    def _need_batch(self) -> TrashBatch | None:
        batch = self.selected
        if batch is None:
            self.notify("The trash is empty.", timeout=3)
        return batch

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_restore()

    def action_restore(self) -> None:
        batch = self._need_batch()
        if batch is None:
            return
        store = self.app.store  # type: ignore[attr-defined]

        def restored(counts: dict[str, int]) -> None:
            self.notify(f"Restored {batch_label(batch)} with {describe_counts(counts)}.")
            app: Any = self.app
            if app.fractal_id is None and batch.id == batch.root_id:
                app.open_fractal(batch.root_id, batch.name, goals=False)

        self.run_store(store.restore, batch.batch, done=restored)

    def _purged(self, counts: dict[str, int]) -> None:
        self.notify(f"Purged {describe_counts(counts)}." if counts else "Nothing to purge.")

    def action_purge_batch(self) -> None:
        batch = self._need_batch()
        if batch is None:
            return
        store = self.app.store  # type: ignore[attr-defined]
        message = (
            f"Purge {batch_label(batch)} for good? {describe_counts(batch.counts)} "
            "will be removed and cannot be restored."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_store(store.purge, batch=batch.batch, done=self._purged)

        self.app.push_screen(ConfirmScreen(message, title="Purge", confirm_label="Purge"), answered)

    def action_purge_older(self) -> None:
        store = self.app.store  # type: ignore[attr-defined]

        def chosen(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            days = values["days"]
            message = (
                f"Purge everything deleted more than {days:g} days ago? "
                "It will be removed for good and cannot be restored."
            )

            def answered(yes: bool | None) -> None:
                if yes:
                    self.run_store(store.purge, older_than_days=days, done=self._purged)

            self.app.push_screen(
                ConfirmScreen(message, title="Purge", confirm_label="Purge"), answered
            )

        form = FormScreen(
            "Purge old deletes",
            [Field("days", "Older than", value="30", placeholder="days", parse=parse_days)],
            submit_label="Next",
            description="Rows deleted more than this many days ago are removed for good.",
        )
        self.app.push_screen(form, chosen)
