"""Every query export and import need, table by table over ``models.MODELS``.

Export reads rows (deleted ones too) in one read transaction, streamed with ``yield_per`` and
ordered by id, so memory stays flat whatever the size of the database.

Import takes rows keyed by table name (plain JSON values or Python values), matches them by
id and writes them in ONE transaction, keeping the built-in rules:

- root_id is derived from the row's parent (``__root_from__``), never trusted: a row whose
  root_id disagrees with its parent's is refused; rows without a parent name their fractal.
- Every link must point at an existing row of the same fractal (in the file or the database).
- Soft deletes keep their meaning: a new row under a deleted row (through a cascade link) is
  stored deleted in that row's batch; an existing row is never deleted or restored by an
  import (that is what delete and restore are for), such a difference is only reported.
- Rows that come with their own times and order keep them; missing ones are set as
  ``_insert`` would (audit times = now, sort_order appended among siblings).
- A row already in the database is left alone when identical, updated when the file's copy
  is newer (updated_at), and otherwise kept and reported.

A dry run does all of it, checks included, and rolls back.
"""

import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, Date, Float, Integer, String, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from fractal_tui.errors import Conflict, Invalid
from fractal_tui.models import (
    MODELS,
    Activity,
    ActivityInstance,
    ActivitySet,
    Audited,
    ConditionOp,
    Event,
    Goal,
    MetricDefinition,
    MetricValue,
    Ordered,
    PracticeSession,
    RootScoped,
    SessionGoal,
    SessionTemplate,
    SetStatus,
    SoftDeletable,
    SplitDefinition,
    Target,
    TargetKind,
    UTCDateTime,
    WorkInterval,
)
from fractal_tui.store.base import INCLUDE_DELETED, StoreBase, kind_name
from fractal_tui.views import ImportResult

EXCHANGE_FORMAT = "fractal"
EXCHANGE_VERSION = 1

# Table name -> model, in MODELS order: parents before children, so importing in this order
# always finds a row's parent already in place.
TABLES: dict[str, type[SQLModel]] = {m.__tablename__: m for m in MODELS.values()}  # type: ignore[attr-defined,misc]

_CHUNK = 500
_MAX_DEPTH = 64


def _table(model: type[SQLModel]) -> Any:
    return model.__table__  # type: ignore[attr-defined]


@dataclass
class _Ref:
    """What import needs to know about a row another row points at."""

    root_id: str
    deleted_at: datetime | None
    batch: str | None
    level: int | None = None  # goals only
    parent_id: str | None = None  # goals only


class _DryRun(Exception):  # noqa: N818 - control flow, never shown
    def __init__(self, result: ImportResult) -> None:
        super().__init__("dry run")
        self.result = result


