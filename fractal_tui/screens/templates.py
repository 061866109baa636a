"""Session templates of the open fractal: the list, a detail panel, and the builder.

Keys act on the template under the cursor: n builds a new one, e (or enter) edits it in the
builder, s starts a session from it (then shows that session), d deletes it (ctrl+z brings
it back), K/J reorder the list.
"""

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from fractal_tui.errors import FractalError
from fractal_tui.screens.base import FractalScreen, fill_table, selected_key
from fractal_tui.views import ActivityView, SessionView, TemplateSection, TemplateView
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.template_builder import TemplateBuilder, minutes_text
from fractal_tui.widgets.template_detail import TemplateDetailPanel, plan_summary


@dataclass(frozen=True)
class TemplatesData:
    templates: tuple[TemplateView, ...]


class TemplatesScreen(FractalScreen):
    """The templates list (see the module docstring)."""

    DEFAULT_CSS = """
    TemplatesScreen #templates-main {
        height: 1fr;
    }
    TemplatesScreen #templates-table {
        width: 1fr;
        height: 1fr;
    }
    TemplatesScreen #templates-empty {
        display: none;
    }
    TemplatesScreen #templates-empty.-shown {
        display: block;
    }
    TemplatesScreen TemplateDetailPanel {
        width: 45%;
        min-width: 32;
        max-width: 64;
    }
    """

    BINDINGS = [
        Binding("n", "new", "New", tooltip="Build a new template"),
        Binding("e", "edit", "Edit", tooltip="Edit it in the builder (or press enter)"),
        Binding("s", "start", "Start session", tooltip="Start a session from this template"),
        Binding("d,delete", "delete", "Delete", tooltip="Delete it (ctrl+z brings it back)"),
        Binding("K,shift+up", "move(-1)", "Up", key_display="K", tooltip="Move it up"),
        Binding("J,shift+down", "move(1)", "Down", key_display="J", tooltip="Move it down"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sub_title = "Templates"
        self.data: TemplatesData | None = None
        self._pending_select: str | None = None

    def compose_content(self) -> ComposeResult:
        yield Static(
            "No templates yet: press n to build one (sections of activities with planned "
            "minutes), then s to start a session from it.",
            id="templates-empty",
            classes="empty-hint",
        )
        with Horizontal(id="templates-main"):
            yield DataTable(id="templates-table", cursor_type="row", zebra_stripes=True)
            yield TemplateDetailPanel(id="template-detail")

    @property
    def table(self) -> DataTable:
        return self.query_one("#templates-table", DataTable)

    @property
    def detail(self) -> TemplateDetailPanel:
        return self.query_one(TemplateDetailPanel)

    def on_mount(self) -> None:
        table = self.table
        table.add_column("Name", key="name")
        table.add_column("Sections", key="sections")
        table.add_column("Acts", key="items")
        table.add_column("Min", key="minutes")
        table.focus()

    # --- loading -------------------------------------------------------------------------

    def load(self) -> TemplatesData:
        return TemplatesData(tuple(self.app.store.templates(self.fractal_id)))  # type: ignore[attr-defined]

    def show(self, data: TemplatesData) -> None:
        self.data = data
        rows = [
            (
                t.id,
                (
                    t.name,
                    Text(str(len(t.sections)), justify="right"),
                    Text(str(len(t.items)), justify="right"),
                    Text(minutes_text(t.planned_minutes), justify="right"),
                ),
            )
            for t in data.templates
        ]
        table = self.table
        fill_table(table, rows)
        if self._pending_select and self._pending_select in {t.id for t in data.templates}:
            from textual.widgets.data_table import RowKey

            table.move_cursor(row=table.get_row_index(RowKey(self._pending_select)))
        self._pending_select = None
        self.query_one("#templates-empty").set_class(not data.templates, "-shown")
        self._show_detail()

    def show_no_fractal(self) -> None:
        self.data = None
        self.table.clear()
        self.detail.show_hint("No fractal is open: press 0 to choose or create one.")

    @property
    def template(self) -> TemplateView | None:
        key = selected_key(self.table)
        items = self.data.templates if self.data else ()
        return next((t for t in items if t.id == key), None)

    def _show_detail(self) -> None:
        self.detail.show_template(self.template)

    @on(DataTable.RowHighlighted, "#templates-table")
    def _highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#templates-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def _need_template(self) -> TemplateView | None:
        template = self.template
        if template is None:
            self.notify("No template here yet: press n to build one.", severity="warning")
        return template

    def _after_builder(self, template: TemplateView | None) -> None:
        if template is not None:
            self._pending_select = template.id
            self.notify(f"Saved template {template.name!r}.", timeout=3)
            self.reload()

    # --- building ------------------------------------------------------------------------

    def _open_builder(self, template: TemplateView | None) -> None:
        if self.fractal_id is None:
            self.show_no_fractal()
            return
        store = self.app.store  # type: ignore[attr-defined]
        root_id = self.fractal_id

        def save(name: str, description: str, sections: tuple[TemplateSection, ...]) -> Any:
            if template is None:
                return store.add_template(root_id, name, description=description, sections=sections)
            return store.update_template(
                template.id, name=name, description=description, sections=sections
            )

        def loaded(activities: list[ActivityView]) -> None:
            self.app.push_screen(
                TemplateBuilder(activities, save, template=template), self._after_builder
            )

        self.run_store(store.activities, root_id, done=loaded, reload=False)

    def action_new(self) -> None:
        self._open_builder(None)

    def action_edit(self) -> None:
        template = self._need_template()
        if template is not None:
            self._open_builder(template)

    # --- starting a session ----------------------------------------------------------------

    def action_start(self) -> None:
        template = self._need_template()
        if template is None:
            return
        if not template.items:
            self.notify(
                f"{template.name!r} has no activities yet: press e to build its plan.",
                severity="warning",
            )
            return
        store = self.app.store  # type: ignore[attr-defined]
        self.run_store(
            store.start_session_from_template,
            self.fractal_id,
            template.id,
            done=self._started,
            error=self._not_started,
            reload=False,
        )

    def _not_started(self, exc: FractalError) -> None:
        # The store speaks to the CLI; here the way out is the sessions screen.
        message = exc.message.replace("(`fractal end-session`)", "on the sessions screen (press 2)")
        self.notify(message, severity="error")

    def _started(self, session: SessionView) -> None:
        count = session.instance_count
        self.notify(
            f"Started {session.name or 'a session'!r} with {count} "
            f"activit{'ies' if count != 1 else 'y'}.",
            timeout=4,
        )
        app: Any = self.app
        if "sessions" not in getattr(app, "_modes", {}):
            return
        app.switch_screen_named("sessions")
        opener = getattr(app.screen, "open_session", None)
        if callable(opener):
            opener(session.id)
            return
        try:
            from fractal_tui.screens.session import SessionScreen
        except ImportError:
            return
        app.push_screen(SessionScreen(session.id))

    # --- deleting and ordering ---------------------------------------------------------------

    def action_delete(self) -> None:
        template = self._need_template()
        if template is None:
            return
        store = self.app.store  # type: ignore[attr-defined]
        root_id = self.fractal_id

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_store(store.delete, "template", template.id, root_id, done=deleted)

        def deleted(summary: Any) -> None:
            self.app.offer_undo(summary)  # type: ignore[attr-defined]

        items = len(template.items)
        plan = f" and its plan ({plan_summary(template)})" if items else ""
        self.app.push_screen(
            ConfirmScreen(
                f"Delete template {template.name!r}{plan}? Sessions started from it keep "
                "their activities. ctrl+z brings it back.",
                title="Delete template",
            ),
            answered,
        )

    def action_move(self, offset: int) -> None:
        template = self._need_template()
        if template is None:
            return
        store = self.app.store  # type: ignore[attr-defined]

        def done(moved: bool) -> None:
            if not moved:
                where = "first" if offset < 0 else "last"
                self.notify(f"{template.name!r} is already {where}.", timeout=3)

        self._pending_select = template.id
        self.run_store(store.shift_template, template.id, offset, done=done)
