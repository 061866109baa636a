"""Every fractal with its numbers; create, rename, delete and open one."""

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from fractal_tui.screens.base import FractalScreen, fill_table, selected_key
from fractal_tui.screens.welcome import new_fractal_form
from fractal_tui.views import FractalView
from fractal_tui.widgets import ago
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import Field, FormScreen


class FractalsScreen(FractalScreen):
    DEFAULT_CSS = """
    FractalsScreen #fractals-table {
        height: 1fr;
    }
    FractalsScreen #fractals-empty {
        display: none;
    }
    FractalsScreen.-empty #fractals-empty {
        display: block;
    }
    FractalsScreen.-empty #fractals-table {
        display: none;
    }
    """

    NEEDS_FRACTAL = False

    BINDINGS = [
        Binding("enter,o", "open", "Open", key_display="⏎"),
        Binding("n", "new", "New fractal"),
        Binding("e", "rename", "Rename"),
        Binding("d,delete", "delete", "Delete"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sub_title = "Fractals"
        self.fractals: dict[str, FractalView] = {}

    def compose_content(self) -> ComposeResult:
        yield Static(
            "There is no fractal yet. Press n to create one.",
            id="fractals-empty",
            classes="empty-hint",
        )
        table: DataTable[Any] = DataTable(
            id="fractals-table", cursor_type="row", zebra_stripes=True
        )
        table.add_column("", key="open", width=1)
        table.add_column("Fractal", key="name")
        table.add_column("Goals", key="goals")
        table.add_column("Done", key="done")
        table.add_column("Active session", key="session")
        table.add_column("Last activity", key="last")
        yield table

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#fractals-table", DataTable)

    def on_mount(self) -> None:
        self.table.focus()

    def load(self) -> tuple[FractalView, ...]:
        return tuple(self.app.store.list_fractals())  # type: ignore[attr-defined]

    def show(self, data: tuple[FractalView, ...]) -> None:
        now = self.app.clock()  # type: ignore[attr-defined]
        self.fractals = {f.id: f for f in data}
        self.set_class(not data, "-empty")
        open_id = self.fractal_id
        rows = []
        for f in data:
            rows.append(
                (
                    f.id,
                    (
                        Text("●", style="bold") if f.id == open_id else "",
                        Text(f.name, style="bold" if f.id == open_id else ""),
                        Text(str(f.goal_count), justify="right"),
                        Text(f"{f.completion_pct:.0f}%", justify="right"),
                        f.active_session_name or Text("—", style="dim"),
                        ago(f.last_activity, now),
                    ),
                )
            )
        fill_table(self.table, rows)
        if open_id in self.fractals and selected_key(self.table) is None:
            self.table.move_cursor(row=list(self.fractals).index(open_id))

    @property
    def selected(self) -> FractalView | None:
        key = selected_key(self.table)
        return self.fractals.get(key) if key else None

    def _need_fractal(self) -> FractalView | None:
        fractal = self.selected
        if fractal is None:
            self.notify("No fractal selected: press n to create one.", severity="warning")
        return fractal

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        fractal = self._need_fractal()
        if fractal is not None:
            self.app.open_fractal(fractal.id, fractal.name)  # type: ignore[attr-defined]

    def action_new(self) -> None:
        def created(fractal: Any) -> None:
            if fractal is not None:
                self.app.open_fractal(fractal.id, fractal.name)  # type: ignore[attr-defined]

        form = new_fractal_form(self.app.store, "New fractal")  # type: ignore[attr-defined]
        self.app.push_screen(form, created)

    def action_rename(self) -> None:
        fractal = self._need_fractal()
        if fractal is None:
            return
        store = self.app.store  # type: ignore[attr-defined]

        def renamed(goal: Any) -> None:
            if goal is not None:
                if goal.id == self.fractal_id:
                    self.app.title = goal.name
                self.reload()

        form = FormScreen(
            f"Rename {fractal.name!r}",
            [Field("name", "Name", value=fractal.name)],
            lambda v: store.update_goal(fractal.id, name=v["name"]),
            submit_label="Rename",
        )
        self.app.push_screen(form, renamed)

    def action_delete(self) -> None:
        fractal = self._need_fractal()
        if fractal is None:
            return
        store = self.app.store  # type: ignore[attr-defined]

        def confirm(preview: Any) -> None:
            message = (
                f"Delete the fractal {fractal.name!r}? This deletes {preview.describe()}. "
                "You can restore it from the trash."
            )
            self.app.push_screen(ConfirmScreen(message, title="Delete fractal"), answered)

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_store(store.delete_goal, fractal.id, done=deleted)

        def deleted(summary: Any) -> None:
            self.app.offer_undo(summary)  # type: ignore[attr-defined]
            if fractal.id == self.fractal_id:
                self.app.fractal_id = None  # type: ignore[attr-defined]
                self.app.title = "Fractal"

        self.run_store(store.preview_delete_goal, fractal.id, done=confirm, reload=False)
