"""Import from Fractal Goals, the Flask + SQLAlchemy web app Fractal reimagines (``goals.db``).

Three schemas are accepted, told apart by table and column names (never declared types):

- newer: a ``sessions`` table, ``session_goals(session_id, goal_id, …)``,
  ``activity_instances.session_id``;
- older: sessions are ``goals`` rows with ``type = 'PracticeSession'``, linked to goals through
  ``practice_session_goals(practice_session_id, short_term_goal_id)``, immediate goals hang
  under a session;
- oldest: ``practice_sessions``, before ``root_id`` (and deleted_at, updated_at, sort_order,
  has_splits, is_multiplicative, …) existed; a missing column takes its default or is derived.

Each upstream root goal becomes a fractal. Its data is messy and the translation copes, saying
so in the report: root_id derived by walking parents (or from links, or from usage); sessions
whose parent is missing placed by their links; naive times read as local, except instance
timers (UTC); string values parsed, blanks skipped; targets JSON turned into targets and
conditions; template JSON in three shapes; rows that refer to deleted definitions kept (or
deleted with them, as our soft delete would). Activities from before root_id were shared by
every fractal: each fractal that uses one gets its own copy (the first keeps the upstream id).

Ids: upstream UUIDs are kept; anything else gets a stable UUID (uuid5), so importing the same
file again changes nothing.
"""

import json
import math
import sqlite3
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from fractal_tui.errors import Invalid
from fractal_tui.exchange.report import ImportReport
from fractal_tui.store.exchange import stable_id

SQLITE_MAGIC = b"SQLite format 3\x00"
SESSION_TYPE = "PracticeSession"
LEVELS = {
    "UltimateGoal": 0,
    "LongTermGoal": 1,
    "MidTermGoal": 2,
    "ShortTermGoal": 3,
    "ImmediateGoal": 4,
    "MicroGoal": 5,
    "NanoGoal": 6,
}
MAX_LEVEL = 6
NS = "fractal-goals"


# --- reading the file ----------------------------------------------------------------------


