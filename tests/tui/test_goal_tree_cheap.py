"""The goal tree's cheaper paths give the same answers as the plain ones: the store's
column read of the goals, the label width counted without drawing, and nodes added in their
final expanded state."""

from datetime import date
from typing import Any

from rich.style import Style
from tui_helpers import settle

from fractal_tui.models import Goal
from fractal_tui.views import GoalView, from_row
from fractal_tui.widgets.goal_tree import GoalTree


def orm_goals(store: Any, root_id: str, **where: Any) -> list[GoalView]:
    """What store.goals returned before it read plain columns: ORM rows through _list."""
    with store._read(root_id) as s:
        extra = [Goal.completed_at.is_(None)] if where.get("open_only") else []
        return [from_row(GoalView, g) for g in store._list(s, Goal, *extra)]


def test_goals_read_as_columns_equal_the_orm_rows(tui: Any) -> None:
    store = tui.store
    goals = tui.build_piano()
    other = store.create_fractal("Running")
    store.add_goal(other.id, "Marathon")
    gone = store.add_goal(goals["tech"].id, "Arpeggios")
    store.delete_goal(gone.id)
    store.shift_goal(goals["tech"].id, -1)  # sort order differs from creation order
    root = goals["piano"].id
    assert store.goals(root) == orm_goals(store, root)
    assert store.goals(root, include_completed=False) == orm_goals(store, root, open_only=True)
    assert "Arpeggios" not in {g.name for g in store.goals(root)}
    assert {g.root_id for g in store.goals(root)} == {root}
    assert store.goals(other.id) == orm_goals(store, other.id)


def _widths(tree: GoalTree) -> list[tuple[str, int, int]]:
    out = []
    for n in range(tree.last_line + 1):
        node = tree.get_node_at_line(n)
        drawn = tree.render_label(node, Style(), Style()).cell_len
        out.append((node.data.name, tree.get_label_width(node), drawn))
    return out


async def test_label_width_is_what_render_label_draws(tui: Any, make_app: Any) -> None:
    store = tui.store
    goals = tui.build_piano()
    store.add_goal(
        goals["bach"].id,
        "A very long name that has to be cut short with an ellipsis to keep the date " * 2,
        deadline=date(2026, 1, 8),
    )
    store.add_goal(goals["tech"].id, "Wide 漢字 name ✓")
    app = make_app(fractal_id=goals["piano"].id)
    for size in ((120, 40), (60, 24)):
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            tree = app.screen.query_one(GoalTree)
            rows = _widths(tree)
            assert len(rows) == 9
            assert all(counted == drawn for _, counted, drawn in rows), rows
            tree.search = "name"
            tree.set_goals(tree.goals)
            await settle(pilot)
            assert all(counted == drawn for _, counted, drawn in _widths(tree))
        app = make_app(fractal_id=goals["piano"].id)


async def test_a_big_tree_keeps_collapsed_nodes_and_search_opens_them(
    tui: Any, make_app: Any
) -> None:
    store = tui.store
    root = store.create_fractal("Big")
    ids = []
    for a in range(6):
        top = store.add_goal(root.id, f"Area {a}")
        ids.append(top.id)
        for b in range(8):
            mid = store.add_goal(top.id, f"Area {a} part {b}")
            for c in range(4):
                store.add_goal(mid.id, f"Step {a}.{b}.{c}")
    app = make_app(fractal_id=root.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        tree = app.screen.query_one(GoalTree)
        assert tree.last_line + 1 == 1 + 6 * (1 + 8 * (1 + 4))  # all open, as before
        tree.node_for(ids[1]).collapse()
        tree.node_for(ids[4]).collapse()
        await pilot.pause()
        shown = tree.last_line + 1
        assert shown == 1 + 6 + 4 * 8 * 5
        tree.set_goals(tree.goals)  # a reload keeps what was collapsed
        await settle(pilot)
        assert tree.last_line + 1 == shown
        assert not tree.node_for(ids[1]).is_expanded
        assert tree.node_for(ids[0]).is_expanded
        tree.search = "step 4.2"
        tree.set_goals(tree.goals)
        await settle(pilot)
        assert [tree.get_node_at_line(n).data.name for n in range(tree.last_line + 1)] == [
            "Big",
            "Area 4",
            "Area 4 part 2",
            "Step 4.2.0",
            "Step 4.2.1",
            "Step 4.2.2",
            "Step 4.2.3",
        ]
        tree.search = ""
        tree.set_goals(tree.goals)
        await settle(pilot)
        # What the search opened stays open; what it did not show stays collapsed.
        assert tree.node_for(ids[4]).is_expanded
        assert not tree.node_for(ids[1]).is_expanded
        assert tree.last_line + 1 == 1 + 6 + 5 * 8 * 5
        assert tree.select_goal(tree.goals[-1].id)  # under a collapsed area: opens it
        assert tree.cursor_goal == tree.goals[-1]
