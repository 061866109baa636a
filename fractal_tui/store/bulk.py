"""The bulk path: many rows in few statements, with the same built-in rules.

For benchmarks, scripts and generators that write years of history at once. Each public
method is ONE transaction; rows go in with Core ``insert()`` executemany, a chunk at a time,
so 100k activity instances with a million values take seconds, not hours. What the per-row
helpers of ``StoreBase`` do is done here for a whole chunk at once:

- **root_id** is derived from the parent (the fractal you name, then session -> instance ->
  set -> value), and every link is checked: activities, metrics, splits and goals must be
  live rows of that fractal, a metric must belong to the instance's activity, a split to it.
- **sort_order** appends among siblings: sessions after the fractal's existing ones, goals
  after their parent's existing children, instances and sets in the order given.
- **created_at / updated_at** are the store clock's ``now()``; ids are new UUID4s.
- **Validation first**: names, finite numbers, set statuses, time order (intervals inside
  their session, not overlapping, nothing in the future). Any error raises a domain error and
  the transaction rolls back: nothing is half-written, even when earlier chunks were sent.

Bulk sessions are history: each must have ended (one unfinished session per fractal is the
live loop's business). Sessions must come in the order they started, so their intervals can
be checked against each other as they stream past. Practice already in the database is not
re-checked for overlaps (as with ``import_rows``). Targets of the fractal are re-evaluated
once at the end.
"""

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from fractal_tui import hierarchy, timing
from fractal_tui.errors import Invalid
from fractal_tui.models import (
    Activity,
    ActivityInstance,
    ActivitySet,
    Goal,
    MetricDefinition,
    MetricValue,
    PracticeSession,
    SessionGoal,
    SplitDefinition,
    WorkInterval,
    new_id,
)
from fractal_tui.store.base import StoreBase, _hide_deleted_and_scope, kind_name
from fractal_tui.store.goals import _clean_name
from fractal_tui.store.practice import check_number, check_status
from fractal_tui.store.sessions import clean_session_name
from fractal_tui.views import BulkResult

# (metric_id, split_id or None, value)
Cell = tuple[str, str | None, float]


# The input specs are NamedTuples: immutable like the views, and cheaper to define (this
# module is imported by every command, through Store).


class BulkGoal(NamedTuple):
    """A goal to add. ``parent``: the index of an earlier BulkGoal of the same call, or the
    id of an existing goal of the fractal; None for a child of the fractal's root."""

    name: str
    parent: int | str | None = None
    level: int | None = None
    description: str = ""
    deadline: date | None = None


class BulkSet(NamedTuple):
    status: str = "completed"
    values: tuple[Cell, ...] = ()


class BulkInstance(NamedTuple):
    """An activity done in a session: its timer intervals (closed), sets or values."""

    activity_id: str
    intervals: tuple[tuple[datetime, datetime], ...] = ()
    completed_at: datetime | None = None
    sets: tuple[BulkSet, ...] = ()
    values: tuple[Cell, ...] = ()  # for an activity without sets
    section: str = ""


class BulkSession(NamedTuple):
    """A finished session of the past with its instances, in the order they were done."""

    started_at: datetime
    ended_at: datetime
    name: str = ""
    paused_seconds: float = 0.0
    goal_ids: tuple[str, ...] = ()
    instances: tuple[BulkInstance, ...] = ()


class _ActivityRules:
    __slots__ = ("name", "has_sets", "metrics", "splits")

    def __init__(self, name: str, has_sets: bool, metrics: set[str], splits: set[str]) -> None:
        self.name, self.has_sets, self.metrics, self.splits = name, has_sets, metrics, splits


