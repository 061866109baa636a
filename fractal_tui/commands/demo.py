"""`fractal demo`: a demo fractal with realistic history (see ``fractal_tui.demo``)."""

from typing import Any

import click

from fractal_tui.commands._common import emit, json_option, pass_app
from fractal_tui.views import jsonable

__all__ = ["demo"]


@click.command("demo")
@click.option(
    "--scale",
    type=int,
    default=1,
    show_default=True,
    metavar="N",
    help="Multiply the history: N times the sessions (for benchmarks).",
)
@json_option
@pass_app
def demo(app: Any, scale: int, as_json: bool) -> None:
    """Create a demo fractal: a pianist's goals, activities and weeks of practice.

    Everything is made through the same rules as your own data, with times relative to
    now, so the demo always looks recent. Delete it like any fractal when you are done.

    \b
    Example:
      fractal demo
      fractal --db /tmp/bench.db demo --scale 20
      fractal delete fractal "Become a concert pianist" --yes
    """
    from fractal_tui.demo import load_demo

    root = load_demo(app.store, scale=scale)
    store = app.store
    [summary] = [f for f in store.list_fractals() if f.id == root.id]
    activities = len(store.activities(root.id))
    sessions = store.sessions(root.id, limit=1).total
    payload = dict(
        jsonable(root),
        goal_count=summary.goal_count,
        completed_count=summary.completed_count,
        activity_count=activities,
        session_count=sessions,
    )
    emit(
        as_json,
        payload,
        f"Created demo fractal {root.name!r}: {summary.goal_count} goals, {activities} "
        f"activities, {sessions} sessions (id {root.id[:8]})",
    )
