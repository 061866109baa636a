"""The practice loop from the shell: start-session, sessions, session, start, pause, resume,
stop, log, end-session, status.

Everything acts on the current fractal's active session (one unfinished at a time). Times
for --at/--from/--to: ISO 8601, HH:MM today, or now (local time when no offset).
"""

from datetime import datetime, timedelta
from typing import Any

import click

from fractal_tui.commands._common import emit, json_option, local, parse_when, pass_app
from fractal_tui.errors import Conflict, Invalid
from fractal_tui.views import jsonable

__all__ = [
    "end_session",
    "log",
    "pause",
    "resume",
    "session",
    "sessions",
    "start",
    "start_session",
    "status",
    "stop",
]

_AT = click.option("--at", "at_text", metavar="TIME", help="When (default now): HH:MM, ISO 8601.")


def _clock(seconds: float) -> str:
    from fractal_tui.timing import clock_text

    return clock_text(seconds)


def _name(session: Any) -> str:
    return repr(session.name) if session.name else "the session"


def _active(app: Any, root_id: str) -> Any:
    current = app.store.active_session(root_id)
    if current is None:
        raise Conflict("there is no active session; start one with `fractal start-session`")
    return current


def _with_name(view: Any, name: str) -> dict[str, Any]:
    data = jsonable(view)
    data.setdefault("name", name)
    return data


def _range_end(app: Any, text: str | None) -> datetime | None:
    """--to: a bare date means up to the end of that day."""
    when = parse_when(app, text)
    if when is not None and text is not None and len(text.strip()) == 10:
        when += timedelta(days=1)
    return when


# --- sessions ----------------------------------------------------------------------------------


@click.command("start-session")
@click.argument("name", required=False, default="")
@click.option("--template", metavar="TEMPLATE", help="Start from a session template.")
@click.option("--goal", "goals", multiple=True, metavar="GOAL", help="A goal it works on (repeat).")
@click.option(
    "--repeat",
    is_flag=True,
    help="Same name, goals and activities as the fractal's last completed session.",
)
@_AT
@json_option
@pass_app
def start_session(
    app: Any,
    name: str,
    template: str | None,
    goals: tuple[str, ...],
    repeat: bool,
    at_text: str | None,
    as_json: bool,
) -> None:
    """Start a practice session (one unfinished session per fractal).

    \b
    Example:
      fractal start-session "Morning practice" --goal "Play Bach" --goal "Prelude bars 1-8"
      fractal start-session --template "Daily practice"
      fractal start-session --repeat --at 07:30
    """
    if repeat and (name or template or goals):
        raise click.UsageError("--repeat copies the last session; give no name, template or goal")
    root = app.fractal()
    store = app.store
    goal_ids = [store.resolve_goal(root.id, g).id for g in goals]
    at = parse_when(app, at_text)
    if repeat:
        started = store.repeat_last_session(root.id, at=at)
    elif template:
        chosen = store.resolve_template(root.id, template)
        started = store.start_session_from_template(
            root.id, chosen.id, name=name, goal_ids=goal_ids, at=at
        )
    else:
        started = store.start_session(root.id, name=name, goal_ids=goal_ids, at=at)
    goals_text = f"; working on {', '.join(started.goal_names)}" if started.goal_names else ""
    emit(
        as_json,
        started,
        f"Started {_name(started)} at {local(started.started_at, '%H:%M')} "
        f"(id {started.id[:8]}){goals_text}",
    )


