"""The sessions list and the session screen, driven with the keys a person would press and a
fake clock; asserts on the store and on what the screens show."""

from datetime import UTC, datetime, timedelta
from typing import Any

from textual.widgets import DataTable, Digits, Input, SelectionList, Static
from tui_helpers import settle

from fractal_tui.screens.session import SessionScreen
from fractal_tui.screens.sessions import SessionsScreen
from fractal_tui.views import MetricSpec, SplitSpec
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import FormScreen
from fractal_tui.widgets.metric_table import MetricTable
from fractal_tui.widgets.session_forms import ActivityPicker, NewSessionScreen
from fractal_tui.widgets.session_instances import InstanceTable
from fractal_tui.widgets.session_summary import SummaryScreen

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def typed(pilot: Any, text: str) -> None:
    await pilot.press(*text)


def build_gym(store: Any, clock: Any) -> dict[str, Any]:
    clock.set(START)
    gym = store.create_fractal("Gym")
    strength = store.add_goal(gym.id, "Squat 120 kg", level=3)
    today = store.add_goal(strength.id, "5x5 at 100 kg")
    squat = store.add_activity(
        gym.id,
        "Back squat",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
    )
    curl = store.add_activity(
        gym.id,
        "Curl",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=(MetricSpec("weight", "kg"), MetricSpec("reps", "reps")),
        splits=(SplitSpec("Left"), SplitSpec("Right")),
    )
    plank = store.add_activity(
        gym.id, "Plank", metrics=(MetricSpec("time", "s", is_multiplicative=False),)
    )
    return {
        "gym": gym,
        "strength": strength,
        "today": today,
        "squat": squat,
        "curl": curl,
        "plank": plank,
    }


async def open_sessions(pilot: Any) -> None:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SessionsScreen)


async def add_activity(pilot: Any, search: str) -> None:
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ActivityPicker)
    await typed(pilot, search)
    await pilot.press("enter")
    await settle(pilot)


def instance_rows(app: Any) -> list[list[str]]:
    table = app.screen.query_one(InstanceTable)
    return [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]


def metric_rows(app: Any) -> list[list[str]]:
    table = app.screen.query_one(MetricTable)
    return [[str(c) for c in table.get_row_at(r)] for r in range(table.row_count)]


async def select_instance(pilot: Any, name: str) -> None:
    """Put the cursor of the activities list on an activity, with the arrow keys."""
    table = pilot.app.screen.query_one(InstanceTable)
    table.focus()
    await pilot.pause()
    names = [i.activity_name for i in table.instances]
    assert name in names, f"{name} is not in the session"
    await pilot.press(*["up"] * len(names), *["down"] * names.index(name))
    await pilot.pause()
    assert table.cursor_instance is not None and table.cursor_instance.activity_name == name


# --- the whole loop --------------------------------------------------------------------------


