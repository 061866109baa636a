"""Fractals and the goal tree: add-fractal, fractals, rename-fractal, add-goal, goals,
edit-goal, complete-goal.

Goal names resolve within the current fractal (``--fractal``, the only one, or the one used
last); the fractal's own name names its root goal, so ``--parent Piano`` works.
"""

from datetime import date
from typing import Any

import click

from fractal_tui.commands._common import emit, json_option, local, pass_app
from fractal_tui.views import jsonable

__all__ = [
    "add_fractal",
    "add_goal",
    "complete_goal",
    "edit_goal",
    "fractals",
    "goals",
    "rename_fractal",
]


def _short(row_id: str) -> str:
    return row_id[:8]


def _level(text: str | None) -> int | None:
    if text is None:
        return None
    from fractal_tui.hierarchy import parse_level

    return parse_level(text)


def _deadline(text: str | None) -> date | None:
    if text is None:
        return None
    from fractal_tui.timeparse import parse_date

    return parse_date(text)


def _today(app: Any) -> date:
    """The local calendar day by the store's clock."""
    return app.store.now().astimezone().date()


def _due(deadline: date | None, today: date) -> str:
    if deadline is None:
        return ""
    from fractal_tui.timeparse import countdown

    return f"due {deadline.isoformat()} ({countdown(deadline, today)})"


# --- fractals ------------------------------------------------------------------------------


@click.command("add-fractal")
@click.argument("name")
@click.option(
    "--level",
    metavar="LEVEL",
    help="Level of the root goal (default ultimate): a name like long-term, or a rank 0-6.",
)
@click.option("--description", default="", help="What this fractal is about.")
@json_option
@pass_app
def add_fractal(app: Any, name: str, level: str | None, description: str, as_json: bool) -> None:
    """Create a fractal: a tree of goals whose root is NAME.

    \b
    Example:
      fractal add-fractal "Become a concert pianist"
      fractal add-fractal "Run a marathon" --level long-term --description "Spring 2027"
    """
    rank = _level(level)
    fractal = app.store.create_fractal(
        name, description=description, level=0 if rank is None else rank
    )
    emit(
        as_json,
        fractal,
        f"Created fractal {fractal.name!r} ({fractal.level_name}, id {_short(fractal.id)})",
    )


@click.command("fractals")
@json_option
@pass_app
def fractals(app: Any, as_json: bool) -> None:
    """List fractals with goal counts, completion, active session and last activity.

    The fractal commands use by default is marked with *.

    \b
    Example:
      fractal fractals
      fractal fractals --json
    """
    rows = app.store.list_fractals()
    if as_json:
        emit(True, rows, "")
        return
    if not rows:
        click.echo("No fractals yet; create one with: fractal add-fractal NAME")
        return
    current = app.fractal().id if len(rows) > 1 or app.fractal_ref else rows[0].id
    for f in rows:
        mark = "*" if f.id == current else " "
        goals_word = "goal" if f.goal_count == 1 else "goals"
        parts = [
            f"{mark} {f.name}",
            f"{f.goal_count} {goals_word}, {f.completion_pct:.0f}% done",
            f"session: {f.active_session_name}" if f.active_session_id else "no active session",
            f"last activity {local(f.last_activity)}",
            f"id {_short(f.id)}",
        ]
        click.echo("  ".join(parts))


@click.command("rename-fractal")
@click.argument("fractal")
@click.argument("new_name")
@json_option
@pass_app
def rename_fractal(app: Any, fractal: str, new_name: str, as_json: bool) -> None:
    """Rename FRACTAL (its name, id or id prefix) to NEW_NAME.

    \b
    Example:
      fractal rename-fractal Piano "Become a concert pianist"
    """
    old = app.store.resolve_fractal(fractal)
    renamed = app.store.update_goal(old.id, name=new_name)
    emit(as_json, renamed, f"Renamed fractal {old.name!r} to {renamed.name!r}")


# --- goals ---------------------------------------------------------------------------------


@click.command("add-goal")
@click.argument("name")
@click.option(
    "--parent",
    required=True,
    metavar="GOAL",
    help="The parent goal (name, id or id prefix); the fractal's name is its root.",
)
@click.option(
    "--level",
    metavar="LEVEL",
    help="ultimate, long-term, mid-term, short-term, immediate, micro or nano "
    "(default: the next rank below the parent).",
)
@click.option("--deadline", metavar="DATE", help="Deadline as YYYY-MM-DD.")
@click.option("--description", default="", help="What the goal means.")
@json_option
@pass_app
def add_goal(
    app: Any,
    name: str,
    parent: str,
    level: str | None,
    deadline: str | None,
    description: str,
    as_json: bool,
) -> None:
    """Add the goal NAME under a parent goal of the current fractal.

    \b
    Example:
      fractal add-goal "Master the Romantic repertoire" --parent "Become a concert pianist"
      fractal add-goal "Chopin Op. 10 No. 1" --parent "Master the Romantic repertoire" \\
          --level short-term --deadline 2026-06-30
    """
    rank = _level(level)
    when = _deadline(deadline)
    root = app.fractal()
    parent_goal = app.store.resolve_goal(root.id, parent)
    goal = app.store.add_goal(
        parent_goal.id, name, level=rank, deadline=when, description=description
    )
    emit(
        as_json,
        goal,
        f"Added {goal.level_name} goal {goal.name!r} under {parent_goal.name!r} "
        f"(id {_short(goal.id)})",
    )


