"""Dialogs of the practice loop: a new session (name, goals, template) and the activity picker.

Both are modal; escape cancels and writes nothing. ``NewSessionScreen`` runs its submit
callback in a thread worker and shows a store error inside the dialog, staying open.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, SelectionList, Static
from textual.widgets.option_list import Option

from fractal_tui.errors import FractalError
from fractal_tui.views import ActivityView, GoalView

_DIALOG_CSS = """
{name} {{
    align: center middle;
    background: $background 60%;
}}
{name} > #dialog {{
    width: 76;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    border: thick $primary 80%;
    background: $surface;
    padding: 0 1;
}}
{name} .dialog-title {{
    text-style: bold;
    padding-bottom: 1;
}}
{name} .dialog-error {{
    color: $error;
    display: none;
}}
{name} .dialog-error.-shown {{
    display: block;
}}
{name} .dialog-hint {{
    color: $text-muted;
}}
"""


@dataclass(frozen=True)
class NewSession:
    """What the new-session dialog asks the store for."""

    name: str
    goal_ids: tuple[str, ...]
    template_id: str | None


def goal_choices(goals: Sequence[GoalView]) -> list[GoalView]:
    """Open goals to link, the ones a session usually works on (short-term and below) first."""
    open_goals = [g for g in goals if g.completed_at is None and g.parent_id is not None]
    return sorted(open_goals, key=lambda g: (g.level < 3, g.level if g.level >= 3 else -g.level))


class NewSessionScreen(ModalScreen[Any]):
    """Name, goals (space toggles) and an optional template; ctrl+s or enter starts."""

    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="NewSessionScreen")
        + """
    NewSessionScreen SelectionList {
        height: auto;
        max-height: 12;
        margin-bottom: 1;
    }
    NewSessionScreen #dialog-buttons {
        height: auto;
        align-horizontal: right;
    }
    NewSessionScreen #dialog-buttons Button {
        margin-left: 1;
    }
    """
    )

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Start"),
    ]

    def __init__(
        self,
        goals: Sequence[GoalView],
        on_submit: Callable[[NewSession], Any],
        *,
        templates: Sequence[tuple[str, str]] = (),
        name: str = "",
    ) -> None:
        super().__init__()
        self.goals = goal_choices(goals)
        self.templates = list(templates)
        self.on_submit = on_submit
        self.initial_name = name
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("New session", classes="dialog-title")
            yield Label("Name (optional)")
            yield Input(value=self.initial_name, placeholder="e.g. Morning practice", id="name")
            if self.goals:
                yield Label("Goals it works on (space toggles)")
                yield SelectionList[str](
                    *[(self._goal_label(g), g.id) for g in self.goals], id="goals"
                )
            else:
                yield Static("No open goals to link yet.", classes="dialog-hint")
            if self.templates:
                yield Label("Template")
                yield Select(
                    [("no template", "")] + [(name, tid) for tid, name in self.templates],
                    value="",
                    allow_blank=False,
                    id="template",
                )
            yield Static("", id="error", classes="dialog-error", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Start (ctrl+s)", id="start", variant="primary")

    @staticmethod
    def _goal_label(goal: GoalView) -> Text:
        text = Text(goal.name)
        text.append(f"  {goal.level_name}", style="dim")
        return text

    def on_mount(self) -> None:
        if self.goals:
            self.query_one("#goals", SelectionList).highlighted = 0
        self.query_one("#name", Input).focus()

    def values(self) -> NewSession:
        name = self.query_one("#name", Input).value
        goal_ids: tuple[str, ...] = ()
        if self.goals:
            goal_ids = tuple(self.query_one("#goals", SelectionList).selected)
        template_id = None
        if self.templates:
            template_id = self.query_one("#template", Select).value or None
        return NewSession(name=name, goal_ids=goal_ids, template_id=template_id)  # type: ignore[arg-type]

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        self.action_submit()

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        if self._busy:
            return
        self._busy = True
        values = self.values()
        submit = self.on_submit

        def work() -> None:
            try:
                result = submit(values)
            except FractalError as exc:
                self.app.call_from_thread(self._failed, exc.message)
                return
            self.app.call_from_thread(self.dismiss, result)

        self.run_worker(work, thread=True, group="dialog", exit_on_error=False)

    def _failed(self, message: str) -> None:
        self._busy = False
        error = self.query_one("#error", Static)
        error.update(message)
        error.add_class("-shown")


class ActivityPicker(ModalScreen[str | None]):
    """Type to filter the library; up/down choose; enter picks; escape cancels."""

    DEFAULT_CSS = (
        _DIALOG_CSS.format(name="ActivityPicker")
        + """
    ActivityPicker OptionList {
        height: auto;
        max-height: 16;
    }
    """
    )

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "cursor(1)", "Next", show=False),
        Binding("up", "cursor(-1)", "Previous", show=False),
    ]

    def __init__(self, activities: Sequence[ActivityView], *, title: str = "Add activity") -> None:
        super().__init__()
        self.activities = list(activities)
        self.picker_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.picker_title, classes="dialog-title", markup=False)
            yield Input(placeholder="type to search the library", id="search")
            yield OptionList(id="choices")
            yield Static(
                "No activities yet: add some on the Activities screen (3).",
                id="empty",
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#search", Input).focus()

    def _matches(self, query: str) -> list[ActivityView]:
        words = query.lower().split()
        return [
            a
            for a in self.activities
            if all(w in f"{a.name} {a.group_name or ''}".lower() for w in words)
        ]

    def _fill(self, query: str) -> None:
        options = self.query_one("#choices", OptionList)
        options.clear_options()
        found = self._matches(query)
        for a in found:
            label = Text(a.name)
            details = [a.group_name or ""]
            if a.metrics:
                details.append(", ".join(m.name for m in a.metrics))
            if a.has_sets:
                details.append("sets")
            if a.splits:
                details.append("/".join(sp.name for sp in a.splits))
            extra = " · ".join(d for d in details if d)
            if extra:
                label.append(f"  {extra}", style="dim")
            options.add_option(Option(label, id=a.id))
        if found:
            options.highlighted = 0
        empty = self.query_one("#empty", Static)
        empty.display = not found
        if not found and self.activities:
            empty.update(f"No activity matches {query!r}.")

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#search")
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one("#choices", OptionList)
        if options.highlighted is None:
            return
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cursor(self, step: int) -> None:
        options = self.query_one("#choices", OptionList)
        if not options.option_count:
            return
        current = options.highlighted if options.highlighted is not None else -1
        options.highlighted = max(0, min(options.option_count - 1, current + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
