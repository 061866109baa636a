"""The analytics screen, driven by keys over fixed practice and a fixed clock (TZ=UTC).

The practice (played through the store's practice loop; the clock stops at Mon 01-05 09:00):

- Morning  Thu 01-01 10:00-11:00, goal Technique: Scales 10:00-10:30 (BPM 100);
  Squat 10:30-11:00, sets 60x5, 70x3.
- Late     Fri 01-02 23:00 - Sat 01-03 01:00, goal Scales goal: Scales 23:00-00:30 (BPM 110);
  Curl 00:30-01:00, sets L10/R12, L11/R9.
- Gym      Sun 01-04 15:00-15:20, no goal: Squat, sets 65x5, 75x2.
- Now      Mon 01-05 08:00, Scales timer running (BPM 105).
"""

from datetime import UTC, datetime
from typing import Any

from textual.widgets import Input, Static
from tui_helpers import settle

from fractal_tui.screens.analytics import AnalyticsScreen
from fractal_tui.views import MetricSpec, SplitSpec
from fractal_tui.widgets.charts import ProgressChart, TimeBars
from fractal_tui.widgets.form import FormScreen
from fractal_tui.widgets.heatmap import CalendarHeatmap


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def text_of(app: Any, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def play(
    store: Any,
    clock: Any,
    root: str,
    name: str,
    start: datetime,
    end: Any,
    items: Any,
    goals: tuple[str, ...] = (),
) -> str:
    """items: (activity, timer start, timer end or None, sets or values)."""
    clock.set(max([start] + [t for t in (end, *(i[2] for i in items)) if t is not None]))
    sid = store.start_session(root, name=name, goal_ids=goals, at=start).id
    for activity, begin, stop, recorded in items:
        inst = store.add_instance(sid, activity.id).id
        metric = {m.name: m.id for m in activity.metrics}
        split = {sp.name: sp.id for sp in activity.splits}
        for spec in [recorded] if isinstance(recorded, dict) else recorded:
            set_id = store.add_set(inst, status="completed").id if activity.has_sets else None
            for mname, value in spec.items():
                sides = value if isinstance(value, dict) else {None: value}
                for side, v in sides.items():
                    store.record_value(
                        inst,
                        metric[mname],
                        v,
                        set_id=set_id,
                        split_id=split[side] if side else None,
                    )
        store.start_timer(sid, inst, switch=True, at=begin)
        if stop is not None:
            store.complete_instance(inst, at=stop)
    if end is not None:
        store.end_session(sid, at=end)
    return sid


def build(store: Any, clock: Any) -> dict[str, Any]:
    clock.set(at(1, 8))
    root = store.create_fractal("Piano").id
    technique = store.add_goal(root, "Technique").id
    scales_goal = store.add_goal(technique, "Scales goal").id
    store.add_goal(root, "Repertoire")
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
    play(
        store,
        clock,
        root,
        "Morning",
        at(1, 10),
        at(1, 11),
        [
            (scales, at(1, 10), at(1, 10, 30), {"BPM": 100}),
            (
                squat,
                at(1, 10, 30),
                at(1, 11),
                [{"Weight": 60, "Reps": 5}, {"Weight": 70, "Reps": 3}],
            ),
        ],
        goals=(technique,),
    )
    play(
        store,
        clock,
        root,
        "Late",
        at(2, 23),
        at(3, 1),
        [
            (scales, at(2, 23), at(3, 0, 30), {"BPM": 110}),
            (
                curl,
                at(3, 0, 30),
                at(3, 1),
                [{"Reps": {"Left": 10, "Right": 12}}, {"Reps": {"Left": 11, "Right": 9}}],
            ),
        ],
        goals=(scales_goal,),
    )
    play(
        store,
        clock,
        root,
        "Gym",
        at(4, 15),
        at(4, 15, 20),
        [
            (
                squat,
                at(4, 15),
                at(4, 15, 20),
                [{"Weight": 65, "Reps": 5}, {"Weight": 75, "Reps": 2}],
            ),
        ],
    )
    play(store, clock, root, "Now", at(5, 8), None, [(scales, at(5, 8), None, {"BPM": 105})])
    clock.set(at(5, 9))
    return {"root": root}


async def open_analytics(pilot: Any) -> AnalyticsScreen:
    await settle(pilot)
    await pilot.press("4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AnalyticsScreen)
    return screen


# --- behaviour -------------------------------------------------------------------------------


async def test_every_panel_shows_the_last_30_days(store: Any, clock: Any, make_app: Any) -> None:
    data = build(store, clock)
    app = make_app(fractal_id=data["root"])
    async with app.run_test(size=(120, 40)) as pilot:
        await open_analytics(pilot)
        assert text_of(app, "#analytics-range").startswith("Last 30 days: 2025-12-07 to 2026-01-05")
        overview = screen_text(app)
        assert "Sessions        4 " in overview
        assert "Completed       3 (1 unfinished)" in overview
        assert "Practice time   4:20:00  ▶ running" in overview
        assert "Avg session     1:05:00" in overview
        assert "Current streak  2 days" in overview
        heatmap = app.screen.query_one(CalendarHeatmap)
        assert heatmap.days == {
            at(1, 0).date(): 3600,
            at(2, 0).date(): 3600,
            at(3, 0).date(): 3600,
            at(4, 0).date(): 1200,
            at(5, 0).date(): 3600,
        }
        # The first activity with values, by name: Curl, best set over all splits.
        assert text_of(app, "#progress-head") == "Curl · Reps (reps) · best set · all splits"
        chart = app.screen.query_one(ProgressChart)
        assert [p.value for p in chart.series.points] == [12]
        bars = app.screen.query_one(TimeBars)
        assert bars.rows == [("Scales (3)", 10800), ("Squat (2)", 3000), ("Curl (1)", 1800)]
        shown = screen_text(app)
        assert "  Piano                                    4  4:20:00 ▶" in shown
        assert "    Technique                              2    3:00:00" in shown
        assert "      Scales goal                          1    2:00:00" in shown
        assert "Repertoire" not in shown  # nothing in the range


async def test_range_keys_apply_to_every_panel(store: Any, clock: Any, make_app: Any) -> None:
    data = build(store, clock)
    app = make_app(fractal_id=data["root"])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_analytics(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert text_of(app, "#analytics-range").startswith("Last 7 days: 2025-12-30 to 2026-01-05")
        await pilot.press(
            "right_square_bracket",
            "right_square_bracket",
            "right_square_bracket",
            "right_square_bracket",
            "right_square_bracket",
        )
        await settle(pilot)
        assert text_of(app, "#analytics-range").startswith("All time: up to 2026-01-05")
        # A custom range of one day: Sunday, the gym session only.
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#field-first", Input).value = "2026-01-04"
        form.query_one("#field-last", Input).value = "2026-01-04"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert text_of(app, "#analytics-range").startswith("Custom: 2026-01-04")
        assert screen.data is not None
        assert (screen.data.overview.sessions, screen.data.overview.practice_seconds) == (1, 1200)
        assert app.screen.query_one(TimeBars).rows == [("Squat (1)", 1200)]


async def test_a_backwards_custom_range_is_refused_in_the_form(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build(store, clock)
    app = make_app(fractal_id=data["root"])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_analytics(pilot)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        form.query_one("#field-first", Input).value = "2026-01-05"
        form.query_one("#field-last", Input).value = "2026-01-01"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # stays open with the message next to the field
        assert "after it ends" in str(form.query_one("#error-last", Static).render())
        form.query_one("#field-first", Input).value = "someday"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "cannot read 'someday' as a date" in str(
            form.query_one("#error-first", Static).render()
        )
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.preset == "30d"


async def test_progress_keys_pick_activity_metric_split_and_mode(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build(store, clock)
    app = make_app(fractal_id=data["root"])
    async with app.run_test(size=(120, 40)) as pilot:
        await open_analytics(pilot)

        async def head(*keys: str) -> str:
            await pilot.press(*keys)
            await settle(pilot)
            return text_of(app, "#progress-head")

        assert await head("s") == "Curl · Reps (reps) · best set · Left"
        assert [p.value for p in app.screen.query_one(ProgressChart).series.points] == [11]
        assert await head("v") == "Curl · Reps (reps) · average of sets · Left"
        assert await head("s") == "Curl · Reps (reps) · average of sets · Right"
        assert await head("a") == "Scales · BPM (bpm) · average of sets"
        foot = text_of(app, "#progress-foot")
        assert "best ever 110 bpm" in foot and "vs last time -5 bpm (-4.5%) worse" in foot
        assert await head("v", "a") == "Squat · Weight (kg) · best set"
        assert await head("m") == "Squat · Reps (reps) · best set"
        assert await head("m") == "Squat · Weight × Reps (kg×reps) · best set"
        assert "vs last time +25 kg×reps (+8.3%) better" in text_of(app, "#progress-foot")
        assert await head("A") == "Scales · BPM (bpm) · best set"


async def test_empty_fractal_says_what_to_do(store: Any, clock: Any, make_app: Any) -> None:
    root = store.create_fractal("Empty").id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_analytics(pilot)
        assert text_of(app, "#overview").startswith(
            "No sessions in this range — press n to start one."
        )
        assert text_of(app, "#heatmap-empty").startswith("No practice time in this range")
        assert text_of(app, "#progress-head").startswith("No metric values recorded yet")
        assert text_of(app, "#activities-empty").startswith("No timed practice in this range")
        assert text_of(app, "#goals-table").startswith("No sessions in this range")
        assert not app.screen.query_one(CalendarHeatmap).display


async def test_n_starts_a_session_from_the_sessions_screen(
    store: Any, clock: Any, make_app: Any
) -> None:
    root = store.create_fractal("Empty").id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_analytics(pilot)
        await pilot.press("n")
        await settle(pilot)
        from fractal_tui.widgets.session_forms import NewSessionScreen

        assert isinstance(app.screen, NewSessionScreen)
        assert app.current_mode == "sessions"


async def test_reload_after_a_change_elsewhere(store: Any, clock: Any, make_app: Any) -> None:
    data = build(store, clock)
    app = make_app(fractal_id=data["root"])
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_analytics(pilot)
        clock.set(at(5, 10))  # the timer ran another hour
        await pilot.press("r")
        await settle(pilot)
        assert screen.data is not None and screen.data.overview.practice_seconds == 15600 + 3600


# --- snapshots -------------------------------------------------------------------------------


def test_analytics_snapshot(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build(store, clock)
    assert snap_compare(
        make_app(fractal_id=data["root"]), terminal_size=(120, 40), run_before=open_analytics
    )


def test_analytics_snapshot_80x24(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build(store, clock)

    async def ready(pilot: Any) -> None:
        await open_analytics(pilot)
        await pilot.press("a", "a", "pagedown")
        await settle(pilot)

    assert snap_compare(make_app(fractal_id=data["root"]), terminal_size=(80, 24), run_before=ready)


def test_analytics_empty_snapshot(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    clock.set(at(5, 9))
    root = store.create_fractal("Empty").id
    assert snap_compare(
        make_app(fractal_id=root), terminal_size=(120, 40), run_before=open_analytics
    )
