"""The template builder: a name, a description and a plan of sections with activities.

    builder = TemplateBuilder(activities, on_submit=save, template=None)
    app.push_screen(builder, callback)  # callback gets on_submit's result, or None

The plan is edited in memory (``PlanDraft``) and written in one store call when saved
(ctrl+s): ``on_submit(name, description, sections)`` runs in a thread worker and gets
``TemplateSection``s ready for ``store.add_template`` / ``update_template``. A store error is
shown next to the part it is about (the name, the description or the plan) and the builder
stays open. Escape leaves; with unsaved changes it asks first.

Keys on the plan: s adds a section (after the one under the cursor), a adds an activity
(after the line under the cursor; without a section an unnamed one is made), e renames a
section or changes an activity and its minutes, d removes the line, K/J move a section (with
its activities) or an activity (across section edges).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from fractal_tui.errors import FractalError, Invalid
from fractal_tui.store.templates import check_sections
from fractal_tui.views import (
    ActivityView,
    TemplateItemSpec,
    TemplateSection,
    TemplateView,
)
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import Field, FieldError, FormScreen

NO_ACTIVITY = ""  # the select value of "time without an activity"


def minutes_text(minutes: float) -> str:
    """10, 7.5 — no trailing zeros."""
    return f"{minutes:g}"


def section_label(name: str) -> str:
    return name if name else "(unnamed section)"


# --- the plan in memory -------------------------------------------------------------------


@dataclass
class DraftItem:
    activity_id: str | None
    activity_name: str
    minutes: float = 0.0

    @property
    def label(self) -> str:
        if self.activity_id is None:
            return "(time without an activity)"
        return self.activity_name or "(deleted activity)"


@dataclass
class DraftSection:
    name: str
    items: list[DraftItem] = field(default_factory=list)

    @property
    def minutes(self) -> float:
        return sum(i.minutes for i in self.items)


Position = tuple[int, int | None]  # (section index, item index or None for the section line)


class PlanDraft:
    """Sections and their items, changed in place; each change returns where the cursor goes."""

    def __init__(self, sections: Sequence[DraftSection] = ()) -> None:
        self.sections = list(sections)

    @classmethod
    def from_template(cls, template: TemplateView | None) -> "PlanDraft":
        if template is None:
            return cls()
        return cls(
            [
                DraftSection(
                    s.name,
                    [DraftItem(i.activity_id, i.activity_name, i.planned_minutes) for i in s.items],
                )
                for s in template.sections
            ]
        )

    # --- reading -------------------------------------------------------------------------

    def rows(self) -> list[Position]:
        out: list[Position] = []
        for si, section in enumerate(self.sections):
            out.append((si, None))
            out.extend((si, ii) for ii in range(len(section.items)))
        return out

    def row_of(self, pos: Position) -> int:
        rows = self.rows()
        return rows.index(pos) if pos in rows else 0

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def minutes(self) -> float:
        return sum(s.minutes for s in self.sections)

    def to_sections(self) -> tuple[TemplateSection, ...]:
        return tuple(
            TemplateSection(
                s.name,
                tuple(TemplateItemSpec(i.activity_id, i.minutes) for i in s.items),
            )
            for s in self.sections
        )

    def names(self, but: int | None = None) -> list[str]:
        return [s.name for i, s in enumerate(self.sections) if i != but]

    # --- sections ------------------------------------------------------------------------

    def add_section(self, name: str, after: int | None = None) -> Position:
        at = len(self.sections) if after is None else after + 1
        self.sections.insert(at, DraftSection(name))
        return (at, None)

    def rename_section(self, si: int, name: str) -> Position:
        self.sections[si].name = name
        return (si, None)

    def remove_section(self, si: int) -> Position | None:
        del self.sections[si]
        if not self.sections:
            return None
        return (min(si, len(self.sections) - 1), None)

    def move_section(self, si: int, offset: int) -> Position | None:
        to = si + offset
        if not 0 <= to < len(self.sections):
            return None
        self.sections.insert(to, self.sections.pop(si))
        return (to, None)

    # --- items ---------------------------------------------------------------------------

    def add_item(self, item: DraftItem, at: Position | None) -> Position:
        """After the line at ``at`` (a section line: at its end); no sections: a new one."""
        if not self.sections:
            self.sections.append(DraftSection(""))
            at = (0, None)
        if at is None:
            at = (len(self.sections) - 1, None)
        si, ii = at
        items = self.sections[si].items
        index = len(items) if ii is None else ii + 1
        items.insert(index, item)
        return (si, index)

    def update_item(self, si: int, ii: int, item: DraftItem) -> Position:
        self.sections[si].items[ii] = item
        return (si, ii)

    def remove_item(self, si: int, ii: int) -> Position:
        items = self.sections[si].items
        del items[ii]
        if items:
            return (si, min(ii, len(items) - 1))
        return (si, None)

    def move_item(self, si: int, ii: int, offset: int) -> Position | None:
        """Move within the section; past its edge, into the neighbouring section."""
        items = self.sections[si].items
        to = ii + offset
        if 0 <= to < len(items):
            items.insert(to, items.pop(ii))
            return (si, to)
        target = si + (1 if offset > 0 else -1)
        if not 0 <= target < len(self.sections):
            return None
        item = items.pop(ii)
        if offset > 0:
            self.sections[target].items.insert(0, item)
            return (target, 0)
        self.sections[target].items.append(item)
        return (target, len(self.sections[target].items) - 1)


# --- small forms: a section's name, an activity with its minutes ------------------------------


def check_section_name(name: str, others: Sequence[str]) -> str:
    """The store's rules for a section name (clean, unique in the template), or Invalid."""
    clean = name.strip()
    probe = TemplateItemSpec(None, 0.0)
    try:
        check_sections(
            [TemplateSection(n, (probe,)) for n in others] + [TemplateSection(clean, (probe,))]
        )
    except FractalError as exc:
        raise FieldError("name", exc.message) from exc
    return clean


