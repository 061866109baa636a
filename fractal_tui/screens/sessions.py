"""The sessions of the open fractal, newest first, with filters; opens one session.

The active session's duration is redrawn once a second from its times and ``app.clock()``.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from fractal_tui import timing
from fractal_tui.screens.base import FractalScreen, fill_table, selected_key
from fractal_tui.views import Page, SessionView
from fractal_tui.widgets import local_time
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import Field, FormScreen
from fractal_tui.widgets.live_table import LiveTable
from fractal_tui.widgets.session_forms import NewSession, NewSessionScreen
from fractal_tui.widgets.timer import set_static

PAGE_SIZE = 100


@dataclass(frozen=True)
class SessionFilter:
    """What the list is narrowed to; labels are what the person typed."""

    start: datetime | None = None
    end: datetime | None = None
    activity_id: str | None = None
    goal_id: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return any((self.start, self.end, self.activity_id, self.goal_id))

    def describe(self) -> str:
        return " · ".join(f"{k} {v}" for k, v in self.labels.items() if v)


@dataclass(frozen=True)
class SessionsData:
    page: Page
    filter: SessionFilter


def mark(session: SessionView) -> Text:
    if session.done:
        return Text("✓", style="green")
    return Text("⏸", style="bold yellow") if session.paused else Text("▶", style="bold green")


class Fixed:
    """A cell of a fixed-width column, drawn as it is. DataTable measures every cell of
    each new page for column widths (a tenth of a page's cost), which a fixed-width column
    does not use; a cell without __rich_measure__ is not measured."""

    __slots__ = ("content",)

    def __init__(self, content: str | Text) -> None:
        self.content = content

    def __str__(self) -> str:
        return str(self.content)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fixed) and other.content == self.content

    def __hash__(self) -> int:
        return hash(str(self.content))

    def __rich_console__(self, console: Any, options: Any) -> Any:
        # What DataTable makes of a plain string in a one-line row (no markup here).
        content = self.content
        yield Text(content, end="", no_wrap=True) if isinstance(content, str) else content


class SessionsTable(LiveTable):
    """The sessions table (the running session's duration changes every second)."""


class SessionsScreen(FractalScreen):
    """Keys act on the session under the cursor."""

    DEFAULT_CSS = """
    SessionsScreen #sessions-filter {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    SessionsScreen #sessions-table {
        height: 1fr;
    }
    SessionsScreen #sessions-empty {
        display: none;
    }
    SessionsScreen #sessions-empty.-shown {
        display: block;
    }
    """

    BINDINGS = [
        Binding("n", "new_session", "New session"),
        Binding("L", "repeat_last", "Repeat"),
        Binding("enter,o", "open", "Open", key_display="enter"),
        Binding("s", "open_active", "Active session"),
        Binding("f", "filter", "Filter"),
        Binding("F", "clear_filter", "Clear filter", show=False),
        Binding("d,delete", "delete", "Delete"),
        Binding("R", "reopen", "Reopen", show=False),
        Binding("right_square_bracket", "page(1)", "Older", key_display="]", show=False),
        Binding("left_square_bracket", "page(-1)", "Newer", key_display="[", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sub_title = "Sessions"
        self.filter = SessionFilter()
        self.page_offset = 0
        self.data: SessionsData | None = None

    def compose_content(self) -> ComposeResult:
        yield Static("", id="sessions-filter")
        yield Static(
            "No sessions yet: press n to start one.", id="sessions-empty", classes="empty-hint"
        )
        yield SessionsTable(id="sessions-table", cursor_type="row", zebra_stripes=True)

    @property
    def table(self) -> SessionsTable:
        return self.query_one("#sessions-table", SessionsTable)

    def on_mount(self) -> None:
        table = self.table
        table.add_column("", key="mark", width=1)
        table.add_column("Started", key="date", width=20)
        table.add_column("Name", key="name")
        table.add_column("Duration", key="duration", width=8)
        table.add_column("Acts", key="count", width=4)
        table.add_column("Goals", key="goals")
        table.focus()
        self.set_interval(1, self.tick)

    # --- loading -------------------------------------------------------------------------

    def load(self) -> SessionsData:
        f = self.filter
        page = self.app.store.sessions(  # type: ignore[attr-defined]
            self.fractal_id,
            start=f.start,
            end=f.end,
            activity_id=f.activity_id,
            goal_id=f.goal_id,
            offset=self.page_offset,
            limit=PAGE_SIZE,
        )
        return SessionsData(page, f)

    def show(self, data: SessionsData) -> None:
        self.data = data
        now = self.app.clock()  # type: ignore[attr-defined]
        rows = [(x.id, self._cells(x, now)) for x in data.page.items]
        fill_table(self.table, rows)
        page = data.page
        empty = not page.items and not data.filter.active and page.offset == 0
        self.query_one("#sessions-empty").set_class(empty, "-shown")
        parts = []
        if data.filter.active:
            parts.append(f"Filter: {data.filter.describe()} (F clears)")
        if page.total > len(page.items) or page.offset:
            first = page.offset + 1 if page.items else 0
            parts.append(
                f"{first}–{page.offset + len(page.items)} of {page.total} ([ newer, ] older)"
            )
        elif data.filter.active:
            parts.append(f"{page.total} {'session' if page.total == 1 else 'sessions'}")
        # "101–200 of 10001" -> "201–300 of 10001": digits only, no layout of the screen.
        set_static(self.query_one("#sessions-filter", Static), " · ".join(parts))

    def _cells(self, x: SessionView, now: datetime) -> tuple[Any, ...]:
        return (
            Fixed(mark(x)),
            Fixed(local_time(x.started_at, "%a %Y-%m-%d %H:%M")),
            x.name or Text("(unnamed)", style="dim"),
            Fixed(timing.clock_text(timing.session_seconds(x, now))),
            Fixed(str(x.instance_count)),
            ", ".join(x.goal_names),
        )

    def tick(self) -> None:
        """Redraw the unfinished session's duration (no database read)."""
        if self.data is None or not self.is_showing:
            return
        now = self.app.clock()  # type: ignore[attr-defined]
        for x in self.data.page.items:
            if not x.done and not x.paused:
                duration = timing.clock_text(timing.session_seconds(x, now))
                table = self.table
                if str(table.get_cell(x.id, "duration")) != duration:
                    table.set_cell(x.id, "duration", Fixed(duration))

    @property
    def session(self) -> SessionView | None:
        key = selected_key(self.table)
        items = self.data.page.items if self.data else ()
        return next((x for x in items if x.id == key), None)

    # --- keys ----------------------------------------------------------------------------

    def open_session(self, session_id: str) -> None:
        from fractal_tui.screens.session import SessionScreen

        self.app.push_screen(SessionScreen(session_id))

    @on(DataTable.RowSelected, "#sessions-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        chosen = self.session
        if chosen is None:
            self.notify("No session here yet: press n to start one.", severity="warning")
            return
        self.open_session(chosen.id)

    def action_open_active(self) -> None:
        if self.fractal_id is None:
            return

        def found(active: SessionView | None) -> None:
            if active is None:
                self.notify("No session is active: press n to start one.")
            else:
                self.open_session(active.id)

        self.run_store(
            self.app.store.active_session,  # type: ignore[attr-defined]
            self.fractal_id,
            done=found,
            reload=False,
        )

    def action_new_session(self) -> None:
        if self.fractal_id is None:
            self.show_no_fractal()
            return
        store = self.app.store  # type: ignore[attr-defined]
        root_id = self.fractal_id

        def start(values: NewSession) -> SessionView:
            if values.template_id:
                return store.start_session_from_template(  # type: ignore[no-any-return]
                    root_id, values.template_id, name=values.name, goal_ids=values.goal_ids
                )
            return store.start_session(  # type: ignore[no-any-return]
                root_id, name=values.name, goal_ids=values.goal_ids
            )

        def started(session: SessionView | None) -> None:
            if session is not None:
                self.reload()
                self.open_session(session.id)

        def loaded(choices: tuple[Any, Any]) -> None:
            goals, templates = choices
            self.app.push_screen(
                NewSessionScreen(goals, start, templates=[(t.id, t.name) for t in templates]),
                started,
            )

        def choices() -> tuple[Any, Any]:
            lister = getattr(store, "templates", None)
            return store.goals(root_id, include_completed=False), (
                lister(root_id) if lister else []
            )

        self.run_store(choices, done=loaded, reload=False)

    def action_repeat_last(self) -> None:
        """Start a session like the last completed one and open it; a Conflict (a session is
        already active) or having nothing to repeat becomes a notification."""
        if self.fractal_id is None:
            self.show_no_fractal()
            return

        def started(session: SessionView) -> None:
            self.notify(f"Started {session.name or 'a session'} like the last one.")
            self.open_session(session.id)

        self.run_store(
            self.app.store.repeat_last_session,  # type: ignore[attr-defined]
            self.fractal_id,
            done=started,
        )

    def action_delete(self) -> None:
        chosen = self.session
        if chosen is None or self.fractal_id is None:
            return
        store = self.app.store  # type: ignore[attr-defined]
        root_id = self.fractal_id
        what = repr(chosen.name) if chosen.name else local_time(chosen.started_at)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_store(
                    store.delete, "session", chosen.id, root_id, done=self.app.offer_undo
                )

        def previewed(summary: Any) -> None:
            self.app.push_screen(
                ConfirmScreen(
                    f"Delete the session {what} with {summary.describe()}? ctrl+z brings it back."
                ),
                confirmed,
            )

        self.run_store(
            store.preview_delete, "session", chosen.id, root_id, done=previewed, reload=False
        )

    def action_reopen(self) -> None:
        chosen = self.session
        if chosen is None:
            return
        if not chosen.done:
            self.notify("That session has not ended.", severity="warning")
            return
        self.run_store(
            self.app.store.reopen_session,  # type: ignore[attr-defined]
            chosen.id,
            done=lambda _: self.notify("Reopened; it is paused until you press p in it."),
        )

    def action_page(self, step: int) -> None:
        if self.data is None:
            return
        new = self.page_offset + step * PAGE_SIZE
        if new < 0 or new >= max(self.data.page.total, 1):
            return
        self.page_offset = new
        self.reload()

    def action_clear_filter(self) -> None:
        if self.filter.active:
            self.filter = SessionFilter()
            self.page_offset = 0
            self.reload()

    def action_filter(self) -> None:
        if self.fractal_id is None:
            return
        store = self.app.store  # type: ignore[attr-defined]
        root_id = self.fractal_id
        now = self.app.clock()  # type: ignore[attr-defined]
        labels = self.filter.labels

        def when(text: str) -> tuple[str, datetime | None]:
            """The typed text (for the filter line) and the time it means."""
            from fractal_tui.timeparse import parse_time

            text = text.strip()
            return text, parse_time(text, now) if text else None

        def apply(values: dict[str, Any]) -> SessionFilter:
            activity = values["activity"].strip()
            goal = values["goal"].strip()
            from_text, start = values["from"]
            to_text, end = values["to"]
            if end is not None and len(to_text) == 10:
                end += timedelta(days=1)  # a bare date: up to the end of that day
            return SessionFilter(
                start=start,
                end=end,
                activity_id=store.resolve_activity(root_id, activity).id if activity else None,
                goal_id=store.resolve_goal(root_id, goal).id if goal else None,
                labels={"from": from_text, "to": to_text, "activity": activity, "goal": goal},
            )

        form = FormScreen(
            "Filter sessions",
            [
                Field(
                    "from",
                    "From",
                    value=labels.get("from", ""),
                    placeholder="YYYY-MM-DD (optional)",
                    parse=when,
                    keywords=("from", "start"),
                ),
                Field(
                    "to",
                    "To",
                    value=labels.get("to", ""),
                    placeholder="YYYY-MM-DD, inclusive (optional)",
                    parse=when,
                    keywords=("to ", "end"),
                ),
                Field(
                    "activity",
                    "Activity",
                    value=labels.get("activity", ""),
                    placeholder="name (optional)",
                    keywords=("activity",),
                ),
                Field(
                    "goal",
                    "Goal",
                    value=labels.get("goal", ""),
                    placeholder="name (optional)",
                    keywords=("goal",),
                ),
            ],
            on_submit=apply,
            submit_label="Filter",
        )

        def applied(result: SessionFilter | None) -> None:
            if result is not None:
                self.filter = replace(result)
                self.page_offset = 0
                self.reload()

        self.app.push_screen(form, applied)
