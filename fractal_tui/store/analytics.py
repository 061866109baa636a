"""Aggregates for analytics and reports, computed in SQL through the store.

Every query is restricted by fractal (``root_id``) and by time through the
``ix_sessions_root_started`` index: work intervals, instances, links and values are reached
from the sessions of the range by their ``session_id``/``instance_id`` indexes, so the cost
grows with the rows in the range, never with the whole database. Sums and counts are SQL
aggregates; what SQL cannot do portably (cutting intervals into local days across daylight
saving, the best-set rules of ``fractal_tui.progress``) is done on plain tuples by the pure
functions of ``fractal_tui.analytics``. No ORM objects are loaded for the aggregates.

The definitions (practice time, "in a range", practice days, roll-ups) are those of
``fractal_tui.analytics``.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, String, and_, case, func, or_, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from fractal_tui import analytics as rules
from fractal_tui import comparison, timing
from fractal_tui import progress as setrules
from fractal_tui.analytics import (
    ActivityChoice,
    ActivityTotal,
    Dashboard,
    DateRange,
    DayTotal,
    GoalTotal,
    MetricChoice,
    Overview,
    ProgressPoint,
    ProgressSeries,
    Report,
)
from fractal_tui.errors import Invalid, NotFound
from fractal_tui.hierarchy import tree_order
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
)
from fractal_tui.store.base import INCLUDE_DELETED, StoreBase
from fractal_tui.views import MetricDelta, MetricView

# A completed session is assumed to last less than this: intervals of sessions that started
# this long before a range are still found (the unfinished session is always looked at).
LOOKBACK = timedelta(days=7)

REPORT_BY = ("day", "activity", "goal")
# Ids per IN list. SQLite's sampled statistics (db.py) make every root_id index look like
# it holds ~400 rows, so an IN list longer than that is planned as a walk of the fractal.
_MANY = 200  # rows that are looked up one each (sessions, instances by id)
_FEW = 16  # rows that fan out (an instance's values, a session's instances)
MODES = ("best", "average")
PRODUCT = "product"


@dataclass(frozen=True)
class _Interval:
    session_id: str
    activity_id: str
    started_at: datetime
    ended_at: datetime | None


class _Time(NamedTuple):
    """Timer time of a range: per session, and the open intervals (running timers)."""

    micros: dict[str, int]  # every session with an interval in the range -> its microseconds
    open: list[_Interval]

    def seconds(self) -> dict[str, float]:
        return {sid: rules.micros_to_seconds(us) for sid, us in self.micros.items()}

    def total(self) -> float:
        # With no interval at all the old running sum was the int 0; JSON shows the same.
        return rules.micros_to_seconds(sum(self.micros.values())) if self.micros else 0


class _Micros(FunctionElement[int]):
    """Exact microseconds from a stored UTC time to a later one: ``_Micros(start, end)``."""

    type = BigInteger()
    name = "fractal_micros_between"
    inherit_cache = True


@compiles(_Micros, "sqlite")
def _micros_sqlite(element: _Micros, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(arg, **kw) for arg in element.clauses)
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' and julianday() rounds to milliseconds, so
    # the microseconds come from the text and the whole seconds from the julianday
    # difference less them, rounded: its error (well under a second) cannot change it.
    frac = f"(substr({b}, 21) - substr({a}, 21))"
    return (
        f"(CAST(round((julianday({b}) - julianday({a})) * 86400 - {frac} / 1000000.0)"
        f" AS INTEGER) * 1000000 + {frac})"
    )


@compiles(_Micros, "postgresql")
def _micros_postgresql(element: _Micros, compiler: Any, **kw: Any) -> str:
    a, b = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(round((EXTRACT(EPOCH FROM {b}) - EXTRACT(EPOCH FROM {a})) * 1000000) AS BIGINT)"


@dataclass(frozen=True)
class _Node:
    id: str
    parent_id: str | None
    level: int
    name: str
    completed: bool


class _Set(NamedTuple):
    id: str
    status: str


class _Value(NamedTuple):
    set_id: str | None
    metric_id: str
    split_id: str | None
    value: float


class AnalyticsMixin(StoreBase):
    # --- public: one transaction each ---------------------------------------------------

    def analytics_overview(
        self,
        root_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Overview:
        """Sessions, practice time, average session length and streaks of a range."""
        start, end = self._check_range(start, end)
        with self._read(root_id) as s:
            self._fractal_root(s, root_id)
            time = self._time(s, root_id, start, end)
            return self._overview(s, root_id, start, end, time, tz)

    def practice_by_day(
        self,
        root_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> list[DayTotal]:
        """Practice time and sessions started per local day (days with either), in order."""
        start, end = self._check_range(start, end)
        with self._read(root_id) as s:
            self._fractal_root(s, root_id)
            intervals = self._intervals(s, root_id, start, end)
            return self._by_day(s, root_id, start, end, intervals, tz)

    def practice_by_activity(
        self, root_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[ActivityTotal]:
        """Practice time, sessions and instances per activity, most time first."""
        start, end = self._check_range(start, end)
        with self._read(root_id) as s:
            self._fractal_root(s, root_id)
            intervals = self._intervals(s, root_id, start, end)
            return self._by_activity(s, root_id, start, end, intervals)

    def practice_by_goal(
        self, root_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[GoalTotal]:
        """Every goal of the fractal in tree order with its rolled-up time and sessions."""
        start, end = self._check_range(start, end)
        with self._read(root_id) as s:
            self._fractal_root(s, root_id)
            return self._by_goal(s, root_id, start, end, self._time(s, root_id, start, end))

    def practice_report(
        self,
        root_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        by: str = "day",
        tz: tzinfo | None = None,
    ) -> Report:
        """`fractal report`: rows by day, activity or goal and the range's totals.

        The grand total is the same whichever way the rows go: every interval belongs to one
        day piece, one activity and (through its session) the fractal's root.
        """
        by = (by or "").strip().lower()
        if by not in REPORT_BY:
            raise Invalid(f"cannot report by {by!r}; use one of: {', '.join(REPORT_BY)}")
        start, end = self._check_range(start, end)
        with self._read(root_id) as s:
            root = self._fractal_root(s, root_id)
            rows: Sequence[Any]
            if by == "goal":
                # Only time per session is needed: summed by the database, one row a session.
                time = self._time(s, root_id, start, end)
                rows = self._by_goal(s, root_id, start, end, time)
            else:
                intervals = self._intervals(s, root_id, start, end)
                time = self._time_of(intervals, start, end)
                if by == "day":
                    rows = self._by_day(s, root_id, start, end, intervals, tz)
                else:
                    rows = self._by_activity(s, root_id, start, end, intervals)
            total = time.total()
            sessions = self._count_sessions(s, root_id, start, end)
            live = [i for i in time.open if self._live(i, start, end)]
            running_activity = None
            if live:
                running_activity = s.execute(
                    select(Activity.name).where(Activity.id == live[0].activity_id)
                ).scalar()
            return Report(
                root_id=root_id,
                name=root.name,
                by=by,
                start=start,
                end=end,
                rows=tuple(rows),
                total_seconds=total,
                sessions=sessions,
                running=bool(live),
                running_activity=running_activity,
            )

    def progress_choices(self, root_id: str) -> list[ActivityChoice]:
        """Activities that have recorded values, with their metrics and splits."""
        with self._read(root_id) as s:
            return self._choices(s, root_id)

    def progress_series(
        self,
        root_id: str,
        activity: str,
        *,
        metric: str | None = None,
        split: str | None = None,
        mode: str = "best",
        start: datetime | None = None,
        end: datetime | None = None,
        tz: tzinfo | None = None,
    ) -> ProgressSeries:
        """One metric of an activity over time: a point per session (best set or average).

        activity, metric, split: an id, id prefix or name. metric None: the metric marked
        for the best set, else the first; "product": the product of the multiplicative
        metrics. split None: all splits (each set's best side). Personal bests and the
        "vs last time" delta look at the whole history, not only the range.
        """
        start, end = self._check_range(start, end)
        with self._read(root_id) as s:
            self._fractal_root(s, root_id)
            return self._progress(s, root_id, activity, metric, split, mode, start, end, tz)

    def analytics_dashboard(
        self,
        root_id: str,
        date_range: DateRange,
        *,
        tz: tzinfo | None = None,
        activity: str | None = None,
        metric: str | None = None,
        split: str | None = None,
        mode: str = "best",
    ) -> Dashboard:
        """Everything the analytics screen shows, read in one transaction.

        activity: an activity id; None (or one with no values any more): the first activity
        with values. A metric or split that no longer exists falls back to the defaults.
        """
        start, range_end = date_range.bounds(tz)
        now = self.now()
        end = min(range_end, now)
        if start is not None and start > end:
            end = start  # a range still to come: nothing in it yet
        start, end = self._check_range(start, end)
        with self._read(root_id) as s:
            self._fractal_root(s, root_id)
            intervals = self._intervals(s, root_id, start, end)
            time = self._time_of(intervals, start, end)
            overview = self._overview(s, root_id, start, end, time, tz)
            days = self._by_day(s, root_id, start, end, intervals, tz)
            activities = self._by_activity(s, root_id, start, end, intervals)
            goals = self._by_goal(s, root_id, start, end, time)
            choices = self._choices(s, root_id)
            series = None
            known = {c.id for c in choices}
            chosen = activity if activity in known else (choices[0].id if choices else None)
            if chosen is not None:
                if chosen != activity:
                    metric = split = None  # they belonged to an activity no longer offered
                try:
                    series = self._progress(s, root_id, chosen, metric, split, mode, start, end, tz)
                except (NotFound, Invalid):
                    # A metric or split removed since it was picked: the activity's defaults.
                    series = self._progress(s, root_id, chosen, None, None, "best", start, end, tz)
            return Dashboard(
                range=date_range,
                overview=overview,
                days=tuple(days),
                activities=tuple(activities),
                goals=tuple(goals),
                choices=tuple(choices),
                progress=series,
                now=now,
            )

    # --- ranges --------------------------------------------------------------------------

    def _check_range(
        self, start: datetime | None, end: datetime | None
    ) -> tuple[datetime | None, datetime]:
        end = end if end is not None else self.now()
        for when in (start, end):
            if when is not None and when.tzinfo is None:
                raise Invalid("range bounds must be timezone-aware times")
        if start is not None and start > end:
            raise Invalid(
                f"the range starts ({start.isoformat()}) after it ends ({end.isoformat()})"
            )
        return start, end

    def _session_scope(
        self, s: Session, root_id: str, start: datetime | None, end: datetime
    ) -> Any:
        """Sessions whose intervals may fall in [start, end), as one indexed condition."""
        cond = and_(PracticeSession.root_id == root_id, PracticeSession.started_at < end)
        if start is None:
            return cond
        window = and_(cond, PracticeSession.started_at >= start - LOOKBACK)
        # The unfinished session is found by its partial unique index; with a time bound in
        # the query SQLite walked the (root_id, started_at) index over years of sessions.
        # Asked once per transaction: reports need the scope twice.
        key = ("analytics_open_session", root_id)
        if key not in s.info:
            s.info[key] = s.execute(
                select(PracticeSession.id, PracticeSession.started_at).where(
                    PracticeSession.root_id == root_id, PracticeSession.completed_at.is_(None)
                )
            ).all()
        open_id = next((sid for sid, when in s.info[key] if when < start - LOOKBACK), None)
        return or_(window, PracticeSession.id == open_id) if open_id else window

    def _started_in(self, root_id: str, start: datetime | None, end: datetime) -> Any:
        cond = and_(PracticeSession.root_id == root_id, PracticeSession.started_at < end)
        return and_(cond, PracticeSession.started_at >= start) if start is not None else cond

    # --- shared queries -----------------------------------------------------------------

    def _intervals(
        self, s: Session, root_id: str, start: datetime | None, end: datetime
    ) -> list[_Interval]:
        """Work intervals overlapping [start, end) with their activity: ONE query."""
        stmt = (
            select(
                WorkInterval.session_id,
                ActivityInstance.activity_id,
                WorkInterval.started_at,
                WorkInterval.ended_at,
            )
            .join(PracticeSession, PracticeSession.id == WorkInterval.session_id)
            .join(ActivityInstance, ActivityInstance.id == WorkInterval.instance_id)
            .where(self._session_scope(s, root_id, start, end), WorkInterval.started_at < end)
        )
        if start is not None:
            stmt = stmt.where(or_(WorkInterval.ended_at.is_(None), WorkInterval.ended_at > start))
        return [_Interval(*row) for row in s.execute(stmt)]

    def _count_sessions(
        self, s: Session, root_id: str, start: datetime | None, end: datetime
    ) -> int:
        return (
            s.execute(
                select(func.count())
                .select_from(PracticeSession)
                .where(self._started_in(root_id, start, end))
            ).scalar()
            or 0
        )

    def _live(self, interval: _Interval, start: datetime | None, end: datetime) -> bool:
        """A running timer, shown as running when the range reaches the present."""
        if interval.ended_at is not None:
            return False
        now = self.now()
        return (start is None or start <= now) and now <= end

    def _time_of(
        self, intervals: Sequence[_Interval], start: datetime | None, end: datetime
    ) -> _Time:
        """Timer time per session from fetched intervals (the same figures as ``_time``)."""
        now = self.now()
        micros: dict[str, int] = defaultdict(int)
        for i in intervals:
            micros[i.session_id] += rules.interval_micros(i.started_at, i.ended_at, now, start, end)
        return _Time(dict(micros), [i for i in intervals if i.ended_at is None])

    def _time(self, s: Session, root_id: str, start: datetime | None, end: datetime) -> _Time:
        """Timer time per session in [start, end), summed by the database: one row a session.

        An interval inside the range is summed in SQL (exact microseconds); the few that
        need clipping to the range or are still running are read and cut in Python, by the
        rule of ``interval_seconds``. Intervals are not joined to their instance: a live
        interval never hangs under a deleted instance (the store deletes and restores them
        together, and import hides the children of deleted rows).
        """
        overlaps = [WorkInterval.started_at < end]
        inside = [WorkInterval.ended_at.is_not(None), WorkInterval.ended_at <= end]
        if start is not None:
            overlaps.append(or_(WorkInterval.ended_at.is_(None), WorkInterval.ended_at > start))
            inside.append(WorkInterval.started_at >= start)
        within = and_(*inside)
        scope = self._session_scope(s, root_id, start, end)
        micros: dict[str, int] = {}
        edged: list[str] = []
        for sid, summed, edges in s.execute(
            select(
                WorkInterval.session_id,
                func.sum(case((within, _Micros(WorkInterval.started_at, WorkInterval.ended_at)))),
                func.sum(case((within, 0), else_=1)),
            )
            .join(PracticeSession, PracticeSession.id == WorkInterval.session_id)
            .where(scope, *overlaps)
            .group_by(WorkInterval.session_id)
        ):
            micros[sid] = int(summed or 0)
            if edges:
                edged.append(sid)
        cut: list[_Interval] = []
        if edged:
            now = self.now()
            for row in s.execute(
                select(
                    WorkInterval.session_id,
                    ActivityInstance.activity_id,
                    WorkInterval.started_at,
                    WorkInterval.ended_at,
                )
                .join(ActivityInstance, ActivityInstance.id == WorkInterval.instance_id)
                .where(WorkInterval.session_id.in_(edged), *overlaps, ~within)
            ):
                interval = _Interval(*row)
                cut.append(interval)
                micros[interval.session_id] += rules.interval_micros(
                    interval.started_at, interval.ended_at, now, start, end
                )
        return _Time(micros, [i for i in cut if i.ended_at is None])

    # --- overview ------------------------------------------------------------------------

    def _overview(
        self,
        s: Session,
        root_id: str,
        start: datetime | None,
        end: datetime,
        time: _Time,
        tz: tzinfo | None,
    ) -> Overview:
        now = self.now()
        in_range = self._started_in(root_id, start, end)
        count, completed, stored = s.execute(
            select(
                func.count(),
                func.count(PracticeSession.completed_at),
                func.sum(PracticeSession.duration_seconds).filter(
                    PracticeSession.completed_at.is_not(None)
                ),
            ).where(in_range)
        ).one()
        # The unfinished session (and any ended one without a stored duration): by the rule.
        session_seconds = float(stored or 0)
        for row in s.execute(
            select(
                PracticeSession.started_at,
                PracticeSession.ended_at,
                PracticeSession.paused_at,
                PracticeSession.paused_seconds,
                PracticeSession.duration_seconds,
            ).where(
                in_range,
                or_(
                    PracticeSession.completed_at.is_(None),
                    PracticeSession.duration_seconds.is_(None),
                ),
            )
        ):
            session_seconds += timing.session_seconds(row, now)
        practice = time.total()
        days = {
            rules.local_date(when, tz)
            for when in s.execute(select(PracticeSession.started_at).where(in_range)).scalars()
        }
        longest, _ = rules.longest_streak(days)
        today = rules.local_date(now, tz)
        current = rules.current_streak(self._practice_days_desc(s, root_id, now, tz), today)
        return Overview(
            root_id=root_id,
            start=start,
            end=end,
            sessions=count or 0,
            completed=completed or 0,
            unfinished=(count or 0) - (completed or 0),
            practice_seconds=practice,
            session_seconds=session_seconds,
            average_session_seconds=session_seconds / count if count else 0.0,
            practice_days=len(days),
            current_streak=current,
            longest_streak=longest,
            running=any(self._live(i, start, end) for i in time.open),
        )

    def _practice_days_desc(
        self, s: Session, root_id: str, now: datetime, tz: tzinfo | None
    ) -> Iterator[date]:
        """Local days with a session, newest first, read in pages until the caller stops."""
        tomorrow = rules.day_start(rules.local_date(now, tz) + timedelta(days=1), tz)
        before = tomorrow
        page = 200
        while True:
            rows = list(
                s.execute(
                    select(PracticeSession.started_at)
                    .where(PracticeSession.root_id == root_id, PracticeSession.started_at < before)
                    .order_by(PracticeSession.started_at.desc())
                    .limit(page)
                ).scalars()
            )
            for when in rows:
                yield rules.local_date(when, tz)
            if len(rows) < page:
                return
            before = rows[-1]

    # --- by day, activity, goal ----------------------------------------------------------

    def _by_day(
        self,
        s: Session,
        root_id: str,
        start: datetime | None,
        end: datetime,
        intervals: Sequence[_Interval],
        tz: tzinfo | None,
    ) -> list[DayTotal]:
        now = self.now()
        seconds = rules.seconds_by_day(
            ((i.started_at, i.ended_at) for i in intervals), now, tz, lo=start, hi=end
        )
        counts: dict[date, int] = defaultdict(int)
        for when in s.execute(
            select(PracticeSession.started_at).where(self._started_in(root_id, start, end))
        ).scalars():
            counts[rules.local_date(when, tz)] += 1
        running_day = None
        if any(self._live(i, start, end) for i in intervals):
            running_day = rules.local_date(now, tz)
        return [
            DayTotal(
                day=day,
                seconds=seconds.get(day, 0.0),
                sessions=counts.get(day, 0),
                running=day == running_day,
            )
            for day in sorted(set(seconds) | set(counts))
        ]

    def _by_activity(
        self,
        s: Session,
        root_id: str,
        start: datetime | None,
        end: datetime,
        intervals: Sequence[_Interval],
    ) -> list[ActivityTotal]:
        now = self.now()
        micros: dict[str, int] = defaultdict(int)
        running: set[str] = set()
        for i in intervals:
            micros[i.activity_id] += rules.interval_micros(
                i.started_at, i.ended_at, now, start, end
            )
            if self._live(i, start, end):
                running.add(i.activity_id)
        seconds = {a: rules.micros_to_seconds(us) for a, us in micros.items()}
        counts = {
            activity_id: (sessions, instances)
            for activity_id, sessions, instances in s.execute(
                select(
                    ActivityInstance.activity_id,
                    func.count(func.distinct(ActivityInstance.session_id)),
                    func.count(),
                )
                .join(PracticeSession, PracticeSession.id == ActivityInstance.session_id)
                .where(self._started_in(root_id, start, end))
                .group_by(ActivityInstance.activity_id)
            )
        }
        ids = set(seconds) | set(counts)
        names = self._names(s, Activity, ids)
        rows = [
            ActivityTotal(
                id=a,
                name=names.get(a, "(deleted activity)"),
                seconds=seconds.get(a, 0.0),
                sessions=counts.get(a, (0, 0))[0],
                instances=counts.get(a, (0, 0))[1],
                running=a in running,
            )
            for a in ids
        ]
        rows.sort(key=lambda r: (-r.seconds, -r.sessions, r.name.lower(), r.id))
        return rows

    def _by_goal(
        self,
        s: Session,
        root_id: str,
        start: datetime | None,
        end: datetime,
        time: _Time,
    ) -> list[GoalTotal]:
        nodes = [
            _Node(gid, parent, level, name, bool(done))
            for gid, parent, level, name, done in s.execute(
                # Whether a goal is complete, not when: no time to convert per goal.
                select(
                    Goal.id, Goal.parent_id, Goal.level, Goal.name, Goal.completed_at.is_not(None)
                )
                .where(Goal.root_id == root_id)
                .order_by(Goal.sort_order, Goal.created_at)
            )
        ]
        seconds = time.seconds()
        started = set(
            s.execute(
                select(PracticeSession.id).where(self._started_in(root_id, start, end))
            ).scalars()
        )
        # Every session with time in the range or started in it, and the goals it works on.
        counted = dict(seconds)
        for sid in started:
            counted.setdefault(sid, 0.0)
        links = list(
            s.execute(
                select(SessionGoal.session_id, SessionGoal.goal_id)
                .join(PracticeSession, PracticeSession.id == SessionGoal.session_id)
                .where(self._session_scope(s, root_id, start, end))
            ).all()
        )
        parents = {n.id: n.parent_id for n in nodes}
        # Counts are of sessions started in the range; times take every session's share.
        times = rules.rollup(parents, links, counted, root_id, counting=started)
        running_sessions = {i.session_id for i in time.open if self._live(i, start, end)}
        running_goals: set[str] = set()
        if running_sessions:
            flags = rules.rollup(
                parents,
                [(a, b) for a, b in links if a in running_sessions],
                {sid: 0.0 for sid in running_sessions},
                root_id,
            )
            running_goals = {g for g, r in flags.items() if r.sessions}
        out = []
        for row in tree_order(nodes):
            node = row.node
            assert isinstance(node, _Node)
            t = times[node.id]
            out.append(
                GoalTotal(
                    id=node.id,
                    name=node.name,
                    parent_id=node.parent_id,
                    level=node.level,
                    depth=row.depth,
                    seconds=t.seconds,
                    sessions=t.sessions,
                    own_seconds=t.own_seconds,
                    own_sessions=t.own_sessions,
                    running=node.id in running_goals,
                    completed=node.completed,
                )
            )
        return out

    def _names(self, s: Session, model: Any, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        rows = s.execute(
            select(model.id, model.name).where(model.id.in_(list(ids))),
            execution_options={INCLUDE_DELETED: True},
        )
        return {row_id: name for row_id, name in rows}

    # --- progress -------------------------------------------------------------------------

    def _choices(self, s: Session, root_id: str) -> list[ActivityChoice]:
        # An activity is offered when one of its metrics has a value (an index seek each).
        recorded = (
            select(MetricDefinition.activity_id)
            .where(
                MetricDefinition.root_id == root_id,
                select(MetricValue.id)
                .where(MetricValue.root_id == root_id, MetricValue.metric_id == MetricDefinition.id)
                .exists(),
            )
            .distinct()
        )
        activities = list(
            s.execute(
                select(
                    Activity.id,
                    Activity.name,
                    Activity.metrics_multiplicative,
                    Activity.has_sets,
                )
                .where(Activity.root_id == root_id, Activity.id.in_(recorded))
                .order_by(func.lower(Activity.name), Activity.id)
            )
        )
        ids = [a[0] for a in activities]
        metrics: dict[str, list[tuple[MetricChoice, bool]]] = defaultdict(list)
        splits: dict[str, list[MetricChoice]] = defaultdict(list)
        if ids:
            for aid, mid, name, unit, mult in s.execute(
                select(
                    MetricDefinition.activity_id,
                    MetricDefinition.id,
                    MetricDefinition.name,
                    MetricDefinition.unit,
                    MetricDefinition.is_multiplicative,
                )
                .where(MetricDefinition.activity_id.in_(ids))
                .order_by(MetricDefinition.sort_order, MetricDefinition.created_at)
            ):
                metrics[aid].append((MetricChoice(mid, name, unit), bool(mult)))
            for aid, sid, name in s.execute(
                select(SplitDefinition.activity_id, SplitDefinition.id, SplitDefinition.name)
                .where(SplitDefinition.activity_id.in_(ids))
                .order_by(SplitDefinition.sort_order, SplitDefinition.created_at)
            ):
                splits[aid].append(MetricChoice(sid, name, ""))
        return [
            ActivityChoice(
                id=aid,
                name=name,
                metrics=tuple(m for m, _ in metrics[aid]),
                splits=tuple(splits[aid]),
                product=bool(mult) and sum(1 for _, f in metrics[aid] if f) >= 2,
                has_sets=bool(has_sets),
            )
            for aid, name, mult, has_sets in activities
            if metrics[aid]
        ]

    def _progress(
        self,
        s: Session,
        root_id: str,
        activity_ref: str,
        metric_ref: str | None,
        split_ref: str | None,
        mode: str,
        start: datetime | None,
        end: datetime,
        tz: tzinfo | None,
    ) -> ProgressSeries:
        mode = (mode or "").strip().lower()
        if mode not in MODES:
            raise Invalid(f"unknown mode {mode!r}; use best (best set) or average (of sets)")
        activity = self._resolve(s, Activity, activity_ref, Activity.root_id == root_id)
        metric_rows = list(
            s.execute(
                select(MetricDefinition)
                .where(MetricDefinition.activity_id == activity.id)
                .order_by(MetricDefinition.sort_order, MetricDefinition.created_at)
            ).scalars()
        )
        metrics = [MetricView(**{f: getattr(m, f) for f in _METRIC_FIELDS}) for m in metric_rows]
        if not metrics:
            raise Invalid(
                f"{activity.name!r} has no metrics to chart; add one with "
                f"`fractal edit-activity {activity.name!r} --metric NAME:UNIT`"
            )
        chosen, product = self._pick_metric(s, activity, metrics, metric_ref)
        split_id, split_name = self._pick_split(s, activity, split_ref)
        multiplicative = bool(activity.metrics_multiplicative)

        has_sets = bool(activity.has_sets)
        higher = True if product else chosen.higher_is_better  # type: ignore[union-attr]

        # The usual chart (a best-set metric, best mode) has a shortcut through the rules.
        order = setrules.ranking_order(metrics)
        by_itself = (
            mode == "best"
            and not product
            and chosen is not None
            and order[0].id == chosen.id
            and (any(m.is_best_set for m in metrics) or not multiplicative)
        )

        def point(sets: list[_Set], values: list[_Value]) -> tuple[float, int] | None:
            if by_itself:
                assert chosen is not None
                return rules.best_value_point(
                    sets, values, chosen.id, chosen.higher_is_better, has_sets=has_sets
                )
            return self._session_point(
                metrics, chosen, product, multiplicative, has_sets, mode, sets, values
            )

        # The range's sessions with their values; the history before the range only as the
        # two figures the series needs from it: the best point and the last one.
        ids = [m.id for m in metrics]
        in_range = self._started_in(root_id, start, end)
        sessions, seen = self._progress_sessions(s, activity.id, ids, split_id, in_range)
        history: list[tuple[str, str, datetime, float, int]] = []
        for sid, (sname, started, sets, values) in sessions.items():
            found = point(sets, values)
            if found is not None:
                history.append((sid, sname, started, found[0], found[1]))
        prior_best = previous = None
        if start is not None:
            before = and_(PracticeSession.root_id == root_id, PracticeSession.started_at < start)
            if product:
                prior_best = self._best_by_reading(s, activity.id, ids, split_id, before, point)
            else:
                assert chosen is not None
                range_values = [
                    v.value
                    for _, _, _, values in sessions.values()
                    for v in values
                    if v.metric_id == chosen.id
                ]
                floor = history[0][3] if history else None
                prior_best = self._best_by_bounds(
                    s, activity.id, ids, chosen, split_id, start, floor, seen, range_values, point
                )
            if len(history) == 1:
                previous = self._last_point(s, root_id, activity.id, ids, split_id, start, point)
        flags = rules.personal_bests([h[3] for h in history], higher, prior_best)
        points = tuple(
            ProgressPoint(
                session_id=sid,
                session_name=sname,
                started_at=started,
                day=rules.local_date(started, tz),
                value=value,
                sets=count,
                personal_best=flag,
            )
            for (sid, sname, started, value, count), flag in zip(history, flags, strict=True)
        )
        values_all = [h[3] for h in history] + ([prior_best] if prior_best is not None else [])
        best = (max(values_all) if higher else min(values_all)) if values_all else None
        change = None
        latest = history[-1][3] if history else None
        before_latest = history[-2][3] if len(history) >= 2 else previous
        if latest is not None and before_latest is not None:
            change = _compare(
                latest,
                before_latest,
                higher,
                PRODUCT if product else chosen.id,  # type: ignore[union-attr]
                PRODUCT if product else chosen.name,  # type: ignore[union-attr]
                _product_unit(metrics) if product else chosen.unit,  # type: ignore[union-attr]
            )
        return ProgressSeries(
            root_id=root_id,
            activity_id=activity.id,
            activity_name=activity.name,
            metric_id=None if product else chosen.id,  # type: ignore[union-attr]
            metric_name=_product_name(metrics) if product else chosen.name,  # type: ignore[union-attr]
            unit=_product_unit(metrics) if product else chosen.unit,  # type: ignore[union-attr]
            higher_is_better=higher,
            mode=mode,
            split_id=split_id,
            split_name=split_name,
            start=start,
            end=end,
            points=points,
            best=best,
            delta=change,
        )

    def _pick_metric(
        self, s: Session, activity: Activity, metrics: list[MetricView], ref: str | None
    ) -> tuple[MetricView | None, bool]:
        names = ", ".join(m.name for m in metrics)
        if ref is None or not ref.strip():
            flagged = [m for m in metrics if m.is_best_set]
            return (flagged[0] if flagged else metrics[0]), False
        ref = ref.strip()
        if ref.lower() == PRODUCT and not any(m.name.lower() == PRODUCT for m in metrics):
            factors = [m for m in metrics if m.is_multiplicative]
            if not activity.metrics_multiplicative or len(factors) < 2:
                raise Invalid(
                    f"{activity.name!r} has no product: it needs at least two multiplicative "
                    f"metrics and the product turned on; its metrics: {names}"
                )
            return None, True
        try:
            row = self._resolve(
                s, MetricDefinition, ref, MetricDefinition.activity_id == activity.id
            )
        except NotFound:
            raise NotFound(
                f"{activity.name!r} has no metric {ref!r}; its metrics: {names}"
                + (f", {PRODUCT}" if activity.metrics_multiplicative else "")
            ) from None
        return next(m for m in metrics if m.id == row.id), False

    def _pick_split(
        self, s: Session, activity: Activity, ref: str | None
    ) -> tuple[str | None, str | None]:
        if ref is None or not ref.strip() or ref.strip().lower() == "all":
            return None, None
        splits = list(
            s.execute(
                select(SplitDefinition.id, SplitDefinition.name)
                .where(SplitDefinition.activity_id == activity.id)
                .order_by(SplitDefinition.sort_order, SplitDefinition.created_at)
            ).all()
        )
        if not splits:
            raise Invalid(f"{activity.name!r} has no splits; leave out --split")
        try:
            row = self._resolve(
                s, SplitDefinition, ref.strip(), SplitDefinition.activity_id == activity.id
            )
        except NotFound:
            raise NotFound(
                f"{activity.name!r} has no split {ref.strip()!r}; its splits: "
                + ", ".join(name for _, name in splits)
            ) from None
        return row.id, row.name

    def _progress_sessions(
        self,
        s: Session,
        activity_id: str,
        metric_ids: list[str],
        split_id: str | None,
        sessions_where: Any,
    ) -> tuple[dict[str, tuple[str, datetime, list[_Set], list[_Value]]], set[str]]:
        """Sessions matching ``sessions_where`` (a range) that have values of the activity,
        in time order, each with its sets and values; and the instances holding them.

        ONE query from the range's sessions through the session_id and instance_id indexes,
        so the cost follows the range, not the activity's history.
        """
        stmt = (
            _values_query(metric_ids, split_id)
            # The session's name and start ride along (the start as stored, converted once
            # per session below, not once per value).
            .add_columns(PracticeSession.name, type_coerce(PracticeSession.started_at, String))
            .select_from(PracticeSession)
            .join(ActivityInstance, ActivityInstance.session_id == PracticeSession.id)
            .join(MetricValue, MetricValue.instance_id == ActivityInstance.id)
            .outerjoin(ActivitySet, ActivitySet.id == MetricValue.set_id)
            .where(sessions_where, ActivityInstance.activity_id == activity_id)
        )
        found: dict[str, tuple[list[_Set], list[_Value]]] = {}
        stored: dict[str, tuple[str, Any]] = {}
        instances = _collect_values(s.execute(stmt), found, stored)
        dialect = s.get_bind().dialect
        started_type = PracticeSession.__table__.c.started_at.type  # type: ignore[attr-defined]
        convert = started_type.dialect_impl(dialect).result_processor(dialect, None)
        assert convert is not None
        heads = sorted((convert(raw), sid, name or "") for sid, (name, raw) in stored.items())
        return {sid: (name, started, *found[sid]) for started, sid, name in heads}, instances

    def _progress_sessions_by_id(
        self,
        s: Session,
        activity_id: str,
        metric_ids: list[str],
        split_id: str | None,
        session_ids: Sequence[str],
    ) -> dict[str, tuple[str, datetime, list[_Set], list[_Value]]]:
        """``_progress_sessions`` for a few sessions named by id.

        Through their instances, a few ids per query: every table here is also indexed by
        root_id, and SQLite's sampled statistics make that index look as narrow as ~400
        rows, so a longer IN list would be planned as a walk of the whole fractal.
        """
        instances: list[tuple[int, datetime, str]] = []
        for part in _parts(session_ids, _FEW * 2):
            instances.extend(
                (order, created, iid)
                for iid, order, created in s.execute(
                    select(
                        ActivityInstance.id,
                        ActivityInstance.sort_order,
                        ActivityInstance.created_at,
                    ).where(
                        ActivityInstance.session_id.in_(part),
                        ActivityInstance.activity_id == activity_id,
                    )
                )
            )
        instances.sort()  # the values query's order, carried across its parts
        found: dict[str, tuple[list[_Set], list[_Value]]] = {}
        for part in _parts([iid for _, _, iid in instances], _FEW):
            stmt = (
                _values_query(metric_ids, split_id)
                .select_from(ActivityInstance)
                .join(MetricValue, MetricValue.instance_id == ActivityInstance.id)
                .outerjoin(ActivitySet, ActivitySet.id == MetricValue.set_id)
                .where(ActivityInstance.id.in_(part))
            )
            _collect_values(s.execute(stmt), found)
        return self._with_heads(s, found)

    def _with_heads(
        self, s: Session, found: dict[str, tuple[list[_Set], list[_Value]]]
    ) -> dict[str, tuple[str, datetime, list[_Set], list[_Value]]]:
        """Sessions' names and starts added, in the order of the series: (start, id)."""
        heads: list[tuple[datetime, str, str]] = []
        for part in _parts(list(found), _FEW * 2):
            heads.extend(
                (started, sid, sname or "")
                for sid, sname, started in s.execute(
                    select(
                        PracticeSession.id, PracticeSession.name, PracticeSession.started_at
                    ).where(PracticeSession.id.in_(part))
                )
            )
        heads.sort(key=lambda h: (h[0], h[1]))
        return {sid: (sname, started, *found[sid]) for started, sid, sname in heads}

    def _best_by_bounds(
        self,
        s: Session,
        activity_id: str,
        metric_ids: list[str],
        chosen: MetricView,
        split_id: str | None,
        start: datetime,
        floor: float | None,
        skip: set[str],
        range_values: list[float],
        point: Any,
    ) -> float | None:
        """The best point of the sessions before ``start`` (None: none reaches ``floor``).

        A session's point (its best set's value, the average of its sets, the best of the
        metric) is never better than the best single value of the metric it holds. So the
        metric's values are read best first, in one pass of its index and without joins,
        and the sessions they belong to are ranked exactly, by the rules of the range, until
        the next value cannot beat the best point found. skip, range_values: the range's
        instances (passed over) and the values of the chosen metric they hold.

        Only a prior best at least as good as the range's first point changes the series
        (personal bests and the overall best); when the range has points, worse values are
        not read, and None stands for "none that good".
        """
        higher = chosen.higher_is_better
        cond = [MetricValue.metric_id == chosen.id]
        if split_id is not None:
            cond.append(MetricValue.split_id == split_id)
        if floor is not None:
            cond.append(MetricValue.value >= floor if higher else MetricValue.value <= floor)
            ahead = sum(1 for v in range_values if not _better(floor, v, higher))
        else:
            ahead = len(range_values)
        order = MetricValue.value.desc() if higher else MetricValue.value.asc()
        best: float | None = None
        ranked: set[str] = set()
        # The range's own values come first in a rising series: read past them at once.
        offset, size = 0, ahead + 32
        while True:
            rows = [
                (float(value), iid)
                for value, iid in s.execute(
                    select(MetricValue.value, MetricValue.instance_id)
                    .where(*cond)
                    .order_by(order, MetricValue.id)
                    .offset(offset)
                    .limit(size)
                )
            ]
            owners = self._instance_sessions(
                s, activity_id, {iid for _, iid in rows if iid not in skip}
            )
            fresh = [
                owners[iid][0]
                for _, iid in rows
                if iid in owners and owners[iid][1] < start and owners[iid][0] not in ranked
            ]
            points: dict[str, float] = {}
            if fresh:
                got = self._progress_sessions_by_id(
                    s, activity_id, metric_ids, split_id, list(dict.fromkeys(fresh))
                )
                for sid, (_, _, sets, values) in got.items():
                    found = point(sets, values)
                    if found is not None:
                        points[sid] = found[0]
            for value, iid in rows:
                if best is not None and not _better(value, best, higher):
                    return best  # no session left can beat it: its best value does not
                owner = owners.get(iid)
                if owner is None or owner[1] >= start or owner[0] in ranked:
                    continue  # of the range or after it, deleted, or ranked already
                ranked.add(owner[0])
                found_point = points.get(owner[0])
                if found_point is not None and (best is None or _better(found_point, best, higher)):
                    best = found_point
            if len(rows) < size:
                return best
            offset += size
            size *= 8

    def _instance_sessions(
        self, s: Session, activity_id: str, instance_ids: set[str]
    ) -> dict[str, tuple[str, datetime]]:
        """Instance id -> (session id, session start) for live instances of the activity."""
        out: dict[str, tuple[str, datetime]] = {}
        for part in _parts(list(instance_ids), _MANY):
            for iid, sid, started in s.execute(
                select(ActivityInstance.id, PracticeSession.id, PracticeSession.started_at)
                .join(PracticeSession, PracticeSession.id == ActivityInstance.session_id)
                .where(ActivityInstance.id.in_(part), ActivityInstance.activity_id == activity_id)
            ):
                out[iid] = (sid, started)
        return out

    def _best_by_reading(
        self,
        s: Session,
        activity_id: str,
        metric_ids: list[str],
        split_id: str | None,
        sessions_where: Any,
        point: Any,
    ) -> float | None:
        """The best point before the range by reading every earlier session: a product of
        metrics has no single value to bound it by."""
        sessions, _ = self._progress_sessions(s, activity_id, metric_ids, split_id, sessions_where)
        best: float | None = None
        for _, _, sets, values in sessions.values():
            found = point(sets, values)
            if found is not None and (best is None or _better(found[0], best, True)):
                best = found[0]
        return best

    def _last_point(
        self,
        s: Session,
        root_id: str,
        activity_id: str,
        metric_ids: list[str],
        split_id: str | None,
        start: datetime,
        point: Any,
    ) -> float | None:
        """The point of the last session before ``start`` that has one (newest first)."""
        # Walking back from the range, each session is checked through its own instances.
        done = (
            select(ActivityInstance.id)
            .where(
                ActivityInstance.session_id == PracticeSession.id,
                ActivityInstance.activity_id == activity_id,
            )
            .exists()
        )
        before = start
        last_id: str | None = None
        page = 8
        while True:
            cond = [PracticeSession.root_id == root_id, done]
            if last_id is None:
                cond.append(PracticeSession.started_at < before)
            else:
                cond.append(
                    or_(
                        PracticeSession.started_at < before,
                        and_(PracticeSession.started_at == before, PracticeSession.id < last_id),
                    )
                )
            heads = s.execute(
                select(PracticeSession.id, PracticeSession.started_at)
                .where(*cond)
                .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
                .limit(page)
            ).all()
            if not heads:
                return None
            got = self._progress_sessions_by_id(
                s, activity_id, metric_ids, split_id, [h[0] for h in heads]
            )
            for sid, _ in heads:
                if sid in got:
                    found = point(got[sid][2], got[sid][3])
                    if found is not None:
                        return found[0]
            if len(heads) < page:
                return None
            last_id, before = heads[-1]
            page = min(page * 4, _MANY)

    @staticmethod
    def _session_point(
        metrics: list[MetricView],
        chosen: MetricView | None,
        product: bool,
        multiplicative: bool,
        has_sets: bool,
        mode: str,
        sets: list[_Set],
        values: list[_Value],
    ) -> tuple[float, int] | None:
        """(value, sets behind it) of one session, by the set rules of fractal_tui.progress."""
        figs = setrules.figures(metrics, sets, values, multiplicative, has_sets=has_sets)
        counted = [f for f in figs if f.counted]

        def of(fig: setrules.SetFigures) -> float | None:
            if product:
                return fig.best_yield
            assert chosen is not None
            return fig.value(chosen)

        if mode == "average":
            per_set = [v for v in (of(f) for f in counted) if v is not None]
            avg = rules.mean(per_set)
            return None if avg is None else (avg, len(per_set))
        if product:
            yields = [y for y in (f.best_yield for f in counted) if y is not None]
            return (max(yields), len(yields)) if yields else None
        best = setrules.best_set(figs, metrics, multiplicative)
        value = of(best) if best is not None else None
        if value is None:
            # The best set (by another metric) lacks this one: the best of this metric.
            per_set = [v for v in (of(f) for f in counted) if v is not None]
            if not per_set:
                return None
            assert chosen is not None
            value = max(per_set) if chosen.higher_is_better else min(per_set)
        return value, len(counted)


_METRIC_FIELDS = (
    "id",
    "activity_id",
    "name",
    "unit",
    "is_best_set",
    "is_multiplicative",
    "higher_is_better",
    "sort_order",
)


def _product_name(metrics: Sequence[MetricView]) -> str:
    return " × ".join(m.name for m in metrics if m.is_multiplicative)


def _product_unit(metrics: Sequence[MetricView]) -> str:
    return "×".join(m.unit for m in metrics if m.is_multiplicative and m.unit)


def _values_query(metric_ids: list[str], split_id: str | None) -> Any:
    """The columns the set rules need, in the order they see sets in (numbering, ties, the
    last of equal cells); the caller adds FROM and the rows wanted."""
    stmt = (
        select(
            ActivityInstance.session_id,
            ActivityInstance.id,
            MetricValue.set_id,
            ActivitySet.status,
            MetricValue.metric_id,
            MetricValue.split_id,
            MetricValue.value,
        )
        .where(MetricValue.metric_id.in_(metric_ids))
        .order_by(ActivityInstance.sort_order, ActivityInstance.created_at, ActivitySet.sort_order)
    )
    return stmt.where(MetricValue.split_id == split_id) if split_id is not None else stmt


def _collect_values(
    rows: Any,
    found: dict[str, tuple[list[_Set], list[_Value]]],
    heads: dict[str, tuple[str, Any]] | None = None,
) -> set[str]:
    """Rows of ``_values_query`` into sets and values per session; returns the instances.

    heads: filled with each session's (name, start) when the rows carry them."""
    instances: set[str] = set()
    seen_sets: set[str] = set()
    for sid, instance_id, set_id, status, metric_id, value_split, value, *head in rows:
        entry = found.get(sid)
        if entry is None:
            entry = found[sid] = ([], [])
            if heads is not None:
                heads[sid] = (head[0], head[1])
        instances.add(instance_id)
        if set_id is not None and set_id not in seen_sets:
            seen_sets.add(set_id)
            entry[0].append(_Set(set_id, status or "planned"))
        entry[1].append(_Value(set_id, metric_id, value_split, float(value)))
    return instances


def _parts(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for at in range(0, len(items), size):
        yield list(items[at : at + size])


def _better(value: float, best: float, higher_is_better: bool) -> bool:
    return value > best if higher_is_better else value < best


def _compare(
    latest: float, previous: float, higher_is_better: bool, key: str, name: str, unit: str
) -> MetricDelta:
    """The "vs last time" delta, by the rule every screen shares."""
    return comparison.delta(key, name, unit, previous, latest, higher_is_better)
