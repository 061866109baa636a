"""Store aggregates for analytics and reports against hand-computed numbers.

The dataset (all times UTC, the clock stands at Monday 2026-01-05 09:00):

- S1 Thu 01-01 10:00-11:00, done (3600 s), goal Technique.
  Scales 10:00-10:30 (BPM 100); Squat 10:30-11:00, sets 60x5, 70x3, skipped 80x1.
- S2 Fri 01-02 23:00 - Sat 01-03 01:00, done (7200 s), goals Technique and Scales goal.
  Scales 23:00-00:30 (BPM 110); Curl 00:30-01:00, sets L10/R12 and L11/R9.
- S3 Sun 01-04 15:00-15:20, done (1200 s), no goal. Squat, sets 65x5 and 75x2.
- S4 Mon 01-05 08:00, unfinished, Scales timer running (BPM 105), goal Repertoire.

Interval time: S1 3600, S2 7200, S3 1200, S4 3600 (to now) = 15600 s.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fractal_tui.analytics import DateRange
from fractal_tui.errors import Invalid, NotFound
from fractal_tui.views import MetricSpec, SplitSpec


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Data:
    root: str
    goals: dict[str, str]
    activities: dict[str, Any]
    sessions: dict[str, str]


class Builder:
    """Plays practice through the store's public practice loop at past times."""

    def __init__(self, store: Any, clock: Any, root_id: str) -> None:
        self.store = store
        self.clock = clock
        self.root_id = root_id

    def session(
        self,
        name: str,
        started: datetime,
        ended: datetime | None,
        items: tuple[tuple[Any, tuple[datetime, datetime | None], Any], ...],
        goals: tuple[str, ...] = (),
    ) -> str:
        """items: (activity, (timer start, end or None for running), sets or values)."""
        self.clock.set(max(t for t in (started, ended) if t is not None))
        for _, (_, stop), _ in items:
            if stop is not None and stop > self.clock.now:
                self.clock.set(stop)
        sid = self.store.start_session(self.root_id, name=name, goal_ids=goals, at=started).id
        for activity, (begin, stop), recorded in items:
            inst = self.store.add_instance(sid, activity.id).id
            self._record(inst, activity, recorded)
            self.store.start_timer(sid, inst, switch=True, at=begin)
            if stop is not None:
                self.store.complete_instance(inst, at=stop)
        if ended is not None:
            self.store.end_session(sid, at=ended)
        return sid

    def _record(self, inst: str, activity: Any, recorded: Any) -> None:
        metric_ids = {m.name: m.id for m in activity.metrics}
        split_ids = {sp.name: sp.id for sp in activity.splits}
        if isinstance(recorded, dict):  # values of an activity without sets
            recorded, set_id = [recorded], None
        for spec in recorded:
            spec = dict(spec)
            set_id = None
            if activity.has_sets:
                set_id = self.store.add_set(inst, status=spec.pop("status", "completed")).id
            for metric, value in spec.items():
                per_split = value if isinstance(value, dict) else {None: value}
                for split, v in per_split.items():
                    self.store.record_value(
                        inst,
                        metric_ids[metric],
                        float(v),
                        set_id=set_id,
                        split_id=split_ids[split] if split else None,
                    )


