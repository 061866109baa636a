"""Reports: `fractal report` (time and counts by day, activity or goal) and `fractal progress`
(one metric of an activity over time).

Days are local calendar days. A bare date given to --to means the whole of that day.
"""

from datetime import date, datetime, time, timedelta
from typing import Any

import click

from fractal_tui.commands._common import emit, json_option, parse_when, pass_app
from fractal_tui.errors import Invalid

__all__ = ["progress", "report"]

DEFAULT_DAYS = 7
_NAME_WIDTH = 28


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return len(text.strip()) == 10


def _range(
    app: Any, start_text: str | None, end_text: str | None, default_days: int | None
) -> tuple[datetime | None, datetime]:
    """--from/--to as UTC bounds; without either, the last ``default_days`` local days."""
    from fractal_tui import analytics

    now = app.store.now()
    start = parse_when(app, start_text)
    end = parse_when(app, end_text) if end_text is not None else now
    if end_text is not None and _is_date(end_text):
        end = analytics.day_start(date.fromisoformat(end_text.strip()) + timedelta(days=1))
    if start_text is None and end_text is None and default_days:
        today = analytics.local_date(now)
        start = analytics.day_start(today - timedelta(days=default_days - 1))
    assert end is not None
    if start is not None and start > end:
        raise Invalid(
            f"--from ({_when(start)}) is after --to ({_when(end)}); give the earlier time first"
        )
    return start, end


