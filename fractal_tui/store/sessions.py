"""Sessions, their goals, activity instances and the timer ledger.

The timer rules live in ``fractal_tui.timing`` (pure); this module loads a session's ledger,
asks ``timing`` for the new one and saves the difference, all in one transaction:

- One unfinished session per fractal; starting another is a conflict naming the active one.
- At most one interval runs per session; ``switch`` closes it at the instant the next opens.
- Pause closes the running interval and remembers its instance; resume reopens it. Starting
  a timer while paused ends the pause. Paused time never counts.
- Completing an instance closes its interval (a never-started one completes at 0 s);
  completing again or restarting a completed instance needs an explicit reopen.
- Ending a session completes its running (or paused) instance and stores
  duration = end - start - paused. Reopening an ended session leaves it paused from its end,
  so the gap never counts.
- Manual times give start and end, end not before start, nothing in the future, no overlap.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from fractal_tui import progress, timing
from fractal_tui.errors import Conflict, Invalid
from fractal_tui.models import (
    Activity,
    ActivityInstance,
    ActivitySet,
    Goal,
    MetricValue,
    Note,
    PracticeSession,
    SessionGoal,
    WorkInterval,
)
from fractal_tui.store.base import StoreBase
from fractal_tui.timing import Span
from fractal_tui.views import (
    ActivityView,
    GoalView,
    InstanceSummary,
    InstanceView,
    IntervalView,
    NoteView,
    Page,
    SessionDetail,
    SessionSummary,
    SessionView,
    SetView,
    Status,
    ValueView,
    from_row,
)

MAX_SESSION_NAME = 200


def clean_session_name(name: str | None) -> str:
    """A session name may be empty; otherwise no control characters and not too long."""
    text = (name or "").strip()
    if len(text) > MAX_SESSION_NAME:
        raise Invalid(f"a session name can be at most {MAX_SESSION_NAME} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise Invalid("a session name cannot contain control characters")
    return text


def session_label(session: Any) -> str:
    """'Morning practice' (started 09:00), for messages."""
    started = session.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"{session.name!r} (started {started})" if session.name else f"the session of {started}"


class SessionsMixin(StoreBase):
    # --- small helpers -------------------------------------------------------------------

    def _practice_time(self, at: datetime | None, what: str = "that time") -> datetime:
        """``at`` (or now), refused when in the future."""
        now = self.now()
        if at is None:
            return now
        if at.tzinfo is None:
            raise Invalid(f"{what} needs a time zone")
        timing.check_not_future(at, now, what)
        return at

    def _active_session_row(self, s: Session, root_id: str) -> PracticeSession | None:
        return (
            s.execute(
                select(PracticeSession).where(
                    PracticeSession.root_id == root_id, PracticeSession.completed_at.is_(None)
                )
            )
            .scalars()
            .first()
        )

    def _require_active(self, s: Session, root_id: str) -> PracticeSession:
        session = self._active_session_row(s, root_id)
        if session is None:
            raise Conflict("there is no active session; start one (`fractal start-session`)")
        return session

    def _require_open(self, session: PracticeSession) -> None:
        if session.completed_at is not None:
            raise Conflict(f"{session_label(session)} has ended; reopen it first")

    def _session_in(self, s: Session, session_id: str) -> PracticeSession:
        """A session, with the transaction scoped to its fractal from here on."""
        session = self._get(s, PracticeSession, session_id)
        s.info["root_id"] = session.root_id
        return session

    def _instance_in(self, s: Session, instance_id: str) -> ActivityInstance:
        instance = self._get(s, ActivityInstance, instance_id)
        s.info["root_id"] = instance.root_id
        return instance

    def _unfinished_instance(self, s: Session, instance_id: str | None) -> ActivityInstance | None:
        """A live, not yet completed instance (a remembered one may since have gone)."""
        if not instance_id:
            return None
        return (
            s.execute(
                select(ActivityInstance).where(
                    ActivityInstance.id == instance_id, ActivityInstance.completed_at.is_(None)
                )
            )
            .scalars()
            .first()
        )

    def _instance_names(self, s: Session, session_id: str) -> dict[str, str]:
        """Instance id -> activity name, for messages."""
        rows = s.execute(
            select(ActivityInstance.id, Activity.name)
            .join(Activity, Activity.id == ActivityInstance.activity_id)
            .where(ActivityInstance.session_id == session_id)
        ).all()
        return dict(rows)  # type: ignore[arg-type]

    def _instance_label(self, s: Session, session_id: str) -> Callable[[str], str]:
        """Instance id -> activity name for messages, read when a message first needs one
        (most calls succeed and never ask)."""
        names: dict[str, str] | None = None

        def label(instance_id: str) -> str:
            nonlocal names
            if names is None:
                names = self._instance_names(s, session_id)
            return names.get(instance_id, "that activity")

        return label

    def _ledger_rows(self, s: Session, session_id: str) -> list[WorkInterval]:
        return list(
            s.execute(
                select(WorkInterval)
                .where(WorkInterval.session_id == session_id)
                .order_by(WorkInterval.started_at, WorkInterval.created_at)
            ).scalars()
        )

    def _save_ledger(
        self, s: Session, session: PracticeSession, rows: list[WorkInterval], spans: Iterable[Span]
    ) -> None:
        """Persist a new ledger: update changed rows, drop missing ones, insert new spans.

        Updates (which close a running interval) go first so the one-running-timer index
        never sees two open intervals.
        """
        by_id = {r.id: r for r in rows}
        spans = list(spans)
        kept = {sp.id for sp in spans if sp.id}
        for sp in spans:
            if sp.id:
                self._update(s, by_id[sp.id], started_at=sp.started_at, ended_at=sp.ended_at)
        for row in rows:
            if row.id not in kept:
                self._soft_delete(s, row)
        for sp in spans:
            if not sp.id:
                self._insert(
                    s,
                    WorkInterval(
                        session_id=session.id,
                        instance_id=sp.instance_id,
                        started_at=sp.started_at,
                        ended_at=sp.ended_at,
                    ),
                )

    @staticmethod
    def _ledger_spans(rows: Iterable[WorkInterval]) -> tuple[Span, ...]:
        return tuple(Span(r.instance_id, r.started_at, r.ended_at, id=r.id) for r in rows)

    def _close_running(
        self,
        s: Session,
        session: PracticeSession,
        at: datetime,
        *,
        rows: list[WorkInterval] | None = None,
        label: Callable[[str], str] | None = None,
    ) -> WorkInterval | None:
        """Close the session's running interval at ``at``; returns it (None if none ran).

        ``rows``: the session's ledger when the caller has just read it.
        """
        if rows is None:
            rows = self._ledger_rows(s, session.id)
        current = next((r for r in rows if r.ended_at is None), None)
        if current is not None:
            spans = timing.close(
                self._ledger_spans(rows), at, label=label or self._instance_label(s, session.id)
            )
            self._save_ledger(s, session, rows, spans)
        return current

    # --- read models ---------------------------------------------------------------------

    def _session_views(self, s: Session, sessions: Sequence[PracticeSession]) -> list[SessionView]:
        """Views with goal links and instance counts in two queries, whatever the number."""
        ids = [x.id for x in sessions]
        if not ids:
            return []
        counts = dict(
            s.execute(
                select(ActivityInstance.session_id, func.count(ActivityInstance.id))
                .where(ActivityInstance.session_id.in_(ids))
                .group_by(ActivityInstance.session_id)
            ).all()
        )
        goals: dict[str, list[tuple[str, str]]] = {}
        for session_id, goal_id, goal_name in s.execute(
            select(SessionGoal.session_id, Goal.id, Goal.name)
            .join(Goal, Goal.id == SessionGoal.goal_id)
            .where(SessionGoal.session_id.in_(ids))
            .order_by(Goal.level, Goal.sort_order, Goal.created_at)
        ).all():
            goals.setdefault(session_id, []).append((goal_id, goal_name))
        return [
            from_row(
                SessionView,
                x,
                goal_ids=tuple(g for g, _ in goals.get(x.id, [])),
                goal_names=tuple(n for _, n in goals.get(x.id, [])),
                instance_count=counts.get(x.id, 0),
            )
            for x in sessions
        ]

    def _session_view(self, s: Session, session: PracticeSession) -> SessionView:
        return self._session_views(s, [session])[0]

    def _instance_views(
        self, s: Session, instances: Sequence[ActivityInstance]
    ) -> list[InstanceView]:
        """Instances with activity name, ledger, sets and values in four queries."""
        ids = [i.id for i in instances]
        if not ids:
            return []
        names = dict(
            s.execute(
                select(Activity.id, Activity.name).where(
                    Activity.id.in_({i.activity_id for i in instances})
                )
            ).all()
        )
        intervals: dict[str, list[IntervalView]] = {}
        for r in s.execute(
            select(WorkInterval)
            .where(WorkInterval.instance_id.in_(ids))
            .order_by(WorkInterval.started_at)
        ).scalars():
            intervals.setdefault(r.instance_id, []).append(from_row(IntervalView, r))
        sets: dict[str, list[SetView]] = {}
        for r in self._list(s, ActivitySet, ActivitySet.instance_id.in_(ids)):
            sets.setdefault(r.instance_id, []).append(from_row(SetView, r))
        values: dict[str, list[ValueView]] = {}
        for r in self._list(s, MetricValue, MetricValue.instance_id.in_(ids)):
            values.setdefault(r.instance_id, []).append(from_row(ValueView, r))
        return [
            from_row(
                InstanceView,
                i,
                activity_name=names.get(i.activity_id, ""),
                intervals=tuple(intervals.get(i.id, ())),
                sets=tuple(sets.get(i.id, ())),
                values=tuple(values.get(i.id, ())),
            )
            for i in instances
        ]

    def _instance_view(self, s: Session, instance: ActivityInstance) -> InstanceView:
        return self._instance_views(s, [instance])[0]

    def _activity_views(
        self, s: Session, activity_ids: Iterable[str], *, usage: bool = False
    ) -> list[ActivityView]:
        """Definitions (metrics, splits) of the given activities, via the activities mixin.

        Usage figures (times_done, last_done) only with ``usage``: they read the activities'
        whole history, and a session's screen, summary and figures do not show them.
        """
        ids = list(dict.fromkeys(activity_ids))
        if not ids:
            return []
        rows = self._list(s, Activity, Activity.id.in_(ids))
        return self._views(s, rows, by_ids=True, usage=usage)  # type: ignore[attr-defined,no-any-return]

    # --- sessions ------------------------------------------------------------------------

    def start_session(
        self,
        root_id: str,
        *,
        name: str = "",
        goal_ids: Sequence[str] = (),
        at: datetime | None = None,
    ) -> SessionView:
        """Start the fractal's session (one unfinished at a time), linked to goals."""
        with self._tx(root_id) as s:
            session = self._start_session(s, root_id, name, goal_ids, at)
            return self._session_view(s, session)

    def _start_session(
        self,
        s: Session,
        root_id: str,
        name: str,
        goal_ids: Sequence[str],
        at: datetime | None,
    ) -> PracticeSession:
        name = clean_session_name(name)
        at = self._practice_time(at, "the session's start")
        self._fractal_root(s, root_id)
        active = self._active_session_row(s, root_id)
        if active is not None:
            raise Conflict(
                f"{session_label(active)} is still active; end it first (`fractal end-session`)"
            )
        session = self._insert(s, PracticeSession(name=name, started_at=at), root_id=root_id)
        for goal_id in dict.fromkeys(goal_ids):
            self._link_goal(s, session, goal_id)
        self._event(s, root_id, "session_started", session, f"started {session_label(session)}")
        return session

    def _link_goal(self, s: Session, session: PracticeSession, goal_id: str) -> bool:
        goal = self._get(s, Goal, goal_id)
        linked = s.execute(
            select(SessionGoal.id).where(
                SessionGoal.session_id == session.id, SessionGoal.goal_id == goal.id
            )
        ).first()
        if linked:
            return False
        self._insert(s, SessionGoal(session_id=session.id, goal_id=goal.id))
        return True

    def active_session(self, root_id: str) -> SessionView | None:
        with self._read(root_id) as s:
            session = self._active_session_row(s, root_id)
            return self._session_view(s, session) if session else None

    def get_session(self, session_id: str) -> SessionView:
        with self._read() as s:
            return self._session_view(s, self._session_in(s, session_id))

    def resolve_session(self, root_id: str, ref: str) -> SessionView:
        """A session by id, id prefix or exact name (case-insensitive)."""
        with self._read(root_id) as s:
            return self._session_view(s, self._resolve(s, PracticeSession, ref))

    def sessions(
        self,
        root_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        activity_id: str | None = None,
        goal_id: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """Sessions newest first, started in [start, end), optionally with an activity or goal."""
        if limit < 1 or offset < 0:
            raise Invalid("a page needs a limit of at least 1 and an offset of 0 or more")
        if start is not None and end is not None and end < start:
            raise Invalid("the end of the range is before its start")
        with self._read(root_id) as s:
            where: list[Any] = []
            if start is not None:
                where.append(PracticeSession.started_at >= start)
            if end is not None:
                where.append(PracticeSession.started_at < end)
            if activity_id is not None:
                where.append(
                    exists().where(
                        ActivityInstance.session_id == PracticeSession.id,
                        ActivityInstance.activity_id == activity_id,
                    )
                )
            if goal_id is not None:
                where.append(
                    exists().where(
                        SessionGoal.session_id == PracticeSession.id,
                        SessionGoal.goal_id == goal_id,
                    )
                )
            total = s.execute(
                select(func.count()).select_from(PracticeSession).where(*where)
            ).scalar()
            rows = list(
                s.execute(
                    select(PracticeSession)
                    .where(*where)
                    .order_by(PracticeSession.started_at.desc(), PracticeSession.id)
                    .offset(offset)
                    .limit(limit)
                ).scalars()
            )
            return Page(
                items=tuple(self._session_views(s, rows)),
                total=total or 0,
                offset=offset,
                limit=limit,
            )

    def session_detail(self, session_id: str, *, usage: bool = False) -> SessionDetail:
        """The session with its instances (ledger, sets, values), definitions, goals, notes.

        The activities' usage figures (times_done, last_done) are filled only with ``usage``:
        they grow with the activities' history, and the session screen re-reads this every
        few seconds without showing them (`fractal session --json` asks for them).
        """
        with self._read() as s:
            session = self._session_in(s, session_id)
            instances = self._list(s, ActivityInstance, ActivityInstance.session_id == session.id)
            views = self._instance_views(s, instances)
            goals = self._list(
                s,
                Goal,
                Goal.id.in_(
                    select(SessionGoal.goal_id).where(SessionGoal.session_id == session.id)
                ),
            )
            notes = self._list(
                s,
                Note,
                (Note.session_id == session.id) | Note.instance_id.in_([i.id for i in instances]),
            )
            return SessionDetail(
                session=self._session_view(s, session),
                instances=tuple(views),
                activities=tuple(
                    self._activity_views(s, (i.activity_id for i in instances), usage=usage)
                ),
                goals=tuple(from_row(GoalView, g) for g in goals),
                notes=tuple(from_row(NoteView, n) for n in notes),
            )

    def link_goal(self, session_id: str, goal_id: str) -> SessionView:
        """Link a goal the session works on (already linked: nothing changes)."""
        with self._tx() as s:
            session = self._session_in(s, session_id)
            self._link_goal(s, session, goal_id)
            return self._session_view(s, session)

    def unlink_goal(self, session_id: str, goal_id: str) -> SessionView:
        """Remove a goal link (not linked: nothing changes)."""
        with self._tx() as s:
            session = self._session_in(s, session_id)
            for link in self._list(
                s, SessionGoal, SessionGoal.session_id == session.id, SessionGoal.goal_id == goal_id
            ):
                self._soft_delete(s, link)
            return self._session_view(s, session)

    def rename_session(self, session_id: str, name: str) -> SessionView:
        with self._tx() as s:
            session = self._session_in(s, session_id)
            self._update(s, session, name=clean_session_name(name))
            return self._session_view(s, session)

    def pause_session(self, session_id: str, at: datetime | None = None) -> SessionView:
        """Close the running interval and remember its instance for resume."""
        with self._tx() as s:
            session = self._session_in(s, session_id)
            self._require_open(session)
            if session.paused_at is not None:
                raise Conflict(f"{session_label(session)} is already paused")
            at = self._practice_time(at, "the pause")
            if at < session.started_at:
                raise Invalid("a session cannot be paused before it started")
            stopped = self._close_running(s, session, at)
            self._update(
                s,
                session,
                paused_at=at,
                paused_instance_id=stopped.instance_id if stopped else None,
            )
            return self._session_view(s, session)

    def resume_session(self, session_id: str, at: datetime | None = None) -> SessionView:
        """End the pause; the instance the pause stopped runs again."""
        with self._tx() as s:
            session = self._session_in(s, session_id)
            self._require_open(session)
            if session.paused_at is None:
                raise Conflict(f"{session_label(session)} is not paused")
            at = self._practice_time(at, "the resume")
            instance_id = session.paused_instance_id
            self._end_pause(s, session, at)
            instance = self._unfinished_instance(s, instance_id)
            if instance is not None:
                self._open_timer(s, session, instance, at, switch=False)
            return self._session_view(s, session)

    def _end_pause(self, s: Session, session: PracticeSession, at: datetime) -> None:
        if session.paused_at is None:
            return
        if at < session.paused_at:
            raise Invalid(
                f"cannot resume at {timing.hhmm(at)}: the session was paused at "
                f"{timing.hhmm(session.paused_at)}"
            )
        self._update(
            s,
            session,
            paused_seconds=timing.paused_total(session.paused_seconds, session.paused_at, at),
            paused_at=None,
            paused_instance_id=None,
        )

    def end_session(self, session_id: str, at: datetime | None = None) -> SessionSummary:
        """Complete the session: its running instance completes; duration = end-start-paused."""
        with self._tx() as s:
            session = self._session_in(s, session_id)
            self._require_open(session)
            at = self._practice_time(at, "the end")
            if at < session.started_at:
                raise Invalid(
                    f"the session cannot end ({timing.hhmm(at)}) before it started "
                    f"({timing.hhmm(session.started_at)})"
                )
            rows = self._ledger_rows(s, session.id)
            late = max((r.ended_at or r.started_at for r in rows), default=None)
            if late is not None and late > at:
                raise Invalid(
                    f"the session cannot end at {timing.hhmm(at)}: an activity was timed "
                    f"until {timing.hhmm(late)}"
                )
            current = self._close_running(s, session, at, rows=rows)
            to_complete = current.instance_id if current else session.paused_instance_id
            paused = timing.paused_total(session.paused_seconds, session.paused_at, at)
            self._update(
                s,
                session,
                paused_at=None,
                paused_instance_id=None,
                paused_seconds=paused,
                ended_at=at,
                completed_at=at,
                duration_seconds=timing.session_duration(session.started_at, at, paused),
            )
            instance = self._unfinished_instance(s, to_complete)
            if instance is not None:
                self._update(s, instance, completed_at=at)
                self._on_instance_completed(s, instance)
            self._event(
                s,
                session.root_id,
                "session_completed",
                session,
                f"completed {session_label(session)} after "
                f"{timing.clock_text(session.duration_seconds or 0)}",
            )
            self._on_session_ended(s, session)
            return self._session_summary(s, session)

    def session_summary(self, session_id: str) -> SessionSummary:
        with self._read() as s:
            return self._session_summary(s, self._session_in(s, session_id))

    def _session_summary(self, s: Session, session: PracticeSession) -> SessionSummary:
        view = self._session_view(s, session)
        instances = self._list(s, ActivityInstance, ActivityInstance.session_id == session.id)
        views = self._instance_views(s, instances)
        activities = {a.id: a for a in self._activity_views(s, (i.activity_id for i in views))}
        end = session.ended_at or self.now()
        items = []
        for inst in views:
            activity = activities.get(inst.activity_id)
            if activity is None:
                continue
            figures = progress.instance_figures(activity, inst)
            items.append(
                InstanceSummary(
                    instance_id=inst.id,
                    activity_id=inst.activity_id,
                    activity_name=inst.activity_name,
                    seconds=timing.elapsed(inst.intervals, end),
                    completed=inst.completed_at is not None,
                    set_count=figures.totals.set_count,
                    best=figures.best_text,
                    volume=figures.totals.volume,
                )
            )
        return SessionSummary(
            session=view,
            duration_seconds=timing.session_seconds(session, end),
            instances=tuple(items),
            set_count=sum(i.set_count for i in items),
            goal_names=view.goal_names,
        )

    def reopen_session(self, session_id: str) -> SessionView:
        """Make an ended session active again, paused from its end (the gap never counts)."""
        with self._tx() as s:
            session = self._session_in(s, session_id)
            if session.completed_at is None:
                raise Conflict(f"{session_label(session)} has not ended")
            active = self._active_session_row(s, session.root_id)
            if active is not None:
                raise Conflict(
                    f"{session_label(active)} is still active; end it before reopening another"
                )
            self._update(
                s,
                session,
                paused_at=session.ended_at,
                paused_instance_id=None,
                ended_at=None,
                completed_at=None,
                duration_seconds=None,
            )
            self._event(
                s,
                session.root_id,
                "session_reopened",
                session,
                f"reopened {session_label(session)}",
            )
            # Targets met only because the session had ended must be checked again.
            self._on_session_ended(s, session)
            return self._session_view(s, session)

    def set_session_times(
        self, session_id: str, start: datetime, end: datetime | None
    ) -> SessionView:
        """Set a session's start and end by hand (end None only for an unfinished session).

        Every timed interval must fit inside; the duration is recomputed.
        """
        with self._tx() as s:
            session = self._session_in(s, session_id)
            now = self.now()
            if end is None and session.completed_at is not None:
                raise Invalid("an ended session needs an end time too")
            timing.check_range(start, end, now, "the session")
            if session.paused_at is not None and session.paused_at < start:
                raise Invalid("the session was paused before that start; resume it first")
            outside = timing.outside(
                self._ledger_spans(self._ledger_rows(s, session.id)), start, end
            )
            if outside is not None:
                what = timing.describe_span(outside, self._instance_label(s, session.id))
                raise Conflict(
                    f"{what} would fall outside the session; change that activity's times first"
                )
            changes: dict[str, Any] = {"started_at": start}
            if end is not None:
                if session.paused_seconds > timing.seconds(start, end):
                    raise Invalid("the session would be shorter than its paused time")
                changes |= {
                    "ended_at": end,
                    "completed_at": end,
                    "duration_seconds": timing.session_duration(start, end, session.paused_seconds),
                }
            self._update(s, session, **changes)
            self._on_session_ended(s, session)  # times decide which targets' ranges count
            return self._session_view(s, session)

    # --- instances -----------------------------------------------------------------------

    def add_instance(self, session_id: str, activity_id: str, *, section: str = "") -> InstanceView:
        """Add an activity to an unfinished session, last in order."""
        with self._tx() as s:
            session = self._session_in(s, session_id)
            return self._instance_view(s, self._add_instance(s, session, activity_id, section))

    def _add_instance(
        self, s: Session, session: PracticeSession, activity_id: str, section: str = ""
    ) -> ActivityInstance:
        self._require_open(session)
        activity = self._get(s, Activity, activity_id)
        section = (section or "").strip()
        if len(section) > 200 or any(ord(c) < 32 for c in section):
            raise Invalid("a section name is at most 200 characters without control characters")
        return self._insert(
            s,
            ActivityInstance(session_id=session.id, activity_id=activity.id, section=section),
        )

    def get_instance(self, instance_id: str) -> InstanceView:
        with self._read() as s:
            return self._instance_view(s, self._instance_in(s, instance_id))

    def shift_instance(self, instance_id: str, offset: int) -> bool:
        """Move an instance up (negative) or down in its session; False at that end."""
        with self._tx() as s:
            return self._move(s, self._instance_in(s, instance_id), offset)

    def _open_timer(
        self,
        s: Session,
        session: PracticeSession,
        instance: ActivityInstance,
        at: datetime,
        *,
        switch: bool,
    ) -> None:
        """Open an interval for an instance (the ledger rules decide)."""
        self._require_open(session)
        if instance.completed_at is not None:
            name = self._instance_names(s, session.id).get(instance.id, "that activity")
            raise Conflict(f"{name!r} is complete; reopen it to time it again")
        if at < session.started_at:
            raise Invalid(
                f"a timer cannot start ({timing.hhmm(at)}) before its session "
                f"({timing.hhmm(session.started_at)})"
            )
        rows = self._ledger_rows(s, session.id)
        spans = timing.start(
            self._ledger_spans(rows),
            instance.id,
            at,
            switch=switch,
            label=self._instance_label(s, session.id),
        )
        self._end_pause(s, session, at)
        self._save_ledger(s, session, rows, spans)

    def start_timer(
        self,
        session_id: str,
        instance_id: str,
        *,
        switch: bool = False,
        at: datetime | None = None,
    ) -> InstanceView:
        """Start an instance's timer; another running one is a conflict unless ``switch``."""
        with self._tx() as s:
            session = self._session_in(s, session_id)
            instance = self._get(s, ActivityInstance, instance_id)
            if instance.session_id != session.id:
                raise Invalid("that activity instance belongs to another session")
            self._open_timer(
                s, session, instance, self._practice_time(at, "the start"), switch=switch
            )
            return self._instance_view(s, instance)

    def start_activity(
        self,
        root_id: str,
        activity_id: str,
        *,
        switch: bool = False,
        at: datetime | None = None,
    ) -> InstanceView:
        """Start an activity in the active session, adding it there if it has no open instance."""
        with self._tx(root_id) as s:
            session = self._require_active(s, root_id)
            at = self._practice_time(at, "the start")
            instance = self._open_instance(s, session, activity_id)
            if instance is None:
                instance = self._add_instance(s, session, activity_id)
            self._open_timer(s, session, instance, at, switch=switch)
            return self._instance_view(s, instance)

    def _open_instance(
        self, s: Session, session: PracticeSession, activity_id: str
    ) -> ActivityInstance | None:
        """The session's first unfinished instance of an activity."""
        found = self._list(
            s,
            ActivityInstance,
            ActivityInstance.session_id == session.id,
            ActivityInstance.activity_id == activity_id,
            ActivityInstance.completed_at.is_(None),
        )
        return found[0] if found else None

    def complete_instance(self, instance_id: str, at: datetime | None = None) -> InstanceView:
        """Complete an instance: its interval closes; never started means 0 s, now."""
        with self._tx() as s:
            instance = self._instance_in(s, instance_id)
            self._complete_instance(s, instance, self._practice_time(at, "the completion"))
            return self._instance_view(s, instance)

    def _complete_instance(
        self,
        s: Session,
        instance: ActivityInstance,
        at: datetime,
        *,
        session: PracticeSession | None = None,
        rows: list[WorkInterval] | None = None,
    ) -> None:
        """Complete an instance. ``session`` and its ledger ``rows``: when the caller has
        just read them (they are read otherwise)."""
        if session is None:
            session = self._get(s, PracticeSession, instance.session_id)
        label = self._instance_label(s, session.id)
        if instance.completed_at is not None:
            raise Conflict(f"{label(instance.id)!r} is already complete; reopen it first")
        self._require_open(session)
        if rows is None:
            rows = self._ledger_rows(s, session.id)
        own = [r for r in rows if r.instance_id == instance.id]
        late = max((r.ended_at or r.started_at for r in own), default=session.started_at)
        if at < late:
            raise Invalid(
                f"{label(instance.id)!r} cannot be completed at {timing.hhmm(at)}: it was "
                f"timed until {timing.hhmm(late)}"
            )
        if any(r.ended_at is None for r in own):
            self._close_running(s, session, at, rows=rows, label=label)
        if session.paused_instance_id == instance.id:
            self._update(s, session, paused_instance_id=None)
        self._update(s, instance, completed_at=at)
        self._on_instance_completed(s, instance)

    def stop(
        self, root_id: str, activity_id: str | None = None, at: datetime | None = None
    ) -> InstanceView:
        """Complete the running instance of the active session, or the named activity's."""
        with self._tx(root_id) as s:
            session = self._require_active(s, root_id)
            at = self._practice_time(at, "the completion")
            rows = None
            if activity_id is None:
                rows = self._ledger_rows(s, session.id)
                running = next((r for r in rows if r.ended_at is None), None)
                instance_id = running.instance_id if running else session.paused_instance_id
                if instance_id is None:
                    raise Conflict("no timer is running; name the activity to complete")
                instance = self._get(s, ActivityInstance, instance_id)
            else:
                found = self._open_instance(s, session, activity_id)
                if found is None:
                    activity = self._get(s, Activity, activity_id)
                    raise Conflict(
                        f"{activity.name!r} has no unfinished instance in the active session"
                    )
                instance = found
            # The instance is this session's: its row and ledger were read just now.
            self._complete_instance(s, instance, at, session=session, rows=rows)
            return self._instance_view(s, instance)

    def reopen_instance(self, instance_id: str) -> InstanceView:
        """Undo an instance's completion (its timer stays stopped)."""
        with self._tx() as s:
            instance = self._instance_in(s, instance_id)
            if instance.completed_at is None:
                name = self._instance_names(s, instance.session_id).get(
                    instance.id, "that activity"
                )
                raise Conflict(f"{name!r} is not complete")
            self._update(s, instance, completed_at=None)
            self._on_instance_completed(s, instance)
            return self._instance_view(s, instance)

    def set_instance_times(self, instance_id: str, start: datetime, end: datetime) -> InstanceView:
        """Set an instance's time by hand: its intervals become [start, end]."""
        with self._tx() as s:
            instance = self._instance_in(s, instance_id)
            session = self._get(s, PracticeSession, instance.session_id)
            if start < session.started_at:
                raise Invalid(
                    f"the session started at {timing.hhmm(session.started_at)}; an activity "
                    "cannot start before it (change the session's times first)"
                )
            if session.ended_at is not None and end > session.ended_at:
                raise Invalid(
                    f"the session ended at {timing.hhmm(session.ended_at)}; an activity "
                    "cannot end after it (change the session's times first)"
                )
            rows = self._ledger_rows(s, session.id)
            spans = timing.replace_instance(
                self._ledger_spans(rows),
                instance.id,
                start,
                end,
                self.now(),
                label=self._instance_label(s, session.id),
            )
            self._save_ledger(s, session, rows, spans)
            if instance.completed_at is not None:
                self._update(s, instance, completed_at=end)
                self._on_instance_completed(s, instance)
            return self._instance_view(s, instance)

    def _before_delete_ActivityInstance(self, s: Session, instance: ActivityInstance) -> None:  # noqa: N802
        # A pause must not try to restart a deleted instance on resume.
        session = self._get(s, PracticeSession, instance.session_id)
        if session.paused_instance_id == instance.id:
            self._update(s, session, paused_instance_id=None)
        self._stop_timers_of(s, [instance.id])

    def _before_delete_Activity(self, s: Session, activity: Activity) -> None:  # noqa: N802
        # Deleting an activity takes its instances with it; their timers stop first.
        instances = self._list(s, ActivityInstance, ActivityInstance.activity_id == activity.id)
        for instance in instances:
            self._before_delete_ActivityInstance(s, instance)

    def _stop_timers_of(self, s: Session, instance_ids: list[str]) -> None:
        """Close running intervals now, so a later restore cannot revive a timer in a
        session that has since been paused or ended."""
        running = self._list(
            s,
            WorkInterval,
            WorkInterval.instance_id.in_(instance_ids),
            WorkInterval.ended_at.is_(None),
        )
        now = self.now()
        for interval in running:
            self._update(s, interval, ended_at=max(now, interval.started_at))

    # --- status --------------------------------------------------------------------------

    def status(self, root_id: str) -> Status:
        """The active session and its running (or paused) timer: three small queries."""
        with self._read(root_id) as s:
            now = self.now()
            session = self._active_session_row(s, root_id)
            if session is None:
                return Status(at=now)
            running = select(WorkInterval.instance_id).where(
                WorkInterval.session_id == session.id, WorkInterval.ended_at.is_(None)
            )
            instance_id = s.execute(running).scalar() or session.paused_instance_id
            name, spans = None, []
            if instance_id:
                rows = s.execute(
                    select(Activity.name, WorkInterval.started_at, WorkInterval.ended_at)
                    .select_from(ActivityInstance)
                    .join(Activity, Activity.id == ActivityInstance.activity_id)
                    .outerjoin(WorkInterval, WorkInterval.instance_id == ActivityInstance.id)
                    .where(ActivityInstance.id == instance_id)
                ).all()
                if rows:
                    name = rows[0][0]
                    spans = [Span(instance_id, a, b) for _, a, b in rows if a is not None]
            current = timing.running(spans)
            return Status(
                at=now,
                session=from_row(SessionView, session),
                instance_id=instance_id if name else None,
                activity_name=name,
                running_since=current.started_at if current else None,
                elapsed_seconds=timing.elapsed(spans, now),
                session_elapsed_seconds=timing.session_elapsed(
                    session.started_at,
                    now,
                    paused_at=session.paused_at,
                    paused_seconds=session.paused_seconds,
                ),
            )
