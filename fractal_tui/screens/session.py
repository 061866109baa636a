"""One session: its clock, its activities with their timers, and the selected one's sets.

The clock and every running timer are redrawn once a second from the loaded ledger and
``app.clock()`` — nothing counts ticks and the database is not read every second; data is
reloaded after each change, on focus, on ``r`` and by the shell's light poll, so a timer
started with ``fractal start`` in another terminal appears here and ticks.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from fractal_tui import progress, timing
from fractal_tui.errors import FractalError, Invalid, NotFound
from fractal_tui.screens.base import FractalScreen
from fractal_tui.views import (
    ActivityView,
    Comparison,
    InstanceView,
    SectionProgress,
    SessionDetail,
)
from fractal_tui.widgets import local_time
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import Field, FormScreen, required_text
from fractal_tui.widgets.metric_table import Cell, MetricTable
from fractal_tui.widgets.session_forms import ActivityPicker
from fractal_tui.widgets.session_instances import InstanceTable
from fractal_tui.widgets.session_summary import SummaryScreen, vs_last_text
from fractal_tui.widgets.timer import SessionClock, instance_state, set_static, state_text


def parse_value(text: str) -> float | None:
    """A typed value: blank clears it, otherwise a finite number."""
    raw = text.strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(f"{text.strip()!r} is not a number") from None
    if not progress.finite(value):
        raise Invalid("a value must be a finite number")
    return value


@dataclass(frozen=True)
class SessionData:
    """What one load reads: the session, "vs last time" of its completed activities (by
    instance id) and the planned minutes per section when it came from a template."""

    detail: SessionDetail
    comparisons: dict[str, Comparison] = field(default_factory=dict)
    sections: tuple[SectionProgress, ...] = ()


def plan_text(
    sections: tuple[SectionProgress, ...], instances: tuple[InstanceView, ...], now: datetime
) -> Text:
    """'Plan: Warm-up 12/20 min · Repertoire 25/25 min' — the minutes timed so far (from the
    loaded ledger and the clock, so it runs with the timers) against the planned ones; a
    section that reached its plan is green."""
    text = Text("Plan: ", style="dim")
    for n, section in enumerate(sections):
        key = section.section.casefold()
        own = [i for i in instances if i.section.casefold() == key]
        seconds = (
            sum(timing.elapsed(i.intervals, now) for i in own)
            if own
            else section.actual_minutes * 60
        )
        minutes = int(seconds // 60)
        planned = section.planned_minutes
        if n:
            text.append(" · ", style="dim")
        text.append(f"{section.section or 'Other'} ")
        reached = planned > 0 and seconds >= planned * 60
        text.append(
            f"{minutes}/{progress.number(round(planned))} min",
            style="bold green" if reached else "bold",
        )
    return text


def compare_all(store: Any, instance_ids: Any) -> dict[str, Comparison]:
    """Each instance against its last time (those without an earlier one are left out)."""
    found = {}
    for instance_id in instance_ids:
        try:
            c = store.compare_with_last(instance_id)
        except NotFound:
            continue  # deleted meanwhile
        if c is not None:
            found[instance_id] = c
    return found


class SessionScreen(FractalScreen):
    """Keys act on the session and on the activity selected on the left."""

    DEFAULT_CSS = """
    SessionScreen #session-main {
        height: 1fr;
    }
    SessionScreen #session-left {
        width: 40%;
        min-width: 30;
        max-width: 56;
        border-right: vkey $foreground 20%;
    }
    SessionScreen #session-right {
        width: 1fr;
        padding: 0 0 0 1;
    }
    SessionScreen #instance-title {
        text-style: bold;
        height: 1;
    }
    SessionScreen #instance-totals,
    SessionScreen #instance-notes,
    SessionScreen #instance-vs-last {
        color: $text-muted;
        height: auto;
    }
    SessionScreen MetricTable {
        height: auto;
        max-height: 70%;
    }
    SessionScreen #edit-hint {
        height: auto;
        color: $accent;
    }
    SessionScreen #session-empty {
        display: none;
    }
    SessionScreen #session-plan {
        height: auto;
        padding: 0 1;
        display: none;
    }
    SessionScreen #session-plan.-shown {
        display: block;
    }
    SessionScreen #session-empty.-shown {
        display: block;
    }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "add_activity", "Add activity"),
        Binding("t", "start_timer", "Start/switch"),
        Binding("p", "pause", "Pause/resume"),
        Binding("c", "complete", "Complete"),
        Binding("s", "add_set", "Add set"),
        Binding("x", "set_done", "Set done"),
        Binding("S", "remove_set", "Remove set", show=False),
        Binding("u", "reopen_instance", "Reopen activity", show=False),
        Binding("K,shift+up", "move(-1)", "Move up", key_display="K", show=False),
        Binding("J,shift+down", "move(1)", "Move down", key_display="J", show=False),
        Binding("n", "note", "Note"),
        Binding("e", "edit_times", "Edit times", show=False),
        Binding("T", "edit_session_times", "Session times", show=False),
        Binding("d", "delete_instance", "Delete activity", show=False),
        Binding("E", "end_session", "End session"),
        Binding("R", "reopen_session", "Reopen session", show=False),
    ]

    def __init__(self, session_id: str) -> None:
        super().__init__()
        self.session_id = session_id
        self.sub_title = "Session"
        self.detail: SessionDetail | None = None
        self.comparisons: dict[str, Comparison] = {}
        self._compared: dict[InstanceView, Comparison | None] = {}
        self.sections: tuple[SectionProgress, ...] = ()
        self._select_instance: str | None = None
        self._focus_set: str | None = None
        self._library: tuple[ActivityView, ...] | None = None

    def compose_content(self) -> ComposeResult:
        yield SessionClock(id="session-clock")
        yield Static("", id="session-plan", markup=False)
        yield Static(
            "No activities yet: press a to add one from the library.",
            id="session-empty",
            classes="empty-hint",
        )
        with Horizontal(id="session-main"):
            with Vertical(id="session-left"):
                yield InstanceTable(id="instances")
            with Vertical(id="session-right"):
                yield Static("", id="instance-title", markup=False)
                yield MetricTable(id="metrics")
                yield Static("", id="edit-hint", markup=False)
                yield Static("", id="instance-totals", markup=False)
                yield Static("", id="instance-vs-last", markup=False)
                yield Static("", id="instance-notes", markup=False)

    @property
    def instances(self) -> InstanceTable:
        return self.query_one(InstanceTable)

    @property
    def metrics(self) -> MetricTable:
        return self.query_one(MetricTable)

    @property
    def selected(self) -> InstanceView | None:
        return self.instances.cursor_instance

    def on_mount(self) -> None:
        self.instances.focus()
        self.set_interval(1, self.tick)

    def now(self) -> datetime:
        return self.app.clock()  # type: ignore[attr-defined,no-any-return]

    # --- loading -----------------------------------------------------------------------------

    def load(self) -> SessionData | None:
        store = self._store()
        try:
            detail = store.session_detail(self.session_id)
        except NotFound:
            return None  # deleted (here or elsewhere)
        done = [i for i in detail.instances if i.completed_at is not None]
        # "vs last time" looks through the activity's history; redo it only for an instance
        # whose own figures changed since the last poll, so polling stays flat as history grows.
        kept = self._compared
        fresh = [i.id for i in done if i not in kept]
        found = compare_all(store, fresh)
        self._compared = {i: kept[i] if i in kept else found.get(i.id) for i in done}
        comparisons = {i.id: c for i, c in self._compared.items() if c is not None}
        sections: tuple[SectionProgress, ...] = ()
        if detail.session.template_id is not None or any(
            i.target_duration_seconds for i in detail.instances
        ):
            try:
                sections = tuple(store.planned_vs_actual(self.session_id))
            except NotFound:
                return None
        return SessionData(detail, comparisons, sections)

    def show(self, loaded: SessionData | None) -> None:
        if loaded is None:
            self.notify("That session was deleted.", severity="warning")
            if self.is_current and len(self.app.screen_stack) > 1:
                self.app.pop_screen()
            return
        data = loaded.detail
        self.detail = data
        self.comparisons = loaded.comparisons
        self.sections = loaded.sections
        shown = any(x.planned_minutes > 0 for x in self.sections)
        self.query_one("#session-plan").set_class(shown, "-shown")
        now = self.now()
        select = self._select_instance
        self._select_instance = None
        self.instances.set_instances(
            data.session, data.instances, now, select=select, comparisons=self.comparisons
        )
        self.query_one("#session-empty").set_class(not data.instances, "-shown")
        self.sub_title = "Session ended" if data.session.done else "Session"
        self._show_selected()
        self.tick()

    def tick(self) -> None:
        """Once a second: redraw every elapsed time from the ledger and the clock."""
        if self.detail is None or not self.is_showing:
            return
        now = self.now()
        self.query_one(SessionClock).show(
            self.detail.session,
            self.detail.instances,
            now,
            [g.name for g in self.detail.goals],
        )
        self.instances.tick(now)
        self._show_title(now)
        if self.query_one("#session-plan").has_class("-shown"):
            plan = plan_text(self.sections, self.detail.instances, now)
            set_static(self.query_one("#session-plan", Static), plan)

    def _activity(self, inst: InstanceView | None) -> ActivityView | None:
        if inst is None or self.detail is None:
            return None
        return self.detail.activity(inst.activity_id)

    def _show_selected(self) -> None:
        inst = self.selected
        activity = self._activity(inst)
        self.metrics.show_instance(inst, activity)
        if self._focus_set is not None:
            self.metrics.focus_set(self._focus_set)
            self._focus_set = None
        self._show_title(self.now())
        totals = self.query_one("#instance-totals", Static)
        notes = self.query_one("#instance-notes", Static)
        versus = self.query_one("#instance-vs-last", Static)
        if inst is None or activity is None:
            totals.update("")
            notes.update("")
            versus.update("")
            versus.display = False
            return
        vs_last = vs_last_text(self.comparisons.get(inst.id))
        versus.update(Text("vs last time: ").append_text(vs_last) if vs_last else "")
        versus.display = vs_last is not None
        if not activity.metrics:
            totals.update("No metrics: this activity is timed only.")
        else:
            totals.update(self._totals_text(inst, activity))
        lines = []
        if self.detail is not None:
            lines = [f"• {n.text}" for n in self.detail.notes if n.instance_id == inst.id]
        lines += [f"• set {i}: {x.notes}" for i, x in enumerate(inst.sets, start=1) if x.notes]
        notes.update("\n".join(lines))

    def _totals_text(self, inst: InstanceView, activity: ActivityView) -> str:
        figures = progress.instance_figures(activity, inst)
        total = figures.totals
        parts = []
        if activity.has_sets:
            parts.append(f"{total.set_count} {'set' if total.set_count == 1 else 'sets'}")
        if total.volume is not None:
            parts.append(f"volume {progress.number(total.volume)}")
        if figures.best_text and activity.has_sets:
            parts.append(f"best {figures.best_text}")
        if activity.has_sets and not inst.sets:
            parts.append("press s to add a set")
        elif not inst.values:
            parts.append("type a number on a cell to record it (tab reaches the table)")
        return " · ".join(parts)

    def _show_title(self, now: datetime) -> None:
        inst = self.selected
        title = self.query_one("#instance-title", Static)
        if inst is None or self.detail is None:
            title.update("")
            return
        state = instance_state(inst, self.detail.session)
        spent = timing.clock_text(timing.elapsed(inst.intervals, now))
        text = state_text(state, f"{inst.activity_name}  {spent}")
        if inst.section:
            text.append(f"  {inst.section}", style="dim")
        set_static(title, text)

    @on(DataTable.RowHighlighted, "#instances")
    def _instance_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_selected()

    # --- helpers -------------------------------------------------------------------------------

    def _need_instance(self) -> InstanceView | None:
        inst = self.selected
        if inst is None:
            self.notify("Add an activity first (a).", severity="warning")
        return inst

    def _after(self, select: str | None = None) -> Any:
        def done(_result: Any) -> None:
            if select:
                self._select_instance = select

        return done

    def _store(self) -> Any:
        return self.app.store  # type: ignore[attr-defined]

    # --- keys: the session -------------------------------------------------------------------

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_pause(self) -> None:
        if self.detail is None:
            return
        store = self._store()
        if self.detail.session.paused:
            self.run_store(store.resume_session, self.session_id)
        else:
            self.run_store(store.pause_session, self.session_id)

    def action_end_session(self) -> None:
        if self.detail is None:
            return
        if self.detail.session.done:
            self.notify("This session has already ended (R reopens it).", severity="warning")
            return
        name = self.detail.session.name or "this session"
        running = self.detail.running

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_store(self._end_and_compare, done=self._show_summary)

        extra = f" {running.activity_name} stops and is completed." if running else ""
        self.app.push_screen(
            ConfirmScreen(
                f"End {name!r} now?{extra}",
                title="End session",
                confirm_label="End",
                danger=False,
            ),
            confirmed,
        )

    def _end_and_compare(self) -> tuple[Any, dict[str, Comparison]]:
        """End the session, then read each activity against its last time (worker thread)."""
        store = self._store()
        summary = store.end_session(self.session_id)
        return summary, compare_all(store, [i.instance_id for i in summary.instances])

    def _show_summary(self, ended: tuple[Any, dict[str, Comparison]]) -> None:
        summary, comparisons = ended
        self.app.push_screen(SummaryScreen(summary, comparisons))

    def action_reopen_session(self) -> None:
        if self.detail is None or not self.detail.session.done:
            self.notify("This session has not ended.", severity="warning")
            return
        self.run_store(
            self._store().reopen_session,
            self.session_id,
            done=lambda _: self.notify("Reopened; it is paused until you press p."),
        )

    def action_edit_session_times(self) -> None:
        if self.detail is None:
            return
        x = self.detail.session
        self._times_form(
            "Session times",
            x.started_at,
            x.ended_at,
            lambda start, end: self._store().set_session_times(self.session_id, start, end),
            end_optional=not x.done,
        )

    # --- keys: activities --------------------------------------------------------------------

    def action_add_activity(self) -> None:
        if self.detail is None:
            return
        root_id = self.detail.session.root_id

        def loaded(activities: Any) -> None:
            self._library = tuple(activities)
            self.app.push_screen(ActivityPicker(self._library), picked)

        def picked(activity_id: str | None) -> None:
            if activity_id:
                self.run_store(
                    self._store().add_instance,
                    self.session_id,
                    activity_id,
                    done=lambda inst: setattr(self, "_select_instance", inst.id),
                )

        self.run_store(self._store().activities, root_id, done=loaded, reload=False)

    def action_start_timer(self) -> None:
        inst = self._need_instance()
        if inst is None or self.detail is None:
            return
        if inst.running:
            self.notify(f"{inst.activity_name} is already running.")
            return
        if inst.completed_at is not None:
            self.notify(
                f"{inst.activity_name} is complete; press u to reopen it first.",
                severity="warning",
            )
            return
        switch = self.detail.running is not None
        self.run_store(self._store().start_timer, self.session_id, inst.id, switch=switch)

    def action_complete(self) -> None:
        inst = self._need_instance()
        if inst is None:
            return
        if inst.completed_at is not None:
            self.notify(f"{inst.activity_name} is already complete (u reopens it).")
            return
        self.run_store(self._store().complete_instance, inst.id)

    def action_reopen_instance(self) -> None:
        inst = self._need_instance()
        if inst is None:
            return
        self.run_store(self._store().reopen_instance, inst.id)

    def action_move(self, offset: int) -> None:
        inst = self._need_instance()
        if inst is None:
            return
        self._select_instance = inst.id
        self.run_store(self._store().shift_instance, inst.id, offset)

    def action_delete_instance(self) -> None:
        inst = self._need_instance()
        if inst is None or self.detail is None:
            return
        root_id = self.detail.session.root_id
        store = self._store()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_store(store.delete, "instance", inst.id, root_id, done=self.app.offer_undo)

        def previewed(summary: Any) -> None:
            self.app.push_screen(
                ConfirmScreen(
                    f"Delete {inst.activity_name} from this session, with "
                    f"{summary.describe()}? ctrl+z brings it back."
                ),
                confirmed,
            )

        self.run_store(
            store.preview_delete, "instance", inst.id, root_id, done=previewed, reload=False
        )

    def action_note(self) -> None:
        if self.detail is None:
            return
        inst = self.selected
        store = self._store()
        subject = {"instance_id": inst.id} if inst else {"session_id": self.session_id}
        about = inst.activity_name if inst else "the session"
        self.app.push_screen(
            FormScreen(
                f"Note on {about}",
                [Field("text", "Note", parse=required_text, keywords=("note", "text"))],
                on_submit=lambda values: store.add_note(text=values["text"], **subject),
            ),
            lambda result: result is not None and self.reload(),
        )

    def action_edit_times(self) -> None:
        inst = self._need_instance()
        if inst is None:
            return
        start = inst.intervals[0].started_at if inst.intervals else None
        end = inst.intervals[-1].ended_at if inst.intervals else None
        self._times_form(
            f"Times of {inst.activity_name}",
            start,
            end,
            lambda s, e: self._store().set_instance_times(inst.id, s, e),
        )

    def _times_form(
        self,
        title: str,
        start: datetime | None,
        end: datetime | None,
        save: Any,
        *,
        end_optional: bool = False,
    ) -> None:
        from fractal_tui.timeparse import parse_time

        now = self.now()

        def when(text: str) -> datetime:
            return parse_time(text, now)

        def maybe(text: str) -> datetime | None:
            return when(text) if text.strip() else None

        fmt = "%Y-%m-%d %H:%M"
        fields = [
            Field(
                "start",
                "Start",
                value=local_time(start, fmt) if start else "",
                placeholder="HH:MM or YYYY-MM-DD HH:MM",
                parse=when,
                keywords=("the start of", "session started", "paused before"),
            ),
            Field(
                "end",
                "End",
                value=local_time(end, fmt) if end else "",
                placeholder="HH:MM or YYYY-MM-DD HH:MM"
                + (" (blank: still going)" if end_optional else ""),
                parse=maybe if end_optional else when,
                keywords=("cannot end", "the end of", "overlap", "ended at", "outside"),
            ),
        ]
        self.app.push_screen(
            FormScreen(title, fields, on_submit=lambda v: save(v["start"], v["end"])),
            lambda result: result is not None and self.reload(),
        )

    # --- keys: sets and values ------------------------------------------------------------------

    def action_add_set(self) -> None:
        inst = self._need_instance()
        if inst is None:
            return
        activity = self._activity(inst)
        if activity is not None and not activity.has_sets:
            self.notify(f"{activity.name} is not recorded in sets.", severity="warning")
            return

        def added(new_set: Any) -> None:
            self._focus_set = new_set.id
            self.metrics.focus()

        self.run_store(self._store().add_set, inst.id, done=added)

    def _cursor_set(self) -> tuple[InstanceView, Any] | None:
        inst = self._need_instance()
        if inst is None:
            return None
        set_id = self.metrics.cursor_set_id
        chosen = next((x for x in inst.sets if x.id == set_id), None)
        if chosen is None:
            self.notify("Put the cursor on a set in the table (tab) first.", severity="warning")
            return None
        return inst, chosen

    def action_set_done(self) -> None:
        found = self._cursor_set()
        if found is None:
            return
        _, chosen = found
        status = "planned" if chosen.status == "completed" else "completed"
        self.run_store(self._store().set_status, chosen.id, status)

    def action_remove_set(self) -> None:
        found = self._cursor_set()
        if found is None:
            return
        _, chosen = found
        self.run_store(self._store().remove_set, chosen.id, done=self.app.offer_undo)

    @on(MetricTable.Editing)
    def _editing(self, event: MetricTable.Editing) -> None:
        hint = self.query_one("#edit-hint", Static)
        if event.cell is None:
            hint.update("")
        else:
            hint.update(f"{event.cell.label}: enter saves, esc cancels, blank clears")

    @on(MetricTable.CommitCell)
    def _commit_cell(self, event: MetricTable.CommitCell) -> None:
        try:
            value = parse_value(event.text)
        except FractalError as exc:
            self.notify(exc.message, severity="error")
            return
        if value is None and event.cell.value is None:
            return
        self._save_cell(event.cell, value)

    def _save_cell(self, cell: Cell, value: float | None) -> None:
        self.run_store(
            self._store().record_value,
            cell.instance_id,
            cell.metric.id,
            value,
            set_id=cell.set_id,
            split_id=cell.split_id,
        )