class Source:
    """An upstream database opened read-only; tables and columns known by name."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with self.path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
        except OSError as exc:
            raise Invalid(f"cannot read {path}: {exc.strerror or exc}") from None
        if head != SQLITE_MAGIC:
            raise Invalid(f"{path} is not an SQLite database (a Fractal Goals goals.db is)")
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            self.conn = sqlite3.connect(uri, uri=True)
            names = [
                r[0]
                for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            self.columns = {
                name: [r[1] for r in self.conn.execute(f'PRAGMA table_info("{name}")')]
                for name in names
            }
        except sqlite3.Error as exc:
            raise Invalid(f"{path} cannot be read as an SQLite database ({exc})") from None

    def has(self, table: str, column: str | None = None) -> bool:
        cols = self.columns.get(table)
        return cols is not None and (column is None or column in cols)

    def rows(self, table: str) -> list[dict[str, Any]]:
        if table not in self.columns:
            return []
        try:
            cursor = self.conn.execute(f'SELECT * FROM "{table}"')
        except sqlite3.Error as exc:
            raise Invalid(f"{self.path}: table {table} cannot be read ({exc})") from None
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def close(self) -> None:
        self.conn.close()


def detect_schema(src: Source) -> str:
    if not src.has("goals"):
        raise Invalid(
            f"{src.path} is an SQLite database but not a Fractal Goals one (it has no goals table)"
        )
    missing = [c for c in ("id", "type", "name", "parent_id") if not src.has("goals", c)]
    if missing:
        raise Invalid(f"{src.path}: its goals table has no {', '.join(missing)} column")
    if src.has("sessions") and (
        src.has("activity_instances", "session_id") or not src.has("activity_instances")
    ):
        return "newer"
    if src.has("practice_sessions"):
        return "oldest"
    return "older"


# --- value helpers -------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _flag(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return str(value).strip().lower() in ("1", "true", "t", "yes", "y", "on")


def _number(value: Any) -> float | None | str:
    """A float, None for a blank, or the string "bad" for anything else."""
    if value is None or isinstance(value, bool):
        return None if value is None else "bad"
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return "bad"
    return number if math.isfinite(number) else "bad"


def _json(value: Any) -> Any:
    """Parsed JSON (twice when a string holds encoded JSON); raises ValueError."""
    if value is None or isinstance(value, dict | list):
        return value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise ValueError(f"not JSON text: {value!r:.40}")
    parsed = json.loads(value)
    if isinstance(parsed, str):
        parsed = json.loads(parsed)
    return parsed


def _clean(value: Any, limit: int) -> str:
    text = " ".join("".join(c if c.isprintable() else " " for c in _text(value)).split())
    return text[:limit]


def _uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


class _Times:
    def __init__(self, tz: tzinfo | None, report: ImportReport) -> None:
        self.tz = tz
        self.report = report

    def parse(self, value: Any, *, utc: bool, what: str) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError):
                self.report.fix(f"unreadable {what} left empty")
                return None
        text = _text(value).strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.report.fix(f"unreadable {what} left empty")
            return None
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        if utc:
            return parsed.replace(tzinfo=UTC)
        local = parsed.replace(tzinfo=self.tz) if self.tz else parsed.astimezone()
        return local.astimezone(UTC)

    def local(self, value: Any, what: str = "time") -> datetime | None:
        return self.parse(value, utc=False, what=what)

    def utc(self, value: Any, what: str = "timer time") -> datetime | None:
        return self.parse(value, utc=True, what=what)

    def day(self, value: Any) -> date | None:
        if value is None or value == "":
            return None
        text = _text(value).strip()
        try:
            return datetime.fromisoformat(text[:10]).date()
        except ValueError:
            self.report.fix("unreadable deadline left empty")
            return None


# --- the translation -----------------------------------------------------------------------


class Translation:
    """Upstream rows -> rows of our tables (see the module docstring)."""

    def __init__(
        self, src: Source, report: ImportReport, tz: tzinfo | None, store: Any = None
    ) -> None:
        self.src = src
        self.report = report
        self.store = store
        self.t = _Times(tz, report)
        self.schema = detect_schema(src)
        report.schema = self.schema
        mtime = datetime.fromtimestamp(src.path.stat().st_mtime, UTC).replace(microsecond=0)
        self.fallback_time = mtime
        self.out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.events: list[dict[str, Any]] = []
        self.totals: dict[str, int] = {}  # rows read per upstream table

    # -- ids and bookkeeping ----------------------------------------------------------

    def keep(self, table: str, upstream: Any) -> str:
        return _uuid(upstream) or stable_id(NS, table, upstream)

    def copy_id(self, table: str, upstream: str, root: str, home: str) -> str:
        if root == home:
            return self.keep(table, upstream)
        return stable_id(NS, table, upstream, "in", root)

    def audit(self, row: dict[str, Any], raw: dict[str, Any]) -> None:
        created = self.t.local(raw.get("created_at"), "created time")
        updated = self.t.local(raw.get("updated_at"), "updated time")
        if created is not None:
            row["created_at"] = created
        if updated is not None or created is not None:
            row["updated_at"] = updated or created

    def deleted(
        self, row: dict[str, Any], raw: dict[str, Any], model: str, root: str, label: str
    ) -> None:
        """Carry an upstream soft delete over, as its own batch with a log entry."""
        when = self.t.local(raw.get("deleted_at"), "deletion time")
        if when is None and "is_active" in raw and not _flag(raw.get("is_active"), True):
            when = self.t.local(raw.get("updated_at")) or self.t.local(raw.get("created_at"))
            when = when or self.fallback_time
        if when is None:
            row["deleted_at"] = None
            return
        batch = stable_id(NS, "delete", row["id"])
        row["deleted_at"], row["delete_batch"] = when, batch
        self.events.append(
            {
                "id": stable_id(NS, "event", batch),
                "root_id": root,
                "created_at": when,
                "kind": "deleted",
                "entity_type": model,
                "entity_id": row["id"],
                "message": f"deleted {label} (in Fractal Goals)",
                "batch": batch,
            }
        )

    def name(self, value: Any, limit: int, what: str) -> str:
        raw = _text(value)
        cleaned = _clean(raw, limit)
        if cleaned != raw.strip():
            self.report.fix(f"{what} name cleaned of control characters or cut short")
        if not cleaned:
            self.report.fix(f"{what} without a name named '(unnamed)'")
            return "(unnamed)"
        return cleaned

    def rows(self, table: str, what: str) -> list[dict[str, Any]]:
        """The rows of an upstream table that have an id (the others are reported)."""
        out = []
        raws = self.src.rows(table)
        self.totals[table] = len(raws)
        for raw in raws:
            if not _text(raw.get("id")).strip():
                self.report.skip(what, "it has no id")
                continue
            out.append(raw)
        return out

    # -- run ----------------------------------------------------------------------------

    def run(self) -> dict[str, list[dict[str, Any]]]:
        self.read_goals()
        self.read_sessions()  # and where each goal goes
        self.read_definitions()
        self.read_templates()
        self.read_instances()  # and where each session goes
        self.count_target_usage()
        self.place_templates()
        self.place_definitions()
        self.emit_goals()
        self.emit_definitions()
        self.emit_templates()
        self.emit_sessions()
        self.emit_session_goals()
        self.emit_instances()
        self.emit_targets()
        self.out["events"].extend(self.events)
        return dict(self.out)

    # -- goals ----------------------------------------------------------------------------

    def read_goals(self) -> None:
        rows = self.rows("goals", "goal")
        self.report.read["goals"] = self.totals["goals"]
        self.goal_raw: dict[str, dict[str, Any]] = {}
        self.session_goal_rows: list[dict[str, Any]] = []
        for raw in rows:
            kind = _text(raw.get("type"))
            if kind == SESSION_TYPE:
                self.session_goal_rows.append(raw)
            elif kind not in LEVELS:
                self.report.skip("goal", f"unknown goal type {kind!r}")
            else:
                self.goal_raw[_text(raw["id"])] = raw

    def plan_goals(self, session_parent: dict[str, str | None]) -> None:
        """Parents, roots and levels of the goals that can be kept."""
        parent: dict[str, str | None] = {}
        self.goal_links: list[tuple[str, str]] = []  # (upstream session, upstream goal)
        for gid, raw in self.goal_raw.items():
            up = raw.get("parent_id")
            up = None if up is None or up == "" else _text(up)
            declared = _text(raw.get("root_id")) or None
            if up is None or up in self.goal_raw:
                parent[gid] = up
            elif up in session_parent:
                # an immediate goal under a session: under the session's goal instead
                target = session_parent[up]
                if target is None:
                    self.report.skip("goal", "it hangs under a session that has no goal")
                    continue
                parent[gid] = target
                self.goal_links.append((up, gid))
                self.report.fix("goal under a session moved under the session's goal")
            elif declared and declared in self.goal_raw and declared != gid:
                parent[gid] = declared
                self.report.fix("goal whose parent is missing put under its fractal's root")
            else:
                self.report.skip("goal", "its parent goal is missing")
        ordered = sorted(
            parent,
            key=lambda g: (
                _int(self.goal_raw[g].get("sort_order")),
                _text(self.goal_raw[g].get("created_at")),
                g,
            ),
        )
        self.goal_order: list[str] = []
        self.goal_level: dict[str, int] = {}
        self.goal_root: dict[str, str] = {}
        children: dict[str | None, list[str]] = defaultdict(list)
        for gid in ordered:
            children[parent[gid]].append(gid)
        # depth first from the roots, siblings in upstream order; what no root reaches is
        # caught in a loop of parents
        stack = list(reversed(children[None]))
        reached: set[str] = set()
        while stack:
            gid = stack.pop()
            reached.add(gid)
            self._place_goal(gid, parent[gid])
            stack.extend(reversed(children[gid]))
        for gid in ordered:
            if gid not in reached:
                self.report.skip("goal", "its parents form a loop")
        self.goal_parent = parent

    def _place_goal(self, gid: str, up: str | None) -> None:
        level = LEVELS[_text(self.goal_raw[gid].get("type"))]
        if up is not None:
            if up not in self.goal_level:
                self.report.skip("goal", "its parent goal was skipped")
                return
            above = self.goal_level[up]
            if level <= above:
                if above >= MAX_LEVEL:
                    self.report.skip("goal", "it sits under a nano goal, which has no children")
                    return
                level = above + 1
                self.report.fix("goal level moved below its parent's")
            self.goal_root[gid] = self.goal_root[up]
        else:
            self.goal_root[gid] = gid
        self.goal_level[gid] = level
        self.goal_order.append(gid)

    def emit_goals(self) -> None:
        for gid in self.goal_order:
            raw = self.goal_raw[gid]
            up = self.goal_parent[gid]
            row: dict[str, Any] = {
                "id": self.keep("goals", gid),
                "parent_id": self.keep("goals", up) if up is not None else None,
                "level": self.goal_level[gid],
                "name": self.name(raw.get("name"), 500, "goal"),
                "description": _text(raw.get("description")),
                "deadline": self.t.day(raw.get("deadline")),
            }
            self.audit(row, raw)
            done_at = self.t.local(raw.get("completed_at"), "completion time")
            done = _flag(raw.get("completed")) if "completed" in raw else done_at is not None
            if done:
                row["completed_at"] = (
                    done_at
                    or row.get("updated_at")
                    or row.get("created_at")
                    or self._fallback("goal")
                )
                row["completed_by"] = "manual"
            else:
                row["completed_at"], row["completed_by"] = None, None
            root = self.keep("goals", self.goal_root[gid])
            self.deleted(row, raw, "Goal", root, f"goal {row['name']!r}")
            self.out["goals"].append(row)

    def _fallback(self, what: str) -> datetime:
        self.report.fix(f"{what} without a time dated by the file")
        return self.fallback_time

    # -- sessions ---------------------------------------------------------------------------

    def read_sessions(self) -> None:
        """Sessions and their goal links, whatever the schema."""
        if self.schema == "newer":
            raws = self.rows("sessions", "session")
            self.report.read["sessions"] = self.totals["sessions"]
            links = [
                (_text(r.get("session_id")), _text(r.get("goal_id")))
                for r in self.src.rows("session_goals")
            ]
            self.report.read["session goal links"] = len(links)
        else:
            if self.schema == "oldest":
                raws = self.rows("practice_sessions", "session")
                self.report.read["sessions"] = self.totals["practice_sessions"]
            else:
                raws = self.session_goal_rows
                self.report.read["sessions (goals rows)"] = len(raws)
            links = [
                (_text(r.get("practice_session_id")), _text(r.get("short_term_goal_id")))
                for r in self.src.rows("practice_session_goals")
            ]
            self.report.read["session goal links"] = len(links)
        self.session_raw = {_text(r["id"]): r for r in raws}
        self.raw_links = links
        session_parent: dict[str, str | None] = {}
        for sid, raw in self.session_raw.items():
            up = _text(raw.get("parent_id")) or None
            session_parent[sid] = up if up in self.goal_raw else None
        self.session_parent = session_parent
        self.plan_goals(session_parent)

    def place_sessions(self) -> None:
        """Each session's fractal, times and completion; one unfinished per fractal."""
        linked: dict[str, list[str]] = defaultdict(list)
        for sid, gid in self.raw_links + self.goal_links:
            if gid in self.goal_root:
                linked[sid].append(self.goal_root[gid])
        roots = sorted({r for r in self.goal_root.values()})
        self.session_root: dict[str, str] = {}
        self.session_times: dict[str, tuple[datetime, datetime | None, datetime | None]] = {}
        for sid, raw in self.session_raw.items():
            root = self._session_root(sid, raw, linked[sid], roots)
            if root is None:
                continue
            self.session_root[sid] = root
            self.session_times[sid] = self._session_times(sid, raw)
        # one unfinished session per fractal: the latest stays open, the others are closed
        open_by_root: dict[str, list[str]] = defaultdict(list)
        for sid, (_start, _end, done) in self.session_times.items():
            raw = self.session_raw[sid]
            if done is None and self.t.local(raw.get("deleted_at")) is None:
                open_by_root[self.session_root[sid]].append(sid)
        for root, sids in open_by_root.items():
            sids.sort(key=lambda s: (self.session_times[s][0], s))
            keep_open = sids[-1]
            if self.store is not None:
                active = self.store.unfinished_session_id(self.keep("goals", root))
                if active is not None and active != self.keep("sessions", keep_open):
                    keep_open = None
            for sid in sids:
                if sid == keep_open:
                    continue
                start, _end, _ = self.session_times[sid]
                last = max(
                    [start, *(stop for stop in self.instance_stops.get(sid, []) if stop)],
                )
                self.session_times[sid] = (start, last, last)
                self.report.fix("unfinished session closed (one may stay open per fractal)")

    def _session_root(
        self, sid: str, raw: dict[str, Any], linked: list[str], roots: list[str]
    ) -> str | None:
        declared = _text(raw.get("root_id")) or None
        if declared in roots:
            return declared
        parent = self.session_parent.get(sid)
        if parent in self.goal_root:
            self.report.fix("session's fractal derived from its parent goal")
            return self.goal_root[parent]
        if linked:
            self.report.fix("session without a fractal placed by its goals")
            return Counter(linked).most_common(1)[0][0]
        used = [
            r
            for aid in self.instance_activities.get(sid, [])
            for r in [self.activity_declared.get(aid)]
            if r in roots
        ]
        if used:
            self.report.fix("session without a fractal placed by its activities")
            return Counter(used).most_common(1)[0][0]
        if len(roots) == 1:
            self.report.fix("session without a fractal placed in the only fractal")
            return roots[0]
        self.report.skip("session", "it belongs to no fractal that can be found")
        return None

    def _session_times(
        self, sid: str, raw: dict[str, Any]
    ) -> tuple[datetime, datetime | None, datetime | None]:
        starts = [s for s in self.instance_starts.get(sid, []) if s]
        stops = [s for s in self.instance_stops.get(sid, []) if s]
        start = (
            self.t.local(raw.get("session_start"), "session start")
            or self.t.local(raw.get("created_at"), "created time")
            or (min(starts) if starts else None)
        )
        if start is None:
            start = self._fallback("session")
        end = self.t.local(raw.get("session_end"), "session end")
        seconds = _number(raw.get("total_duration_seconds"))
        minutes = _number(raw.get("duration_minutes"))
        if end is None and isinstance(seconds, float) and seconds > 0:
            end = start + timedelta(seconds=seconds)
        elif end is None and isinstance(minutes, float) and minutes > 0:
            end = start + timedelta(minutes=minutes)
        completed_at = self.t.local(raw.get("completed_at"), "completion time")
        done = _flag(raw.get("completed")) if "completed" in raw else end is not None
        done = done or completed_at is not None or end is not None
        if done and end is None:
            end = completed_at or (max(stops) if stops else start)
        if end is not None and end < start:
            self.report.fix("session ending before it starts made to end at its start")
            end = start
        if not done:
            return start, None, None
        finished = completed_at if completed_at is not None and completed_at >= start else end
        return start, end, finished

    def emit_sessions(self) -> None:
        order = sorted(self.session_root, key=lambda s: (self.session_times[s][0], s))
        for sid in order:
            raw = self.session_raw[sid]
            root = self.session_root[sid]
            start, end, done = self.session_times[sid]
            template = _text(raw.get("template_id")) or None
            template_id = None
            if template is not None:
                if self.template_root.get(template) == root:
                    template_id = self.keep("session_templates", template)
                else:
                    self.report.fix("session's template missing (or in another fractal) dropped")
            row: dict[str, Any] = {
                "id": self.keep("sessions", sid),
                "root_id": self.keep("goals", root),
                "name": self.name(raw.get("name"), 200, "session")
                if _text(raw.get("name")).strip()
                else "",
                "template_id": template_id,
                "started_at": start,
                "ended_at": end,
                "completed_at": done,
                "duration_seconds": (end - start).total_seconds() if end else None,
                "paused_seconds": 0.0,
            }
            self.audit(row, raw)
            self.deleted(row, raw, "PracticeSession", row["root_id"], f"session {row['name']!r}")
            self.out["sessions"].append(row)

    def emit_session_goals(self) -> None:
        seen: set[tuple[str, str]] = set()
        for sid, gid in self.raw_links + self.goal_links:
            if (sid, gid) in seen:
                self.report.skip("session goal link", "the same link appears twice")
                continue
            seen.add((sid, gid))
            if sid not in self.session_root or gid not in self.goal_root:
                self.report.skip("session goal link", "its session or goal was not imported")
                continue
            if self.goal_root[gid] != self.session_root[sid]:
                self.report.skip("session goal link", "its goal is in another fractal")
                continue
            session_id = self.keep("sessions", sid)
            goal_id = self.keep("goals", gid)
            start = self.session_times[sid][0]
            self.out["session_goals"].append(
                {
                    "id": stable_id(NS, "session_goal", session_id, goal_id),
                    "session_id": session_id,
                    "goal_id": goal_id,
                    "created_at": start,
                    "updated_at": start,
                }
            )

    # -- activity definitions ------------------------------------------------------------

    def read_definitions(self) -> None:
        self.group_raw = {_text(r["id"]): r for r in self.rows("activity_groups", "group")}
        self.activity_raw = {
            _text(r["id"]): r for r in self.rows("activity_definitions", "activity")
        }
        metrics = self.rows("metric_definitions", "metric")
        splits = self.rows("split_definitions", "split")
        for label, n in (
            ("activity groups", self.totals["activity_groups"]),
            ("activities", self.totals["activity_definitions"]),
            ("metrics", self.totals["metric_definitions"]),
            ("splits", self.totals["split_definitions"]),
        ):
            if n or label == "activities":
                self.report.read[label] = n
        valid_roots = {g for g, raw in self.goal_raw.items() if not raw.get("parent_id")}
        self.activity_declared = {
            aid: _text(raw.get("root_id")) or None for aid, raw in self.activity_raw.items()
        }
        self.activity_declared = {
            k: v if v in valid_roots else None for k, v in self.activity_declared.items()
        }
        self.metrics_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.metric_activity: dict[str, str] = {}
        for raw in sorted(metrics, key=lambda r: (_text(r.get("created_at")), _text(r["id"]))):
            aid = _text(raw.get("activity_id"))
            if aid not in self.activity_raw:
                self.report.skip("metric", "its activity no longer exists")
                continue
            self.metrics_of[aid].append(raw)
            self.metric_activity[_text(raw["id"])] = aid
        self.splits_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.split_activity: dict[str, str] = {}
        for raw in sorted(
            splits, key=lambda r: (_int(r.get("order")), _text(r.get("created_at")), _text(r["id"]))
        ):
            aid = _text(raw.get("activity_id"))
            if aid not in self.activity_raw:
                self.report.skip("split", "its activity no longer exists")
                continue
            self.splits_of[aid].append(raw)
            self.split_activity[_text(raw["id"])] = aid
        self.activity_usage: dict[str, Counter[str]] = defaultdict(Counter)

    def count_target_usage(self) -> None:
        for gid in self.goal_order:
            for target in self._targets_of(gid, count_only=True):
                aid = _text(target.get("activity_id"))
                if aid in self.activity_raw:
                    self.activity_usage[aid][self.goal_root[gid]] += 1

    def place_definitions(self) -> None:
        """Which fractals get (a copy of) each activity and group.

        Uses by instances, targets and templates were counted before.
        """
        roots = sorted(set(self.goal_root.values()))
        self.activity_roots: dict[str, list[str]] = {}
        self.activity_home: dict[str, str] = {}
        for aid in self.activity_raw:
            declared = self.activity_declared.get(aid)
            usage = self.activity_usage[aid]
            found = set(usage) | ({declared} if declared else set())
            if not found:
                found = set(roots)
                if len(found) > 1:
                    self.report.fix("activity without a fractal copied into every fractal")
            elif declared is None:
                self.report.fix("activity's fractal derived from where it is used")
            if declared is not None and len(found) > 1:
                self.report.fix("activity used in another fractal copied into it")
            elif declared is None and len(found) > 1:
                self.report.fix("activity shared by several fractals copied into each")
            if not found:
                self.report.skip("activity", "there is no fractal to put it in")
                continue
            self.activity_roots[aid] = sorted(found)
            self.activity_home[aid] = declared or max(sorted(found), key=lambda r: usage.get(r, 0))
        self.group_roots: dict[str, list[str]] = {}
        self.group_home: dict[str, str] = {}
        for grp, raw in self.group_raw.items():
            declared = _text(raw.get("root_id")) or None
            declared = declared if declared in roots else None
            members = [
                r
                for aid, a in self.activity_raw.items()
                if _text(a.get("group_id")) == grp
                for r in self.activity_roots.get(aid, [])
            ]
            found = set(members) | ({declared} if declared else set())
            if not found:
                found = set(roots)
            if not found:
                self.report.skip("activity group", "there is no fractal to put it in")
                continue
            self.group_roots[grp] = sorted(found)
            if declared:
                self.group_home[grp] = declared
            elif members:
                self.group_home[grp] = Counter(members).most_common(1)[0][0]
            else:
                self.group_home[grp] = sorted(found)[0]

    def activity_in(self, aid: str, root: str) -> str | None:
        if root not in self.activity_roots.get(aid, []):
            return None
        return self.copy_id("activities", aid, root, self.activity_home[aid])

    def metric_in(self, mid: str, root: str) -> str | None:
        aid = self.metric_activity.get(mid)
        if aid is None or root not in self.activity_roots.get(aid, []):
            return None
        return self.copy_id("metric_definitions", mid, root, self.activity_home[aid])

    def split_in(self, sid: str, root: str) -> str | None:
        aid = self.split_activity.get(sid)
        if aid is None or root not in self.activity_roots.get(aid, []):
            return None
        return self.copy_id("split_definitions", sid, root, self.activity_home[aid])

    def emit_definitions(self) -> None:
        for grp in sorted(
            self.group_roots,
            key=lambda g: (
                _int(self.group_raw[g].get("sort_order")),
                _text(self.group_raw[g].get("created_at")),
                g,
            ),
        ):
            raw = self.group_raw[grp]
            for root in self.group_roots[grp]:
                row = {
                    "id": self.copy_id("activity_groups", grp, root, self.group_home[grp]),
                    "root_id": self.keep("goals", root),
                    "name": self.name(raw.get("name"), 200, "group"),
                    "description": _text(raw.get("description")),
                }
                self.audit(row, raw)
                self.deleted(row, raw, "ActivityGroup", row["root_id"], f"group {row['name']!r}")
                self.out["activity_groups"].append(row)
        for aid in sorted(
            self.activity_roots,
            key=lambda a: (
                _int(self.activity_raw[a].get("sort_order")),
                _text(self.activity_raw[a].get("created_at")),
                a,
            ),
        ):
            raw = self.activity_raw[aid]
            live_metrics = [
                m
                for m in self.metrics_of[aid]
                if not m.get("deleted_at") and _flag(m.get("is_active"), True)
            ]
            if len(live_metrics) > 3:
                self.report.fix("activity kept with more than 3 metrics (Fractal shows 3)")
            for root in self.activity_roots[aid]:
                grp = _text(raw.get("group_id")) or None
                group_id = None
                if grp is not None and root in self.group_roots.get(grp, []):
                    group_id = self.copy_id("activity_groups", grp, root, self.group_home[grp])
                elif grp is not None:
                    self.report.fix("activity's missing group dropped")
                row: dict[str, Any] = {
                    "id": self.activity_in(aid, root),
                    "root_id": self.keep("goals", root),
                    "group_id": group_id,
                    "name": self.name(raw.get("name"), 200, "activity"),
                    "description": _text(raw.get("description")),
                    "has_sets": _flag(raw.get("has_sets")),
                    "has_splits": _flag(raw.get("has_splits"))
                    if "has_splits" in raw and raw.get("has_splits") is not None
                    else bool(self.splits_of[aid]),
                    "metrics_multiplicative": _flag(raw.get("metrics_multiplicative")),
                }
                self.audit(row, raw)
                self.deleted(row, raw, "Activity", row["root_id"], f"activity {row['name']!r}")
                self.out["activities"].append(row)
                for mraw in self.metrics_of[aid]:
                    best = mraw.get("is_top_set_metric", mraw.get("is_best_set_metric"))
                    metric: dict[str, Any] = {
                        "id": self.metric_in(_text(mraw["id"]), root),
                        "activity_id": row["id"],
                        "name": self.name(mraw.get("name"), 100, "metric"),
                        "unit": _clean(mraw.get("unit"), 50),
                        "is_best_set": _flag(best),
                        "is_multiplicative": _flag(mraw.get("is_multiplicative"), True),
                    }
                    self.audit(metric, mraw)
                    self.deleted(
                        metric,
                        mraw,
                        "MetricDefinition",
                        row["root_id"],
                        f"metric {metric['name']!r}",
                    )
                    self.out["metric_definitions"].append(metric)
                for sraw in self.splits_of[aid]:
                    split: dict[str, Any] = {
                        "id": self.split_in(_text(sraw["id"]), root),
                        "activity_id": row["id"],
                        "name": self.name(sraw.get("name"), 100, "split"),
                    }
                    self.audit(split, sraw)
                    self.deleted(
                        split, sraw, "SplitDefinition", row["root_id"], f"split {split['name']!r}"
                    )
                    self.out["split_definitions"].append(split)

    # -- templates --------------------------------------------------------------------------

    def read_templates(self) -> None:
        raws = self.rows("session_templates", "template")
        if raws:
            self.report.read["templates"] = self.totals["session_templates"]
        self.template_raw = {_text(r["id"]): r for r in raws}
        self.template_sections: dict[str, list[tuple[str, float | None, list[Any]]]] = {}
        for tid, raw in self.template_raw.items():
            try:
                data = _json(raw.get("template_data"))
            except ValueError:
                self.report.fix("template with unreadable contents kept without activities")
                data = None
            self.template_sections[tid] = _sections(data)

    def _template_activity(self, item: Any) -> str | None:
        if isinstance(item, str):
            ref_id, ref_name = None, item
        elif isinstance(item, dict):
            ref_id = _text(item.get("activity_id") or item.get("id")) or None
            ref_name = _text(item.get("name") or item.get("activity_name"))
        else:
            return None
        if ref_id in self.activity_raw:
            return ref_id
        wanted = ref_name.strip().lower()
        matches = sorted(
            aid
            for aid, a in self.activity_raw.items()
            if _text(a.get("name")).strip().lower() == wanted and wanted
        )
        return matches[0] if matches else None

    def place_templates(self) -> None:
        roots = sorted(set(self.goal_root.values()))
        self.template_root: dict[str, str] = {}
        users: dict[str, list[str]] = defaultdict(list)
        for sid, raw in self.session_raw.items():
            tid = _text(raw.get("template_id"))
            if tid and sid in self.session_root:
                users[tid].append(self.session_root[sid])
        for tid, raw in self.template_raw.items():
            declared = _text(raw.get("root_id")) or None
            if declared in roots:
                self.template_root[tid] = declared
                continue
            refs: Counter[str] = Counter()
            for _name, _minutes, items in self.template_sections[tid]:
                for item in items:
                    aid = self._template_activity(item)
                    if aid is None:
                        continue
                    declared_root = self.activity_declared.get(aid)
                    if declared_root:
                        refs[declared_root] += 1
                    else:
                        refs.update(self.activity_usage[aid])
            if users[tid]:
                found = Counter(users[tid]).most_common(1)[0][0]
            elif refs:
                found = refs.most_common(1)[0][0]
            elif len(roots) == 1:
                found = roots[0]
            else:
                self.report.skip("template", "it belongs to no fractal that can be found")
                continue
            self.report.fix("template's fractal derived from its sessions or activities")
            self.template_root[tid] = found
        # a template's activities are used in its fractal (so they get a copy there)
        for tid, root in self.template_root.items():
            for _name, _minutes, items in self.template_sections[tid]:
                for item in items:
                    aid = self._template_activity(item)
                    if aid is not None:
                        self.activity_usage[aid][root] += 1

    def emit_templates(self) -> None:
        for tid in sorted(
            self.template_root,
            key=lambda t: (_text(self.template_raw[t].get("created_at")), t),
        ):
            raw = self.template_raw[tid]
            root = self.template_root[tid]
            row: dict[str, Any] = {
                "id": self.keep("session_templates", tid),
                "root_id": self.keep("goals", root),
                "name": self.name(raw.get("name"), 200, "template"),
                "description": _text(raw.get("description")),
            }
            self.audit(row, raw)
            self.deleted(row, raw, "SessionTemplate", row["root_id"], f"template {row['name']!r}")
            self.out["session_templates"].append(row)
            for s_index, (section, minutes, items) in enumerate(self.template_sections[tid]):
                resolved = []
                for item in items:
                    aid = self._template_activity(item)
                    if aid is None:
                        self.report.skip("template item", "its activity was not found")
                        continue
                    resolved.append((item, self.activity_in(aid, root)))
                share = (minutes or 0) / len(resolved) if resolved else (minutes or 0)
                if not resolved:
                    resolved = [(None, None)]  # keep the section as planned time
                for i_index, (item, activity_id) in enumerate(resolved):
                    own = _number(item.get("duration_minutes")) if isinstance(item, dict) else None
                    planned = own if isinstance(own, float) and own >= 0 else share
                    self.out["template_items"].append(
                        {
                            "id": stable_id(NS, "template_item", row["id"], s_index, i_index),
                            "template_id": row["id"],
                            "section": _clean(section, 200),
                            "activity_id": activity_id,
                            "planned_minutes": max(0.0, float(planned)),
                            **{k: row[k] for k in ("created_at", "updated_at") if k in row},
                        }
                    )

    # -- instances, sets, values ----------------------------------------------------------

    def read_instances(self) -> None:
        raws = self.rows("activity_instances", "activity instance")
        self.report.read["activity instances"] = self.totals["activity_instances"]
        self.instance_raw = raws
        self.instance_starts: dict[str, list[datetime | None]] = defaultdict(list)
        self.instance_stops: dict[str, list[datetime | None]] = defaultdict(list)
        self.instance_activities: dict[str, list[str]] = defaultdict(list)
        for raw in raws:
            sid = _instance_session(raw)
            self.instance_starts[sid].append(self.t.utc(raw.get("time_start")))
            self.instance_stops[sid].append(self.t.utc(raw.get("time_stop")))
            aid = _text(raw.get("activity_definition_id"))
            self.instance_activities[sid].append(aid)
        self.place_sessions()
        for raw in raws:
            sid = _instance_session(raw)
            aid = _text(raw.get("activity_definition_id"))
            if sid in self.session_root and aid in self.activity_raw:
                self.activity_usage[aid][self.session_root[sid]] += 1
        self.metric_value_raw = self.rows("metric_values", "value")
        if self.metric_value_raw:
            self.report.read["metric values"] = self.totals["metric_values"]

    def emit_instances(self) -> None:
        ordered = sorted(
            self.instance_raw,
            key=lambda r: (
                _instance_session(r),
                _text(r.get("time_start")) or _text(r.get("created_at")),
                _text(r.get("id")),
            ),
        )
        running: set[str] = set()
        self.instance_when: dict[str, dict[str, Any]] = {}
        self.instance_root: dict[str, tuple[str, str, str]] = {}
        for raw in ordered:
            sid = _instance_session(raw)
            aid = _text(raw.get("activity_definition_id"))
            if sid not in self.session_raw:
                self.report.skip("activity instance", "its session no longer exists")
                continue
            if sid not in self.session_root:
                self.report.skip("activity instance", "its session was not imported")
                continue
            if aid not in self.activity_raw:
                self.report.skip("activity instance", "its activity no longer exists")
                continue
            root = self.session_root[sid]
            activity_id = self.activity_in(aid, root)
            if activity_id is None:
                self.report.skip("activity instance", "its activity was not imported")
                continue
            start_s, end_s, done_s = self.session_times[sid]
            iid = self.keep("activity_instances", _text(raw["id"]))
            start = self.t.utc(raw.get("time_start"))
            stop = self.t.utc(raw.get("time_stop"))
            seconds = _number(raw.get("duration_seconds"))
            if start is not None and stop is not None and stop < start:
                stop = (
                    start + timedelta(seconds=seconds)
                    if isinstance(seconds, float) and seconds >= 0
                    else start
                )
                self.report.fix("timer stopping before it starts given its duration")
            if start is not None and stop is None:
                if done_s is None and sid not in running and not _flag(raw.get("completed")):
                    running.add(sid)
                    self.report.fix("open timer imported as the running timer")
                else:
                    stop = (
                        start + timedelta(seconds=seconds)
                        if isinstance(seconds, float) and seconds >= 0
                        else start
                    )
                    self.report.fix("timer without a stop closed")
            if start is None and isinstance(seconds, float) and seconds > 0:
                self.report.fix("duration without timer times not imported as a timer")
            completed = _flag(raw.get("completed")) if "completed" in raw else stop is not None
            if done_s is not None and stop is None and start is None:
                completed = completed or "completed" not in raw
            created = self.t.local(raw.get("created_at"), "created time")
            row: dict[str, Any] = {
                "id": iid,
                "session_id": self.keep("sessions", sid),
                "activity_id": activity_id,
                "notes": _text(raw.get("notes")).strip(),
                "completed_at": (stop or end_s or start or created or start_s)
                if completed
                else None,
            }
            self.audit(row, raw)
            root_id = self.keep("goals", root)
            self.deleted(row, raw, "ActivityInstance", root_id, "an activity instance")
            self.out["activity_instances"].append(row)
            self.instance_root[_text(raw["id"])] = (root, aid, iid)
            when = {k: row[k] for k in ("created_at", "updated_at") if k in row}
            self.instance_when[iid] = when
            if start is not None:
                self.out["work_intervals"].append(
                    {
                        "id": stable_id(NS, "interval", iid),
                        "session_id": row["session_id"],
                        "instance_id": iid,
                        "started_at": start,
                        "ended_at": stop,
                        "created_at": start,
                        "updated_at": stop or start,
                    }
                )
            self.emit_sets(raw, root, aid, iid, when)
        self.emit_metric_values()

    def emit_sets(
        self, raw: dict[str, Any], root: str, aid: str, iid: str, when: dict[str, Any]
    ) -> None:
        if raw.get("data") in (None, ""):
            return
        try:
            data = _json(raw.get("data"))
        except ValueError:
            self.report.fix("activity data that is not JSON left out")
            return
        sets = data.get("sets") if isinstance(data, dict) else None
        if not isinstance(sets, list):
            return
        cells: set[tuple[Any, ...]] = set()
        for index, item in enumerate(sets):
            if not isinstance(item, dict):
                self.report.skip("set", "it is not an object")
                continue
            set_id = stable_id(NS, "set", iid, index)
            self.out["activity_sets"].append(
                {
                    "id": set_id,
                    "instance_id": iid,
                    "status": "completed" if _flag(item.get("completed"), True) else "planned",
                    **when,
                }
            )
            for entry in item.get("metrics") or []:
                if not isinstance(entry, dict):
                    self.report.skip("value", "it is not an object")
                    continue
                self._value(entry, root, aid, iid, set_id, cells, when, index)

    def _value(
        self,
        entry: dict[str, Any],
        root: str,
        aid: str,
        iid: str,
        set_id: str | None,
        cells: set[tuple[Any, ...]],
        when: dict[str, Any],
        index: Any,
        row_id: str | None = None,
    ) -> None:
        mid = _text(entry.get("metric_id") or entry.get("metric_definition_id"))
        sid = _text(entry.get("split_id") or entry.get("split_definition_id")) or None
        if mid not in self.metric_activity:
            self.report.skip("value", "its metric no longer exists")
            return
        if self.metric_activity[mid] != aid:
            self.report.skip("value", "its metric belongs to another activity")
            return
        if sid is not None and self.split_activity.get(sid) != aid:
            self.report.skip("value", "its split is not one of the activity's")
            return
        number = _number(entry.get("value"))
        if number is None:
            self.report.skip("value", "it is blank")
            return
        if number == "bad":
            self.report.skip("value", "it is not a number")
            return
        key = (iid, set_id, mid, sid)
        if key in cells:
            self.report.skip("value", "the same value is recorded twice")
            return
        cells.add(key)
        self.out["metric_values"].append(
            {
                "id": row_id or stable_id(NS, "value", iid, index, mid, sid or ""),
                "instance_id": iid,
                "set_id": set_id,
                "metric_id": self.metric_in(mid, root),
                "split_id": self.split_in(sid, root) if sid else None,
                "value": number,
                **when,
            }
        )

    def emit_metric_values(self) -> None:
        cells: set[tuple[Any, ...]] = set()
        for raw in self.metric_value_raw:
            instance = _text(raw.get("activity_instance_id"))
            if instance not in self.instance_root:
                self.report.skip("value", "its activity instance was not imported")
                continue
            root, aid, iid = self.instance_root[instance]
            when = self.instance_when.get(iid, {})
            own: dict[str, Any] = {}
            self.audit(own, raw)
            self._value(
                raw,
                root,
                aid,
                iid,
                None,
                cells,
                own or when,
                "table",
                row_id=self.keep("metric_values", _text(raw.get("id"))),
            )

    # -- targets ----------------------------------------------------------------------------

    def _targets_of(self, gid: str, count_only: bool = False) -> list[dict[str, Any]]:
        raw = self.goal_raw[gid].get("targets")
        if raw in (None, "", "null", "[]"):
            return []
        try:
            data = _json(raw)
        except ValueError:
            if not count_only:
                self.report.skip("target", "the goal's targets are not JSON")
            return []
        if isinstance(data, dict):
            data = [data]
        if not isinstance(data, list):
            if not count_only:
                self.report.skip("target", "the goal's targets are not a list")
            return []
        out = [t for t in data if isinstance(t, dict)]
        if not count_only and len(out) < len(data):
            self.report.skip("target", "it is not an object", len(data) - len(out))
        return out

    def emit_targets(self) -> None:
        seen: set[str] = set()
        for gid in self.goal_order:
            targets = self._targets_of(gid)
            if not targets:
                continue
            self.report.read["targets (goal JSON)"] += len(targets)
            root = self.goal_root[gid]
            goal_id = self.keep("goals", gid)
            goal_row = next(r for r in self.out["goals"] if r["id"] == goal_id)
            when = {k: goal_row[k] for k in ("created_at", "updated_at") if k in goal_row}
            for index, target in enumerate(targets):
                aid = _text(target.get("activity_id"))
                activity_id = self.activity_in(aid, root) if aid in self.activity_raw else None
                if activity_id is None:
                    self.report.skip("target", "its activity no longer exists")
                    continue
                tid = (
                    self.keep("targets", target["id"])
                    if target.get("id")
                    else stable_id(NS, "target", goal_id, index)
                )
                if tid in seen:
                    self.report.skip("target", "the same target appears twice")
                    continue
                seen.add(tid)
                self.out["targets"].append(
                    {
                        "id": tid,
                        "goal_id": goal_id,
                        "activity_id": activity_id,
                        "name": _clean(target.get("name"), 200),
                        "kind": "threshold",
                        **when,
                    }
                )
                for c_index, cond in enumerate(target.get("metrics") or []):
                    if not isinstance(cond, dict):
                        self.report.skip("target condition", "it is not an object")
                        continue
                    mid = _text(cond.get("metric_id"))
                    if self.metric_activity.get(mid) != aid:
                        self.report.skip("target condition", "its metric no longer exists")
                        continue
                    number = _number(cond.get("value"))
                    if number is None or number == "bad":
                        self.report.skip("target condition", "its value is blank or not a number")
                        continue
                    op = _text(cond.get("operator") or cond.get("op") or ">=")
                    self.out["target_conditions"].append(
                        {
                            "id": stable_id(NS, "condition", tid, c_index),
                            "target_id": tid,
                            "metric_id": self.metric_in(mid, root),
                            "op": op if op in (">=", "<=", ">", "<", "==") else ">=",
                            "value": number,
                            **when,
                        }
                    )


