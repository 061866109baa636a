"""Issue 6 in the TUI: repeat the last session from the sessions list, "vs last time" on the
session screen and in the end-of-session summary, and planned against actual minutes per
template section, driven with keys and a fake clock."""

from datetime import UTC, datetime
from typing import Any

from tui_helpers import settle

from fractal_tui.screens.session import SessionScreen
from fractal_tui.screens.sessions import SessionsScreen
from fractal_tui.views import MetricSpec, TemplateItemSpec, TemplateSection
from fractal_tui.widgets.session_summary import SummaryScreen

START = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


def build_band(store: Any, clock: Any) -> dict[str, Any]:
    clock.set(START)
    band = store.create_fractal("Drums")
    groove = store.add_activity(band.id, "Groove", metrics=(MetricSpec("tempo", "bpm"),))
    fills = store.add_activity(band.id, "Fills")
    rudiments = store.add_activity(band.id, "Rudiments")
    return {"band": band, "groove": groove, "fills": fills, "rudiments": rudiments}


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def open_sessions(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SessionsScreen)


def notifications(app: Any) -> list[str]:
    return [n.message for n in app._notifications]


# --- 1. repeat the last session ------------------------------------------------------------------


async def test_repeat_last_starts_the_same_activities_in_order(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_band(store, clock)
    root = data["band"].id
    last = store.start_session(root, name="Thursday")
    store.add_instance(last.id, data["rudiments"].id)
    store.add_instance(last.id, data["groove"].id)
    clock.advance(minutes=30)
    store.end_session(last.id)
    clock.advance(days=1)
    app = make_app(fractal_id=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sessions(pilot)
        await pilot.press("L")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        active = store.active_session(root)
        assert active is not None and active.id != last.id and active.name == "Thursday"
        assert screen.session_id == active.id
        names = [i.activity_name for i in store.session_detail(active.id).instances]
        assert names == ["Rudiments", "Groove"]
        assert "Rudiments" in screen_text(app) and "Groove" in screen_text(app)


async def test_repeat_last_while_a_session_is_active_writes_nothing(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_band(store, clock)
    root = data["band"].id
    last = store.start_session(root, name="Thursday")
    store.add_instance(last.id, data["fills"].id)
    clock.advance(minutes=30)
    store.end_session(last.id)
    clock.advance(hours=2)
    store.start_session(root, name="Busy")
    before = store.sessions(root)
    app = make_app(fractal_id=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sessions(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        assert any("Busy" in m for m in notifications(app)), notifications(app)
    assert store.sessions(root) == before


async def test_repeat_last_with_nothing_to_repeat_says_so(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_band(store, clock)
    root = data["band"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sessions(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        assert any("no completed session" in m for m in notifications(app))
    assert store.sessions(root).total == 0


# --- 2. vs last time -----------------------------------------------------------------------------


def groove_session(store: Any, clock: Any, data: dict[str, Any], tempo: float, *, end: bool) -> Any:
    root = data["band"].id
    session = store.start_session(root, name=f"Groove at {tempo:g}")
    inst = store.start_activity(root, data["groove"].id)
    store.add_instance(session.id, data["fills"].id)
    (metric,) = data["groove"].metrics
    store.record_value(inst.id, metric.id, tempo)
    clock.advance(minutes=10)
    store.complete_instance(inst.id)
    if end:
        store.end_session(session.id)
        clock.advance(days=1)
    return session


async def test_an_improvement_shows_on_the_screen_and_in_the_summary(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_band(store, clock)
    root = data["band"].id
    groove_session(store, clock, data, 120, end=True)
    groove_session(store, clock, data, 125, end=False)
    app = make_app(fractal_id=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sessions(pilot)
        await pilot.press("s")  # the active session
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        table = screen.instances
        names = [str(table.get_row_at(r)[2]) for r in range(table.row_count)]
        assert names == ["Groove ▲", "Fills"]  # Fills is not done: nothing to compare yet
        table.focus()
        await pilot.press("up", "up")
        await pilot.pause()
        text = screen_text(app)
        assert "vs last time: tempo +5 bpm (+4.2%) ▲" in text, text
        await pilot.press("down")
        await pilot.pause()
        assert "vs last time" not in screen_text(app)

        await pilot.press("E")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
        summary = screen_text(app)
        assert "vs last time" in summary and "+5 bpm (+4.2%) ▲" in summary, summary


async def test_a_worse_result_is_marked_down(store: Any, clock: Any, make_app: Any) -> None:
    data = build_band(store, clock)
    root = data["band"].id
    groove_session(store, clock, data, 120, end=True)
    second = groove_session(store, clock, data, 110, end=True)
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(SessionScreen(second.id))
        await settle(pilot)
        assert "vs last time: tempo -10 bpm (-8.3%) ▼" in screen_text(app)
        # the first time has nothing to compare with
        app.pop_screen()
        await settle(pilot)
        first_id = store.sessions(root).items[-1].id
        app.push_screen(SessionScreen(first_id))
        await settle(pilot)
        assert "vs last time" not in screen_text(app)


# --- 3. planned against actual minutes -----------------------------------------------------------


async def test_a_template_session_shows_planned_against_actual_minutes_as_it_runs(
    store: Any, clock: Any, make_app: Any, monkeypatch: Any
) -> None:
    data = build_band(store, clock)
    root = data["band"].id
    template = store.add_template(
        root,
        "Evening kit",
        sections=(
            TemplateSection("Warm-up", (TemplateItemSpec(data["rudiments"].id, 20),)),
            TemplateSection(
                "Repertoire",
                (TemplateItemSpec(data["groove"].id, 25), TemplateItemSpec(data["fills"].id, 5)),
            ),
        ),
    )
    session = store.start_session_from_template(root, template.id)
    rudiments, groove, _fills = store.session_detail(session.id).instances
    store.start_timer(session.id, rudiments.id)
    reads: list[str] = []
    planned_vs_actual = store.planned_vs_actual
    monkeypatch.setattr(
        store, "planned_vs_actual", lambda sid: reads.append(sid) or planned_vs_actual(sid)
    )
    app = make_app(fractal_id=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sessions(pilot)
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert "Plan: Warm-up 0/20 min · Repertoire 0/30 min" in screen_text(app)
        loads = len(reads)
        clock.advance(minutes=12, seconds=30)
        screen.tick()  # what the once-a-second interval does
        await pilot.pause()
        assert "Plan: Warm-up 12/20 min · Repertoire 0/30 min" in screen_text(app)
        assert len(reads) == loads  # the clock moved, the database was not read
        # switch to Groove with the keys, then let half an hour pass
        screen.instances.focus()
        await pilot.press("down")
        await pilot.pause()
        assert screen.selected is not None and screen.selected.id == groove.id
        await pilot.press("t")
        await settle(pilot)
        clock.advance(minutes=30)
        screen.tick()
        await pilot.pause()
        assert "Plan: Warm-up 12/20 min · Repertoire 30/30 min" in screen_text(app)


async def test_a_session_without_a_plan_shows_no_plan_line(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_band(store, clock)
    root = data["band"].id
    session = store.start_session(root, name="Free play")
    store.add_instance(session.id, data["groove"].id)
    app = make_app(fractal_id=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(SessionScreen(session.id))
        await settle(pilot)
        text = screen_text(app)
        assert "Groove" in text and "Plan:" not in text