async def test_a_whole_session_with_a_fake_clock(store: Any, clock: Any, make_app: Any) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sessions(pilot)
        # start a session linked to a goal
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NewSessionScreen)
        await typed(pilot, "Leg day")
        await pilot.press("tab", "space")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        session = store.active_session(root)
        assert session.name == "Leg day" and session.goal_names == ("Squat 120 kg",)

        # add two activities from the searchable picker
        await add_activity(pilot, "squat")
        await add_activity(pilot, "cur")
        assert [r[2] for r in instance_rows(app)] == ["Back squat", "Curl"]

        # start squat, switch to curl five minutes later
        await select_instance(pilot, "Back squat")
        await pilot.press("t")
        await settle(pilot)
        clock.advance(minutes=5)
        await select_instance(pilot, "Curl")
        await pilot.press("t")
        await settle(pilot)
        detail = store.session_detail(session.id)
        squat_i, curl_i = detail.instances
        assert [(i.started_at, i.ended_at) for i in squat_i.intervals] == [
            (START, START + timedelta(minutes=5))
        ]
        assert curl_i.running

        # pause for two minutes, then resume
        clock.advance(minutes=3)
        await pilot.press("p")
        await settle(pilot)
        assert store.get_session(session.id).paused
        assert "paused" in screen_text(app)
        clock.advance(minutes=2)
        await pilot.press("p")
        await settle(pilot)
        assert not store.get_session(session.id).paused
        clock.advance(minutes=1)

        # two sets of weight x reps for the squat, typed into the table
        await select_instance(pilot, "Back squat")
        await pilot.press("s")
        await settle(pilot)
        await typed(pilot, "100")
        await pilot.press("enter")
        await typed(pilot, "5")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await typed(pilot, "110")
        await pilot.press("enter")
        await typed(pilot, "3")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x")  # the second set is done
        await settle(pilot)
        assert [r[1:] for r in metric_rows(app)] == [["100", "5", "500"], ["110", "3", "330"]]
        assert "2 sets · volume 830 · best 100 kg × 5 reps" in screen_text(app)

        # a Left/Right pair for the curl
        await select_instance(pilot, "Curl")
        await pilot.press("s")
        await settle(pilot)
        for text in ("12", "10", "12", "8"):
            await typed(pilot, text)
            await pilot.press("enter")
        await settle(pilot)
        assert [r[1:] for r in metric_rows(app)] == [
            ["Left", "12", "10", "120"],
            ["Right", "12", "8", "96"],
        ]

        # complete the curl, then end the session
        await select_instance(pilot, "Curl")
        await pilot.press("c")
        await settle(pilot)
        clock.advance(minutes=1)
        await pilot.press("E")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SummaryScreen)
        summary = screen_text(app)
        for expected in (
            "10:00",
            "1 activity done",
            "3 sets",
            "100 kg × 5 reps",
            "12 kg × 10 reps (Left)",
            "Worked on: Squat 120 kg",
        ):
            assert expected in summary, expected

    ended = store.get_session(session.id)
    assert ended.done and ended.duration_seconds == 10 * 60 and ended.paused_seconds == 120
    squat_i, curl_i = store.session_detail(session.id).instances
    assert curl_i.completed_at == START + timedelta(minutes=11)
    assert squat_i.completed_at is None  # it was not running when the session ended
    assert [s.status for s in squat_i.sets] == ["planned", "completed"]  # x marked set 2
    assert sorted(v.value for v in squat_i.values) == [3, 5, 100, 110]
    left, right = data["curl"].splits
    sides = {(v.split_id, v.metric_id): v.value for v in curl_i.values}
    weight, reps = data["curl"].metrics
    assert sides == {
        (left.id, weight.id): 12,
        (left.id, reps.id): 10,
        (right.id, weight.id): 12,
        (right.id, reps.id): 8,
    }


# --- timers from elsewhere -----------------------------------------------------------------------