def parse_minutes(text: str) -> float:
    """Empty -> 0; else a number the store accepts as planned minutes."""
    raw = text.strip()
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(f"planned minutes must be a number (e.g. 10), not {raw!r}") from None
    try:
        check_sections([TemplateSection("", (TemplateItemSpec(None, value),))])
    except FractalError as exc:
        raise Invalid(exc.message.replace(" in section the unnamed section", "")) from exc
    return value


def section_form(title: str, name: str, others: Sequence[str]) -> FormScreen:
    return FormScreen(
        title,
        [
            Field(
                "name",
                "Name",
                value=name,
                placeholder="e.g. Warm-up",
                parse=lambda text: check_section_name(text, others),
            )
        ],
        None,
        submit_label="OK",
    )


def activity_options(activities: Sequence[ActivityView]) -> list[tuple[str, str]]:
    options = [
        (f"{a.name}  · {a.group_name}" if a.group_name else a.name, a.id) for a in activities
    ]
    return options + [("(time without an activity)", NO_ACTIVITY)]


def item_form(
    title: str, activities: Sequence[ActivityView], item: DraftItem | None = None
) -> FormScreen:
    options = activity_options(activities)
    if item is not None and item.activity_id and item.activity_id not in [v for _, v in options]:
        options.insert(0, (item.label, item.activity_id))
    value = (item.activity_id or NO_ACTIVITY) if item is not None else options[0][1]
    return FormScreen(
        title,
        [
            Field("activity", "Activity", value=value, options=options),
            Field(
                "minutes",
                "Minutes",
                value=minutes_text(item.minutes) if item is not None else "",
                placeholder="planned minutes (optional)",
                parse=parse_minutes,
                keywords=("minutes",),
            ),
        ],
        None,
        submit_label="OK",
    )


# --- the builder screen ---------------------------------------------------------------------