def build(store: Any, clock: Any) -> Data:
    clock.set(at(1, 8))
    root = store.create_fractal("Piano").id
    technique = store.add_goal(root, "Technique").id
    scales_goal = store.add_goal(technique, "Scales goal").id
    repertoire = store.add_goal(root, "Repertoire").id
    scales = store.add_activity(root, "Scales", metrics=(MetricSpec("BPM", "bpm"),))
    squat = store.add_activity(
        root,
        "Squat",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=(MetricSpec("Weight", "kg"), MetricSpec("Reps", "reps")),
    )
    curl = store.add_activity(
        root,
        "Curl",
        has_sets=True,
        metrics=(MetricSpec("Reps", "reps"),),
        splits=(SplitSpec("Left"), SplitSpec("Right")),
    )
    b = Builder(store, clock, root)
    s1 = b.session(
        "Morning",
        at(1, 10),
        at(1, 11),
        (
            (scales, (at(1, 10), at(1, 10, 30)), {"BPM": 100}),
            (
                squat,
                (at(1, 10, 30), at(1, 11)),
                (
                    {"Weight": 60, "Reps": 5},
                    {"Weight": 70, "Reps": 3},
                    {"Weight": 80, "Reps": 1, "status": "skipped"},
                ),
            ),
        ),
        goals=(technique,),
    )
    s2 = b.session(
        "Late",
        at(2, 23),
        at(3, 1),
        (
            (scales, (at(2, 23), at(3, 0, 30)), {"BPM": 110}),
            (
                curl,
                (at(3, 0, 30), at(3, 1)),
                ({"Reps": {"Left": 10, "Right": 12}}, {"Reps": {"Left": 11, "Right": 9}}),
            ),
        ),
        goals=(technique, scales_goal),
    )
    s3 = b.session(
        "Gym",
        at(4, 15),
        at(4, 15, 20),
        (
            (
                squat,
                (at(4, 15), at(4, 15, 20)),
                ({"Weight": 65, "Reps": 5}, {"Weight": 75, "Reps": 2}),
            ),
        ),
    )
    s4 = b.session(
        "Now", at(5, 8), None, ((scales, (at(5, 8), None), {"BPM": 105}),), goals=(repertoire,)
    )
    clock.set(at(5, 9))
    return Data(
        root=root,
        goals={
            "Piano": root,
            "Technique": technique,
            "Scales goal": scales_goal,
            "Repertoire": repertoire,
        },
        activities={"Scales": scales, "Squat": squat, "Curl": curl},
        sessions={"S1": s1, "S2": s2, "S3": s3, "S4": s4},
    )


@pytest.fixture
def data(store: Any, clock: Any) -> Data:
    return build(store, clock)


# --- overview ----------------------------------------------------------------------------------


def test_overview_all_time(store: Any, data: Data) -> None:
    o = store.analytics_overview(data.root, tz=UTC)
    assert (o.sessions, o.completed, o.unfinished) == (4, 3, 1)
    assert o.practice_seconds == 15600
    # 3600 + 7200 + 1200 stored, and the running session's 3600 so far.
    assert o.session_seconds == 15600
    assert o.average_session_seconds == 3900
    assert o.practice_days == 4  # Jan 1, 2, 4, 5 (S2 started on the 2nd)
    assert (o.current_streak, o.longest_streak) == (2, 2)
    assert o.running is True


def test_overview_of_a_range_clips_time_and_counts_sessions_started_in_it(
    store: Any, data: Data
) -> None:
    o = store.analytics_overview(data.root, at(3, 0), at(5, 0), tz=UTC)
    # S2 after midnight (Scales 30 min + Curl 30 min) and S3's 20 minutes.
    assert o.practice_seconds == 4800
    assert (o.sessions, o.completed, o.unfinished) == (1, 1, 0)
    assert o.session_seconds == 1200
    assert o.running is False
    # The current streak is as of today, whatever the range.
    assert o.current_streak == 2
    assert o.longest_streak == 1


def test_streak_when_today_has_no_session_yet(store: Any, data: Data, clock: Any) -> None:
    clock.set(at(6, 20))  # Tuesday, nothing yet: the streak is still alive
    assert store.analytics_overview(data.root, tz=UTC).current_streak == 2
    clock.set(at(7, 20))  # a whole day without practice ends it
    assert store.analytics_overview(data.root, tz=UTC).current_streak == 0


def test_overview_of_an_empty_range(store: Any, data: Data) -> None:
    empty = store.analytics_overview(
        data.root, datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC), tz=UTC
    )
    assert (empty.sessions, empty.practice_seconds, empty.average_session_seconds) == (0, 0, 0)
    assert empty.practice_days == 0 and empty.longest_streak == 0


# --- by day --------------------------------------------------------------------------------------


def test_by_day_splits_midnight_and_marks_the_running_day(store: Any, data: Data) -> None:
    days = store.practice_by_day(data.root, tz=UTC)
    assert [(d.day.day, d.seconds, d.sessions, d.running) for d in days] == [
        (1, 3600, 1, False),
        (2, 3600, 1, False),
        (3, 3600, 0, False),
        (4, 1200, 1, False),
        (5, 3600, 1, True),
    ]


