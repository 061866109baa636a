"""CSV exports in the shape spreadsheets and workout apps expect, streamed row by row.

- values: one row per recorded metric value: date, session, activity, set, split, metric,
  unit, value (set is the set's number within its activity, empty without sets).
- sessions: one row per session.

Times are local (the session's day; ISO 8601 with offset for start and end). Deleted rows
are left out: a CSV is for reading, the JSON export is the backup.
"""

import csv
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import IO, Any

VALUE_COLUMNS = ("date", "session", "activity", "set", "split", "metric", "unit", "value")
SESSION_COLUMNS = (
    "date",
    "session",
    "started_at",
    "ended_at",
    "duration_minutes",
    "paused_minutes",
    "completed",
    "activities",
    "goals",
    "template",
    "id",
)


def _local(when: datetime | None, tz: tzinfo | None) -> datetime | None:
    if when is None:
        return None
    return when.astimezone(tz) if tz else when.astimezone()


def _number(value: float | None, digits: int | None = None) -> str:
    if value is None:
        return ""
    if digits is not None:
        value = round(value, digits)
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _session_label(name: str, started: datetime | None) -> str:
    if name:
        return name
    return f"session {started:%Y-%m-%d %H:%M}" if started else "session"


def write_values_csv(
    store: Any, out: IO[str], root_ids: Sequence[str], tz: tzinfo | None = None
) -> int:
    """One row per metric value; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(VALUE_COLUMNS)
    n = 0
    for row in store.export_value_rows(root_ids):
        started = _local(row["session_started_at"], tz)
        writer.writerow(
            (
                started.date().isoformat() if started else "",
                _session_label(row["session_name"], started),
                row["activity"],
                row["set_number"] or "",
                row["split"] or "",
                row["metric"],
                row["unit"],
                _number(row["value"]),
            )
        )
        n += 1
    return n


def write_sessions_csv(
    store: Any, out: IO[str], root_ids: Sequence[str], tz: tzinfo | None = None
) -> int:
    """One row per session; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SESSION_COLUMNS)
    n = 0
    for row in store.export_session_rows(root_ids):
        started = _local(row["started_at"], tz)
        ended = _local(row["ended_at"], tz)
        duration = row["duration_seconds"]
        if duration is None and ended is not None and started is not None:
            duration = (ended - started).total_seconds() - (row["paused_seconds"] or 0)
        writer.writerow(
            (
                started.date().isoformat() if started else "",
                _session_label(row["name"], started),
                started.isoformat(timespec="seconds") if started else "",
                ended.isoformat(timespec="seconds") if ended else "",
                _number(duration / 60 if duration is not None else None, 2),
                _number((row["paused_seconds"] or 0) / 60, 2),
                "yes" if row["completed_at"] is not None else "no",
                row["instances"],
                "; ".join(row["goals"]),
                row["template"],
                row["id"],
            )
        )
        n += 1
    return n