def _when(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def _days(start: datetime | None, end: datetime) -> tuple[date | None, date]:
    """The local days a range covers (an end at local midnight closes the day before)."""
    last = end.astimezone()
    last_day = last.date() - timedelta(days=1) if last.time() == time(0) else last.date()
    first = start.astimezone().date() if start is not None else None
    return first, max(last_day, first) if first is not None else last_day


def _describe_range(start: datetime | None, end: datetime) -> str:
    """'2026-01-01 to 2026-01-05', '2026-01-05' or 'the beginning to 2026-01-05'."""
    first, last = _days(start, end)
    if first is None:
        return f"the beginning to {last.isoformat()}"
    if first == last:
        return first.isoformat()
    return f"{first.isoformat()} to {last.isoformat()}"


def _in_range(start: datetime | None, end: datetime) -> str:
    """'on 2026-01-05' or 'from 2026-01-01 to 2026-01-05'."""
    first, last = _days(start, end)
    return f"on {last.isoformat()}" if first == last else f"from {_describe_range(start, end)}"


def _clock(seconds: float) -> str:
    """H:MM:SS, hours always shown so a column of times lines up and reads as a duration."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _cut(text: str, width: int = _NAME_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- report ----------------------------------------------------------------------------------


@click.command("report")
@click.option("--from", "start", metavar="WHEN", help="Start (date, date-time, HH:MM or now).")
@click.option("--to", "end", metavar="WHEN", help="End; a bare date includes that whole day.")
@click.option(
    "--by",
    type=click.Choice(["day", "activity", "goal"], case_sensitive=False),
    default="day",
    show_default=True,
    help="Rows per local day, per activity, or per goal rolled up the tree.",
)
@json_option
@pass_app
def report(app: Any, start: str | None, end: str | None, by: str, as_json: bool) -> None:
    """Practice time and sessions in a range, by day, activity or goal.

    Without --from and --to: the last 7 days, today included. Time is timer time (a
    running timer counts up to now and is marked as running); sessions are those started
    in the range. --by goal rolls each goal's time up from its sub-goals, counting a session
    once, and indents the tree; sessions linked to no goal count toward the fractal itself.

    \b
    Example:
      fractal report
      fractal report --from 2026-01-01 --to 2026-01-31 --by activity
      fractal report --by goal --json
    """
    fractal = app.fractal()
    lo, hi = _range(app, start, end, DEFAULT_DAYS)
    result = app.store.practice_report(fractal.id, start=lo, end=hi, by=by.lower())
    if as_json:
        payload = {
            "root_id": result.root_id,
            "name": result.name,
            "by": result.by,
            "from": result.start,
            "to": result.end,
            "total_seconds": result.total_seconds,
            "sessions": result.sessions,
            "running": result.running,
            "running_activity": result.running_activity,
            "empty": result.empty,
            "rows": _visible_rows(result),
        }
        emit(True, payload, "")
        return
    click.echo(_report_text(result))


def _visible_rows(result: Any) -> list[Any]:
    if result.by != "goal":
        return list(result.rows)
    # Goals with neither time nor sessions in the range would drown the tree; the root stays.
    return [r for r in result.rows if r.depth == 0 or r.seconds or r.sessions]


def _report_text(result: Any) -> str:
    span = _describe_range(result.start, result.end)
    if result.empty:
        return (
            f"No sessions or practice time in {result.name!r} {_in_range(result.start, result.end)}"
            " — start one with: fractal start-session"
        )
    lines = [f"{result.name}: {span}, by {result.by}", ""]
    running = "  running" if result.running else ""
    if result.by == "day":
        lines.append(f"{'Day':<16}{'Sessions':>9}  {'Time':>9}")
        for r in result.rows:
            label = f"{r.day.isoformat()} {r.day.strftime('%a')}"
            mark = "  running" if r.running else ""
            lines.append(f"{label:<16}{r.sessions:>9}  {_clock(r.seconds):>9}{mark}")
        lines.append(
            f"{'Total':<16}{result.sessions:>9}  {_clock(result.total_seconds):>9}{running}"
        )
    elif result.by == "activity":
        w = max([len("Activity")] + [len(_cut(r.name)) for r in result.rows])
        lines.append(f"{'Activity':<{w}}  {'Sessions':>8}  {'Times':>5}  {'Time':>9}")
        for r in result.rows:
            mark = "  running" if r.running else ""
            lines.append(
                f"{_cut(r.name):<{w}}  {r.sessions:>8}  {r.instances:>5}  "
                f"{_clock(r.seconds):>9}{mark}"
            )
        lines.append(
            f"{'Total':<{w}}  {result.sessions:>8}  {'':>5}  {_clock(result.total_seconds):>9}"
            f"{running}"
        )
    else:
        rows = _visible_rows(result)
        labels = ["  " * r.depth + _cut(r.name) for r in rows]
        w = max([len("Goal")] + [len(label) for label in labels])
        lines.append(f"{'Goal':<{w}}  {'Sessions':>8}  {'Time':>9}")
        for r, label in zip(rows, labels, strict=True):
            mark = "  running" if r.running else ""
            lines.append(f"{label:<{w}}  {r.sessions:>8}  {_clock(r.seconds):>9}{mark}")
    if result.running and result.running_activity:
        lines.append("")
        lines.append(f"Includes the running timer of {result.running_activity!r} up to now.")
    return "\n".join(lines)


# --- progress --------------------------------------------------------------------------------


@click.command("progress")
@click.argument("activity")
@click.option(
    "--metric",
    metavar="M",
    help="Metric name (default: the best-set metric, else the first); 'product' for the "
    "product of the multiplicative metrics.",
)
@click.option("--split", metavar="S", help="One split (e.g. Left); default: all splits.")
@click.option("--average", is_flag=True, help="The average of the sets instead of the best set.")
@click.option("--from", "start", metavar="WHEN", help="Only sessions from this time.")
@click.option("--to", "end", metavar="WHEN", help="Only sessions before this time.")
@json_option
@pass_app
def progress(
    app: Any,
    activity: str,
    metric: str | None,
    split: str | None,
    average: bool,
    start: str | None,
    end: str | None,
    as_json: bool,
) -> None:
    """One metric of an ACTIVITY over time: a value per session, personal bests, vs last time.

    Each session gives the value of its best set (by the activity's best-set rule), or with
    --average the average over its sets; skipped sets never count. With splits, each set
    counts its best side unless --split names one. Personal bests (*) and the change since
    the session before look at the whole history.

    \b
    Example:
      fractal progress Squat
      fractal progress Squat --metric product
      fractal progress "Bicep curl" --metric reps --split Left --average --json
    """
    fractal = app.fractal()
    lo, hi = _range(app, start, end, None)
    series = app.store.progress_series(
        fractal.id,
        activity,
        metric=metric,
        split=split,
        mode="average" if average else "best",
        start=lo,
        end=hi,
    )
    if as_json:
        emit(True, series, "")
        return
    click.echo(_progress_text(series))


def _progress_text(series: Any) -> str:
    from fractal_tui.progress import number

    def fmt(value: float) -> str:
        return f"{number(round(value, 3))} {series.unit}".strip()

    what = "best set per session" if series.mode == "best" else "average of sets per session"
    side = f", {series.split_name}" if series.split_name else ""
    head = f"{series.activity_name}: {series.metric_name} ({what}{side})"
    if not series.points:
        return f"{head}\nNo values recorded in this range."
    w = max([len("Session")] + [len(_cut(p.session_name or "-", 24)) for p in series.points])
    lines = [head, "", f"{'Day':<10}  {'Session':<{w}}  {'Value':>12}  {'Sets':>4}"]
    for p in series.points:
        mark = "  * best so far" if p.personal_best else ""
        name = _cut(p.session_name or "-", 24)
        lines.append(f"{p.day.isoformat():<10}  {name:<{w}}  {fmt(p.value):>12}  {p.sets:>4}{mark}")
    lines.append("")
    if series.best is not None:
        lines.append(f"Personal best: {fmt(series.best)}")
    d = series.delta
    if d is not None and d.delta is not None:
        pct = f" ({d.pct:+.1f}%)" if d.pct is not None else ""
        verdict = "same" if d.delta == 0 else ("better" if d.improved else "worse")
        sign = "+" if d.delta > 0 else ""
        lines.append(f"vs last time: {sign}{fmt(d.delta)}{pct}, {verdict}")
    return "\n".join(lines)