def test_by_day_in_another_zone(store: Any, data: Data) -> None:
    # New York is UTC-5 in January: S2 (18:00-20:00 local) is all on Friday the 2nd,
    # S4 started at 03:00 local on the 5th.
    days = store.practice_by_day(data.root, tz=ZoneInfo("America/New_York"))
    assert [(d.day.day, d.seconds) for d in days] == [(1, 3600), (2, 7200), (4, 1200), (5, 3600)]


def test_by_day_across_a_dst_change(store: Any, clock: Any) -> None:
    # Berlin moves its clocks forward on Sunday 2026-03-29 at 02:00 (UTC+1 -> UTC+2).
    clock.set(datetime(2026, 3, 28, 12, tzinfo=UTC))
    root = store.create_fractal("DST").id
    act = store.add_activity(root, "Run", metrics=(MetricSpec("Km", "km"),))
    b = Builder(store, clock, root)
    # Saturday 23:30 local (22:30 UTC) to Sunday 00:30 local (23:30 UTC).
    sat, sun = datetime(2026, 3, 28, 22, 30, tzinfo=UTC), datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    b.session("cross", sat, sun, ((act, (sat, sun), {"Km": 5}),))
    # Monday 00:30 local after the change is 22:30 UTC on Sunday.
    mon, end = datetime(2026, 3, 29, 22, 30, tzinfo=UTC), datetime(2026, 3, 29, 23, tzinfo=UTC)
    b.session("monday", mon, end, ((act, (mon, end), {"Km": 3}),))
    clock.set(datetime(2026, 3, 31, 12, tzinfo=UTC))
    berlin = ZoneInfo("Europe/Berlin")
    days = store.practice_by_day(root, tz=berlin)
    assert [(d.day, d.seconds, d.sessions) for d in days] == [
        (date(2026, 3, 28), 1800, 1),
        (date(2026, 3, 29), 1800, 0),
        (date(2026, 3, 30), 1800, 1),
    ]
    # A week of local days as the screen asks for it: the Monday session is in Monday's range.
    monday = store.practice_by_day(
        root, *DateRange(date(2026, 3, 30), date(2026, 3, 30)).bounds(berlin), tz=berlin
    )
    assert [(d.day, d.seconds) for d in monday] == [(date(2026, 3, 30), 1800)]


# --- by activity and goal ---------------------------------------------------------------------


def test_by_activity(store: Any, data: Data) -> None:
    rows = store.practice_by_activity(data.root)
    assert [(r.name, r.seconds, r.sessions, r.instances, r.running) for r in rows] == [
        ("Scales", 10800, 3, 3, True),
        ("Squat", 3000, 2, 2, False),
        ("Curl", 1800, 1, 1, False),
    ]


def test_by_activity_in_a_range(store: Any, data: Data) -> None:
    rows = store.practice_by_activity(data.root, at(3, 0), at(5, 0))
    # S2 started before the range: its time counts, its session does not.
    # Equal times: more sessions first, then by name.
    assert [(r.name, r.seconds, r.sessions) for r in rows] == [
        ("Curl", 1800, 0),
        ("Scales", 1800, 0),
        ("Squat", 1200, 1),
    ]


def test_by_goal_rolls_up_without_double_counting(store: Any, data: Data) -> None:
    rows = store.practice_by_goal(data.root)
    got = [(r.name, r.depth, r.seconds, r.sessions, r.own_seconds, r.running) for r in rows]
    assert got == [
        # Every session of the fractal; S3 (no goal) is the root's own.
        ("Piano", 0, 15600, 4, 1200, True),
        # S1 and S2 once each, although S2 is linked to Technique and to its child.
        ("Technique", 1, 10800, 2, 10800, False),
        ("Scales goal", 2, 7200, 1, 7200, False),
        ("Repertoire", 1, 3600, 1, 3600, True),
    ]