async def test_a_timer_started_elsewhere_appears_and_ticks(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    session = store.start_session(root, name="Evening")
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sessions(pilot)
        await pilot.press("s")  # the active session
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        # `fractal start Plank` in another terminal, then the shell's poll reloads
        clock.advance(minutes=1)
        store.start_activity(root, data["plank"].id)
        screen.reload()
        await settle(pilot)
        assert instance_rows(app)[0][1:] == ["▶", "Plank", "0:00"]
        clock.advance(seconds=75)
        screen.tick()  # what the once-a-second interval does
        await pilot.pause()
        assert instance_rows(app)[0][3] == "1:15"
        assert screen.query_one("#session-clock Digits", Digits).value == "2:15"
    assert store.get_session(session.id).instance_count == 1


async def test_a_timer_left_running_shows_its_time_after_a_restart(
    engine: Any, store: Any, clock: Any, make_app: Any
) -> None:
    from fractal_tui.app import FractalApp, TuiSettings
    from fractal_tui.clock import FakeClock
    from fractal_tui.store import Store

    data = build_gym(store, clock)
    root = data["gym"].id
    session = store.start_session(root)
    store.start_activity(root, data["plank"].id)
    later = FakeClock(START + timedelta(hours=1, minutes=2, seconds=3))
    app = FractalApp(
        Store(engine, clock=later), clock=later, settings=TuiSettings(0), fractal_id=root
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.app.push_screen(SessionScreen(session.id))
        await settle(pilot)
        assert instance_rows(app)[0][3] == "1:02:03"


# --- the sessions list ---------------------------------------------------------------------------


def finished(store: Any, clock: Any, root: str, name: str, activity_id: str, **kw: Any) -> Any:
    session = store.start_session(root, name=name, **kw)
    store.start_activity(root, activity_id)
    clock.advance(minutes=45)
    store.end_session(session.id)
    clock.advance(days=1)
    return session


async def test_the_list_filters_deletes_with_undo_and_reopens(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    finished(store, clock, root, "Monday", data["squat"].id, goal_ids=(data["today"].id,))
    finished(store, clock, root, "Tuesday", data["plank"].id)
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sessions(pilot)
        table = app.screen.query_one("#sessions-table", DataTable)
        assert [str(table.get_row_at(r)[2]) for r in range(table.row_count)] == [
            "Tuesday",
            "Monday",
        ]
        assert str(table.get_row_at(1)[5]) == "5x5 at 100 kg"
        # filter by activity
        await pilot.press("f")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#field-activity", Input).value = "back squat"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert table.row_count == 1 and str(table.get_row_at(0)[2]) == "Monday"
        assert "activity back squat" in screen_text(app)
        await pilot.press("F")
        await settle(pilot)
        assert table.row_count == 2
        # a date range: "to" a bare date includes that whole day
        await pilot.press("f")
        await settle(pilot)
        app.screen.query_one("#field-activity", Input).value = ""
        app.screen.query_one("#field-to", Input).value = "2026-01-05"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [str(table.get_row_at(r)[2]) for r in range(table.row_count)] == ["Monday"]
        await pilot.press("F")
        await settle(pilot)
        # delete Tuesday, then undo
        await pilot.press("up", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert store.sessions(root).total == 1
        await pilot.press("ctrl+z")
        await settle(pilot)
        app.screen.reload()
        await settle(pilot)
        assert store.sessions(root).total == 2 and table.row_count == 2
        # reopen Monday
        await pilot.press("down", "R")
        await settle(pilot)
        active = store.active_session(root)
        assert active is not None and active.name == "Monday" and active.paused


async def test_bad_input_is_refused_with_a_message_and_writes_nothing(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    store.start_session(root, name="Busy")
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_sessions(pilot)
        # a second session is refused inside the dialog, which stays open
        await pilot.press("n")
        await settle(pilot)
        await typed(pilot, "Another")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewSessionScreen)
        error = app.screen.query_one("#error", Static)
        assert "'Busy'" in str(error.render()) and "still active" in str(error.render())
        await pilot.press("escape")
        await settle(pilot)
        assert store.sessions(root).total == 1

        await pilot.press("s")
        await settle(pilot)
        await add_activity(pilot, "plank")
        session = store.active_session(root)
        before = store.session_detail(session.id)
        # a value that is not a number
        app.screen.query_one(MetricTable).focus()
        await typed(pilot, "1.2.3")
        await pilot.press("enter")
        await settle(pilot)
        assert store.session_detail(session.id) == before
        # manual times that end before they start
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormScreen)
        form.query_one("#field-start", Input).value = "2026-01-05 09:00"
        form.query_one("#field-end", Input).value = "2026-01-05 08:30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "cannot end" in str(app.screen.query_one("#error-end", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert store.session_detail(session.id) == before


async def test_the_new_session_dialog_lists_open_goals_short_term_first(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sessions(pilot)
        await pilot.press("n")
        await settle(pilot)
        goals = app.screen.query_one(SelectionList)
        labels = [str(goals.get_option_at_index(i).prompt) for i in range(goals.option_count)]
        assert labels == ["Squat 120 kg  short-term", "5x5 at 100 kg  immediate"]
        await pilot.press("escape")


# --- snapshots -----------------------------------------------------------------------------------


def build_history(store: Any, clock: Any) -> dict[str, Any]:
    data = build_gym(store, clock)
    root = data["gym"].id
    finished(store, clock, root, "Heavy legs", data["squat"].id, goal_ids=(data["today"].id,))
    finished(store, clock, root, "", data["plank"].id)
    clock.set(START + timedelta(days=3, hours=8))
    session = store.start_session(root, name="Arms", goal_ids=(data["strength"].id,))
    squat = store.start_activity(root, data["squat"].id)
    weight, reps = data["squat"].metrics
    for w, r in ((100, 5), (105, 5)):
        one = store.add_set(squat.id, status="completed")
        store.record_value(squat.id, weight.id, w, set_id=one.id)
        store.record_value(squat.id, reps.id, r, set_id=one.id)
    store.add_set(squat.id)
    clock.advance(minutes=12)
    curl = store.start_activity(root, data["curl"].id, switch=True)
    store.log(root, "Curl", {"weight": 12, "reps": 10}, split="Left")
    store.add_instance(session.id, data["plank"].id)
    clock.advance(minutes=3, seconds=21)
    data["session"] = session
    data["curl_instance"] = curl
    return data


def test_sessions_list_snapshot(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_history(store, clock)

    async def ready(pilot: Any) -> None:
        await open_sessions(pilot)

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(120, 40), run_before=ready
    )


def test_session_with_a_running_timer_snapshot(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_history(store, clock)

    async def ready(pilot: Any) -> None:
        await open_sessions(pilot)
        await pilot.press("s")
        await settle(pilot)
        await select_instance(pilot, "Back squat")

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(120, 40), run_before=ready
    )


def test_session_snapshot_80x24(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_history(store, clock)

    async def ready(pilot: Any) -> None:
        await open_sessions(pilot)
        await pilot.press("s")
        await settle(pilot)
        await select_instance(pilot, "Curl")

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(80, 24), run_before=ready
    )


async def test_a_session_deleted_elsewhere_closes_its_screen(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    session = store.start_session(root, name="Gone soon")
    app = make_app(fractal_id=root)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_sessions(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        store.delete("session", session.id, root)  # `fractal delete session …` elsewhere
        app.screen.reload()
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