class TemplateBuilder(Screen[Any]):
    """Builds a new template or edits one (see the module docstring)."""

    DEFAULT_CSS = """
    TemplateBuilder #builder {
        height: 1fr;
        padding: 0 1;
    }
    TemplateBuilder .builder-row {
        height: 1;
        margin-bottom: 1;
    }
    TemplateBuilder .builder-row Label {
        width: 13;
        text-align: right;
        padding-right: 1;
    }
    TemplateBuilder .builder-row Input {
        width: 1fr;
    }
    TemplateBuilder .field-error {
        color: $error;
        display: none;
        padding: 0 0 0 13;
        margin-top: -1;
        margin-bottom: 1;
    }
    TemplateBuilder .field-error.-shown {
        display: block;
    }
    TemplateBuilder #plan-head {
        height: 1;
    }
    TemplateBuilder #plan-title {
        width: 1fr;
        text-style: bold;
    }
    TemplateBuilder #plan-totals {
        width: auto;
        color: $text-muted;
    }
    TemplateBuilder #plan {
        height: 1fr;
    }
    TemplateBuilder #plan-empty {
        color: $text-muted;
        display: none;
        height: auto;
    }
    TemplateBuilder #plan-empty.-shown {
        display: block;
    }
    TemplateBuilder #error-plan {
        padding: 0;
        margin: 0;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        # Escape leaves every screen and form of the app; the footer keeps its room for the
        # plan's keys (? lists it).
        Binding("escape", "cancel", "Back", show=False),
        Binding("s", "add_section", "Section", tooltip="Add a section after this one"),
        Binding("a", "add_item", "Activity", tooltip="Add an activity after this line"),
        Binding("e", "edit", "Edit", tooltip="Rename the section or change the activity"),
        Binding("d,delete", "remove", "Remove", tooltip="Remove the line under the cursor"),
        Binding("K,shift+up", "move(-1)", "Up", key_display="K", tooltip="Move it up"),
        Binding("J,shift+down", "move(1)", "Down", key_display="J", tooltip="Move it down"),
    ]

    def __init__(
        self,
        activities: Sequence[ActivityView],
        on_submit: Callable[[str, str, tuple[TemplateSection, ...]], Any],
        *,
        template: TemplateView | None = None,
    ) -> None:
        super().__init__()
        self.activities = list(activities)
        self.on_submit = on_submit
        self.template = template
        self.draft = PlanDraft.from_template(template)
        self._initial = self._state(
            template.name if template else "", template.description if template else ""
        )
        self._busy = False
        self.sub_title = f"Edit template {template.name!r}" if template else "New template"

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        t = self.template
        yield Header()
        with Vertical(id="builder"):
            with Horizontal(classes="builder-row"):
                yield Label("Name")
                yield Input(
                    value=t.name if t else "",
                    placeholder="e.g. Daily practice",
                    id="field-name",
                    compact=True,
                )
            yield Static("", id="error-name", classes="field-error", markup=False)
            with Horizontal(classes="builder-row"):
                yield Label("Description")
                yield Input(
                    value=t.description if t else "",
                    placeholder="optional",
                    id="field-description",
                    compact=True,
                )
            yield Static("", id="error-description", classes="field-error", markup=False)
            with Horizontal(id="plan-head"):
                yield Static("Plan", id="plan-title")
                yield Static("", id="plan-totals")
            yield Static(
                "No sections yet: press s to add a section, a to add an activity.",
                id="plan-empty",
            )
            yield DataTable(id="plan", cursor_type="row", zebra_stripes=False)
            yield Static("", id="error-plan", classes="field-error", markup=False)
        yield Footer(compact=True)

    @property
    def table(self) -> DataTable:
        return self.query_one("#plan", DataTable)

    def on_mount(self) -> None:
        table = self.table
        table.add_column("Section / activity", key="what")
        table.add_column("Minutes", key="minutes", width=9)
        self._refresh_plan((0, None))
        if self.template is None:
            self.query_one("#field-name", Input).focus()
        else:
            table.focus()

    def _refresh_plan(self, select: Position | None = None) -> None:
        table = self.table
        table.clear()
        for si, ii in self.draft.rows():
            section = self.draft.sections[si]
            if ii is None:
                label = Text(section_label(section.name), style="bold")
                if not section.items:
                    label.append("  empty: press a to add an activity", style="dim italic")
                minutes = Text(
                    f"{minutes_text(section.minutes)} min", style="bold", justify="right"
                )
            else:
                item = section.items[ii]
                label = Text("   " + item.label)
                minutes = Text(minutes_text(item.minutes) if item.minutes else "—", justify="right")
            table.add_row(label, minutes, key=f"{si}:{ii}")
        if select is not None and table.row_count:
            table.move_cursor(row=self.draft.row_of(select), animate=False)
        draft = self.draft
        sections = len(draft.sections)
        totals = (
            f"{sections} section{'s' if sections != 1 else ''} · "
            f"{draft.item_count} activit{'ies' if draft.item_count != 1 else 'y'} · "
            f"{minutes_text(draft.minutes)} min"
        )
        self.query_one("#plan-totals", Static).update(totals)
        self.query_one("#plan-empty").set_class(not sections, "-shown")

    @property
    def position(self) -> Position | None:
        """The (section, item) under the cursor; None when the plan is empty."""
        rows = self.draft.rows()
        table = self.table
        if not rows or not table.row_count:
            return None
        return rows[max(0, min(table.cursor_row, len(rows) - 1))]

    # --- focus between the fields ----------------------------------------------------------

    @on(Input.Submitted, "#field-name")
    def _name_done(self) -> None:
        self.query_one("#field-description", Input).focus()

    @on(Input.Submitted, "#field-description")
    def _description_done(self) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keys that edit the plan act on the plan; typing in a field types.
        if action in ("add_section", "add_item", "edit", "remove", "move"):
            return None if isinstance(self.focused, Input) else True
        return True

    # --- plan actions ------------------------------------------------------------------------

    def _changed(self, select: Position | None) -> None:
        self._clear_error("plan")
        self._refresh_plan(select)
        self.table.focus()

    def action_add_section(self) -> None:
        pos = self.position
        after = pos[0] if pos is not None else None

        def done(values: dict[str, Any] | None) -> None:
            if values is not None:
                self._changed(self.draft.add_section(values["name"], after))

        self.app.push_screen(section_form("New section", "", self.draft.names()), done)

    def action_add_item(self) -> None:
        if not self.activities:
            self.notify(
                "The library has no activities yet: press 3 to add some, then come back.",
                severity="warning",
            )
            return
        pos = self.position
        where = (
            f" to {section_label(self.draft.sections[pos[0]].name)!r}" if pos is not None else ""
        )

        def done(values: dict[str, Any] | None) -> None:
            if values is not None:
                self._changed(self.draft.add_item(self._item(values), pos))

        self.app.push_screen(item_form(f"Add an activity{where}", self.activities), done)

    def _item(self, values: dict[str, Any]) -> DraftItem:
        activity_id = values["activity"] or None
        name = next((a.name for a in self.activities if a.id == activity_id), "")
        return DraftItem(activity_id, name, values["minutes"])

    def action_edit(self) -> None:
        pos = self.position
        if pos is None:
            self.notify("The plan is empty: press s to add a section.", severity="warning")
            return
        si, ii = pos
        section = self.draft.sections[si]
        if ii is None:

            def renamed(values: dict[str, Any] | None) -> None:
                if values is not None:
                    self._changed(self.draft.rename_section(si, values["name"]))

            self.app.push_screen(
                section_form(
                    f"Rename {section_label(section.name)!r}", section.name, self.draft.names(si)
                ),
                renamed,
            )
            return
        item = section.items[ii]

        def changed(values: dict[str, Any] | None) -> None:
            if values is not None:
                self._changed(self.draft.update_item(si, ii, self._item(values)))

        self.app.push_screen(item_form(f"Change {item.label!r}", self.activities, item), changed)

    def action_remove(self) -> None:
        pos = self.position
        if pos is None:
            return
        si, ii = pos
        section = self.draft.sections[si]
        if ii is not None:
            self._changed(self.draft.remove_item(si, ii))
            return
        if not section.items:
            self._changed(self.draft.remove_section(si))
            return
        count = len(section.items)

        def answered(yes: bool | None) -> None:
            if yes:
                self._changed(self.draft.remove_section(si))

        self.app.push_screen(
            ConfirmScreen(
                f"Remove section {section_label(section.name)!r} and its {count} "
                f"activit{'ies' if count != 1 else 'y'} from the plan?",
                title="Remove section",
                confirm_label="Remove",
            ),
            answered,
        )

    def action_move(self, offset: int) -> None:
        pos = self.position
        if pos is None:
            return
        si, ii = pos
        if ii is None:
            moved = self.draft.move_section(si, offset)
        else:
            moved = self.draft.move_item(si, ii, offset)
        if moved is None:
            self.notify(f"It is already {'first' if offset < 0 else 'last'}.", timeout=3)
            return
        self._changed(moved)

    # --- saving and leaving -----------------------------------------------------------------

    def _values(self) -> tuple[str, str]:
        return (
            self.query_one("#field-name", Input).value,
            self.query_one("#field-description", Input).value,
        )

    def _state(self, name: str, description: str) -> tuple[Any, ...]:
        return (name.strip(), description.strip(), self.draft.to_sections())

    @property
    def dirty(self) -> bool:
        return self._state(*self._values()) != self._initial

    def action_save(self) -> None:
        if self._busy:
            return
        for name in ("name", "description", "plan"):
            self._clear_error(name)
        name, description = self._values()
        sections = self.draft.to_sections()
        self._busy = True
        submit = self.on_submit

        def work() -> None:
            try:
                result = submit(name, description, sections)
            except FractalError as exc:
                self.app.call_from_thread(self._failed, exc)
                return
            self.app.call_from_thread(self._succeeded, result)

        self.run_worker(work, thread=True, group="builder", exit_on_error=False)

    def _failed(self, exc: FractalError) -> None:
        self._busy = False
        field = _field_for(exc.message)
        self._show_error(field, exc.message)

    def _succeeded(self, result: Any) -> None:
        self._busy = False
        self.dismiss(result)

    def _show_error(self, field: str, message: str) -> None:
        widget = self.query_one(f"#error-{field}", Static)
        widget.update(message)
        widget.add_class("-shown")
        self.query_one(f"#field-{field}" if field != "plan" else "#plan").focus()

    def _clear_error(self, field: str) -> None:
        widget = self.query_one(f"#error-{field}", Static)
        widget.update("")
        widget.remove_class("-shown")

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        what = repr(self.template.name) if self.template else "this new template"
        self.app.push_screen(
            ConfirmScreen(
                f"Leave without saving? Your changes to {what} are lost.",
                title="Unsaved changes",
                confirm_label="Discard",
                cancel_label="Keep editing",
            ),
            answered,
        )


def _field_for(message: str) -> str:
    """Which part of the builder a store message is about."""
    text = message.lower()
    if "description" in text:
        return "description"
    if "template" in text and ("name" in text or "called" in text):
        return "name"
    return "plan"
