"""The activity library as a tree: groups as sections, their activities under them in order.

``ActivityTree.set_library(groups, activities)`` lays out GroupViews and ActivityViews (both
already in order; activities without a group go last, under "No group"). The cursor stays on
the same entry across rebuilds, and a collapsed group stays collapsed. With a search text
(``search``), only matching activities show, with their groups.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from fractal_tui.views import ActivityView, GroupView

UNGROUPED_KEY = "u:"


@dataclass(frozen=True)
class LibraryEntry:
    """What a line of the tree is: a group, the "No group" section, or an activity."""

    kind: str  # "group", "ungrouped" or "activity"
    group: GroupView | None = None
    activity: ActivityView | None = None

    @property
    def key(self) -> str:
        if self.activity is not None:
            return "a:" + self.activity.id
        if self.group is not None:
            return "g:" + self.group.id
        return UNGROUPED_KEY

    @property
    def name(self) -> str:
        if self.activity is not None:
            return self.activity.name
        if self.group is not None:
            return self.group.name
        return "No group"


class ActivityTree(Tree[LibraryEntry]):
    """A Tree of LibraryEntry nodes (see the module docstring)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *Tree.COMPONENT_CLASSES,
        "activity-tree--group",
        "activity-tree--ungrouped",
        "activity-tree--hint",
        "activity-tree--match",
    }

    DEFAULT_CSS = """
    ActivityTree {
        & > .activity-tree--group { color: $primary; text-style: bold; }
        & > .activity-tree--ungrouped { color: $text-muted; text-style: bold italic; }
        & > .activity-tree--hint { color: $text-muted; }
        & > .activity-tree--match { text-style: bold underline; }
    }
    """

    # Shift+up/down belong to the screen (reorder groups and activities).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("shift+up", "screen.move_up", "Move up", show=False),
        Binding("shift+down", "screen.move_down", "Move down", show=False),
    ]

    ICON_NODE = "▸ "
    ICON_NODE_EXPANDED = "▾ "

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("library", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False
        self.search = ""
        self._collapsed: set[str] = set()
        self._by_key: dict[str, TreeNode[LibraryEntry]] = {}
        self._order: list[str] = []

    # --- data ----------------------------------------------------------------------------

    @property
    def cursor_entry(self) -> LibraryEntry | None:
        node = self.cursor_node
        return node.data if node is not None else None

    @property
    def keys(self) -> list[str]:
        """Entry keys in display order (``g:<id>``, ``a:<id>``, ``u:``)."""
        return list(self._order)

    def set_library(
        self,
        groups: Sequence[GroupView],
        activities: Sequence[ActivityView],
        *,
        select: str | None = None,
    ) -> None:
        """Lay out the library; keep the cursor on `select` (default: the entry under it)."""
        current = select or (self.cursor_entry.key if self.cursor_entry else None)
        old_order = list(self._order)
        self._remember_expanded()
        by_group: dict[str | None, list[ActivityView]] = {}
        for activity in activities:
            by_group.setdefault(activity.group_id, []).append(activity)
        known = {g.id for g in groups}
        loose = [a for a in activities if a.group_id is None or a.group_id not in known]
        self.clear()
        self._by_key = {}
        self._order = []
        sections: list[tuple[LibraryEntry, list[ActivityView]]] = [
            (LibraryEntry("group", group=g), by_group.get(g.id, [])) for g in groups
        ]
        if loose or not self.search:
            sections.append((LibraryEntry("ungrouped"), loose))
        for entry, members in sections:
            if self.search and not members:
                continue
            node = self.root.add(entry.name, entry, expand=True, allow_expand=bool(members))
            self._add(entry, node)
            for activity in members:
                child = LibraryEntry("activity", group=entry.group, activity=activity)
                self._add(child, node.add_leaf(activity.name, child))
        for key, node in self._by_key.items():
            if key in self._collapsed and not self.search:
                node.collapse()
        self.root.expand()
        self.cursor_line = -1
        target = current if current in self._by_key else None
        if target is None and current in old_order:
            # The entry went away (deleted, filtered): stay near where it was.
            index = old_order.index(current)
            nearby = [k for k in old_order[index + 1 :] + old_order[:index][::-1]]
            target = next((k for k in nearby if k in self._by_key), None)
        if target is None and self._order:
            first_activity = next((k for k in self._order if k.startswith("a:")), None)
            target = first_activity or self._order[0]
        if target is not None:
            self.select_key(target)

    def _add(self, entry: LibraryEntry, node: TreeNode[LibraryEntry]) -> None:
        self._by_key[entry.key] = node
        self._order.append(entry.key)

    def _remember_expanded(self) -> None:
        for key, node in self._by_key.items():
            if node.allow_expand and not node.is_expanded:
                self._collapsed.add(key)
            elif node.allow_expand:
                self._collapsed.discard(key)

    def select_key(self, key: str) -> bool:
        """Put the cursor on an entry (expanding its group); False when it is not shown."""
        node = self._by_key.get(key)
        if node is None:
            return False
        if node.parent is not None and node.parent is not self.root:
            node.parent.expand()
        self.get_node_at_line(0)  # lays out the lines, so the node knows its line
        self.move_cursor(node)
        return True

    # --- drawing ---------------------------------------------------------------------------

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def render_label(self, node: TreeNode[LibraryEntry], base_style: Style, style: Style) -> Text:
        entry = node.data
        if entry is None:
            return super().render_label(node, base_style, style)
        if entry.activity is None:
            icon = ""
            if node.allow_expand:
                icon = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
            else:
                icon = "  "
            kind = "activity-tree--group" if entry.kind == "group" else "activity-tree--ungrouped"
            text = Text(icon, style=base_style)
            text.append(entry.name, style=self._style(kind))
            count = len(node.children)
            text.append(f"  {count}", style=self._style("activity-tree--hint"))
            text.stylize(style)
            return text
        activity = entry.activity
        text = Text(activity.name)
        if self.search:
            start = activity.name.lower().find(self.search.lower())
            if start >= 0:
                text.stylize(self._style("activity-tree--match"), start, start + len(self.search))
        hints = []
        if activity.metrics:
            hints.append("·".join(m.name for m in activity.metrics))
        if activity.splits:
            hints.append("/".join(sp.name[:1] for sp in activity.splits))
        if activity.times_done:
            hints.append(f"{activity.times_done}×")
        if hints:
            text.append("  " + "  ".join(hints), style=self._style("activity-tree--hint"))
        text.stylize(style)
        return text
