"""Planning from the shell: add-target, add-template, templates.

Goals, activities, sessions and templates resolve within the current fractal by id, id
prefix (4+ characters) or name (case-insensitive). Conditions are ``METRIC OP VALUE`` with OP
one of >=, <=, >, <, == (``=`` means ==), metric names matched case-insensitively against the
activity's metrics: ``weight>=100``, ``reps==10``, ``"time <= 25"``.
"""

from datetime import date
from typing import Any

import click

from fractal_tui.commands._common import emit, json_option, parse_when, pass_app
from fractal_tui.errors import Invalid, NotFound
from fractal_tui.views import jsonable

__all__ = ["add_target", "add_template", "parse_item", "templates"]

KINDS = ("threshold", "sum", "frequency")
ITEM_FORMAT = "SECTION:ACTIVITY[=MINUTES]"


def _short(row_id: str) -> str:
    return row_id[:8]


def _number(value: float) -> str:
    from fractal_tui.targets import number

    return number(value)


def _day(app: Any, text: str | None) -> date | None:
    """--from/--to of a target: a date (or a time, whose local day counts)."""
    when = parse_when(app, text)
    return when.astimezone().date() if when is not None else None


# --- targets ---------------------------------------------------------------------------------


@click.command("add-target")
@click.argument("goal")
@click.argument("activity")
@click.argument("conditions", nargs=-1, metavar="METRIC>=VALUE…")
@click.option(
    "--kind",
    type=click.Choice(KINDS, case_sensitive=False),
    default="threshold",
    show_default=True,
    help="threshold: one set (or the values) meets every condition; sum: totals over the "
    "range; frequency: at least --count sessions.",
)
@click.option(
    "--count",
    type=click.IntRange(max=1_000_000),
    metavar="N",
    help="Sessions needed (frequency targets).",
)
@click.option("--from", "from_text", metavar="DATE", help="Only practice on or after this day.")
@click.option("--to", "to_text", metavar="DATE", help="Only practice up to this day.")
@click.option("--name", default="", help="A name (default: made from the conditions).")
@json_option
@pass_app
def add_target(
    app: Any,
    goal: str,
    activity: str,
    conditions: tuple[str, ...],
    kind: str,
    count: int | None,
    from_text: str | None,
    to_text: str | None,
    name: str,
    as_json: bool,
) -> None:
    """Add a target to GOAL: ACTIVITY with conditions on its metrics.

    When every target of a goal is met, the goal completes. Quote a condition that holds
    spaces or < and > for your shell.

    \b
    Example:
      fractal add-target "Squat 100 kg" Squat "weight>=100"
      fractal add-target "Squat 100 kg" Squat "weight>=100" "reps>=5"
      fractal add-target "Run 100 km" Run "distance>=100" --kind sum --from 2026-01-01
      fractal add-target "Practise daily" Scales --kind frequency --count 20
    """
    from fractal_tui.targets import parse_condition
    from fractal_tui.views import ConditionSpec

    specs = [ConditionSpec(*parse_condition(text)) for text in conditions]
    starts_on, ends_on = _day(app, from_text), _day(app, to_text)
    root = app.fractal()
    store = app.store
    goal_view = store.resolve_goal(root.id, goal)
    activity_view = store.resolve_activity(root.id, activity)
    target = store.add_target(
        goal_view.id,
        activity_view.id,
        specs,
        kind=kind.lower(),
        count=count,
        starts_on=starts_on,
        ends_on=ends_on,
        name=name,
    )
    progress = store.target_progress(target.id)
    state = "already met" if progress.met else progress.summary
    payload = jsonable(target) | {
        "goal_name": goal_view.name,
        "met": progress.met,
        "progress": progress.summary,
    }
    emit(
        as_json,
        payload,
        f"Added target {target.name!r} to {goal_view.name!r} (id {_short(target.id)}): {state}",
    )


# --- templates -------------------------------------------------------------------------------


