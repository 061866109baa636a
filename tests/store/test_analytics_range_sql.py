"""Timer time summed by the database (`report --by goal`) against the intervals read one by one.

The goal report sums each session's intervals in SQL (exact microseconds) and cuts only the
intervals that cross the range's edges, or still run, in Python. These tests play sessions
whose times are awkward for that split: microsecond fractions, a pause, intervals across the
range's start and end, across midnight, longer than a day, of zero length, a running timer in
a session that started long before the range, deleted rows. Every figure must equal the one
computed from the intervals themselves (exactly, not approximately).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fractal_tui import analytics as rules
from fractal_tui.analytics import DateRange
from fractal_tui.models import PracticeSession, SessionGoal, WorkInterval
from fractal_tui.views import MetricSpec

NOW = datetime(2026, 3, 20, 12, 0, 0, 400_000, tzinfo=UTC)
R0 = datetime(2026, 3, 1, tzinfo=UTC)  # the range mostly looked at: [R0, R1)
R1 = datetime(2026, 3, 15, tzinfo=UTC)


def t(day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0) -> datetime:
    return (
        datetime(2026, 3, day, hour, minute, second, us, tzinfo=UTC)
        if day > 0
        else (
            datetime(2026, 3, 1, tzinfo=UTC)
            + timedelta(days=day - 1, hours=hour, minutes=minute)
            + timedelta(seconds=second, microseconds=us)
        )
    )


@dataclass
class Played:
    root: str
    goals: dict[str, str]
    sessions: dict[str, str]


class Play:
    """Drives the practice loop at given past times (the clock stands at NOW)."""

    def __init__(self, store: Any, root: str, activity: str) -> None:
        self.store, self.root, self.activity = store, root, activity

    def session(self, started: datetime, goals: tuple[str, ...] = ()) -> str:
        return str(self.store.start_session(self.root, goal_ids=goals, at=started).id)

    def timer(self, sid: str, at: datetime) -> str:
        inst = self.store.add_instance(sid, self.activity).id
        self.store.start_timer(sid, inst, switch=True, at=at)
        return str(inst)

    def done(self, inst: str, at: datetime) -> None:
        self.store.complete_instance(inst, at=at)


def play(store: Any, clock: Any) -> Played:
    clock.set(NOW)
    root = store.create_fractal("Timing").id
    a = store.add_goal(root, "A").id
    a1 = store.add_goal(a, "A1").id
    b = store.add_goal(root, "B").id
    act = store.add_activity(root, "Play", metrics=(MetricSpec("Bars", "bars"),)).id
    p = Play(store, root, act)
    sessions: dict[str, str] = {}

    # Started 3 days before R0; its second interval crosses R0 (fractions on both sides).
    s = sessions["cross-start"] = p.session(t(-2, 21, 0, 0, 250_000), (a1,))
    p.done(p.timer(s, t(-2, 21, 0, 1, 999_999)), t(-2, 22, 0, 0, 1))
    p.done(p.timer(s, t(0, 23, 30, 0, 123_456)), t(1, 0, 20, 0, 654_321))
    store.end_session(s, at=t(1, 1))

    # Inside the range: a pause splits one instance's time; a zero-length interval; an
    # interval across midnight and one longer than a day. Linked to A and B (counted once).
    s = sessions["inside"] = p.session(t(3, 9, 0, 0, 500_000), (a, b))
    i = p.timer(s, t(3, 9, 0, 0, 500_000))
    store.pause_session(s, at=t(3, 9, 10, 7, 999_999))
    store.resume_session(s, at=t(3, 9, 40, 0, 1))
    p.done(i, t(3, 10, 0, 0, 500_000))
    p.done(p.timer(s, t(3, 11)), t(3, 11))
    p.done(p.timer(s, t(3, 23, 59, 59, 999_999)), t(4, 0, 0, 1))
    p.done(p.timer(s, t(4, 1, 0, 0, 3)), t(5, 7, 30, 0, 2))
    store.end_session(s, at=t(5, 8))

    # No goal (counts toward the root); whole seconds only.
    s = sessions["plain"] = p.session(t(8, 18))
    p.done(p.timer(s, t(8, 18)), t(8, 19, 15))
    store.end_session(s, at=t(8, 19, 30))

    # Across R1: one interval runs from before R1 to after it.
    s = sessions["cross-end"] = p.session(t(14, 23, 0, 0, 700_000), (b,))
    p.done(p.timer(s, t(14, 23, 10, 0, 300_000)), t(15, 0, 45, 0, 900_001))
    store.end_session(s, at=t(15, 1))

    # Deleted: neither its time nor its session counts.
    s = sessions["deleted"] = p.session(t(9, 10), (a,))
    p.done(p.timer(s, t(9, 10)), t(9, 11))
    store.end_session(s, at=t(9, 11))
    store.delete("session", s, root)

    # A session whose one instance is deleted: the instance's time goes with it.
    s = sessions["lost-instance"] = p.session(t(10, 10), (a1,))
    gone = p.timer(s, t(10, 10))
    p.done(gone, t(10, 10, 30))
    p.done(p.timer(s, t(10, 10, 30)), t(10, 10, 45, 0, 5))
    store.end_session(s, at=t(10, 11))
    store.delete("instance", gone, root)

    # Unfinished, started 12 days before R0 (beyond the 7-day look-back): a closed interval
    # before the range, one in it, and a timer still running now.
    s = sessions["open"] = p.session(t(-11, 8), (a,))
    p.done(p.timer(s, t(-11, 8)), t(-11, 9))
    p.done(p.timer(s, t(6, 7, 0, 0, 10)), t(6, 7, 5))
    p.timer(s, t(19, 11, 59, 0, 999_990))
    return Played(root, {"Timing": root, "A": a, "A1": a1, "B": b}, sessions)


@pytest.fixture
def played(store: Any, clock: Any) -> Played:
    return play(store, clock)


def expected(
    engine: Any, played: Played, lo: datetime | None, hi: datetime
) -> tuple[dict[str, float], dict[str, int], float | int]:
    """Per goal (rolled up) seconds and session counts, and the total, from the intervals
    one by one (timedelta sums are exact)."""
    with Session(engine) as s:
        sessions = {
            sid: (started, done)
            for sid, started, done in s.execute(
                select(PracticeSession.id, PracticeSession.started_at, PracticeSession.completed_at)
                .where(PracticeSession.root_id == played.root)
                .where(PracticeSession.deleted_at.is_(None))
            )
        }
        rows = s.execute(
            select(WorkInterval.session_id, WorkInterval.started_at, WorkInterval.ended_at).where(
                WorkInterval.root_id == played.root, WorkInterval.deleted_at.is_(None)
            )
        ).all()
        links = s.execute(
            select(SessionGoal.session_id, SessionGoal.goal_id).where(
                SessionGoal.root_id == played.root, SessionGoal.deleted_at.is_(None)
            )
        ).all()
    per: dict[str, timedelta] = defaultdict(timedelta)
    for sid, begin, stop in rows:
        if sid not in sessions:
            continue
        started, done = sessions[sid]
        # The store's scope: sessions started in the look-back window, or the unfinished one.
        if lo is not None and started < lo - timedelta(days=7) and done is not None:
            continue
        piece = rules.clip(begin, stop or NOW, lo, hi)
        if started < hi and piece is not None:
            per[sid] += piece[1] - piece[0]
    seconds = {sid: td.total_seconds() for sid, td in per.items()}
    started_in = {sid for sid, (at, _) in sessions.items() if (lo is None or at >= lo) and at < hi}
    counted = {**{sid: 0.0 for sid in started_in}, **seconds}
    parents = {g: None for g in played.goals.values()}
    parents.update({played.goals["A"]: played.root, played.goals["B"]: played.root})
    parents[played.goals["A1"]] = played.goals["A"]
    times = rules.rollup(parents, links, counted, played.root)
    counts = rules.rollup(parents, links, {sid: 0.0 for sid in started_in}, played.root)
    total = sum(per.values(), timedelta()).total_seconds() if per else 0
    return (
        {g: times[g].seconds for g in parents},
        {g: counts[g].sessions for g in parents},
        total,
    )


RANGES = [
    (R0, R1),
    (None, NOW),
    (R0, NOW + timedelta(days=1)),  # reaches the present: the timer runs up to now
    (t(3, 9, 5), t(5, 7)),  # cuts the pause's instance and the day-long interval
    (t(0, 23, 30, 0, 123_457), t(1, 0, 20, 0, 654_320)),  # a microsecond inside each end
    (t(19, 12), NOW),  # only the running timer
    (t(30), t(31)),  # after everything
]


@pytest.mark.parametrize("lo,hi", RANGES)
def test_goal_report_equals_the_intervals_one_by_one(
    store: Any, engine: Any, played: Played, lo: datetime | None, hi: datetime
) -> None:
    seconds, counts, total = expected(engine, played, lo, hi)
    report = store.practice_report(played.root, start=lo, end=hi, by="goal")
    got = {r.id: (r.seconds, r.sessions) for r in report.rows}
    assert got == {g: (seconds[g], counts[g]) for g in seconds}
    assert report.total_seconds == total
    # The same total whichever way the rows go, and in the overview.
    for by in ("day", "activity"):
        other = store.practice_report(played.root, start=lo, end=hi, by=by)
        assert other.total_seconds == report.total_seconds
        assert (other.running, other.running_activity) == (
            report.running,
            report.running_activity,
        )
    assert store.analytics_overview(played.root, lo, hi).practice_seconds == report.total_seconds
    assert store.practice_by_goal(played.root, lo, hi) == list(report.rows)


def test_sql_sums_equal_the_python_sums_at_every_edge(store: Any, played: Played) -> None:
    # Every interval end and start, and a microsecond either side, as a range bound.
    with store._read(played.root) as s:
        marks = sorted(
            {
                when + timedelta(microseconds=d)
                for row in s.execute(select(WorkInterval.started_at, WorkInterval.ended_at))
                for when in row
                if when is not None
                for d in (-1, 0, 1)
            }
        )
        bounds = [*marks[::3], NOW, NOW + timedelta(hours=1)]
        for lo in [None, *bounds[:-1]]:
            for hi in bounds:
                if lo is not None and hi < lo:
                    continue
                by_sql = store._time(s, played.root, lo, hi)
                by_rows = store._time_of(store._intervals(s, played.root, lo, hi), lo, hi)
                assert by_sql.micros == by_rows.micros, (lo, hi)
                assert sorted(by_sql.open) == sorted(by_rows.open), (lo, hi)


def test_running_timer_only_when_the_range_reaches_now(store: Any, played: Played) -> None:
    running = store.practice_report(played.root, start=R0, end=NOW + timedelta(days=1), by="goal")
    assert running.running and running.running_activity == "Play"
    flags = {r.name: r.running for r in running.rows}
    assert flags == {"Timing": True, "A": True, "A1": False, "B": False}
    past = store.practice_report(played.root, start=R0, end=t(19, 12), by="goal")
    assert not past.running and not any(r.running for r in past.rows)
    # Cut at the range's end: the timer started at 11:59:00.999990, the range ends at 12:00.
    cut = store.practice_report(played.root, start=t(19, 11, 59), end=t(19, 12), by="goal")
    assert cut.total_seconds == 59.00001 and not cut.running


def test_hand_checked_figures(store: Any, played: Played) -> None:
    rows = {r.name: r for r in store.practice_report(played.root, start=R0, end=R1, by="goal").rows}
    # cross-start from R0 on, and what the deleted instance left of lost-instance.
    a1 = (t(1, 0, 20, 0, 654_321) - R0) + timedelta(minutes=15, microseconds=5)
    # inside: both sides of the pause, the zero-length one, midnight, the day and a half.
    inside = (
        (t(3, 9, 10, 7, 999_999) - t(3, 9, 0, 0, 500_000))
        + (t(3, 10, 0, 0, 500_000) - t(3, 9, 40, 0, 1))
        + (t(4, 0, 0, 1) - t(3, 23, 59, 59, 999_999))
        + (t(5, 7, 30, 0, 2) - t(4, 1, 0, 0, 3))
    )
    cross_end = R1 - t(14, 23, 10, 0, 300_000)
    open_part = t(6, 7, 5) - t(6, 7, 0, 0, 10)
    near = {"abs": 1e-6}
    assert rows["A1"].own_seconds == pytest.approx(a1.total_seconds(), **near)
    assert rows["B"].own_seconds == pytest.approx((inside + cross_end).total_seconds(), **near)
    assert rows["A"].own_seconds == pytest.approx((inside + open_part).total_seconds(), **near)
    assert rows["A"].seconds == pytest.approx((inside + open_part + a1).total_seconds(), **near)
    assert rows["Timing"].own_seconds == 4500  # plain, linked to no goal
    # Sessions started in the range: inside (under A once, though linked to A and B) and
    # lost-instance; "open" started before it and "deleted" is gone.
    assert (rows["A"].sessions, rows["A1"].sessions, rows["Timing"].sessions) == (2, 1, 4)


def test_empty_range_total_is_the_int_zero(store: Any, played: Played) -> None:
    # As before: a sum over no interval at all is 0, not 0.0 (JSON shows "0").
    report = store.practice_report(played.root, start=t(-20), end=t(-19), by="goal")
    assert report.total_seconds == 0 and isinstance(report.total_seconds, int)
    # A running timer outside the range is an interval all the same: 0.0 as before.
    later = store.practice_report(played.root, start=t(30), end=t(31), by="goal")
    assert later.total_seconds == 0 and isinstance(later.total_seconds, float)
    assert all(isinstance(r.seconds, int) for r in report.rows)


def test_dashboard_goals_equal_the_goal_report(store: Any, played: Played) -> None:
    rng = DateRange(R0.date(), (R1 - timedelta(days=1)).date())
    board = store.analytics_dashboard(played.root, rng, tz=UTC)
    report = store.practice_report(played.root, start=R0, end=R1, by="goal", tz=UTC)
    assert list(board.goals) == list(report.rows)
    assert board.overview.practice_seconds == report.total_seconds
