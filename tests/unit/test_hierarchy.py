"""Pure rules of the goal tree (fractal_tui.hierarchy), without a database."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fractal_tui import hierarchy
from fractal_tui.errors import Invalid
from fractal_tui.hierarchy import (
    LEVEL_NAMES,
    MAX_LEVEL,
    check_child_level,
    check_new_level,
    default_child_level,
    descendants,
    level_name,
    parse_level,
    tree_order,
)
from fractal_tui.models import GoalLevel
from fractal_tui.views import LEVEL_LABELS


@dataclass(frozen=True)
class Node:
    id: str
    parent_id: str | None
    level: int = 0


def test_level_names_match_the_model_and_the_views() -> None:
    assert len(LEVEL_NAMES) == len(GoalLevel) == MAX_LEVEL + 1 == 7
    assert LEVEL_NAMES == LEVEL_LABELS
    for level in GoalLevel:
        assert LEVEL_NAMES[level.value].replace("-", "_") == level.name
    assert level_name(0) == "ultimate" and level_name(6) == "nano"


@pytest.mark.parametrize(
    ("text", "rank"),
    [
        ("ultimate", 0),
        ("long-term", 1),
        ("long_term", 1),
        ("Long Term", 1),
        ("LongTermGoal", 1),
        ("long-term-goal", 1),
        ("midterm", 2),
        ("MidTermGoal", 2),
        ("short-term", 3),
        ("ShortTermGoal", 3),
        ("  immediate ", 4),
        ("ImmediateGoal", 4),
        ("micro", 5),
        ("nano", 6),
        ("0", 0),
        ("6", 6),
        (3, 3),
        (0, 0),
    ],
)
def test_parse_level_accepts_names_aliases_and_ranks(text: str | int, rank: int) -> None:
    assert parse_level(text) == rank


@pytest.mark.parametrize("text", ["", "huge", "7", "-1", 7, -1, "long term-ish", "1.5"])
def test_parse_level_rejects_anything_else_with_the_choices(text: str | int) -> None:
    with pytest.raises(Invalid) as err:
        parse_level(text)
    assert "unknown level" in err.value.message
    assert "ultimate, long-term, mid-term" in err.value.message


def test_default_child_level_is_the_next_rank() -> None:
    assert [default_child_level(r) for r in range(MAX_LEVEL)] == list(range(1, MAX_LEVEL + 1))
    with pytest.raises(Invalid, match="lowest level"):
        default_child_level(MAX_LEVEL)


def test_check_child_level_allows_skipping_levels() -> None:
    check_child_level(0, 1)
    check_child_level(0, 6)
    check_child_level(2, 5)


@pytest.mark.parametrize(
    ("parent", "child", "says"),
    [
        (1, 1, "a long-term goal cannot sit under a long-term goal"),
        (3, 2, "a mid-term goal cannot sit under a short-term goal"),
        (6, 6, "a nano goal cannot sit under a nano goal"),
        (4, 0, "an ultimate goal cannot sit under an immediate goal"),
    ],
)
def test_check_child_level_refuses_a_child_not_below(parent: int, child: int, says: str) -> None:
    with pytest.raises(Invalid) as err:
        check_child_level(parent, child)
    message = err.value.message
    assert says in message
    allowed = ", ".join(LEVEL_NAMES[parent + 1 :]) or "none left"
    assert f"({allowed})" in message


@pytest.mark.parametrize("child", [-1, 7, 100])
def test_check_child_level_refuses_out_of_range(child: int) -> None:
    with pytest.raises(Invalid, match="between 0 and 6"):
        check_child_level(0, child)


def test_check_new_level_between_parent_and_children() -> None:
    check_new_level(2, 1, [3, 5])
    check_new_level(0, None, [1])
    check_new_level(4, None, iter([]))  # any iterable, also a generator
    with pytest.raises(Invalid, match="cannot sit under"):
        check_new_level(1, 1, [])
    with pytest.raises(Invalid, match="cannot keep a short-term child"):
        check_new_level(3, 1, [5, 3])
    with pytest.raises(Invalid, match="an immediate goal cannot keep an immediate child"):
        check_new_level(4, None, [6, 4])


@pytest.mark.parametrize("level", [-1, 7])
def test_check_new_level_checks_the_range_of_a_root_too(level: int) -> None:
    # A root (no parent) used to pass any level through to the schema's check constraint.
    with pytest.raises(Invalid, match="between 0 and 6"):
        check_new_level(level, None, [])


def test_tree_order_is_depth_first_keeping_sibling_order() -> None:
    nodes = [
        Node("r", None),
        Node("b", "r"),
        Node("a", "r"),
        Node("b2", "b"),
        Node("b1", "b"),
        Node("a1", "a"),
        Node("b2x", "b2"),
    ]
    rows = tree_order(nodes)
    assert [(r.node.id, r.depth) for r in rows] == [
        ("r", 0),
        ("b", 1),
        ("b2", 2),
        ("b2x", 3),
        ("b1", 2),
        ("a", 1),
        ("a1", 2),
    ]


def test_tree_order_puts_orphans_at_the_top_level() -> None:
    # A filtered list (completed parent left out) must not lose the children.
    rows = tree_order([Node("r", None), Node("x", "hidden"), Node("y", "x")])
    assert [(r.node.id, r.depth) for r in rows] == [("r", 0), ("x", 0), ("y", 1)]


def test_tree_order_of_nothing() -> None:
    assert tree_order([]) == []


def test_descendants() -> None:
    nodes = [Node("r", None), Node("a", "r"), Node("b", "a"), Node("c", "b"), Node("d", "r")]
    assert descendants(nodes, "r") == {"a", "b", "c", "d"}
    assert descendants(nodes, "a") == {"b", "c"}
    assert descendants(nodes, "c") == set()
    assert descendants(nodes, "unknown") == set()


@st.composite
def trees(draw: st.DrawFn) -> list[Node]:
    n = draw(st.integers(min_value=1, max_value=30))
    nodes = [Node("n0", None)]
    for i in range(1, n):
        parent = draw(st.integers(min_value=0, max_value=i - 1))
        nodes.append(Node(f"n{i}", f"n{parent}"))
    return draw(st.permutations(nodes))


@given(trees())
def test_tree_order_visits_every_node_once_and_parents_first(nodes: list[Node]) -> None:
    rows = tree_order(nodes)
    assert sorted(r.node.id for r in rows) == sorted(n.id for n in nodes)
    position = {r.node.id: i for i, r in enumerate(rows)}
    depth = {r.node.id: r.depth for r in rows}
    for n in nodes:
        if n.parent_id is not None:
            assert position[n.parent_id] < position[n.id]
            assert depth[n.id] == depth[n.parent_id] + 1
            # every node between a parent and this child is inside the parent's subtree
            inside = descendants(nodes, n.parent_id)
            for r in rows[position[n.parent_id] + 1 : position[n.id]]:
                assert r.node.id in inside


@given(trees())
def test_descendants_of_the_root_is_everything_else(nodes: list[Node]) -> None:
    assert descendants(nodes, "n0") == {n.id for n in nodes} - {"n0"}


def test_module_has_no_io_imports() -> None:
    source = Path(hierarchy.__file__).read_text(encoding="utf-8")
    for heavy in ("sqlalchemy", "sqlmodel", "textual", "click"):
        assert heavy not in source