class _Batch:
    """The outer transaction of ``batched``: a savepoint per unit, a commit now and then."""

    def __init__(self, conn: Any, every: int, seconds: float) -> None:
        self.conn, self.every, self.seconds = conn, every, seconds
        self.tx = conn.begin()
        self.units, self.since = 0, time.monotonic()

    @contextmanager
    def unit(self) -> Iterator[None]:
        savepoint = self.conn.begin_nested()
        try:
            yield
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        savepoint.commit()
        self.units += 1
        if self.units >= self.every or time.monotonic() - self.since >= self.seconds:
            self.tx.commit()
            self.tx = self.conn.begin()
            self.units, self.since = 0, time.monotonic()

    def finish(self) -> None:
        if self.tx.is_active and not self.conn.in_nested_transaction():
            self.tx.commit()


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class BulkMixin(StoreBase):
    # --- many calls, few commits -----------------------------------------------------

    @contextmanager
    def batched(
        self, *, commit_every: int = 200, commit_seconds: float = 0.5
    ) -> Iterator[Callable[[], AbstractContextManager[None]]]:
        """Run many store calls over one connection with few commits; each unit is atomic.

            with store.batched() as unit:
                for line in lines:
                    with unit():          # a savepoint: an error undoes this unit only
                        store.log(...)    # the store's own transactions nest inside it

        A unit that raises leaves nothing behind, even if it made several store calls;
        the others are kept. The work so far is committed every ``commit_every`` units or
        ``commit_seconds`` (so the TUI or another process is never locked out for long),
        and at the end. For one thread only (the CLI's `fractal batch`).
        """
        if commit_every < 1:
            raise Invalid("commit_every must be at least 1")
        conn = self.engine.connect()
        # Every store transaction, reads included, becomes a savepoint inside the unit's
        # savepoint on this one connection (so reads see the batch's own writes).
        sessions = sessionmaker(
            conn, class_=Session, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        event.listen(sessions, "do_orm_execute", _hide_deleted_and_scope)
        saved = {n: getattr(self, n) for n in ("_sessions", "_read_sessions") if hasattr(self, n)}
        for name in saved:
            setattr(self, name, sessions)
        batch = _Batch(conn, commit_every, commit_seconds)
        try:
            yield batch.unit
            batch.finish()
        except BaseException:
            batch.finish()  # units that finished are whole: keep them when the caller stops
            raise
        finally:
            for name, maker in saved.items():
                setattr(self, name, maker)
            conn.close()

    # --- goals -----------------------------------------------------------------------

    def bulk_add_goals(self, root_id: str, goals: Iterable[BulkGoal]) -> BulkResult:
        """Add many goals to a fractal in one transaction (a few statements in all).

        Levels default to the next rank below the parent and are checked like ``add_goal``;
        each goal goes last among its parent's children, in the order given.
        """
        specs = list(goals)
        now = self.now()
        with self._tx(root_id) as s:
            root = self._fractal_root(s, root_id)
            existing = dict(
                s.execute(select(Goal.id, Goal.level).where(Goal.root_id == root.id)).all()
            )
            next_order = self._next_orders(s, Goal, Goal.parent_id, Goal.root_id == root.id)
            rows: list[dict[str, Any]] = []
            levels: list[int] = []
            for n, spec in enumerate(specs):
                name = _clean_name(spec.name)
                parent = root.id if spec.parent is None else spec.parent
                if isinstance(parent, int) and not isinstance(parent, bool):
                    if not 0 <= parent < n:
                        raise Invalid(
                            f"goal {n + 1} ({name!r}) names goal {parent + 1} as its parent; "
                            "a parent must come earlier in the list"
                        )
                    parent_id, parent_level = rows[parent]["id"], levels[parent]
                elif isinstance(parent, str) and parent in existing:
                    parent_id, parent_level = parent, existing[parent]
                else:
                    raise Invalid(f"goal {n + 1} ({name!r}): no goal {parent!r} in this fractal")
                level = spec.level
                if level is None:
                    level = hierarchy.default_child_level(parent_level)
                hierarchy.check_child_level(parent_level, level)
                order = next_order[parent_id]
                next_order[parent_id] = order + 1
                rows.append(
                    {
                        "id": new_id(),
                        "root_id": root.id,
                        "parent_id": parent_id,
                        "level": level,
                        "name": name,
                        "description": spec.description or "",
                        "deadline": spec.deadline,
                        "complete_with_children": False,
                        "sort_order": order,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                levels.append(level)
            if rows:
                s.execute(insert(Goal.__table__), rows)  # type: ignore[attr-defined]
                noun = kind_name(Goal, plural=len(rows) != 1)
                self._event(s, root.id, "imported", None, f"added {len(rows)} {noun} in bulk")
            return BulkResult(
                root_id=root.id,
                counts={kind_name(Goal, plural=True): len(rows)},
                ids=tuple(r["id"] for r in rows),
            )

    # --- sessions --------------------------------------------------------------------

    def bulk_add_sessions(
        self, root_id: str, sessions: Iterable[BulkSession], *, chunk: int = 500
    ) -> BulkResult:
        """Add finished sessions with their instances, intervals, sets and values.

        ``sessions`` may be a generator: it is consumed ``chunk`` sessions at a time, so
        memory stays flat however much history is written, all in ONE transaction.
        """
        if chunk < 1:
            raise Invalid("a chunk needs at least one session")
        now = self.now()
        counts: Counter[str] = Counter()
        session_ids: list[str] = []
        with self._tx(root_id) as s:
            root = self._fractal_root(s, root_id)
            rules = self._activity_rules(s, root.id)
            goal_ids = set(s.execute(select(Goal.id).where(Goal.root_id == root.id)).scalars())
            order = self._next_orders(
                s, PracticeSession, PracticeSession.root_id, PracticeSession.root_id == root.id
            )[root.id]
            last: tuple[datetime, datetime | None] | None = None
            n = 0
            for part in _chunks(sessions, chunk):
                tables: dict[Any, list[dict[str, Any]]] = defaultdict(list)
                for spec in part:
                    n += 1
                    last = self._bulk_session(
                        spec, n, root.id, order, now, rules, goal_ids, last, tables
                    )
                    order += 1
                    session_ids.append(tables[PracticeSession][-1]["id"])
                # Parents first, so foreign keys always find their row.
                for model in (
                    PracticeSession,
                    SessionGoal,
                    ActivityInstance,
                    WorkInterval,
                    ActivitySet,
                    MetricValue,
                ):
                    rows = tables.get(model)
                    if rows:
                        s.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]
                        counts[kind_name(model, plural=True)] += len(rows)
            if n:
                what = f"{n} {kind_name(PracticeSession, plural=n != 1)}"
                self._event(s, root.id, "imported", None, f"added {what} in bulk")
                # Added practice may meet (or, never, unmeet) targets: the hook re-evaluates
                # every target of the fractal against its whole practice, once.
                self._on_practice_removed(s, root.id)
            return BulkResult(root_id=root.id, counts=dict(counts), ids=tuple(session_ids))

    # --- helpers ---------------------------------------------------------------------

    def _next_orders(
        self, s: Session, model: Any, scope_column: Any, *where: Any
    ) -> defaultdict[Any, int]:
        """Next free sort_order per sibling scope, counted over live rows as ``_insert`` does."""
        rows = s.execute(
            select(scope_column, func.max(model.sort_order)).where(*where).group_by(scope_column)
        ).all()
        out: defaultdict[Any, int] = defaultdict(int)
        for key, top in rows:
            out[key] = (top if top is not None else -1) + 1
        return out

    def _activity_rules(self, s: Session, root_id: str) -> dict[str, _ActivityRules]:
        """Live activities of a fractal with their live metric and split ids: three queries."""
        rules = {
            a_id: _ActivityRules(name, bool(has_sets), set(), set())
            for a_id, name, has_sets in s.execute(
                select(Activity.id, Activity.name, Activity.has_sets).where(
                    Activity.root_id == root_id
                )
            )
        }
        for model, attr in ((MetricDefinition, "metrics"), (SplitDefinition, "splits")):
            for a_id, row_id in s.execute(
                select(model.activity_id, model.id).where(model.root_id == root_id)
            ):
                if a_id in rules:
                    getattr(rules[a_id], attr).add(row_id)
        return rules

    def _bulk_session(
        self,
        spec: BulkSession,
        n: int,
        root_id: str,
        order: int,
        now: datetime,
        rules: dict[str, _ActivityRules],
        goal_ids: set[str],
        last: tuple[datetime, datetime | None] | None,
        tables: dict[Any, list[dict[str, Any]]],
    ) -> tuple[datetime, datetime | None]:
        """Check one session and queue its rows.

        ``last``: the previous session's start and the end of the latest interval so far;
        returns the same for this session.
        """
        where = f"session {n}"
        name = clean_session_name(spec.name)
        start, end = spec.started_at, spec.ended_at
        if start is None or end is None or start.tzinfo is None or end.tzinfo is None:
            raise Invalid(f"{where}: a bulk session needs its start and its end, with a zone")
        timing.check_range(start, end, now, f"{where}")
        if last is not None and start < last[0]:
            raise Invalid(f"{where} starts before the session listed before it; sort by start")
        paused = check_number(spec.paused_seconds, f"{where}'s paused time")
        if paused < 0 or paused > timing.seconds(start, end):
            raise Invalid(f"{where}: paused time must be between 0 and the session's length")
        session_id = new_id()
        tables[PracticeSession].append(
            {
                "id": session_id,
                "root_id": root_id,
                "name": name,
                "template_id": None,
                "started_at": start,
                "ended_at": end,
                "paused_at": None,
                "paused_seconds": paused,
                "paused_instance_id": None,
                "duration_seconds": timing.session_duration(start, end, paused),
                "completed_at": end,
                "sort_order": order,
                "created_at": now,
                "updated_at": now,
            }
        )
        for goal_id in dict.fromkeys(spec.goal_ids):
            if goal_id not in goal_ids:
                raise Invalid(f"{where}: no goal {goal_id!r} in this fractal")
            tables[SessionGoal].append(
                {
                    "id": new_id(),
                    "root_id": root_id,
                    "session_id": session_id,
                    "goal_id": goal_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        previous_end = last[1] if last is not None else None
        spans: list[tuple[datetime, datetime]] = []
        for i, inst in enumerate(spec.instances):
            spans.extend(
                self._bulk_instance(
                    inst,
                    f"{where}, activity {i + 1}",
                    i,
                    session_id,
                    spec,
                    root_id,
                    now,
                    rules,
                    tables,
                )
            )
        spans.sort()
        for a, b in spans:
            if previous_end is not None and a < previous_end:
                raise Invalid(f"{where}: timer intervals overlap ({timing.hhmm(a)})")
            previous_end = b
        return start, previous_end

    def _bulk_instance(
        self,
        inst: BulkInstance,
        where: str,
        index: int,
        session_id: str,
        session: BulkSession,
        root_id: str,
        now: datetime,
        rules: dict[str, _ActivityRules],
        tables: dict[Any, list[dict[str, Any]]],
    ) -> list[tuple[datetime, datetime]]:
        activity = rules.get(inst.activity_id)
        if activity is None:
            raise Invalid(f"{where}: no activity {inst.activity_id!r} in this fractal")
        where = f"{where} ({activity.name!r})"
        section = (inst.section or "").strip()
        if len(section) > 200 or any(ord(c) < 32 for c in section):
            raise Invalid(f"{where}: a section name is at most 200 characters, no control ones")
        instance_id = new_id()
        spans = []
        for a, b in inst.intervals:
            if a is None or b is None or a.tzinfo is None or b.tzinfo is None:
                raise Invalid(f"{where}: timer intervals need a start and an end with a zone")
            if b < a or a < session.started_at or b > session.ended_at:
                raise Invalid(f"{where}: a timer interval must fit inside its session")
            spans.append((a, b))
            tables[WorkInterval].append(
                {
                    "id": new_id(),
                    "root_id": root_id,
                    "session_id": session_id,
                    "instance_id": instance_id,
                    "started_at": a,
                    "ended_at": b,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        done = inst.completed_at
        if done is not None:
            timed_until = max((b for _, b in spans), default=session.started_at)
            if done < timed_until or done > session.ended_at:
                raise Invalid(f"{where}: completed outside its session or before its timer ended")
        tables[ActivityInstance].append(
            {
                "id": instance_id,
                "root_id": root_id,
                "session_id": session_id,
                "activity_id": inst.activity_id,
                "section": section,
                "completed_at": done,
                "notes": "",
                "target_duration_seconds": None,
                "sort_order": index,
                "created_at": now,
                "updated_at": now,
            }
        )
        if activity.has_sets and inst.values:
            raise Invalid(f"{where} is recorded in sets; put its values in sets")
        if not activity.has_sets and inst.sets:
            raise Invalid(f"{where} has no sets; give its values without sets")
        self._bulk_values(inst.values, where, instance_id, None, root_id, now, activity, tables)
        for k, spec_set in enumerate(inst.sets):
            set_id = new_id()
            tables[ActivitySet].append(
                {
                    "id": set_id,
                    "root_id": root_id,
                    "instance_id": instance_id,
                    "status": check_status(spec_set.status),
                    "notes": "",
                    "sort_order": k,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            self._bulk_values(
                spec_set.values,
                f"{where}, set {k + 1}",
                instance_id,
                set_id,
                root_id,
                now,
                activity,
                tables,
            )
        return spans

    @staticmethod
    def _bulk_values(
        cells: Iterable[Cell],
        where: str,
        instance_id: str,
        set_id: str | None,
        root_id: str,
        now: datetime,
        activity: _ActivityRules,
        tables: dict[Any, list[dict[str, Any]]],
    ) -> None:
        out = tables[MetricValue]
        seen: set[tuple[str, str | None]] = set()
        for metric_id, split_id, value in cells:
            if metric_id not in activity.metrics:
                raise Invalid(f"{where}: {metric_id!r} is not a metric of {activity.name!r}")
            if activity.splits and split_id is None:
                raise Invalid(f"{where}: {activity.name!r} is recorded per side; name a split")
            if split_id is not None and split_id not in activity.splits:
                raise Invalid(f"{where}: {split_id!r} is not a split of {activity.name!r}")
            if (metric_id, split_id) in seen:
                raise Invalid(f"{where}: the same metric and split are given twice")
            seen.add((metric_id, split_id))
            out.append(
                {
                    "id": new_id(),
                    "root_id": root_id,
                    "instance_id": instance_id,
                    "set_id": set_id,
                    "metric_id": metric_id,
                    "split_id": split_id,
                    "value": check_number(value, f"{where}'s value"),
                    "created_at": now,
                    "updated_at": now,
                }
            )
