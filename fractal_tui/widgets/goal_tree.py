"""The goal tree: each goal's level tag, name, deadline countdown and done mark.

``GoalTree.set_goals(goals, today=...)`` lays out GoalViews (siblings already in sort order)
and keeps the cursor on the same goal and each node's expanded state across rebuilds, so a
refresh never throws the person out of place. Completed goals can be hidden (with their
subtrees); a search text shows only the goals whose names contain it, with their ancestors.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text, TextType
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from fractal_tui.hierarchy import tree_order
from fractal_tui.timeparse import countdown
from fractal_tui.views import GoalView

LEVEL_TAGS = ("ultimate", "long", "mid", "short", "now", "micro", "nano")
DONE_MARK = "✓"


def level_tag(level: int) -> str:
    return LEVEL_TAGS[level] if 0 <= level < len(LEVEL_TAGS) else str(level)


class GoalTree(Tree[GoalView]):
    """A Tree of GoalViews with level colours from the theme (see DEFAULT_CSS)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *Tree.COMPONENT_CLASSES,
        *(f"goal-tree--level-{n}" for n in range(len(LEVEL_TAGS))),
        "goal-tree--done",
        "goal-tree--due",
        "goal-tree--overdue",
        "goal-tree--match",
    }

    DEFAULT_CSS = """
    GoalTree {
        & > .goal-tree--level-0 { color: $accent; text-style: bold; }
        & > .goal-tree--level-1 { color: $primary; text-style: bold; }
        & > .goal-tree--level-2 { color: $success; }
        & > .goal-tree--level-3 { color: $warning; }
        & > .goal-tree--level-4 { color: $secondary-lighten-2; }
        & > .goal-tree--level-5 { color: $foreground-muted; }
        & > .goal-tree--level-6 { color: $foreground-muted; text-style: italic; }
        & > .goal-tree--done { color: $success; text-style: bold; }
        & > .goal-tree--due { color: $foreground-muted; }
        & > .goal-tree--overdue { color: $error; text-style: bold; }
        & > .goal-tree--match { text-style: bold underline; }
    }
    """

    # Shift+up/down belong to the screen (move a goal among its siblings).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("shift+up", "screen.move_up", "Move up", show=False),
        Binding("shift+down", "screen.move_down", "Move down", show=False),
        Binding("enter", "select_cursor", "Expand/collapse", show=False),
        Binding("space", "toggle_node", "Expand/collapse", show=False),
        Binding("right", "expand_node", "Expand", show=False),
        Binding("left", "collapse_or_parent", "Collapse / to parent", show=False),
    ]

    ICON_NODE = "▸ "
    ICON_NODE_EXPANDED = "▾ "

    def __init__(self, *, id: str | None = None) -> None:
        # While set_goals adds nodes, Tree's per-node invalidation (a layout refresh each)
        # waits until the end; while the tree lays its lines out, the width is read once.
        # (Set before Tree.__init__, which already lays out.)
        self._adding = False
        self._build_width: int | None = None
        super().__init__("", id=id)
        self.show_root = True
        self.guide_depth = 3
        self.auto_expand = True
        self.today: date | None = None
        self.search = ""
        self.hide_done = False
        self._collapsed: set[str] = set()
        self._goals: tuple[GoalView, ...] = ()
        self._by_id: dict[str, TreeNode[GoalView]] = {}

    # --- data ----------------------------------------------------------------------------

    @property
    def goals(self) -> tuple[GoalView, ...]:
        return self._goals

    @property
    def visible_ids(self) -> list[str]:
        """Goal ids in display order, expanded or not."""
        return list(self._by_id)

    @property
    def cursor_goal(self) -> GoalView | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def node_for(self, goal_id: str) -> TreeNode[GoalView] | None:
        return self._by_id.get(goal_id)

    def set_goals(
        self,
        goals: Sequence[GoalView],
        *,
        today: date | None = None,
        select: str | None = None,
    ) -> None:
        """Lay out goals; keep the cursor on `select` (default: the goal under it now)."""
        current = select or (self.cursor_goal.id if self.cursor_goal else None)
        self._remember_expanded()
        self._goals = tuple(goals)
        if today is not None:
            self.today = today
        rows = tree_order(self._shown(self._goals))
        self._by_id = {}
        self.clear()
        if not rows:
            self.root.set_label("")
            self.root.data = None
            return
        keep_collapsed = self._collapsed if not self.search else set()
        root_row = rows[0]
        root_goal: GoalView = root_row.node  # type: ignore[assignment]
        self.root.data = root_goal
        self.root.set_label(Text(root_goal.name))
        self.root.allow_expand = len(rows) > 1
        if (root_goal.id in keep_collapsed) == self.root.is_expanded:
            self.root.toggle()
        self._by_id[root_goal.id] = self.root
        parents: list[TreeNode[GoalView]] = [self.root]
        self._adding = True
        try:
            for row in rows[1:]:
                goal: GoalView = row.node  # type: ignore[assignment]
                del parents[row.depth :]
                parent = parents[-1]
                # Each node is added in its final state: expanding or collapsing 1,000 nodes
                # one by one afterwards posts a message per node.
                node = parent.add(
                    Text(goal.name),
                    goal,
                    expand=goal.id not in keep_collapsed,
                    allow_expand=False,
                )
                if not parent.allow_expand:
                    parent.allow_expand = True
                self._by_id[goal.id] = node
                parents.append(node)
        finally:
            self._adding = False
        self._invalidate()
        old_line = self.cursor_line
        self.cursor_line = -1
        target = self._by_id.get(current or "") if current else None
        if target is None and current:
            target = self._nearest_shown(current)
        if target is None and old_line > 0:
            # The goal under the cursor is gone: keep the cursor where it was.
            self.get_node_at_line(0)
            target = self.get_node_at_line(min(old_line, self.last_line))
        self.select_goal(target.data.id if target and target.data else root_row.node.id)

    def _remember_expanded(self) -> None:
        for goal_id, node in self._by_id.items():
            if node.allow_expand and not node.is_expanded:
                self._collapsed.add(goal_id)
            else:
                self._collapsed.discard(goal_id)

    def _shown(self, goals: Sequence[GoalView]) -> list[GoalView]:
        by_id = {g.id: g for g in goals}
        out = list(goals)
        if self.hide_done:
            hidden: set[str] = set()

            def is_hidden(g: GoalView) -> bool:
                while g is not None:
                    if g.id in hidden or (g.done and not g.is_root):
                        return True
                    g = by_id.get(g.parent_id or "")  # type: ignore[assignment]
                return False

            for g in goals:
                if is_hidden(g):
                    hidden.add(g.id)
            out = [g for g in out if g.id not in hidden]
        if self.search:
            needle = self.search.lower()
            keep: set[str] = set()
            for g in out:
                if needle in g.name.lower():
                    cursor: GoalView | None = g
                    while cursor is not None and cursor.id not in keep:
                        keep.add(cursor.id)
                        cursor = by_id.get(cursor.parent_id or "")
            roots = [g.id for g in out if g.is_root]
            keep.update(roots)
            out = [g for g in out if g.id in keep]
        return out

    def _nearest_shown(self, goal_id: str) -> TreeNode[GoalView] | None:
        by_id = {g.id: g for g in self._goals}
        goal = by_id.get(goal_id)
        while goal is not None:
            if goal.id in self._by_id:
                return self._by_id[goal.id]
            goal = by_id.get(goal.parent_id or "")
        return None

    def select_goal(self, goal_id: str) -> bool:
        """Put the cursor on a goal (expanding its ancestors); False when it is not shown."""
        node = self._by_id.get(goal_id)
        if node is None:
            return False
        parent = node.parent
        while parent is not None:
            if not parent.is_expanded:
                parent.expand()
            parent = parent.parent
        self.get_node_at_line(0)  # lays out the lines, so the node knows its line
        self.move_cursor(node)
        return True

    def _invalidate(self) -> None:
        if not self._adding:
            super()._invalidate()

    def _build(self) -> None:
        # Tree measures every line's label when it lays the lines out; the region's width
        # cannot change during that loop, and looking it up costs more than the label.
        self._build_width = self.scrollable_content_region.width
        try:
            super()._build()
        finally:
            self._build_width = None

    def on_resize(self) -> None:
        # Names are cut to the width, so a new width means new labels.
        self._invalidate()

    def action_expand_node(self) -> None:
        node = self.cursor_node
        if node is not None and node.allow_expand:
            node.expand()

    def action_collapse_or_parent(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and node.is_expanded:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)

    # --- drawing ---------------------------------------------------------------------------

    def process_label(self, label: TextType) -> Text:
        # Goal names are plain text (no markup, no line breaks: the store refuses control
        # characters), so the Text is kept as given rather than parsed and split per node.
        if isinstance(label, Text):
            return label
        return super().process_label(label)

    def _fit(self, node: TreeNode[GoalView], name: str, before: int, suffix: list[Any]) -> str:
        """The name, cut with an ellipsis so the countdown stays in view."""
        depth = 0
        parent = node.parent
        while parent is not None:
            depth += 1
            parent = parent.parent
        width = self._build_width
        if width is None:
            width = self.scrollable_content_region.width
        if width <= 0:
            return name
        after = sum(len(str(p)) if isinstance(p, str) else p.cell_len for p in suffix)
        room = width - depth * self.guide_depth - before - after
        if len(name) <= room or room < 8:
            return name
        return name[: room - 1].rstrip() + "…"

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _suffix(self, goal: GoalView) -> tuple[str, str, bool]:
        """(gap, mark or countdown, overdue) drawn after the name; ("", "", False) for none."""
        if goal.done:
            return " ", DONE_MARK, False
        if goal.deadline is not None and self.today is not None:
            return "  ", countdown(goal.deadline, self.today), goal.deadline < self.today
        return "", "", False

    def get_label_width(self, node: TreeNode[GoalView]) -> int:
        # The tree measures every line whenever it lays out; count cells from the same
        # pieces render_label draws instead of building and styling a Text per goal.
        goal = node.data
        if goal is None:
            return super().get_label_width(node)
        prefix = (
            (self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE)
            if node.allow_expand
            else ""
        )
        tag = level_tag(goal.level)
        gap, after, _ = self._suffix(goal)
        suffix = [gap, after] if gap else []
        name = self._fit(node, goal.name, len(prefix) + len(tag) + 1, suffix)
        return cell_len(prefix) + cell_len(tag) + 1 + cell_len(name) + cell_len(gap + after)

    def render_label(self, node: TreeNode[GoalView], base_style: Style, style: Style) -> Text:
        goal = node.data
        if goal is None:
            return super().render_label(node, base_style, style)
        if node.allow_expand:
            prefix = (self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE, base_style)
        else:
            prefix = ("", base_style)
        tag = Text(level_tag(goal.level), style=self._style(f"goal-tree--level-{goal.level}"))
        suffix: list[Text | str] = []
        gap, after, late = self._suffix(goal)
        if goal.done:
            suffix = [gap, Text(after, style=self._style("goal-tree--done"))]
        elif gap:
            due_style = self._style("goal-tree--overdue" if late else "goal-tree--due")
            suffix = [gap, Text(after, style=due_style)]
        name = Text(self._fit(node, goal.name, len(prefix[0]) + len(tag) + 1, suffix))
        if self.search:
            start = goal.name.lower().find(self.search.lower())
            if 0 <= start < len(name):
                name.stylize(self._style("goal-tree--match"), start, start + len(self.search))
        parts: list[Text | tuple[str, Style] | str] = [prefix, tag, " ", name, *suffix]
        text = Text.assemble(*parts)
        if goal.done:
            text.stylize(Style(dim=True), len(prefix[0]) + len(tag) + 1)
        text.stylize(style)
        return text