@click.command("sessions")
@click.option("--from", "from_text", metavar="TIME", help="Started at or after (date or time).")
@click.option("--to", "to_text", metavar="TIME", help="Started before (a date: up to its end).")
@click.option("--activity", metavar="ACTIVITY", help="Only sessions with this activity.")
@click.option("--goal", metavar="GOAL", help="Only sessions linked to this goal.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_app
def sessions(
    app: Any,
    from_text: str | None,
    to_text: str | None,
    activity: str | None,
    goal: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List sessions, newest first.

    \b
    Example:
      fractal sessions --from 2026-01-01 --to 2026-01-31
      fractal sessions --activity Scales --goal "Play Bach" --json
    """
    root = app.fractal()
    store = app.store
    page = store.sessions(
        root.id,
        start=parse_when(app, from_text),
        end=_range_end(app, to_text),
        activity_id=store.resolve_activity_id(root.id, activity) if activity else None,
        goal_id=store.resolve_goal(root.id, goal).id if goal else None,
        limit=limit,
    )
    if as_json:
        emit(True, list(page.items), "")
        return
    if not page.items:
        click.echo("No sessions.")
        return
    now = store.now()
    from fractal_tui.timing import session_seconds

    for x in page.items:
        seconds = session_seconds(x, now)
        mark = "✓" if x.done else ("⏸" if x.paused else "▶")
        words = "activity" if x.instance_count == 1 else "activities"
        goals = f"  goals: {', '.join(x.goal_names)}" if x.goal_names else ""
        click.echo(
            f"{mark} {local(x.started_at)}  {x.name or '(unnamed)'}  {_clock(seconds)}  "
            f"{x.instance_count} {words}  id {x.id[:8]}{goals}"
        )
    if page.total > len(page.items):
        click.echo(f"({len(page.items)} of {page.total}; use --limit or --from/--to for more)")


@click.command("session")
@click.argument("ref", metavar="[SESSION]", required=False)
@json_option
@pass_app
def session(app: Any, ref: str | None, as_json: bool) -> None:
    """Show a session (default: the active one): instances, timers, sets and values.

    \b
    Example:
      fractal session
      fractal session 3f2a9c1d --json
    """
    root = app.fractal()
    store = app.store
    chosen = store.resolve_session(root.id, ref) if ref else _active(app, root.id)
    detail = store.session_detail(chosen.id, usage=as_json)  # the JSON shows usage figures
    emit(as_json, detail, lambda: _describe_detail(detail, store.now()))


def _describe_detail(detail: Any, now: datetime) -> str:
    from fractal_tui import progress, timing

    x = detail.session
    seconds = _clock(timing.session_seconds(x, now))
    if x.done:
        state = f"ended {local(x.ended_at)} · {seconds}"
    else:
        state = f"{seconds} elapsed" + (" · paused" if x.paused else "")
    lines = [f"{x.name or 'Session'} (id {x.id[:8]}) · started {local(x.started_at)} · {state}"]
    if detail.goals:
        lines.append("Goals: " + ", ".join(g.name for g in detail.goals))
    if not detail.instances:
        lines.append("  (no activities yet; add one with `fractal start ACTIVITY`)")
    for n, inst in enumerate(detail.instances, start=1):
        mark = "▶" if inst.running else ("✓" if inst.completed_at else "·")
        seconds = timing.elapsed(inst.intervals, now)
        lines.append(f"{n:>2}. {mark} {inst.activity_name}  {_clock(seconds)}")
        activity = detail.activity(inst.activity_id)
        if activity is None:
            continue
        splits = {sp.id: sp.name for sp in activity.splits}
        for fig in progress.instance_figures(activity, inst).figures:
            text = progress.describe_set(fig, activity.metrics, splits)
            if activity.has_sets:
                lines.append(f"      set {fig.number} ({fig.status}): {text or '-'}")
            elif text:
                lines.append(f"      {text}")
        lines += [f"      note: {n.text}" for n in detail.notes if n.instance_id == inst.id]
    return "\n".join(lines)


# --- timers ------------------------------------------------------------------------------------


@click.command("start")
@click.argument("activity")
@click.option("--switch", is_flag=True, help="Stop the running timer and start this one.")
@_AT
@json_option
@pass_app
def start(app: Any, activity: str, switch: bool, at_text: str | None, as_json: bool) -> None:
    """Start ACTIVITY's timer in the active session (adding it there if needed).

    Another running timer is an error unless --switch.

    \b
    Example:
      fractal start "C major scales"
      fractal start Bach --switch --at 14:15
    """
    root = app.fractal()
    store = app.store
    activity_id = store.resolve_activity_id(root.id, activity)
    inst = store.start_activity(root.id, activity_id, switch=switch, at=parse_when(app, at_text))
    since = inst.intervals[-1].started_at
    emit(
        as_json,
        _with_name(inst, inst.activity_name),
        f"▶ {inst.activity_name} started at {local(since, '%H:%M')}",
    )


@click.command("pause")
@_AT
@json_option
@pass_app
def pause(app: Any, at_text: str | None, as_json: bool) -> None:
    """Pause the active session; its running timer stops until `fractal resume`.

    \b
    Example:
      fractal pause
    """
    root = app.fractal()
    store = app.store
    paused = store.pause_session(_active(app, root.id).id, at=parse_when(app, at_text))
    emit(as_json, paused, f"⏸ Paused {_name(paused)} at {local(paused.paused_at, '%H:%M')}")


@click.command("resume")
@_AT
@json_option
@pass_app
def resume(app: Any, at_text: str | None, as_json: bool) -> None:
    """Resume the paused session; the timer the pause stopped runs again.

    \b
    Example:
      fractal resume
    """
    root = app.fractal()
    store = app.store
    resumed = store.resume_session(_active(app, root.id).id, at=parse_when(app, at_text))
    now = store.status(root.id)
    running = f"; ▶ {now.activity_name}" if now.running else ""
    emit(as_json, resumed, f"Resumed {_name(resumed)}{running}")


@click.command("stop")
@click.argument("activity", required=False)
@_AT
@json_option
@pass_app
def stop(app: Any, activity: str | None, at_text: str | None, as_json: bool) -> None:
    """Complete the running activity (or the named one) in the active session.

    \b
    Example:
      fractal stop
      fractal stop Scales --at 14:40
    """
    root = app.fractal()
    store = app.store
    activity_id = store.resolve_activity_id(root.id, activity) if activity else None
    inst = store.stop(root.id, activity_id, at=parse_when(app, at_text))
    from fractal_tui.timing import elapsed

    seconds = elapsed(inst.intervals, inst.completed_at)
    emit(
        as_json,
        _with_name(inst, inst.activity_name),
        f"✓ {inst.activity_name} completed after {_clock(seconds)}",
    )


def _parse_values(pairs: tuple[str, ...]) -> dict[str, float | None]:
    values: dict[str, float | None] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not METRIC=VALUE", param_hint="METRIC=VALUE")
        raw = raw.strip()
        if not raw:
            values[name.strip()] = None  # blank clears the value
            continue
        try:
            values[name.strip()] = float(raw)
        except ValueError:
            raise Invalid(f"{name.strip()}: {raw!r} is not a number") from None
    return values


@click.command("log")
@click.argument("activity")
@click.argument("values", nargs=-1, required=True, metavar="METRIC=VALUE...")
@click.option("--set", "set_index", type=click.IntRange(min=1), help="Fill set N (1-based).")
@click.option("--new-set", is_flag=True, help="Add a new set (the default for set activities).")
@click.option("--split", metavar="NAME", help="The side, for activities with splits (Left…).")
@click.option("--note", metavar="TEXT", help="A note on the set (or the activity).")
@_AT
@json_option
@pass_app
def log(
    app: Any,
    activity: str,
    values: tuple[str, ...],
    set_index: int | None,
    new_set: bool,
    split: str | None,
    note: str | None,
    at_text: str | None,
    as_json: bool,
) -> None:
    """Record metric values for ACTIVITY in the active session (adding it if needed).

    For activities with sets, each call adds a completed set unless --set N names one;
    with --split, the first side fills a new set and the other side the same set.
    A blank value (reps=) clears it.

    \b
    Example:
      fractal log "Back squat" weight=100 reps=5
      fractal log Curl weight=12 reps=10 --split Left
      fractal log Curl weight=12 reps=8 --split Right
      fractal log Scales bpm=96 --note "clean at 96"
    """
    if set_index is not None and new_set:
        raise click.UsageError("give --set N or --new-set, not both")
    parsed = _parse_values(values)
    root = app.fractal()
    result = app.store.log(
        root.id,
        activity,
        parsed,
        set_index=set_index,
        new_set=new_set,
        split=split,
        note=note,
        at=parse_when(app, at_text),
        instance_detail=as_json,  # the human line needs only the instance's name
    )
    inst = result.instance
    if as_json:
        payload = jsonable(result)
        payload |= {"id": inst.id, "name": inst.activity_name, "root_id": inst.root_id}
        payload |= {"created_at": payload["instance"]["created_at"]}
        payload |= {"updated_at": payload["instance"]["updated_at"]}
        emit(True, payload, "")
        return
    where = f" set {result.set_number}" if result.set_number else ""
    side = f" ({split})" if split else ""
    shown = ", ".join(f"{k}={v:g}" if v is not None else f"{k} cleared" for k, v in parsed.items())
    added = " (added to the session)" if result.added_instance else ""
    emit(False, None, f"Logged {inst.activity_name}{where}{side}: {shown}{added}")


@click.command("end-session")
@_AT
@json_option
@pass_app
def end_session(app: Any, at_text: str | None, as_json: bool) -> None:
    """Complete the active session: its running activity completes too. Prints a summary.

    \b
    Example:
      fractal end-session
      fractal end-session --at 10:30
    """
    root = app.fractal()
    store = app.store
    summary = store.end_session(_active(app, root.id).id, at=parse_when(app, at_text))
    payload = jsonable(summary)
    payload |= {k: payload["session"][k] for k in ("id", "name", "root_id")}
    payload |= {k: payload["session"][k] for k in ("created_at", "updated_at")}
    emit(as_json, payload, lambda: describe_summary(summary))


def describe_summary(summary: Any) -> str:
    """Lines for an ended session: duration, activities, sets, bests, goals."""
    x = summary.session
    done = summary.activities_done
    lines = [
        f"Ended {_name(x)} after {_clock(summary.duration_seconds)} · "
        f"{done} {'activity' if done == 1 else 'activities'} done · "
        f"{summary.set_count} {'set' if summary.set_count == 1 else 'sets'}"
    ]
    for item in summary.instances:
        mark = "✓" if item.completed else "·"
        best = f"  best {item.best}" if item.best else ""
        lines.append(f"  {mark} {item.activity_name}  {_clock(item.seconds)}{best}")
    if summary.goal_names:
        lines.append("Worked on: " + ", ".join(summary.goal_names))
    return "\n".join(lines)


@click.command("status")
@json_option
@pass_app
def status(app: Any, as_json: bool) -> None:
    """The active session, the running timer and its elapsed time (fast; for prompts).

    \b
    Example:
      fractal status
      fractal status --json
    """
    root = app.fractal()
    now = app.store.status(root.id)
    emit(as_json, now, lambda: describe_status(now))


def describe_status(now: Any) -> str:
    if now.session is None:
        return "No active session"
    session_part = f"{_name(now.session)} {_clock(now.session_elapsed_seconds)}"
    if now.session.paused:
        timer = f" ({now.activity_name} {_clock(now.elapsed_seconds)})" if now.activity_name else ""
        return f"⏸ {session_part} paused{timer}"
    if now.running:
        return f"▶ {now.activity_name} {_clock(now.elapsed_seconds)} · {session_part}"
    return f"· {session_part} (no timer running)"
