"""The goal tree of the open fractal, with a detail panel for the selected goal."""

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Tree

from fractal_tui import hierarchy
from fractal_tui.errors import FractalError, NotFound
from fractal_tui.hierarchy import LEVEL_NAMES, tree_order
from fractal_tui.screens.base import FractalScreen
from fractal_tui.views import GoalDetail, GoalView
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import Field, FormScreen, optional_date
from fractal_tui.widgets.goal_detail import GoalDetailPanel
from fractal_tui.widgets.goal_tree import GoalTree
from fractal_tui.widgets.target_progress import TargetLine, load_target_lines


@dataclass(frozen=True)
class GoalsData:
    goals: tuple[GoalView, ...]
    detail: GoalDetail | None
    progress: tuple[TargetLine, ...] = ()


LEVEL_OPTIONS = [(name, rank) for rank, name in enumerate(LEVEL_NAMES)]


def goal_fields(goal: GoalView | None = None, *, level: int = 0) -> list[Field]:
    """The fields of the new-goal and edit-goal forms."""
    return [
        Field("name", "Name", value=goal.name if goal else ""),
        Field("level", "Level", value=goal.level if goal else level, options=LEVEL_OPTIONS),
        Field(
            "deadline",
            "Deadline",
            value=goal.deadline.isoformat() if goal and goal.deadline else "",
            placeholder="YYYY-MM-DD (optional)",
            parse=optional_date,
            keywords=("date", "deadline"),
        ),
        Field(
            "description",
            "Description",
            value=goal.description if goal else "",
            placeholder="optional",
            keywords=("description",),
        ),
    ]