# --- small helpers -------------------------------------------------------------------------


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _instance_session(raw: dict[str, Any]) -> str:
    return _text(raw.get("session_id") or raw.get("practice_session_id"))


def _sections(data: Any) -> list[tuple[str, float | None, list[Any]]]:
    """Template JSON in its three shapes as (section name, minutes, items)."""
    if isinstance(data, dict) and "sections" in data:
        sections = data["sections"]
    elif isinstance(data, dict) and ("activities" in data or "exercises" in data):
        sections = [data]
    elif isinstance(data, list):
        sections = data
    else:
        return []
    out = []
    for index, section in enumerate(sections if isinstance(sections, list) else []):
        if not isinstance(section, dict):
            continue
        name = _text(section.get("name") or section.get("title")) or f"Section {index + 1}"
        minutes = _number(section.get("duration_minutes", section.get("duration")))
        items = section.get("activities") or section.get("exercises") or []
        out.append(
            (
                name,
                minutes if isinstance(minutes, float) else None,
                list(items) if isinstance(items, list) else [],
            )
        )
    return out


def translate(
    path: str | Path,
    report: ImportReport,
    *,
    tz: tzinfo | None = None,
    store: Any = None,
) -> dict[str, list[dict[str, Any]]]:
    src = Source(path)
    try:
        return Translation(src, report, tz, store).run()
    finally:
        src.close()


def import_fractal_goals(
    store: Any,
    path: str | Path,
    *,
    dry_run: bool = False,
    tz: tzinfo | None = None,
) -> ImportReport:
    """Translate a Fractal Goals database and import it in one transaction."""
    report = ImportReport(source="fractal-goals", path=str(path))
    tables = translate(path, report, tz=tz, store=store)
    report.result = store.import_rows(
        tables, dry_run=dry_run, log=f"imported from Fractal Goals ({Path(path).name})"
    )
    return report