def test_by_goal_in_a_range(store: Any, data: Data) -> None:
    rows = {r.name: r for r in store.practice_by_goal(data.root, at(3, 0), at(5, 0))}
    assert (rows["Piano"].seconds, rows["Piano"].sessions) == (4800, 1)
    assert (rows["Technique"].seconds, rows["Technique"].sessions) == (3600, 0)
    assert (rows["Repertoire"].seconds, rows["Repertoire"].sessions) == (0, 0)


def test_deleted_sessions_do_not_count(store: Any, data: Data) -> None:
    store.delete("session", data.sessions["S2"], data.root)
    o = store.analytics_overview(data.root, tz=UTC)
    assert (o.sessions, o.practice_seconds) == (3, 8400)
    rows = {r.name: r.seconds for r in store.practice_by_goal(data.root)}
    assert rows == {"Piano": 8400, "Technique": 3600, "Scales goal": 0, "Repertoire": 3600}
    # Curl was only done in the deleted session: nothing left to chart.
    assert [c.name for c in store.progress_choices(data.root)] == ["Scales", "Squat"]
    assert [p.value for p in store.progress_series(data.root, "Scales").points] == [100, 105]


def test_other_fractals_do_not_leak(store: Any, data: Data, clock: Any) -> None:
    other = store.create_fractal("Guitar").id
    act = store.add_activity(other, "Chords", metrics=(MetricSpec("BPM", "bpm"),))
    b = Builder(store, clock, other)
    b.session("g", at(4, 10), at(4, 11), ((act, (at(4, 10), at(4, 11)), {"BPM": 60}),))
    clock.set(at(5, 9))
    assert store.analytics_overview(data.root, tz=UTC).practice_seconds == 15600
    assert store.analytics_overview(other, tz=UTC).practice_seconds == 3600
    assert [c.name for c in store.progress_choices(other)] == ["Chords"]


# --- report ------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["day", "activity", "goal"])
def test_report_totals_agree_whichever_way(store: Any, data: Data, by: str) -> None:
    r = store.practice_report(data.root, by=by, tz=UTC)
    assert (r.total_seconds, r.sessions, r.running, r.running_activity) == (
        15600,
        4,
        True,
        "Scales",
    )
    assert r.by == by and r.name == "Piano"
    if by != "goal":
        assert sum(row.seconds for row in r.rows) == 15600


def test_report_rejects_bad_input(store: Any, data: Data) -> None:
    with pytest.raises(Invalid, match="cannot report by 'week'"):
        store.practice_report(data.root, by="week")
    with pytest.raises(Invalid, match="starts .* after it ends"):
        store.practice_report(data.root, start=at(5, 0), end=at(4, 0))


def test_report_of_an_empty_range(store: Any, data: Data) -> None:
    r = store.practice_report(data.root, start=at(1, 0, month=2), end=at(2, 0, month=2))
    assert r.empty and r.rows == () and r.running is False


# --- progress ----------------------------------------------------------------------------------


def _points(series: Any) -> list[tuple[int, float, bool]]:
    return [(p.day.day, p.value, p.personal_best) for p in series.points]


def test_progress_best_set_by_yield(store: Any, data: Data) -> None:
    # No metric marked for the best set and the product is on: the best set has the best
    # yield (60x5=300 beats 70x3=210; 65x5=325 beats 75x2=150); the skipped set never counts.
    s = store.progress_series(data.root, "squat", tz=UTC)
    assert (s.metric_name, s.unit, s.mode) == ("Weight", "kg", "best")
    assert _points(s) == [(1, 60, True), (4, 65, True)]
    assert [p.sets for p in s.points] == [2, 2]
    assert (s.delta.delta, round(s.delta.pct, 2), s.delta.improved) == (5, 8.33, True)


def test_progress_product_and_average(store: Any, data: Data) -> None:
    product = store.progress_series(data.root, "Squat", metric="product", tz=UTC)
    assert (product.metric_id, product.metric_name, product.unit) == (
        None,
        "Weight × Reps",
        "kg×reps",
    )
    assert _points(product) == [(1, 300, True), (4, 325, True)]
    avg = store.progress_series(data.root, "Squat", metric="weight", mode="average", tz=UTC)
    assert _points(avg) == [(1, 65, True), (4, 70, True)]