class GoalsScreen(FractalScreen):
    """Keys act on the goal under the cursor."""

    DEFAULT_CSS = """
    GoalsScreen #goals-main {
        height: 1fr;
    }
    GoalsScreen #goals-left {
        width: 1fr;
        height: 1fr;
    }
    GoalsScreen #goal-search {
        display: none;
        height: 3;
    }
    GoalsScreen #goal-search.-shown {
        display: block;
    }
    GoalsScreen GoalTree {
        height: 1fr;
    }
    GoalsScreen GoalDetailPanel {
        width: 42%;
        min-width: 30;
        max-width: 60;
    }
    """

    BINDINGS = [
        # Short labels keep every key in the footer at 80 columns; tooltips spell them out.
        Binding("a", "add_child", "Child", tooltip="Add a child goal"),
        Binding("s", "add_sibling", "Sibling", tooltip="Add a sibling goal"),
        Binding("e", "edit", "Edit"),
        Binding("c", "complete", "Done"),
        Binding("T", "add_target", "Target", tooltip="Add a target to the goal"),
        Binding("d,delete", "delete", "Delete"),
        Binding("K,shift+up", "move_up", "Move up", key_display="K", show=False),
        Binding("J,shift+down", "move_down", "Move down", key_display="J", show=False),
        Binding("m", "move_to", "Move under…", show=False),
        Binding("h", "toggle_done", "Hide/show done", show=False),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("escape", "clear_search", "Clear search", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sub_title = "Goals"
        self._selected_id: str | None = None
        self._pending_select: str | None = None
        self._detail_generation = 0

    def compose_content(self) -> ComposeResult:
        with Horizontal(id="goals-main"):
            with Vertical(id="goals-left"):
                yield Input(placeholder="search goals by name", id="goal-search")
                yield GoalTree(id="goal-tree")
            yield GoalDetailPanel(id="goal-detail")

    @property
    def tree(self) -> GoalTree:
        return self.query_one(GoalTree)

    @property
    def goal(self) -> GoalView | None:
        """The goal under the cursor."""
        return self.tree.cursor_goal

    def on_mount(self) -> None:
        self.tree.focus()

    # --- loading -------------------------------------------------------------------------

    def load(self) -> GoalsData:
        store = self.app.store  # type: ignore[attr-defined]
        goals = tuple(store.goals(self.fractal_id))
        detail = None
        progress: tuple[TargetLine, ...] = ()
        if self._selected_id:
            try:
                detail = store.goal_detail(self._selected_id)
                if detail.targets:
                    progress = load_target_lines(store, detail.goal.id)
            except NotFound:
                detail = None
        return GoalsData(goals, detail, progress)

    def show(self, data: GoalsData) -> None:
        tree = self.tree
        root = next((g for g in data.goals if g.is_root), None)
        if root is not None and self.app.title != root.name:
            self.app.title = root.name
        tree.set_goals(data.goals, today=self._today(), select=self._pending_select)
        self._pending_select = None
        current = tree.cursor_goal
        if current is not None and data.detail is not None and data.detail.goal.id == current.id:
            self._show_detail(data.detail, data.progress)
        elif current is not None:
            self._load_detail(current.id)

    def _today(self) -> Any:
        return self.app.clock().astimezone().date()  # type: ignore[attr-defined]

    def show_no_fractal(self) -> None:
        self.tree.set_goals([])
        self.query_one(GoalDetailPanel).show_detail(None, self.app.clock())  # type: ignore[attr-defined]

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        goal = event.node.data
        if goal is not None and goal.id != self._selected_id:
            self._selected_id = goal.id
            self._load_detail(goal.id)

    def _load_detail(self, goal_id: str) -> None:
        self._selected_id = goal_id
        self._detail_generation += 1
        generation = self._detail_generation
        store = self.app.store  # type: ignore[attr-defined]

        def work() -> None:
            try:
                detail = store.goal_detail(goal_id)
                progress = load_target_lines(store, goal_id) if detail.targets else ()
            except FractalError:
                return
            self.app.call_from_thread(self._detail_loaded, detail, generation, progress)

        def start() -> None:
            # After the tree is repainted, so the read does not hold up the cursor (or the
            # first screen); a goal already passed by the next key is not read at all.
            if generation == self._detail_generation:
                self.run_worker(work, thread=True, group="detail", exit_on_error=False)

        self.call_after_refresh(start)

    def _detail_loaded(
        self, detail: GoalDetail, generation: int, progress: tuple[TargetLine, ...] = ()
    ) -> None:
        if generation == self._detail_generation:
            self._show_detail(detail, progress)

    def _show_detail(self, detail: GoalDetail, progress: tuple[TargetLine, ...] = ()) -> None:
        self.query_one(GoalDetailPanel).show_detail(detail, self.app.clock(), progress)  # type: ignore[attr-defined]

    def _select_after_reload(self, goal: Any) -> None:
        if goal is not None and getattr(goal, "id", None):
            self._pending_select = goal.id
            self.reload()

    # --- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_search":
            return bool(self.tree.search) or self.query_one("#goal-search").has_class("-shown")
        return True

    def _need_goal(self) -> GoalView | None:
        goal = self.goal
        if goal is None:
            self.notify("Select a goal first.", severity="warning")
        return goal

    def action_add_child(self) -> None:
        parent = self._need_goal()
        if parent is None:
            return
        try:
            level = hierarchy.default_child_level(parent.level)
        except FractalError as exc:
            self.notify(exc.message, severity="error")
            return
        store = self.app.store  # type: ignore[attr-defined]

        def submit(v: dict[str, Any]) -> GoalView:
            return store.add_goal(
                parent.id,
                v["name"],
                level=v["level"],
                description=v["description"],
                deadline=v["deadline"],
            )

        form = FormScreen(
            f"New goal under {parent.name!r}",
            goal_fields(level=level),
            submit,
            submit_label="Add",
        )
        self.app.push_screen(form, self._select_after_reload)

    def action_add_sibling(self) -> None:
        goal = self._need_goal()
        if goal is None:
            return
        if goal.is_root:
            self.notify(
                "A fractal's root has no siblings: press a to add a child, "
                "or 0 to create another fractal.",
                severity="warning",
            )
            return
        store = self.app.store  # type: ignore[attr-defined]

        def submit(v: dict[str, Any]) -> GoalView:
            return store.add_sibling(
                goal.id,
                v["name"],
                level=v["level"],
                description=v["description"],
                deadline=v["deadline"],
            )

        form = FormScreen(
            f"New goal next to {goal.name!r}",
            goal_fields(level=goal.level),
            submit,
            submit_label="Add",
        )
        self.app.push_screen(form, self._select_after_reload)

    def action_edit(self) -> None:
        goal = self._need_goal()
        if goal is None:
            return
        store = self.app.store  # type: ignore[attr-defined]

        def submit(v: dict[str, Any]) -> GoalView:
            return store.update_goal(
                goal.id,
                name=v["name"],
                level=v["level"],
                description=v["description"],
                deadline=v["deadline"],
            )

        form = FormScreen(f"Edit {goal.name!r}", goal_fields(goal), submit)
        self.app.push_screen(form, self._select_after_reload)

    def action_complete(self) -> None:
        goal = self._need_goal()
        if goal is None:
            return
        store = self.app.store  # type: ignore[attr-defined]

        def done(updated: GoalView) -> None:
            state = "done" if updated.done else "not done"
            self.notify(f"{updated.name!r} is {state}.", timeout=3)

        self.run_store(store.complete_goal, goal.id, undo=goal.done, done=done)

    def action_add_target(self) -> None:
        goal = self._need_goal()
        if goal is None:
            return
        from fractal_tui.widgets.target_form import TargetForm

        store = self.app.store  # type: ignore[attr-defined]

        def submit(v: dict[str, Any]) -> Any:
            return store.add_target(goal.id, **v)

        def added(target: Any) -> None:
            if target is not None:
                met = " (already met)" if target.met_at is not None else ""
                self.notify(f"Added target {target.name!r}{met}.", timeout=4)
                self._select_after_reload(goal)

        def loaded(activities: Any) -> None:
            if not activities:
                self.notify(
                    "A target is about an activity: press 3 and add one first.",
                    severity="warning",
                )
                return
            self.app.push_screen(TargetForm(goal, activities, submit), added)

        self.run_store(store.activities, goal.root_id, done=loaded, reload=False)

    def action_delete(self) -> None:
        goal = self._need_goal()
        if goal is None:
            return
        store = self.app.store  # type: ignore[attr-defined]

        def confirm(preview: Any) -> None:
            if goal.is_root:
                message = (
                    f"Delete the whole fractal {goal.name!r}? "
                    f"This deletes {preview.describe()}, and its sessions and activities."
                )
            else:
                message = (
                    f"Delete {goal.name!r} and everything under it? "
                    f"This deletes {preview.describe()}."
                )
            self.app.push_screen(ConfirmScreen(message, title="Delete goal"), answered)

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_store(store.delete_goal, goal.id, done=deleted)

        def deleted(summary: Any) -> None:
            self.app.offer_undo(summary)  # type: ignore[attr-defined]
            if goal.is_root:
                self.app.close_fractal()  # type: ignore[attr-defined]

        self.run_store(store.preview_delete_goal, goal.id, done=confirm, reload=False)

    def _shift(self, offset: int) -> None:
        goal = self._need_goal()
        if goal is None:
            return
        if goal.is_root:
            self.notify("The fractal's root has no siblings to move among.", severity="warning")
            return
        store = self.app.store  # type: ignore[attr-defined]

        def done(moved: bool) -> None:
            if not moved:
                where = "first" if offset < 0 else "last"
                self.notify(f"{goal.name!r} is already {where}.", timeout=3)

        self._pending_select = goal.id
        self.run_store(store.shift_goal, goal.id, offset, done=done)

    def action_move_up(self) -> None:
        self._shift(-1)

    def action_move_down(self) -> None:
        self._shift(1)

    def action_move_to(self) -> None:
        goal = self._need_goal()
        if goal is None:
            return
        if goal.is_root:
            self.notify("A fractal's root cannot move under another goal.", severity="warning")
            return
        goals = self.tree.goals
        below = hierarchy.descendants(goals, goal.id) | {goal.id}
        options = [
            ("  " * row.depth + f"{row.node.name} ({LEVEL_NAMES[row.node.level]})", row.node.id)
            for row in tree_order(goals)
            if row.node.id not in below
            and row.node.level < goal.level
            and row.node.id != goal.parent_id
        ]
        if not options:
            self.notify(
                f"No other goal can hold {goal.name!r}: its parent must be of a higher level.",
                severity="warning",
            )
            return
        store = self.app.store  # type: ignore[attr-defined]
        form = FormScreen(
            f"Move {goal.name!r} under…",
            [Field("parent", "New parent", options=options)],
            lambda v: store.move_goal(goal.id, v["parent"]),
            submit_label="Move",
        )
        self.app.push_screen(form, self._select_after_reload)

    def action_toggle_done(self) -> None:
        tree = self.tree
        tree.hide_done = not tree.hide_done
        tree.set_goals(tree.goals)
        self.notify(
            "Completed goals hidden (h shows them)."
            if tree.hide_done
            else "Completed goals shown.",
            timeout=3,
        )

    # --- search --------------------------------------------------------------------------

    def action_search(self) -> None:
        box = self.query_one("#goal-search", Input)
        box.add_class("-shown")
        box.focus()
        self.refresh_bindings()

    @on(Input.Changed, "#goal-search")
    def _search_changed(self, event: Input.Changed) -> None:
        tree = self.tree
        tree.search = event.value.strip()
        needle = tree.search.lower()
        first = next(
            (
                row.node.id
                for row in tree_order(tree.goals)
                if needle and needle in row.node.name.lower()
            ),
            None,
        )
        tree.set_goals(tree.goals, select=first)

    @on(Input.Submitted, "#goal-search")
    def _search_done(self, event: Input.Submitted) -> None:
        self.tree.focus()
        if not event.value.strip():
            self.action_clear_search()

    def action_clear_search(self) -> None:
        box = self.query_one("#goal-search", Input)
        box.value = ""
        box.remove_class("-shown")
        tree = self.tree
        if tree.search:
            tree.search = ""
            tree.set_goals(tree.goals)
        tree.focus()
        self.refresh_bindings()