def _visible(goals: list[Any], show_all: bool) -> list[Any]:
    """Without --all, hide completed goals unless an open goal hangs below them."""
    if show_all:
        return goals
    by_id = {g.id: g for g in goals}
    keep = {g.id for g in goals if not g.done or g.parent_id is None}
    for g in goals:
        if not g.done:
            parent = by_id.get(g.parent_id) if g.parent_id else None
            while parent is not None and parent.id not in keep:
                keep.add(parent.id)
                parent = by_id.get(parent.parent_id) if parent.parent_id else None
    # An open goal under a hidden parent keeps that whole chain, so the tree stays whole.
    return [g for g in goals if g.id in keep]


@click.command("goals")
@click.option("--all", "show_all", is_flag=True, help="Show completed goals too.")
@json_option
@pass_app
def goals(app: Any, show_all: bool, as_json: bool) -> None:
    """Show the current fractal's goal tree, with levels, deadlines and done marks.

    Completed goals are hidden unless --all is given (or an open goal sits below them).

    \b
    Example:
      fractal goals
      fractal goals --all --json
    """
    from fractal_tui.hierarchy import tree_order

    root = app.fractal()
    rows = tree_order(_visible(app.store.goals(root.id), show_all))
    if as_json:
        payload = []
        for row in rows:
            item = jsonable(row.node)
            item["depth"] = row.depth
            payload.append(item)
        emit(True, payload, "")
        return
    today = _today(app)
    for row in rows:
        g = row.node
        parts = [f"{'  ' * row.depth}{'[x]' if g.done else '[ ]'} {g.name}", f"[{g.level_name}]"]
        if g.deadline is not None and not g.done:
            parts.append(_due(g.deadline, today))
        elif g.done:
            parts.append(f"done {local(g.completed_at, '%Y-%m-%d')}")
        parts.append(f"id {_short(g.id)}")
        click.echo("  ".join(parts))


@click.command("edit-goal")
@click.argument("goal")
@click.option("--name", help="A new name.")
@click.option("--description", help="A new description.")
@click.option("--deadline", metavar="DATE|none", help="A new deadline (YYYY-MM-DD), or none.")
@click.option("--level", metavar="LEVEL", help="A new level (name or rank 0-6).")
@click.option("--parent", metavar="GOAL", help="Move the goal (with its subtree) under GOAL.")
@click.option("--before", metavar="SIBLING", help="Place it just before a sibling.")
@click.option("--after", metavar="SIBLING", help="Place it just after a sibling.")
@click.option("--up", "direction", flag_value=-1, type=int, help="Move it up one place.")
@click.option("--down", "direction", flag_value=1, type=int, help="Move it down one place.")
@click.option(
    "--complete-with-children/--no-complete-with-children",
    default=None,
    help="Complete the goal automatically once all its children are complete.",
)
@json_option
@pass_app
def edit_goal(
    app: Any,
    goal: str,
    name: str | None,
    description: str | None,
    deadline: str | None,
    level: str | None,
    parent: str | None,
    before: str | None,
    after: str | None,
    direction: int | None,
    complete_with_children: bool | None,
    as_json: bool,
) -> None:
    """Change, move or reorder GOAL; every change happens together or not at all.

    \b
    Example:
      fractal edit-goal "Chopin Op. 10 No. 1" --deadline 2026-09-30 --level immediate
      fractal edit-goal "Chopin Op. 10 No. 1" --parent "Etudes" --before "Op. 25 No. 1"
      fractal edit-goal Scales --up
      fractal edit-goal Scales --deadline none
    """
    if before is not None and after is not None:
        raise click.UsageError("give at most one of --before and --after")
    if direction and (before is not None or after is not None):
        raise click.UsageError("--up/--down cannot be combined with --before/--after")
    options = (name, description, deadline, level, parent, before, after, direction)
    if all(v is None for v in options) and complete_with_children is None:
        raise click.UsageError("nothing to change; see fractal edit-goal --help")
    changes: dict[str, Any] = {}
    if deadline is not None:
        changes["deadline"] = None if deadline.strip().lower() == "none" else _deadline(deadline)
    rank = _level(level)
    root = app.fractal()
    target = app.store.resolve_goal(root.id, goal)
    if parent is not None:
        changes["parent_id"] = app.store.resolve_goal(root.id, parent).id
    if before is not None:
        changes["before"] = app.store.resolve_goal(root.id, before).id
    if after is not None:
        changes["after"] = app.store.resolve_goal(root.id, after).id
    edited = app.store.edit_goal(
        target.id,
        name=name,
        description=description,
        level=rank,
        offset=direction or 0,
        complete_with_children=complete_with_children,
        **changes,
    )
    emit(as_json, edited, f"Updated goal {edited.name!r} (id {_short(edited.id)})")


@click.command("complete-goal")
@click.argument("goal")
@click.option("--undo", is_flag=True, help="Mark the goal not done again.")
@json_option
@pass_app
def complete_goal(app: Any, goal: str, undo: bool, as_json: bool) -> None:
    """Mark GOAL done (or, with --undo, not done).

    A parent set to complete with its children follows them.

    \b
    Example:
      fractal complete-goal "Chopin Op. 10 No. 1"
      fractal complete-goal "Chopin Op. 10 No. 1" --undo
    """
    root = app.fractal()
    before = app.store.resolve_goal(root.id, goal)
    after = app.store.complete_goal(before.id, undo=undo)
    if before.done == after.done:
        line = f"Goal {after.name!r} was already {'done' if after.done else 'not done'}"
    elif after.done:
        line = f"Completed goal {after.name!r}"
    else:
        line = f"Reopened goal {after.name!r}"
    emit(as_json, after, line)
