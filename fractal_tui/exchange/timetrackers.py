"""Watson frames and Timewarrior exports as timed activity instances.

Each interval becomes an activity instance (of an activity named after the Watson project or
the first Timewarrior tag, created when the fractal has none of that name) with one timer
interval, in a session per local day ("Watson 2026-01-05"); the remaining tags (and a
Timewarrior annotation) are kept as the instance's note.

Ids are stable, so importing again updates instead of duplicating: a Watson frame keeps its
own id (a UUID); a Timewarrior interval is keyed by its start (its numeric id changes as
intervals are added). Before anything is written, intervals that overlap existing ones (or
each other) are counted as conflicts; without ``skip_conflicts`` any conflict stops the import.
"""

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from fractal_tui.errors import Conflict, Invalid
from fractal_tui.exchange.import_json import parse_json, read_text
from fractal_tui.exchange.report import ImportReport
from fractal_tui.store.exchange import stable_id

UNTAGGED = "Untagged"
_SIMPLE_TAG = re.compile(r"^[^\s\"',;]+$")


@dataclass(frozen=True)
class Interval:
    """One tracked interval, whatever the tracker."""

    key: str  # the instance's id
    start: datetime
    end: datetime | None
    activity: str
    tags: tuple[str, ...]
    annotation: str
    updated_at: datetime
    label: str  # how the source names it, for messages


def format_tags(tags: Sequence[str]) -> str:
    """Tags as one line: plain words bare, anything with spaces, quotes or commas quoted."""
    return ", ".join(t if _SIMPLE_TAG.match(t) else json.dumps(t, ensure_ascii=False) for t in tags)


def note_for(interval: Interval) -> str:
    parts = []
    if interval.tags:
        parts.append("tags: " + format_tags(interval.tags))
    if interval.annotation:
        parts.append(interval.annotation)
    return "\n".join(parts)


def clean_activity_name(name: str) -> str:
    text = " ".join("".join(c if c.isprintable() else " " for c in name or "").split())
    return text[:200] or UNTAGGED


def _clean_text(text: Any) -> str:
    return "".join(c for c in str(text) if c.isprintable() or c in "\n\t").strip()


# --- parsing -------------------------------------------------------------------------------


