"""Pure rules of the goal tree: levels, defaults, ordering into a tree. No I/O."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from fractal_tui.errors import Invalid

LEVEL_NAMES = ("ultimate", "long-term", "mid-term", "short-term", "immediate", "micro", "nano")
MAX_LEVEL = len(LEVEL_NAMES) - 1


class TreeNode(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def parent_id(self) -> str | None: ...
    @property
    def level(self) -> int: ...


def level_name(level: int) -> str:
    return LEVEL_NAMES[level]


def _a(level: int) -> str:
    """The level's name with its article: 'a mid-term', 'an immediate'."""
    name = level_name(level)
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def parse_level(text: str | int) -> int:
    """A level from its name (``short-term``, ``short_term``, ``ShortTermGoal``) or rank."""
    if isinstance(text, int):
        key = str(text)
    else:
        key = text.strip().lower().replace("_", "-").replace(" ", "-")
    if key.endswith("goal"):
        key = key[:-4].rstrip("-")
    aliases = {"longterm": "long-term", "midterm": "mid-term", "shortterm": "short-term"}
    key = aliases.get(key, key)
    if key.isascii() and key.isdigit() and 0 <= int(key) <= MAX_LEVEL:  # not '¹'
        return int(key)
    if key in LEVEL_NAMES:
        return LEVEL_NAMES.index(key)
    raise Invalid(f"unknown level {text!r}; use one of: {', '.join(LEVEL_NAMES)}")


def default_child_level(parent_level: int) -> int:
    """The next rank below the parent."""
    if parent_level >= MAX_LEVEL:
        raise Invalid(f"{_a(parent_level)} goal is the lowest level and has no children")
    return parent_level + 1


def check_child_level(parent_level: int, child_level: int) -> None:
    """A child's rank must be greater than its parent's (levels may be skipped)."""
    if not 0 <= child_level <= MAX_LEVEL:
        raise Invalid(f"level must be between 0 and {MAX_LEVEL}")
    if child_level <= parent_level:
        raise Invalid(
            f"{_a(child_level)} goal cannot sit under {_a(parent_level)} goal: "
            f"a child's level must be below its parent's "
            f"({', '.join(LEVEL_NAMES[parent_level + 1 :]) or 'none left'})"
        )


def check_new_level(level: int, parent_level: int | None, child_levels: Iterable[int]) -> None:
    """A goal's level must stay below its parent's and above each of its children's."""
    if not 0 <= level <= MAX_LEVEL:
        raise Invalid(f"level must be between 0 and {MAX_LEVEL}")
    if parent_level is not None:
        check_child_level(parent_level, level)
    lowest = min(child_levels, default=None)
    if lowest is not None and lowest <= level:
        raise Invalid(
            f"{_a(level)} goal cannot keep {_a(lowest)} child; change or move the children first"
        )


@dataclass(frozen=True)
class TreeRow:
    """A node in display order with its depth."""

    node: TreeNode
    depth: int


def tree_order(nodes: Sequence[TreeNode]) -> list[TreeRow]:
    """Nodes (already in sibling order) laid out depth-first from the roots."""
    ids = {n.id for n in nodes}
    children: dict[str | None, list[TreeNode]] = {}
    for n in nodes:
        parent = n.parent_id if n.parent_id in ids else None
        children.setdefault(parent, []).append(n)
    out: list[TreeRow] = []
    stack = [(n, 0) for n in reversed(children.get(None, []))]
    while stack:
        node, depth = stack.pop()
        out.append(TreeRow(node, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(node.id, [])))
    return out


def descendants(nodes: Sequence[TreeNode], root_id: str) -> set[str]:
    """Ids of every node below root_id."""
    children: dict[str | None, list[str]] = {}
    for n in nodes:
        children.setdefault(n.parent_id, []).append(n.id)
    found: set[str] = set()
    stack = list(children.get(root_id, []))
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found
