"""The activity library: groups as sections, activities under them, a detail panel.

Keys act on the line under the cursor: a group (or "No group") or an activity.
"""

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static, Tree

from fractal_tui.screens.base import FractalScreen
from fractal_tui.views import ActivityView, GroupView
from fractal_tui.widgets.activity_detail import ActivityDetailPanel
from fractal_tui.widgets.activity_form import ActivityForm
from fractal_tui.widgets.activity_tree import ActivityTree, LibraryEntry
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import Field, FormScreen


@dataclass(frozen=True)
class LibraryData:
    groups: tuple[GroupView, ...]
    activities: tuple[ActivityView, ...]
    query: str


def group_fields(group: GroupView | None = None) -> list[Field]:
    return [
        Field("name", "Name", value=group.name if group else ""),
        Field(
            "description",
            "Description",
            value=group.description if group else "",
            placeholder="optional",
            keywords=("description",),
        ),
    ]


class ActivitiesScreen(FractalScreen):
    """The activity library of the open fractal."""

    DEFAULT_CSS = """
    ActivitiesScreen #library-main {
        height: 1fr;
    }
    ActivitiesScreen #library-left {
        width: 1fr;
        height: 1fr;
    }
    ActivitiesScreen #activity-search {
        display: none;
        height: 1;
        margin: 0 1;
    }
    ActivitiesScreen #activity-search.-shown {
        display: block;
    }
    ActivitiesScreen ActivityTree {
        height: 1fr;
    }
    ActivitiesScreen #library-empty {
        display: none;
    }
    ActivitiesScreen #library-empty.-shown {
        display: block;
    }
    ActivitiesScreen ActivityDetailPanel {
        width: 45%;
        min-width: 32;
        max-width: 64;
    }
    """

    BINDINGS = [
        # Short labels so the footer fits 80 columns; `?` lists them all (tooltips say more).
        Binding(
            "a", "add_activity", "Add", tooltip="Add an activity to the group under the cursor"
        ),
        Binding("g", "add_group", "Add group", tooltip="Add an activity group"),
        Binding("e", "edit", "Edit", tooltip="Edit the activity or group under the cursor"),
        Binding("d,delete", "delete", "Delete", tooltip="Delete it (ctrl+z brings it back)"),
        Binding(
            "K,shift+up", "move_up", "Up", key_display="K", tooltip="Move the group or activity up"
        ),
        Binding(
            "J,shift+down",
            "move_down",
            "Down",
            key_display="J",
            tooltip="Move the group or activity down",
        ),
        Binding("m", "move_to_group", "Move", tooltip="Move the activity to another group"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("escape", "clear_search", "Clear search", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sub_title = "Activities"
        self._data: LibraryData | None = None
        self._pending_select: str | None = None
        self._query = ""

    def compose_content(self) -> ComposeResult:
        with Horizontal(id="library-main"):
            with Vertical(id="library-left"):
                yield Input(
                    placeholder="search activities by name", id="activity-search", compact=True
                )
                yield Static(
                    "No activities yet: press a to add one, g to add a group.",
                    id="library-empty",
                    classes="empty-hint",
                )
                yield ActivityTree(id="activity-tree")
            yield ActivityDetailPanel(id="activity-detail")

    @property
    def library_tree(self) -> ActivityTree:
        return self.query_one(ActivityTree)

    @property
    def detail(self) -> ActivityDetailPanel:
        return self.query_one(ActivityDetailPanel)

    @property
    def entry(self) -> LibraryEntry | None:
        return self.library_tree.cursor_entry

    def on_mount(self) -> None:
        # FractalScreen's own on_mount runs too (Textual calls each class's handler).
        self.library_tree.focus()

    # --- loading -------------------------------------------------------------------------

    def load(self) -> LibraryData:
        store = self.app.store  # type: ignore[attr-defined]
        query = self._query
        groups = tuple(store.groups(self.fractal_id))
        activities = tuple(store.activities(self.fractal_id, query=query or None))
        return LibraryData(groups, activities, query)

    def show(self, data: LibraryData) -> None:
        self._data = data
        tree = self.library_tree
        tree.search = data.query
        tree.set_library(data.groups, data.activities, select=self._pending_select)
        self._pending_select = None
        empty = not data.groups and not data.activities and not data.query
        self.query_one("#library-empty").set_class(empty, "-shown")
        self._show_detail(tree.cursor_entry)

    def show_no_fractal(self) -> None:
        self._data = None
        self.library_tree.set_library([], [])
        self.detail.show_hint("No fractal is open: press 0 to choose or create one.")

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        self._show_detail(event.node.data)

    def _show_detail(self, entry: LibraryEntry | None) -> None:
        if entry is None:
            if self._data is not None and self._data.query:
                self.detail.show_hint(f"No activity matches {self._data.query!r}.")
            else:
                self.detail.show_hint("Press a to add an activity, g to add a group.")
        elif entry.activity is not None:
            self.detail.show_activity(entry.activity)
        else:
            count = sum(
                1
                for a in (self._data.activities if self._data else ())
                if (a.group_id == entry.group.id if entry.group else a.group_id is None)
            )
            self.detail.show_group(entry.group, count)

    def _reload_on(self, key: str | None) -> None:
        if key:
            self._pending_select = key
        self.reload()

    # --- helpers -------------------------------------------------------------------------

    def _groups(self) -> list[GroupView]:
        return list(self._data.groups) if self._data else []

    def _need_activity(self) -> ActivityView | None:
        entry = self.entry
        if entry is None or entry.activity is None:
            self.notify("Put the cursor on an activity first.", severity="warning")
            return None
        return entry.activity

    # --- adding and editing ----------------------------------------------------------------

    def action_add_activity(self) -> None:
        if self.fractal_id is None:
            self.show_no_fractal()
            return
        entry = self.entry
        group_id = entry.group.id if entry and entry.group else None
        store = self.app.store  # type: ignore[attr-defined]
        root_id = self.fractal_id

        def submit(values: dict[str, Any]) -> ActivityView:
            return store.add_activity(root_id, **values)

        form = ActivityForm(
            "New activity", self._groups(), submit, group_id=group_id, submit_label="Add"
        )
        self.app.push_screen(form, self._after_activity_form)

    def _after_activity_form(self, activity: ActivityView | None) -> None:
        if activity is not None:
            self._reload_on("a:" + activity.id)

    def action_add_group(self) -> None:
        if self.fractal_id is None:
            self.show_no_fractal()
            return
        store = self.app.store  # type: ignore[attr-defined]
        root_id = self.fractal_id
        form = FormScreen(
            "New group",
            group_fields(),
            lambda v: store.add_group(root_id, v["name"], description=v["description"]),
            submit_label="Add",
        )
        self.app.push_screen(form, self._after_group_form)

    def _after_group_form(self, group: GroupView | None) -> None:
        if group is not None:
            self._reload_on("g:" + group.id)

    def action_edit(self) -> None:
        entry = self.entry
        if entry is None:
            return
        store = self.app.store  # type: ignore[attr-defined]
        if entry.activity is not None:
            activity = entry.activity

            def submit(values: dict[str, Any]) -> ActivityView:
                return store.update_activity(activity.id, **values)

            edit_form = ActivityForm(
                f"Edit {activity.name!r}", self._groups(), submit, activity=activity
            )
            self.app.push_screen(edit_form, self._after_activity_form)
        elif entry.group is not None:
            group = entry.group
            form = FormScreen(
                f"Edit group {group.name!r}",
                group_fields(group),
                lambda v: store.update_group(
                    group.id, name=v["name"], description=v["description"]
                ),
            )
            self.app.push_screen(form, self._after_group_form)
        else:
            self.notify("'No group' is not a group: put the cursor on one.", severity="warning")

    # --- deleting --------------------------------------------------------------------------

    def action_delete(self) -> None:
        entry = self.entry
        if entry is None:
            return
        store = self.app.store  # type: ignore[attr-defined]
        root_id = self.fractal_id
        if entry.activity is not None:
            activity = entry.activity

            def confirm_activity(preview: Any) -> None:
                others = {k: v for k, v in preview.counts.items() if k not in ("activities",) and v}
                from fractal_tui.store.base import describe_counts

                extra = f" This also deletes {describe_counts(others)}." if others else ""
                done = activity.times_done
                history = (
                    f" It was done {done} time{'s' if done != 1 else ''}; that history goes "
                    "with it (ctrl+z brings it back)."
                    if done
                    else ""
                )
                self._confirm_delete(
                    f"Delete activity {activity.name!r}?{extra}{history}",
                    "Delete activity",
                    "activity",
                    activity.id,
                )

            self.run_store(
                store.preview_delete,
                "activity",
                activity.id,
                root_id,
                done=confirm_activity,
                reload=False,
            )
        elif entry.group is not None:
            group = entry.group

            def confirm_group(preview: tuple[Any, int]) -> None:
                _summary, count = preview
                if count:
                    kept = (
                        f" Its {count} activit{'ies' if count != 1 else 'y'} "
                        f"{'are' if count != 1 else 'is'} kept and become"
                        f"{'' if count != 1 else 's'} ungrouped."
                    )
                else:
                    kept = " It holds no activities."
                self._confirm_delete(
                    f"Delete group {group.name!r}?{kept}", "Delete group", "group", group.id
                )

            self.run_store(store.preview_delete_group, group.id, done=confirm_group, reload=False)
        else:
            self.notify("'No group' cannot be deleted.", severity="warning")

    def _confirm_delete(self, message: str, title: str, kind: str, row_id: str) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        root_id = self.fractal_id

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_store(store.delete, kind, row_id, root_id, done=self._deleted)

        self.app.push_screen(ConfirmScreen(message, title=title), answered)

    def _deleted(self, summary: Any) -> None:
        self.app.offer_undo(summary)  # type: ignore[attr-defined]

    # --- order and groups ------------------------------------------------------------------

    def _shift(self, offset: int) -> None:
        entry = self.entry
        if entry is None:
            return
        store = self.app.store  # type: ignore[attr-defined]
        if entry.activity is not None:
            fn, row_id, name = store.shift_activity, entry.activity.id, entry.activity.name
        elif entry.group is not None:
            fn, row_id, name = store.shift_group, entry.group.id, entry.group.name
        else:
            self.notify("'No group' always comes last.", severity="warning")
            return

        def done(moved: bool) -> None:
            if not moved:
                where = "first" if offset < 0 else "last"
                self.notify(f"{name!r} is already {where}.", timeout=3)

        self._pending_select = entry.key
        self.run_store(fn, row_id, offset, done=done)

    def action_move_up(self) -> None:
        self._shift(-1)

    def action_move_down(self) -> None:
        self._shift(1)

    def action_move_to_group(self) -> None:
        activity = self._need_activity()
        if activity is None:
            return
        options = [(g.name, g.id) for g in self._groups() if g.id != activity.group_id]
        if activity.group_id is not None:
            options.append(("(no group)", ""))
        if not options:
            self.notify("There is no other group: press g to add one.", severity="warning")
            return
        store = self.app.store  # type: ignore[attr-defined]
        form = FormScreen(
            f"Move {activity.name!r} to…",
            [Field("group", "Group", options=options)],
            lambda v: store.move_activity_to_group(activity.id, v["group"] or None),
            submit_label="Move",
        )
        self.app.push_screen(form, self._after_activity_form)

    # --- search ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_search":
            return bool(self._query) or self.query_one("#activity-search").has_class("-shown")
        return True

    def action_search(self) -> None:
        box = self.query_one("#activity-search", Input)
        box.add_class("-shown")
        box.focus()
        self.refresh_bindings()

    @on(Input.Changed, "#activity-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._query = event.value.strip()
        self.reload()

    @on(Input.Submitted, "#activity-search")
    def _search_done(self, event: Input.Submitted) -> None:
        self.library_tree.focus()
        if not event.value.strip():
            self.action_clear_search()

    def action_clear_search(self) -> None:
        box = self.query_one("#activity-search", Input)
        box.value = ""
        box.remove_class("-shown")
        if self._query:
            self._query = ""
            self.reload()
        self.library_tree.focus()
        self.refresh_bindings()