def _epoch(value: Any, what: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{what} is not a time in epoch seconds: {value!r:.40}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise Invalid(f"{what} is out of range: {value!r:.40}") from None


def _uuid_or_stable(source: str, raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except (ValueError, AttributeError, TypeError):
        return stable_id(source, raw)


def parse_watson(doc: Any, path: str | Path) -> list[Interval]:
    """Watson's frames file: ``[start, stop, project, id, tags, updated_at]`` per frame."""
    if not isinstance(doc, list):
        raise Invalid(f"{path} is not a Watson frames file: expected a JSON list of frames")
    out = []
    for n, frame in enumerate(doc, 1):
        what = f"{path}: frame {n}"
        if not isinstance(frame, list) or len(frame) not in (5, 6):
            raise Invalid(
                f"{what} is not [start, stop, project, id, tags, updated_at]: {frame!r:.80}"
            )
        start = _epoch(frame[0], f"{what}: start")
        stop = _epoch(frame[1], f"{what}: stop")
        project, frame_id, tags = frame[2], frame[3], frame[4]
        if not isinstance(project, str) or not isinstance(frame_id, str) or not frame_id:
            raise Invalid(f"{what}: the project and the id must be text")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise Invalid(f"{what}: tags must be a list of text")
        updated = _epoch(frame[5], f"{what}: updated_at") if len(frame) == 6 else stop
        if stop < start:
            raise Invalid(f"{what} stops before it starts")
        out.append(
            Interval(
                key=_uuid_or_stable("watson", frame_id),
                start=start,
                end=stop,
                activity=clean_activity_name(project),
                tags=tuple(_clean_text(t) for t in tags if _clean_text(t)),
                annotation="",
                updated_at=max(updated, start),
                label=f"frame {frame_id[:8]} ({project})",
            )
        )
    return out


def _tw_time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise Invalid(f"{what} is not a time like 20260101T120000Z: {value!r:.40}")
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{what} is not a time like 20260101T120000Z: {value!r:.40}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_timewarrior(doc: Any, path: str | Path) -> list[Interval]:
    """``timew export``: ``[{"id", "start", "end"?, "tags"?, "annotation"?}, …]``."""
    if not isinstance(doc, list):
        raise Invalid(f"{path} is not a Timewarrior export: expected a JSON list of intervals")
    out = []
    for n, item in enumerate(doc, 1):
        what = f"{path}: interval {n}"
        if not isinstance(item, dict) or "start" not in item:
            raise Invalid(f"{what} is not an object with a start: {item!r:.80}")
        start = _tw_time(item["start"], f"{what}: start")
        end = _tw_time(item["end"], f"{what}: end") if item.get("end") else None
        tags = item.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise Invalid(f"{what}: tags must be a list of text")
        annotation = item.get("annotation") or ""
        if not isinstance(annotation, str):
            raise Invalid(f"{what}: the annotation must be text")
        if end is not None and end < start:
            raise Invalid(f"{what} ends before it starts")
        clean = [_clean_text(t) for t in tags if _clean_text(t)]
        activity = clean_activity_name(clean[0]) if clean else UNTAGGED
        out.append(
            Interval(
                key=stable_id("timewarrior", start.strftime("%Y%m%dT%H%M%SZ")),
                start=start,
                end=end,
                activity=activity,
                tags=tuple(clean[1:]),
                annotation=_clean_text(annotation),
                updated_at=end or start,
                label=f"interval @{item.get('id', n)} ({' '.join(clean) or 'untagged'})",
            )
        )
    return out


# --- translation ---------------------------------------------------------------------------


def _day(when: datetime, tz: tzinfo | None) -> date:
    return (when.astimezone(tz) if tz else when.astimezone()).date()


def translate(
    store: Any,
    intervals: Sequence[Interval],
    root_id: str,
    source: str,
    report: ImportReport,
    *,
    skip_conflicts: bool,
    dry_run: bool = False,
    tz: tzinfo | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Rows for the store; conflicts go into the report (and stop the import unless skipped)."""
    title = "Watson" if source == "watson" else "Timewarrior"
    ordered = sorted(intervals, key=lambda i: (i.start, i.key))
    seen: set[str] = set()
    unique = []
    for item in ordered:
        if item.key in seen:
            report.skip("interval", "the same interval appears twice in the file")
            continue
        seen.add(item.key)
        unique.append(item)
    day_session = {
        item.key: stable_id(source, "session", root_id, _day(item.start, tz).isoformat())
        for item in unique
    }
    # An open interval runs only when no other session of the fractal is unfinished.
    conflicts: dict[str, str] = {}
    open_items = [i for i in unique if i.end is None]
    if open_items:
        active = store.unfinished_session_id(root_id)
        for n, item in enumerate(reversed(open_items)):
            if n > 0:
                conflicts[item.key] = "is still open, and only the latest open one can run"
            elif active is not None and active != day_session[item.key]:
                conflicts[item.key] = (
                    "is still open, but another session is in progress; stop that first"
                )
    interval_ids = {i.key: stable_id(source, "interval", i.key) for i in unique}
    candidates = [(interval_ids[i.key], i.start, i.end) for i in unique if i.key not in conflicts]
    overlaps = store.interval_overlaps(root_id, candidates)
    by_interval = {interval_ids[i.key]: i for i in unique}
    for interval_id, message in overlaps.items():
        conflicts[by_interval[interval_id].key] = message
    clean = [i for i in unique if i.key not in conflicts]
    report.clean = len(clean)
    report.conflicts = [
        f"{i.label} {i.start.astimezone(tz).strftime('%Y-%m-%d %H:%M')} {conflicts[i.key]}"
        for i in unique
        if i.key in conflicts
    ]
    if conflicts and not skip_conflicts and not dry_run:
        first = report.conflicts[0]
        raise Conflict(
            f"{len(clean)} clean, {len(conflicts)} conflicts; nothing imported "
            f"(first: {first}). Use --skip-conflicts to import the clean ones, or "
            "--dry-run to list them all"
        )
    if conflicts:
        report.skip("interval", "it conflicts with another interval", len(conflicts))
    return _rows(store, clean, day_session, interval_ids, root_id, title, tz)


def _rows(
    store: Any,
    items: Sequence[Interval],
    day_session: dict[str, str],
    interval_ids: dict[str, str],
    root_id: str,
    title: str,
    tz: tzinfo | None,
) -> dict[str, list[dict[str, Any]]]:
    names = list(dict.fromkeys(i.activity for i in items))
    existing = store.activity_ids_by_name(root_id, names)
    activities = []
    activity_ids: dict[str, str] = {}  # lower-cased name -> id
    for name in names:
        key = name.lower()
        if key in activity_ids:
            continue
        found = existing.get(key)
        if found is None:
            found = stable_id("activity", root_id, key)
            activities.append({"id": found, "root_id": root_id, "name": name})
        activity_ids[key] = found
    spans = store.session_spans(sorted({day_session[i.key] for i in items}))
    sessions: dict[str, dict[str, Any]] = {}
    instances, intervals = [], []
    for item in items:
        session_id = day_session[item.key]
        session = sessions.get(session_id)
        if session is None:
            day = _day(item.start, tz)
            session = sessions[session_id] = {
                "id": session_id,
                "root_id": root_id,
                "name": f"{title} {day.isoformat()}",
                "started_at": item.start,
                "ended_at": item.end,
                "updated_at": item.updated_at,
                "created_at": item.start,
                "open": item.end is None,
            }
        session["started_at"] = min(session["started_at"], item.start)
        session["created_at"] = min(session["created_at"], item.start)
        session["updated_at"] = max(session["updated_at"], item.updated_at)
        if item.end is None:
            session["open"] = True
        elif session["ended_at"] is None or item.end > session["ended_at"]:
            session["ended_at"] = item.end
        instances.append(
            {
                "id": item.key,
                "session_id": session_id,
                "activity_id": activity_ids[item.activity.lower()],
                "notes": note_for(item),
                "completed_at": item.end,
                "created_at": item.start,
                "updated_at": item.updated_at,
                "deleted_at": None,
            }
        )
        intervals.append(
            {
                "id": interval_ids[item.key],
                "session_id": session_id,
                "instance_id": item.key,
                "started_at": item.start,
                "ended_at": item.end,
                "created_at": item.start,
                "updated_at": item.updated_at,
                "deleted_at": None,
            }
        )
    rows = []
    for session in sessions.values():
        is_open = session.pop("open")
        known = spans.get(session["id"])
        if known is not None:
            session["started_at"] = min(session["started_at"], known[0])
            if session["ended_at"] is not None:
                session["ended_at"] = max(session["ended_at"], known[1])
        if is_open:
            session.update(ended_at=None, completed_at=None, duration_seconds=None)
        else:
            session["completed_at"] = session["ended_at"]
            session["duration_seconds"] = (session["ended_at"] - session["started_at"]) / timedelta(
                seconds=1
            )
        session["paused_seconds"] = 0.0
        session["deleted_at"] = None
        rows.append(session)
    return {
        "activities": activities,
        "sessions": rows,
        "activity_instances": instances,
        "work_intervals": intervals,
    }


def import_tracker(
    store: Any,
    path: str | Path,
    source: str,
    root_id: str,
    *,
    dry_run: bool = False,
    skip_conflicts: bool = False,
    tz: tzinfo | None = None,
) -> ImportReport:
    """Read a Watson frames file or a Timewarrior export and import it into a fractal."""
    doc = parse_json(read_text(path), path)
    parse = parse_watson if source == "watson" else parse_timewarrior
    intervals = parse(doc, path)
    report = ImportReport(source=source, path=str(path))
    report.read["frames" if source == "watson" else "intervals"] = len(intervals)
    tables = translate(
        store,
        intervals,
        root_id,
        source,
        report,
        skip_conflicts=skip_conflicts,
        dry_run=dry_run,
        tz=tz,
    )
    title = "Watson" if source == "watson" else "Timewarrior"
    report.result = store.import_rows(
        tables,
        dry_run=dry_run,
        check_overlaps=True,
        log=f"imported {report.clean} intervals from {title}",
    )
    return report