def test_progress_per_split(store: Any, data: Data) -> None:
    every = store.progress_series(data.root, "Curl", tz=UTC)
    assert _points(every) == [(2, 12, True)]  # the best single side of the best set
    assert every.split_name is None
    left = store.progress_series(data.root, "Curl", split="left", tz=UTC)
    assert (left.split_name, _points(left)) == ("Left", [(2, 11, True)])
    right_avg = store.progress_series(data.root, "Curl", split="Right", mode="average", tz=UTC)
    assert _points(right_avg) == [(2, 10.5, True)]


def test_progress_personal_bests_and_delta(store: Any, data: Data) -> None:
    s = store.progress_series(data.root, "Scales", tz=UTC)
    assert _points(s) == [(1, 100, True), (2, 110, True), (5, 105, False)]
    assert s.best == 110
    assert (s.delta.current, s.delta.previous, s.delta.delta, s.delta.improved) == (
        105,
        110,
        -5,
        False,
    )
    # A range keeps the whole history for personal bests and the delta.
    recent = store.progress_series(data.root, "Scales", start=at(5, 0), tz=UTC)
    assert _points(recent) == [(5, 105, False)]
    assert recent.delta.previous == 110


def test_progress_bad_input(store: Any, data: Data) -> None:
    with pytest.raises(NotFound, match="no activity matches 'Violin'"):
        store.progress_series(data.root, "Violin")
    with pytest.raises(NotFound, match="'Squat' has no metric 'Tempo'; its metrics: Weight, Reps"):
        store.progress_series(data.root, "Squat", metric="Tempo")
    with pytest.raises(Invalid, match="'Scales' has no product"):
        store.progress_series(data.root, "Scales", metric="product")
    with pytest.raises(NotFound, match="'Curl' has no split 'Middle'; its splits: Left, Right"):
        store.progress_series(data.root, "Curl", split="Middle")
    with pytest.raises(Invalid, match="'Scales' has no splits"):
        store.progress_series(data.root, "Scales", split="Left")
    with pytest.raises(Invalid, match="unknown mode 'max'"):
        store.progress_series(data.root, "Scales", mode="max")


def test_progress_choices(store: Any, data: Data) -> None:
    choices = store.progress_choices(data.root)
    assert [
        (c.name, [m.name for m in c.metrics], [sp.name for sp in c.splits], c.product)
        for c in choices
    ] == [
        ("Curl", ["Reps"], ["Left", "Right"], False),
        ("Scales", ["BPM"], [], False),
        ("Squat", ["Weight", "Reps"], [], True),
    ]


# --- dashboard -----------------------------------------------------------------------------------


def test_dashboard_falls_back_when_a_pick_is_gone(store: Any, data: Data) -> None:
    last_week = DateRange(date(2025, 12, 30), date(2026, 1, 5), "7d")
    squat = data.activities["Squat"]
    # A metric id that is not Squat's, a split Squat does not have: Squat's defaults.
    dash = store.analytics_dashboard(
        data.root, last_week, tz=UTC, activity=squat.id, metric="nonexistent", split="Left"
    )
    assert dash.progress is not None
    assert (dash.progress.activity_name, dash.progress.metric_name) == ("Squat", "Weight")
    # An activity without values (or deleted) is replaced by the first one with values.
    store.delete("activity", squat.id, data.root)
    dash = store.analytics_dashboard(data.root, last_week, tz=UTC, activity=squat.id)
    assert dash.progress is not None and dash.progress.activity_name == "Curl"
    assert [c.name for c in dash.choices] == ["Curl", "Scales"]


def test_dashboard_reads_every_panel_for_a_range(store: Any, data: Data) -> None:
    dash = store.analytics_dashboard(
        data.root,
        DateRange(date(2026, 1, 3), date(2026, 1, 5), "custom"),
        tz=UTC,
        activity=data.activities["Squat"].id,
        metric="product",
    )
    assert dash.overview.sessions == 2  # S3 and S4
    assert dash.overview.practice_seconds == 3600 + 1200 + 3600
    assert [d.day.day for d in dash.days] == [3, 4, 5]
    assert dash.progress is not None and _points(dash.progress) == [(4, 325, True)]
    assert dash.goals[0].seconds == 8400
    assert dash.now == at(5, 9)