class ExchangeMixin(StoreBase):
    # --- export ------------------------------------------------------------------------

    def exchange_tables(self) -> list[str]:
        """Table names in import order (parents first)."""
        return list(TABLES)

    def exchange_root_ids(self) -> list[str]:
        """Every fractal's id, deleted fractals included, sorted."""
        with self._read() as s:
            stmt = select(Goal.id).where(Goal.parent_id.is_(None)).order_by(Goal.id)
            return list(s.execute(stmt, execution_options={INCLUDE_DELETED: True}).scalars())

    def export_rows(
        self, root_ids: Sequence[str] | None = None, *, chunk: int = 1000
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(table name, row as a dict of column values), table by table, by id.

        Deleted rows are included (their ``deleted_at`` marks them). ``root_ids`` None means
        every row of every fractal. One read transaction; rows are fetched ``chunk`` at a time.
        """
        with self._read() as s:
            for name, model in TABLES.items():
                table = _table(model)
                stmt = select(table).order_by(table.c.id)
                if root_ids is not None:
                    stmt = stmt.where(table.c.root_id.in_(list(root_ids)))
                result = s.execute(
                    stmt, execution_options={INCLUDE_DELETED: True, "yield_per": chunk}
                )
                for row in result.mappings():
                    yield name, dict(row)

    def export_value_rows(
        self, root_ids: Sequence[str], *, chunk: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """One dict per live metric value: session, activity, set number, split, metric."""
        numbered = (
            select(
                ActivitySet.id.label("set_id"),
                func.row_number()
                .over(
                    partition_by=ActivitySet.instance_id,
                    order_by=(ActivitySet.sort_order, ActivitySet.created_at, ActivitySet.id),
                )
                .label("number"),
            )
            .where(ActivitySet.root_id.in_(list(root_ids)), ActivitySet.deleted_at.is_(None))
            .subquery()
        )
        stmt = (
            select(
                PracticeSession.id.label("session_id"),
                PracticeSession.name.label("session_name"),
                PracticeSession.started_at.label("session_started_at"),
                ActivityInstance.id.label("instance_id"),
                Activity.name.label("activity"),
                numbered.c.number.label("set_number"),
                SplitDefinition.name.label("split"),
                MetricDefinition.name.label("metric"),
                MetricDefinition.unit.label("unit"),
                MetricValue.value.label("value"),
            )
            .select_from(MetricValue)
            .join(ActivityInstance, ActivityInstance.id == MetricValue.instance_id)
            .join(PracticeSession, PracticeSession.id == ActivityInstance.session_id)
            .join(Activity, Activity.id == ActivityInstance.activity_id)
            .join(MetricDefinition, MetricDefinition.id == MetricValue.metric_id)
            .outerjoin(SplitDefinition, SplitDefinition.id == MetricValue.split_id)
            .outerjoin(numbered, numbered.c.set_id == MetricValue.set_id)
            .where(MetricValue.root_id.in_(list(root_ids)))
            .where(
                # a value of a deleted set is deleted with it; outer joins must say so
                (MetricValue.set_id.is_(None)) | (numbered.c.set_id.is_not(None))
            )
            .order_by(
                PracticeSession.started_at,
                PracticeSession.id,
                ActivityInstance.sort_order,
                ActivityInstance.created_at,
                ActivityInstance.id,
                numbered.c.number.nulls_first(),
                SplitDefinition.sort_order.nulls_first(),
                SplitDefinition.id,
                MetricDefinition.sort_order,
                MetricDefinition.id,
            )
        )
        with self._read() as s:
            result = s.execute(stmt, execution_options={"yield_per": chunk})
            for row in result.mappings():
                out = dict(row)
                out["session_started_at"] = _utc(out["session_started_at"])
                yield out

    def export_session_rows(
        self, root_ids: Sequence[str], *, chunk: int = 500
    ) -> Iterator[dict[str, Any]]:
        """One dict per live session with its instance count and goal names."""
        stmt = (
            select(PracticeSession)
            .where(PracticeSession.root_id.in_(list(root_ids)))
            .order_by(PracticeSession.started_at, PracticeSession.id)
        )
        with self._read() as s:
            batch: list[PracticeSession] = []
            for row in s.execute(stmt, execution_options={"yield_per": chunk}).scalars():
                batch.append(row)
                if len(batch) >= chunk:
                    yield from self._session_rows(s, batch)
                    batch = []
            yield from self._session_rows(s, batch)

    def _session_rows(self, s: Session, batch: list[PracticeSession]) -> list[dict[str, Any]]:
        if not batch:
            return []
        ids = [x.id for x in batch]
        counts = dict(
            s.execute(
                select(ActivityInstance.session_id, func.count(ActivityInstance.id))
                .where(ActivityInstance.session_id.in_(ids))
                .group_by(ActivityInstance.session_id)
            ).all()
        )
        goals: dict[str, list[str]] = {}
        for session_id, name in s.execute(
            select(SessionGoal.session_id, Goal.name)
            .join(Goal, Goal.id == SessionGoal.goal_id)
            .where(SessionGoal.session_id.in_(ids))
            .order_by(Goal.level, Goal.sort_order, Goal.name)
        ).all():
            goals.setdefault(session_id, []).append(name)
        templates = dict(
            s.execute(
                select(SessionTemplate.id, SessionTemplate.name).where(
                    SessionTemplate.id.in_({x.template_id for x in batch if x.template_id})
                )
            ).all()
        )
        rows = []
        for x in batch:
            rows.append(
                {
                    "id": x.id,
                    "name": x.name,
                    "started_at": x.started_at,
                    "ended_at": x.ended_at,
                    "completed_at": x.completed_at,
                    "duration_seconds": x.duration_seconds,
                    "paused_seconds": x.paused_seconds,
                    "instances": counts.get(x.id, 0),
                    "goals": goals.get(x.id, []),
                    "template": templates.get(x.template_id or "", ""),
                }
            )
        s.expunge_all()
        return rows

    # --- what the translators (time trackers) ask before they build rows --------------

    def activity_ids_by_name(self, root_id: str, names: Sequence[str]) -> dict[str, str]:
        """Live activities of a fractal by lower-cased name (the first when names repeat)."""
        wanted = {n.strip().lower() for n in names if n and n.strip()}
        if not wanted:
            return {}
        with self._read(root_id) as s:
            rows = self._list(s, Activity, func.lower(Activity.name).in_(wanted))
            out: dict[str, str] = {}
            for row in rows:
                out.setdefault(row.name.lower(), row.id)
            return out

    def unfinished_session_id(self, root_id: str) -> str | None:
        """The fractal's unfinished (live) session, if any."""
        with self._read(root_id) as s:
            return s.execute(
                select(PracticeSession.id)
                .where(
                    PracticeSession.root_id == root_id,
                    PracticeSession.completed_at.is_(None),
                    PracticeSession.deleted_at.is_(None),
                )
                .limit(1)
            ).scalar()

    def session_spans(self, session_ids: Sequence[str]) -> dict[str, tuple[datetime, datetime]]:
        """Earliest start and latest end of the live intervals of existing sessions."""
        if not session_ids:
            return {}
        with self._read() as s:
            rows = s.execute(
                select(
                    WorkInterval.session_id,
                    func.min(WorkInterval.started_at),
                    func.max(func.coalesce(WorkInterval.ended_at, WorkInterval.started_at)),
                )
                .where(
                    WorkInterval.session_id.in_(list(session_ids)),
                    WorkInterval.deleted_at.is_(None),
                )
                .group_by(WorkInterval.session_id)
            ).all()
            return {sid: (_utc(lo), _utc(hi)) for sid, lo, hi in rows}

    def interval_overlaps(
        self,
        root_id: str,
        candidates: Sequence[tuple[str, datetime, datetime | None]],
    ) -> dict[str, str]:
        """Which candidate intervals (id, start, end or None when running) overlap others.

        Others are the fractal's live intervals (a candidate replaces the interval with its
        id) and the candidates before it. Returns candidate id -> what it overlaps.
        """
        with self._read() as s:
            existing = self._intervals_of(s, root_id)
        return _overlaps(existing, candidates, self.now())

    def _intervals_of(
        self, s: Session, root_id: str
    ) -> list[tuple[str, datetime, datetime | None, str]]:
        rows = s.execute(
            select(WorkInterval.id, WorkInterval.started_at, WorkInterval.ended_at, Activity.name)
            .join(ActivityInstance, ActivityInstance.id == WorkInterval.instance_id)
            .join(Activity, Activity.id == ActivityInstance.activity_id)
            .where(WorkInterval.root_id == root_id, WorkInterval.deleted_at.is_(None))
        ).all()
        return [(i, _utc(a), _utc(b) if b is not None else None, n) for i, a, b, n in rows]

    # --- import ------------------------------------------------------------------------

    def import_rows(
        self,
        tables: Mapping[str, Sequence[Mapping[str, Any]]],
        *,
        dry_run: bool = False,
        check_overlaps: bool = False,
        log: str | None = None,
    ) -> ImportResult:
        """Write rows (table name -> rows) in one transaction; see the module docstring.

        ``check_overlaps`` refuses imported timer intervals that overlap others of their
        fractal; ``log`` adds that message to the event log of each fractal that changed.
        """
        unknown = [t for t in tables if t not in TABLES]
        if unknown:
            raise Invalid(f"unknown table {unknown[0]!r}; the tables are: {', '.join(TABLES)}")
        try:
            with self._tx() as s:
                job = _Import(self, s)
                for name, model in TABLES.items():
                    rows = tables.get(name) or ()
                    if rows:
                        job.table(model, rows)
                if check_overlaps:
                    job.check_overlaps()
                result = job.result(dry_run)
                if log and not dry_run:
                    for root in job.changed_roots():
                        self._event(s, root, "imported", None, log)
                if dry_run:
                    raise _DryRun(result)
                return result
        except _DryRun as done:
            return done.result


# --- the import job ------------------------------------------------------------------------


class _Import:
    def __init__(self, store: ExchangeMixin, s: Session) -> None:
        self.store = store
        self.s = s
        self.now = store.now()
        self.known: dict[str, dict[str, _Ref]] = {name: {} for name in MODELS}
        self.inserted: Counter[str] = Counter()
        self.updated: Counter[str] = Counter()
        self.unchanged: Counter[str] = Counter()
        self.kept: Counter[str] = Counter()
        self.hidden: Counter[str] = Counter()
        self.notes: list[str] = []
        self.roots: set[str] = set()
        self.changed: set[str] = set()
        self.seen_ids: dict[str, str] = {}
        self.order_next: dict[tuple[Any, ...], int] = {}
        self.intervals: set[str] = set()
        self.pending: list[dict[str, Any]] = []

    # -- per table --------------------------------------------------------------------

    def table(self, model: type[SQLModel], raw_rows: Sequence[Mapping[str, Any]]) -> None:
        name = model.__name__
        rows = [self.coerce(model, raw) for raw in raw_rows]
        for row, _ in rows:
            other = self.seen_ids.get(row["id"])
            if other is not None:
                where = "twice" if other == name else f"in {kind_name(other, True)} too"
                raise Invalid(
                    f"the file has {kind_name(model)} id {row['id']!r} {where}; "
                    "every row needs its own id"
                )
            self.seen_ids[row["id"]] = name
        if model is Goal:
            rows = _parents_first(rows)
        existing = self.fetch(model, [r["id"] for r, _ in rows])
        self.prefetch_links(model, [r for r, _ in rows], existing)
        pending = self.pending = []
        for row, provided in rows:
            old = existing.get(row["id"])
            self.resolve_root(model, row, old)
            self.check_links(model, row, provided)
            _domain_checks(model, row)
            if old is None:
                self.fill_new(model, row, provided)
                self.remember(model, row)
                pending.append(row)
                self.inserted[name] += 1
                self.changed.add(row["root_id"])
                if len(pending) >= _CHUNK:
                    self.write(model, pending)
            else:
                self.write(model, pending)
                self.merge(model, row, provided, old)
            if model is WorkInterval:
                self.intervals.add(row["id"])
        self.write(model, pending)

    def coerce(
        self, model: type[SQLModel], raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], set[str]]:
        """Typed values for the columns a row names; refuses unknown columns and bad values."""
        if not isinstance(raw, Mapping):
            raise Invalid(f"a row of {kind_name(model, True)} is not an object: {raw!r:.60}")
        columns = _columns(model)
        label = _Label(model, {"id": raw.get("id")})
        extra = [k for k in raw if k not in columns]
        if extra:
            raise Invalid(f"{label} has an unknown field {extra[0]!r}")
        row_id = raw.get("id")
        if not isinstance(row_id, str) or not row_id.strip() or len(row_id) > 36:
            raise Invalid(
                f"a row of {kind_name(model, True)} needs an id (a string of at most "
                f"36 characters), not {row_id!r:.60}"
            )
        convert = _converters(model)
        row: dict[str, Any] = {}
        for key, value in raw.items():
            row[key] = convert[key](value, _Field(label, key))
        return row, set(raw)

    def fetch(self, model: type[SQLModel], ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        table = _table(model)
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _CHUNK):
            part = ids[start : start + _CHUNK]
            for row in self.s.execute(
                select(table).where(table.c.id.in_(part)),
                execution_options={INCLUDE_DELETED: True},
            ).mappings():
                out[row["id"]] = dict(row)
        return out

    def prefetch_links(
        self,
        model: type[SQLModel],
        rows: Sequence[dict[str, Any]],
        existing: Mapping[str, dict[str, Any]],
    ) -> None:
        """Load what rows point at (and are not in the file) in one query per target."""
        wanted: dict[str, set[str]] = {}
        doc_ids = {r["id"] for r in rows} if model is Goal else set()
        for column, target in _links(model):
            for row in rows:
                value = row.get(column)
                if value is None:
                    old = existing.get(row["id"])
                    value = old.get(column) if old else None
                if value and value not in self.known[target] and value not in doc_ids:
                    wanted.setdefault(target, set()).add(value)
        if model is not Goal and issubclass(model, RootScoped):
            for row in rows:
                root = row.get("root_id") or (existing.get(row["id"]) or {}).get("root_id")
                if root and root not in self.known["Goal"]:
                    wanted.setdefault("Goal", set()).add(root)
        for target, ids in wanted.items():
            self.load_refs(target, list(ids))

    def load_refs(self, target: str, ids: Sequence[str]) -> None:
        model = MODELS[target]
        table = _table(model)
        cols = [table.c.id, table.c.root_id]
        soft = "deleted_at" in table.c
        if soft:
            cols += [table.c.deleted_at, table.c.delete_batch]
        if model is Goal:
            cols += [table.c.level, table.c.parent_id]
        for start in range(0, len(ids), _CHUNK):
            part = list(ids[start : start + _CHUNK])
            for row in self.s.execute(
                select(*cols).where(table.c.id.in_(part)),
                execution_options={INCLUDE_DELETED: True},
            ).mappings():
                self.known[target][row["id"]] = _Ref(
                    root_id=row["root_id"],
                    deleted_at=_utc(row["deleted_at"]) if soft and row["deleted_at"] else None,
                    batch=row["delete_batch"] if soft else None,
                    level=row.get("level"),
                    parent_id=row.get("parent_id"),
                )

    def ref(self, target: str, row_id: str, label: str, column: str) -> _Ref:
        found = self.known[target].get(row_id)
        if found is None:
            self.load_refs(target, [row_id])
            found = self.known[target].get(row_id)
        if found is None:
            raise Invalid(
                f"{label} points at a {kind_name(target)} that is neither in the file nor in "
                f"the database ({column} {row_id!r})"
            )
        return found

    # -- rules --------------------------------------------------------------------------

    def resolve_root(
        self, model: type[SQLModel], row: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        """Derive root_id from the parent; refuse a row whose given root_id disagrees."""
        label = _label(model, row)
        if not issubclass(model, RootScoped):
            return
        for key in ("parent_id", "session_id", "instance_id", "goal_id", "target_id"):
            if old is not None and key in old and key not in row and key in _table(model).c:
                row[key] = old[key]  # a partial row keeps its links for the checks below
        given = row.get("root_id")
        derived: str | None
        if model is Goal:
            parent = row.get("parent_id")
            derived = (
                row["id"]
                if parent is None
                else self.ref("Goal", parent, label, "parent_id").root_id
            )
        elif model.__name__ == "Note":
            subjects = [
                (col, target)
                for col, target in (
                    ("goal_id", "Goal"),
                    ("session_id", "PracticeSession"),
                    ("instance_id", "ActivityInstance"),
                )
                if row.get(col) is not None
            ]
            if len(subjects) != 1:
                raise Invalid(f"{label} must be on exactly one goal, session or activity instance")
            col, target = subjects[0]
            derived = self.ref(target, row[col], label, col).root_id
        elif model.__root_from__ is not None:  # type: ignore[attr-defined]
            col, target = model.__root_from__  # type: ignore[attr-defined]
            if row.get(col) is None:
                raise Invalid(f"{label} needs its {col.removesuffix('_id')}")
            derived = self.ref(target, row[col], label, col).root_id
        else:
            derived = given if given is not None else (old or {}).get("root_id")
            if derived is None:
                raise Invalid(f"{label} needs the fractal it belongs to (root_id)")
            root = self.ref("Goal", derived, label, "root_id")
            if root.root_id != derived:
                raise Invalid(f"{label}: root_id {derived!r} is a goal, not a fractal")
        if given is not None and given != derived:
            raise Invalid(
                f"{label} says it belongs to fractal {given!r} but its parent belongs to "
                f"{derived!r}"
            )
        if old is not None and old.get("root_id") != derived:
            raise Invalid(f"{label} already exists in another fractal")
        row["root_id"] = derived
        self.roots.add(derived)

    def check_links(self, model: type[SQLModel], row: dict[str, Any], provided: set[str]) -> None:
        """Links stay inside the fractal; rows under a deleted row are deleted with it."""
        label = _label(model, row)
        for column, target in _links(model):
            value = row.get(column)
            if value is None:
                continue
            found = self.ref(target, value, label, column)
            if found.root_id != row["root_id"] and issubclass(MODELS[target], RootScoped):
                raise Invalid(f"{label} points at a {kind_name(target)} of another fractal")
            if (
                found.deleted_at is not None
                and issubclass(model, SoftDeletable)
                and (model.__name__, column) in MODELS[target].__cascade__  # type: ignore[attr-defined]
                and row.get("deleted_at") is None
            ):
                row["deleted_at"] = found.deleted_at
                row["delete_batch"] = found.batch
                provided.update(("deleted_at", "delete_batch"))
                row["_hidden"] = True
        if model is Goal:
            level = row.get("level")
            if not isinstance(level, int) or not 0 <= level <= 6:
                raise Invalid(f"{label} needs a level from 0 to 6, not {level!r}")
            if row.get("parent_id") is not None:
                parent = self.ref("Goal", row["parent_id"], label, "parent_id")
                if parent.level is not None and level <= parent.level:
                    raise Invalid(
                        f"{label} has level {level} under a goal of level {parent.level}; "
                        "a child's level must be below its parent's"
                    )

    def fill_new(self, model: type[SQLModel], row: dict[str, Any], provided: set[str]) -> None:
        """Defaults for what a new row does not say: audit times, order, model defaults."""
        if row.pop("_hidden", False):
            self.hidden[model.__name__] += 1
        if issubclass(model, Audited) or model is Event:
            row.setdefault("created_at", self.now)
            if row["created_at"] is None:
                raise Invalid(f"{_label(model, row)}: created_at cannot be empty")
        if issubclass(model, Audited) and row.get("updated_at") is None:
            row["updated_at"] = row["created_at"] if "created_at" in provided else self.now
        if issubclass(model, Ordered) and row.get("sort_order") is None:
            row["sort_order"] = self.next_order(model, row)
        elif issubclass(model, Ordered):
            key = _scope_key(model, row)
            if key in self.order_next:
                self.order_next[key] = max(self.order_next[key], row["sort_order"] + 1)
        for column in _table(model).columns:
            if column.name in row:
                continue
            field = model.model_fields.get(column.name)
            default = (
                None
                if field is None or field.is_required()
                else field.get_default(call_default_factory=True)
            )
            if default is None and not column.nullable:
                raise Invalid(f"{_label(model, row)} needs a value for {column.name!r}")
            row[column.name] = default

    def next_order(self, model: type[SQLModel], row: dict[str, Any]) -> int:
        key = _scope_key(model, row)
        if key not in self.order_next:
            self.write(model, self.pending)  # the probe below must see rows written so far
            probe = model(**{c: row.get(c) for c in model.__order_scope__})  # type: ignore[attr-defined]
            self.order_next[key] = self.store._next_sort_order(self.s, probe)  # type: ignore[arg-type]
        value = self.order_next[key]
        self.order_next[key] = value + 1
        return value

    def remember(self, model: type[SQLModel], row: dict[str, Any]) -> None:
        if not issubclass(model, RootScoped):
            return
        self.known[model.__name__][row["id"]] = _Ref(
            root_id=row["root_id"],
            deleted_at=row.get("deleted_at"),
            batch=row.get("delete_batch"),
            level=row.get("level"),
            parent_id=row.get("parent_id"),
        )

    def merge(
        self,
        model: type[SQLModel],
        row: dict[str, Any],
        provided: set[str],
        old: dict[str, Any],
    ) -> None:
        """An existing row: unchanged, updated (file newer) or kept (and reported)."""
        name = model.__name__
        hidden = bool(row.pop("_hidden", False))
        keys = (provided | {"root_id"}) - {"id"}
        old = {k: (_utc(v) if isinstance(v, datetime) else v) for k, v in old.items()}
        changes = {k: row[k] for k in keys if k in row and old.get(k) != row[k]}
        if not changes:
            self.unchanged[name] += 1
            self.remember(model, {**old, **row})
            return
        reason = None
        if "deleted_at" in changes and (old.get("deleted_at") is None) != (
            row.get("deleted_at") is None
        ):
            reason = (
                "deleted here but not in the file"
                if old.get("deleted_at") is not None
                else "deleted in the file but not here"
            )
            if hidden:
                reason = "its parent is deleted here"
        elif "updated_at" in old:
            theirs = row.get("updated_at") if "updated_at" in provided else None
            if theirs is not None and theirs <= old["updated_at"]:
                reason = "the database's copy is newer"
        else:
            reason = "events are never rewritten"
        if reason is not None:
            self.kept[name] += 1
            self.notes.append(f"kept {_label(model, row)}: {reason}")
            self.remember(model, old)
            return
        changes.pop("delete_batch", None) if "deleted_at" not in changes else None
        if "updated_at" in old and "updated_at" not in provided:
            changes["updated_at"] = self.now
        if model is Goal and "level" in changes:
            self.check_child_levels(row)
        table = _table(model)
        self.s.execute(update(table).where(table.c.id == row["id"]).values(**changes))
        self.updated[name] += 1
        self.changed.add(row["root_id"])
        self.remember(model, {**old, **row})

    def check_child_levels(self, row: dict[str, Any]) -> None:
        lowest = self.s.execute(
            select(func.min(Goal.level)).where(Goal.parent_id == row["id"]),
            execution_options={INCLUDE_DELETED: True},
        ).scalar()
        if lowest is not None and lowest <= row["level"]:
            raise Invalid(
                f"{_label(Goal, row)} cannot take level {row['level']}: a child of it has "
                f"level {lowest}"
            )

    def write(self, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        try:
            self.s.execute(insert(_table(model)), rows)
        except IntegrityError as exc:
            from fractal_tui.store.base import _integrity_message

            raise Conflict(
                f"the {kind_name(model, True)} of the file clash with the database: "
                f"{_integrity_message(exc)}"
            ) from exc
        rows.clear()

    # -- after all tables ---------------------------------------------------------------

    def check_overlaps(self) -> None:
        if not self.intervals:
            return
        for root in sorted(self.roots):
            rows = self.store._intervals_of(self.s, root)  # type: ignore[attr-defined]
            mine = [(i, a, b) for i, a, b, _ in rows if i in self.intervals]
            others = [r for r in rows if r[0] not in self.intervals]
            clashes = _overlaps(others, mine, self.now)
            if clashes:
                first = next(iter(clashes.values()))
                raise Conflict(
                    f"{len(clashes)} imported timer interval(s) overlap others ({first})"
                )

    def changed_roots(self) -> list[str]:
        return sorted(self.changed)

    def result(self, dry_run: bool) -> ImportResult:
        return ImportResult(
            inserted=dict(self.inserted),
            updated=dict(self.updated),
            unchanged=dict(self.unchanged),
            kept=dict(self.kept),
            hidden=dict(self.hidden),
            root_ids=tuple(sorted(self.roots)),
            dry_run=dry_run,
            notes=tuple(self.notes),
        )


# --- helpers ---------------------------------------------------------------------------------


def _utc(value: Any) -> Any:
    """Aggregates and raw reads bypass the column type on SQLite: tag naive UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


class _Field:
    """'goal 'x': created_at', lazily."""

    __slots__ = ("row", "key")

    def __init__(self, row: "_Label", key: str) -> None:
        self.row, self.key = row, key

    def __format__(self, spec: str) -> str:
        return format(f"{self.row}: {self.key}", spec)


class _Label:
    """How a row is named in a message, worked out only when a message is written."""

    __slots__ = ("model", "row")

    def __init__(self, model: type[SQLModel] | str, row: Mapping[str, Any]) -> None:
        self.model, self.row = model, row

    def __str__(self) -> str:
        name = self.row.get("name")
        kind = kind_name(self.model)
        return f"{kind} {name!r}" if name else f"{kind} {self.row.get('id')!r}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


_label = _Label


@cache
def _columns(model: type[SQLModel]) -> dict[str, Any]:
    return {c.name: c for c in _table(model).columns}


@cache
def _links(model: type[SQLModel]) -> list[tuple[str, str]]:
    """(column, target model name) for every foreign key except root_id."""
    out = []
    for column in _table(model).columns:
        if column.name in ("id", "root_id"):
            continue
        for fk in column.foreign_keys:
            for name, target in MODELS.items():
                if target.__tablename__ == fk.column.table.name:  # type: ignore[attr-defined]
                    out.append((column.name, name))
    return out


def _scope_key(model: type[SQLModel], row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (model.__name__, *(row.get(c) for c in model.__order_scope__))  # type: ignore[attr-defined]


Converter = Callable[[Any, "_Field"], Any]


@cache
def _converters(model: type[SQLModel]) -> dict[str, Converter]:
    """Column name -> a function turning a JSON (or Python) value into the column's type."""
    return {name: _converter(column) for name, column in _columns(model).items()}


def _converter(column: Any) -> Converter:
    kind = column.type
    empty_ok = column.nullable or column.name in ("root_id", "sort_order")

    def check_empty(label: _Field) -> None:
        if not empty_ok:
            raise Invalid(f"{label} cannot be empty")

    if isinstance(kind, UTCDateTime):

        def to_time(value: Any, label: _Field) -> Any:
            if value is None:
                return check_empty(label)
            if isinstance(value, str):
                try:
                    value = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    raise Invalid(f"{label}: {value!r} is not an ISO 8601 time") from None
            if not isinstance(value, datetime):
                raise Invalid(f"{label}: {value!r} is not a time")
            if value.tzinfo is None:
                raise Invalid(f"{label}: {value.isoformat()} has no offset; give UTC (+00:00)")
            return value.astimezone(UTC)

        return to_time
    if isinstance(kind, TypeDecorator):  # sqlmodel's AutoString wraps String
        kind = kind.impl
    if isinstance(kind, Date):

        def to_date(value: Any, label: _Field) -> Any:
            if value is None:
                return check_empty(label)
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            try:
                return date.fromisoformat(str(value))
            except ValueError:
                raise Invalid(f"{label}: {value!r} is not a date (YYYY-MM-DD)") from None

        return to_date
    if isinstance(kind, Boolean):

        def to_bool(value: Any, label: _Field) -> Any:
            if value is None:
                return check_empty(label)
            if isinstance(value, bool):
                return value
            if value in (0, 1):
                return bool(value)
            raise Invalid(f"{label}: {value!r} is not true or false")

        return to_bool
    if isinstance(kind, Float):

        def to_float(value: Any, label: _Field) -> Any:
            if value is None:
                return check_empty(label)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Invalid(f"{label}: {value!r} is not a number")
            if not math.isfinite(value):
                raise Invalid(f"{label}: {value!r} is not a finite number")
            return float(value)

        return to_float
    if isinstance(kind, Integer):

        def to_int(value: Any, label: _Field) -> Any:
            if value is None:
                return check_empty(label)
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    return int(value)
                raise Invalid(f"{label}: {value!r} is not a whole number")
            return value

        return to_int
    if isinstance(kind, String):
        length = kind.length
        is_name = column.name == "name"

        def to_text(value: Any, label: _Field) -> Any:
            if value is None:
                return check_empty(label)
            if not isinstance(value, str):
                raise Invalid(f"{label}: {value!r} is not text")
            if length is not None and len(value) > length:
                raise Invalid(f"{label} is longer than {length} characters")
            if is_name and any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise Invalid(f"{label} contains control characters")
            return value

        return to_text

    def as_is(value: Any, label: _Field) -> Any:
        return check_empty(label) if value is None else value

    return as_is


_REQUIRED_NAMES = {
    "Goal",
    "ActivityGroup",
    "Activity",
    "MetricDefinition",
    "SplitDefinition",
    "SessionTemplate",
}


def _domain_checks(model: type[SQLModel], row: Mapping[str, Any]) -> None:
    """The rules the schema guards, said so a person understands them."""
    label = _label(model, row)
    name = model.__name__
    if name in _REQUIRED_NAMES and "name" in row and not (row["name"] or "").strip():
        raise Invalid(f"a {kind_name(model)} needs a name ({kind_name(model)} {row['id']!r})")
    if model is ActivitySet and "status" in row and row["status"] not in set(SetStatus):
        raise Invalid(f"{label}: unknown set status {row['status']!r}")
    if model is Target:
        if "kind" in row and row["kind"] not in set(TargetKind):
            raise Invalid(f"{label}: unknown target kind {row['kind']!r}")
        if row.get("count") is not None and row["count"] < 1:
            raise Invalid(f"{label}: a count must be at least 1")
    if name == "TargetCondition" and "op" in row and row["op"] not in set(ConditionOp):
        raise Invalid(f"{label}: unknown comparison {row['op']!r}")
    for start, end in (("started_at", "ended_at"),):
        if row.get(start) is not None and row.get(end) is not None and row[end] < row[start]:
            raise Invalid(f"{label} ends before it starts")
    for col in ("paused_seconds", "duration_seconds", "planned_minutes", "target_duration_seconds"):
        if row.get(col) is not None and row[col] < 0:
            raise Invalid(f"{label}: {col} cannot be negative")


def _parents_first(
    rows: list[tuple[dict[str, Any], set[str]]],
) -> list[tuple[dict[str, Any], set[str]]]:
    """Goals ordered so that a parent in the file comes before its children (stable)."""
    by_id = {r["id"]: (r, p) for r, p in rows}
    out: list[tuple[dict[str, Any], set[str]]] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for row, _ in rows:
        chain = []
        current: str | None = row["id"]
        while current is not None and current in by_id and state.get(current) != 2:
            if state.get(current) == 1 or len(chain) > _MAX_DEPTH:
                raise Invalid(
                    f"goal {by_id[current][0].get('name', current)!r} is its own ancestor"
                )
            state[current] = 1
            chain.append(current)
            current = by_id[current][0].get("parent_id")
        for goal_id in reversed(chain):
            state[goal_id] = 2
            out.append(by_id[goal_id])
    return out


def _overlaps(
    existing: Sequence[tuple[str, datetime, datetime | None, str]],
    candidates: Sequence[tuple[str, datetime, datetime | None]],
    now: datetime,
) -> dict[str, str]:
    """Candidate id -> description of what it overlaps (existing intervals, earlier candidates).

    Intervals are half-open; a running one (no end) lasts until now.
    """
    replaced = {c[0] for c in candidates}
    taken: list[tuple[datetime, datetime, str]] = []
    for row_id, start, end, name in existing:
        if row_id in replaced:
            continue
        taken.append((start, end or max(now, start), name))
    clashes: dict[str, str] = {}
    for cand_id, start, end in candidates:
        stop = end or max(now, start)
        hit = next((t for t in taken if t[0] < stop and start < t[1]), None)
        if hit is not None:
            when = hit[0].astimezone().strftime("%Y-%m-%d %H:%M")
            until = hit[1].astimezone().strftime("%H:%M")
            clashes[cand_id] = f"overlaps {hit[2]!r} {when}-{until}"
            continue
        taken.append((start, stop, "an interval of the same import"))
    return clashes


def stable_id(namespace: str, *parts: object) -> str:
    """A UUID derived from a source and its ids, so re-importing finds the same rows."""
    key = ":".join(str(p) for p in parts)
    return str(uuid.uuid5(_NAMESPACE, f"{namespace}:{key}"))


_NAMESPACE = uuid.UUID("6c1a3f0e-9d0b-5c57-8a5e-4b1f2e7d9a10")

__all__ = [
    "EXCHANGE_FORMAT",
    "EXCHANGE_VERSION",
    "TABLES",
    "ExchangeMixin",
    "stable_id",
]