def parse_item(text: str) -> tuple[str, str, float]:
    """``Warm-up:Scales=10`` -> ("Warm-up", "Scales", 10.0); section and minutes optional."""
    raw = (text or "").strip()
    section, sep, rest = raw.partition(":")
    if not sep:
        section, rest = "", raw
    activity, eq, minutes_text = rest.rpartition("=")
    if not eq:
        activity, minutes_text = rest, "0"
    activity = activity.strip()
    if not activity:
        raise Invalid(f"--item {text!r} names no activity; write {ITEM_FORMAT}")
    try:
        minutes = float(minutes_text.strip())
    except ValueError:
        raise Invalid(
            f"--item {text!r}: {minutes_text.strip()!r} is not a number of minutes; "
            f"write {ITEM_FORMAT}, e.g. Warm-up:Scales=10"
        ) from None
    return section.strip(), activity, minutes


def _session_ref(app: Any, root_id: str, ref: str) -> Any:
    """A session: 'active' (or 'session'), 'last' (the latest started), or id/prefix/name."""
    store = app.store
    word = ref.strip().lower()
    if word in ("active", "session"):
        active = store.active_session(root_id)
        if active is None:
            raise NotFound("there is no active session")
        return active
    if word == "last":
        page = store.sessions(root_id, limit=1)
        if not page.items:
            raise NotFound("there is no session yet")
        return page.items[0]
    return store.resolve_session(root_id, ref)


def _describe(template: Any) -> list[str]:
    head = f"{template.name}  ({_number(template.planned_minutes)} min, id {_short(template.id)})"
    lines = [head]
    if template.description:
        lines.append(f"  {template.description.splitlines()[0]}")
    for section in template.sections:
        items = ", ".join(
            f"{i.activity_name or '(free time)'} {_number(i.planned_minutes)}"
            for i in section.items
        )
        label = section.name or "(no section)"
        lines.append(f"  {label}  {_number(section.planned_minutes)} min: {items}")
    return lines


@click.command("add-template")
@click.argument("name")
@click.option(
    "--from-session",
    "from_session",
    metavar="SESSION",
    help="Copy a session's activities and sections (id, name, 'last' or 'active'); "
    "planned minutes are its times rounded up.",
)
@click.option(
    "--item",
    "items",
    multiple=True,
    metavar=ITEM_FORMAT,
    help="An activity in a section with planned minutes (repeat, in order).",
)
@click.option("--description", default="", help="What the template is for.")
@json_option
@pass_app
def add_template(
    app: Any,
    name: str,
    from_session: str | None,
    items: tuple[str, ...],
    description: str,
    as_json: bool,
) -> None:
    """Create a session template NAME: sections of activities with planned minutes.

    \b
    Example:
      fractal add-template "Daily" --item Warm-up:Scales=10 --item Warm-up:Arpeggios=5 \\
          --item Pieces:Bach=30
      fractal add-template "Like today" --from-session last
      fractal start-session --template Daily
    """
    from fractal_tui.views import TemplateItemSpec, TemplateSection

    if from_session is not None and items:
        raise click.UsageError("give --from-session or --item, not both")
    parsed = [parse_item(text) for text in items]
    root = app.fractal()
    store = app.store
    if from_session is not None:
        session = _session_ref(app, root.id, from_session)
        template = store.template_from_session(session.id, name, description=description)
    else:
        sections: dict[str, tuple[str, list[Any]]] = {}
        for section, activity, minutes in parsed:
            activity_id = store.resolve_activity(root.id, activity).id
            sections.setdefault(section.casefold(), (section, []))[1].append(
                TemplateItemSpec(activity_id, minutes)
            )
        template = store.add_template(
            root.id,
            name,
            description=description,
            sections=[TemplateSection(n, tuple(specs)) for n, specs in sections.values()],
        )
    count = len(template.items)
    emit(
        as_json,
        template,
        f"Added template {template.name!r} ({count} activit{'y' if count == 1 else 'ies'} in "
        f"{len(template.sections)} section{'' if len(template.sections) == 1 else 's'}, "
        f"{_number(template.planned_minutes)} min; id {_short(template.id)})",
    )


@click.command("templates")
@json_option
@pass_app
def templates(app: Any, as_json: bool) -> None:
    """List the fractal's session templates with their sections and planned minutes.

    \b
    Example:
      fractal templates
      fractal templates --json
    """
    rows = app.store.templates(app.fractal().id)
    if as_json:
        emit(True, rows, "")
        return
    if not rows:
        click.echo("No templates yet; create one with: fractal add-template NAME")
        return
    for template in rows:
        click.echo("\n".join(_describe(template)))
