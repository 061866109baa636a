"""Idle with a timer running: the once-a-second redraw repaints what changed and nothing
else, and screens that are not on the display neither redraw nor poll."""

from datetime import UTC, datetime
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Digits, Static
from tui_helpers import settle

from fractal_tui.screens.session import SessionScreen
from fractal_tui.screens.sessions import SessionsScreen
from fractal_tui.views import MetricSpec
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.timer import set_static

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class OneStatic(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("", id="s")


async def test_set_static_skips_the_same_content_and_layout_for_digits_only() -> None:
    app = OneStatic()
    async with app.run_test() as pilot:
        static = app.query_one("#s", Static)
        calls: list[bool] = []
        update = static.update

        def spy(content: Any = "", *, layout: bool = True) -> None:
            calls.append(layout)
            update(content, layout=layout)

        static.update = spy  # type: ignore[method-assign]
        set_static(static, Text("▶ Plank 9:58", style="bold"))
        set_static(static, Text("▶ Plank 9:58", style="bold"))  # unchanged: nothing
        set_static(static, Text("▶ Plank 9:59", style="bold"))  # digits only: no layout
        set_static(static, Text("▶ Plank 10:00", style="bold"))  # longer: layout
        set_static(static, Text("▶ Plank 10:00", style="dim"))  # another style: repaint
        set_static(static, Text("■ Plank 10:00", style="dim"))  # other words: layout
        set_static(static, "plain")
        set_static(static, "plain")
        await pilot.pause()
        assert calls == [True, False, True, False, True, True]
        assert str(static.render()) == "plain"


def table_repaints(table: Any, action: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The regions ``table`` asked to repaint while ``action()`` ran (() = everything)."""
    repaints: list[tuple[Any, ...]] = []
    repaint = DataTable.refresh

    def spy(self: Any, *regions: Any, **kwargs: Any) -> Any:
        if self is table:
            repaints.append(regions)
        return repaint(self, *regions, **kwargs)

    monkeypatch.setattr(DataTable, "refresh", spy)
    try:
        action()
    finally:
        monkeypatch.undo()
    return repaints


async def open_running_session(pilot: Any) -> None:
    """From the start screen: the sessions list (2), then the running session (s)."""
    for key in ("2", "s"):
        await settle(pilot)
        await pilot.press(key)
    await settle(pilot)


def running_session(store: Any, clock: Any) -> tuple[str, str]:
    clock.set(START)
    gym = store.create_fractal("Gym")
    plank = store.add_activity(gym.id, "Plank", metrics=(MetricSpec("time", "s"),))
    session = store.start_session(gym.id, name="Evening")
    store.start_activity(gym.id, plank.id)
    return gym.id, session.id


async def test_hidden_screens_neither_tick_nor_poll_and_dialogs_let_the_clock_run(
    store: Any, clock: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, session_id = running_session(store, clock)
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        sessions = app.screen
        assert isinstance(sessions, SessionsScreen) and sessions.is_showing
        table = sessions.table
        # The running duration repaints its row, not the whole table.
        clock.advance(seconds=30)
        repaints = table_repaints(table, sessions.tick, monkeypatch)
        await pilot.pause()
        assert str(table.get_row(session_id)[3]) == "0:30"
        assert repaints and all(len(r) == 1 and r[0].height == 1 for r in repaints)

        await pilot.press("s")
        await settle(pilot)
        session = app.screen
        assert isinstance(session, SessionScreen) and session.is_showing
        assert not sessions.is_showing  # under a full screen (Textual still calls it current)

        # The list under the session screen: no redraw, no poll.
        updated: list[Any] = []
        table.update_cell = lambda *a, **k: updated.append(a)  # type: ignore[method-assign]
        reloads: list[Any] = []
        sessions.reload = lambda **k: reloads.append(k)  # type: ignore[method-assign]
        clock.advance(seconds=30)
        sessions.tick()
        sessions._poll()
        assert updated == [] and reloads == []

        # The session screen under a dialog still shows through: its clock keeps running.
        app.push_screen(ConfirmScreen("Sure?"))
        await pilot.pause()
        assert session.is_showing
        clock.advance(seconds=5)
        session.tick()
        await pilot.pause()
        assert session.query_one("#session-clock Digits", Digits).value == "1:05"
        state = str(session.query_one("#clock-state", Static).render())
        assert "Plank 1:05" in state
        await pilot.press("escape")
        await settle(pilot)

        # Back on the list: it shows the time again, read fresh.
        del table.update_cell
        del sessions.reload
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is sessions and sessions.is_showing
        assert str(table.get_row(session_id)[3]) == "1:05"


async def test_the_session_screen_tick_repaints_the_running_row_only(
    store: Any, clock: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _session_id = running_session(store, clock)
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_running_session(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        table = screen.instances
        (running,) = [i for i in table.instances if i.running]
        clock.advance(seconds=42)
        repaints = table_repaints(table, screen.tick, monkeypatch)
        await pilot.pause()
        assert str(table.get_cell(running.id, "time")) == "0:42"
        assert repaints and all(len(r) == 1 and r[0].height == 1 for r in repaints)


async def test_polling_compares_with_last_time_only_what_changed(
    store: Any, clock: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "vs last time" searches the activity's history; a poll that finds nothing changed
    # must not search again, or idle CPU grows with history.
    clock.set(START)
    gym = store.create_fractal("Gym")
    plank = store.add_activity(gym.id, "Plank", metrics=(MetricSpec("time", "s"),))
    first = store.start_session(gym.id, name="Monday")
    store.complete_instance(store.start_activity(gym.id, plank.id).id)
    store.end_session(first.id)
    clock.advance(seconds=86400)
    store.start_session(gym.id, name="Tuesday")
    done = store.complete_instance(store.start_activity(gym.id, plank.id).id)
    app = make_app(fractal_id=gym.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_running_session(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        assert done.id in screen.comparisons
        asked: list[str] = []
        compare = type(store).compare_with_last

        def counting(self: Any, instance_id: str) -> Any:
            asked.append(instance_id)
            return compare(self, instance_id)

        monkeypatch.setattr(type(store), "compare_with_last", counting)
        loaded = screen.load()
        assert loaded is not None and done.id in loaded.comparisons
        assert asked == []
        time_metric = store.resolve_activity(gym.id, "Plank").metrics[0]
        store.record_value(done.id, time_metric.id, 60)
        loaded = screen.load()
        assert loaded is not None and done.id in loaded.comparisons
        assert asked == [done.id]
