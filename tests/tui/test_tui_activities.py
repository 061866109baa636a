"""The activity library screen and the activity form, driven with the keys (and clicks) a
person would use; asserts on the store and on what the screen shows."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from textual.widgets import Checkbox, Input, Select, Static
from tui_helpers import settle

from fractal_tui.models import ActivityInstance, PracticeSession, WorkInterval
from fractal_tui.screens.activities import ActivitiesScreen
from fractal_tui.views import MetricSpec, SplitSpec
from fractal_tui.widgets.activity_detail import ActivityDetailPanel
from fractal_tui.widgets.activity_form import ActivityForm
from fractal_tui.widgets.activity_tree import ActivityTree
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import FormScreen

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


# --- data ------------------------------------------------------------------------------------


def practise(store: Any, activity: Any, started: datetime, minutes: float) -> None:
    """One completed instance of an activity in its own finished session."""
    ended = started + timedelta(minutes=minutes)
    with store._tx(activity.root_id) as s:
        session = store._insert(
            s,
            PracticeSession(started_at=started, ended_at=ended, completed_at=ended),
            root_id=activity.root_id,
        )
        inst = store._insert(
            s, ActivityInstance(session_id=session.id, activity_id=activity.id, completed_at=ended)
        )
        store._insert(
            s,
            WorkInterval(
                session_id=session.id, instance_id=inst.id, started_at=started, ended_at=ended
            ),
        )


def build_gym(store: Any, clock: Any) -> dict[str, Any]:
    """A small library made at fixed times: the data of the snapshots."""
    clock.set(START)
    gym = store.create_fractal("Gym")
    legs = store.add_group(gym.id, "Legs", description="Squat day")
    push = store.add_group(gym.id, "Push")
    mobility = store.add_group(gym.id, "Mobility")
    squat = store.add_activity(
        gym.id,
        "Back squat",
        group_id=legs.id,
        description="Low bar, belt from 80%.",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=[
            MetricSpec("weight", "kg", is_best_set=True),
            MetricSpec("reps", "count"),
            MetricSpec("rpe", "1-10", is_multiplicative=False, higher_is_better=False),
        ],
    )
    lunge = store.add_activity(
        gym.id,
        "Lunge",
        group_id=legs.id,
        metrics=[MetricSpec("reps", "count")],
        splits=[SplitSpec("Left"), SplitSpec("Right")],
    )
    bench = store.add_activity(
        gym.id,
        "Bench press",
        group_id=push.id,
        has_sets=True,
        metrics=[MetricSpec("weight", "kg", is_best_set=True), MetricSpec("reps", "count")],
    )
    plank = store.add_activity(gym.id, "Plank", metrics=[MetricSpec("time", "s")])
    practise(store, squat, datetime(2026, 1, 5, 18, 0, tzinfo=UTC), 30)
    practise(store, squat, datetime(2026, 1, 7, 18, 0, tzinfo=UTC), 35)
    practise(store, plank, datetime(2026, 1, 7, 18, 40, tzinfo=UTC), 5)
    clock.set(datetime(2026, 1, 8, 18, 30, tzinfo=UTC))
    return {
        "gym": gym,
        "legs": legs,
        "push": push,
        "mobility": mobility,
        "squat": squat,
        "lunge": lunge,
        "bench": bench,
        "plank": plank,
    }


# --- helpers ---------------------------------------------------------------------------------


async def open_library(pilot: Any) -> ActivitiesScreen:
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ActivitiesScreen)
    return screen


def tree_lines(app: Any) -> list[str]:
    tree = app.screen.query_one(ActivityTree)
    lines = []
    for n in range(tree.last_line + 1):
        node = tree.get_node_at_line(n)
        label = tree.render_label(node, tree.rich_style, tree.rich_style).plain
        lines.append(label.strip())
    return lines


def plain_detail(app: Any) -> str:
    from rich.console import Console

    console = Console(width=60, record=True, color_system=None)
    body = app.screen.query_one(ActivityDetailPanel).query_one("#activity-detail-body", Static)
    console.print(body.content)
    return console.export_text()


async def cursor_to(pilot: Any, name: str) -> None:
    """Put the tree's cursor on the entry with this name, with the arrow keys."""
    tree = pilot.app.screen.query_one(ActivityTree)
    await pilot.press("home")
    for _ in range(tree.last_line + 1):
        entry = tree.cursor_entry
        if entry is not None and entry.name == name:
            await pilot.pause()
            return
        await pilot.press("down")
    raise AssertionError(f"{name!r} is not in the tree: {tree_lines(pilot.app)}")


async def type_into(pilot: Any, selector: str, text: str) -> None:
    await pilot.click(selector)
    widget = pilot.app.screen.query_one(selector, Input)
    widget.value = ""
    await pilot.press(*text)


def error_under(app: Any, field: str) -> str:
    widget = app.screen.query_one(f"#error-{field}", Static)
    return str(widget.render()) if widget.has_class("-shown") else ""


def table_rows(store: Any) -> dict[str, list[tuple]]:
    from sqlmodel import SQLModel

    with store.engine.connect() as conn:
        return {
            t.name: sorted(tuple(str(v) for v in r) for r in conn.execute(select(t)).all())
            for t in SQLModel.metadata.sorted_tables
        }


# --- the screen ------------------------------------------------------------------------------


async def test_library_lists_groups_in_order_with_a_detail_panel(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        assert tree_lines(app) == [
            "▾ Legs  2",
            "Back squat  weight·reps·rpe  2×",
            "Lunge  reps  L/R",
            "▾ Push  1",
            "Bench press  weight·reps",
            "Mobility  0",
            "▾ No group  1",
            "Plank  time  1×",
        ]
        await cursor_to(pilot, "Back squat")
        text = plain_detail(app)
        for expected in (
            "Back squat",
            "Legs",
            "Low bar, belt from 80%.",
            "weight  kg",
            "lower",
            "product: weight × reps",
            "Splits  none",
            "Sets    yes",
            "Done    2 times",
            "Last    2026-01-07 18:35",
        ):
            assert expected in text, (expected, text)
        await cursor_to(pilot, "Lunge")
        assert "Splits  Left · Right" in plain_detail(app)
        assert "Done    never" in plain_detail(app)
        await cursor_to(pilot, "Legs")
        assert "2 activities" in plain_detail(app)


async def test_create_an_activity_with_two_metrics_and_two_splits_through_the_form(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        await cursor_to(pilot, "Legs")
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActivityForm)
        # The group under the cursor is preselected.
        assert form.query_one("#field-group_id", Select).value == data["legs"].id
        await pilot.press(*"Split squat")
        await type_into(pilot, "#metric-name-0", "load")
        await type_into(pilot, "#metric-unit-0", "kg")
        await pilot.click("#metric-best-0")
        await type_into(pilot, "#metric-name-1", "reps")
        await type_into(pilot, "#metric-unit-1", "count")
        await pilot.click("#metric-higher-1")  # fewer is better, just to see it kept
        await pilot.click("#flag-splits")
        await pilot.click("#flag-sets")
        await type_into(pilot, "#split-0", "Left")
        await type_into(pilot, "#split-1", "Right")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActivitiesScreen)

        made = store.resolve_activity(data["gym"].id, "Split squat")
        assert made.group_id == data["legs"].id and made.has_sets and made.has_splits
        assert [(m.name, m.unit, m.is_best_set, m.higher_is_better) for m in made.metrics] == [
            ("load", "kg", True, True),
            ("reps", "count", False, False),
        ]
        assert [sp.name for sp in made.splits] == ["Left", "Right"]
        # It shows last in its group, with the cursor on it.
        assert tree_lines(app)[1:4] == [
            "Back squat  weight·reps·rpe  2×",
            "Lunge  reps  L/R",
            "Split squat  load·reps  L/R",
        ]
        assert app.screen.query_one(ActivityTree).cursor_entry.name == "Split squat"


async def test_the_form_shows_each_rule_in_place_and_writes_nothing(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    before = table_rows(store)
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        # Empty name, a metric without a unit, one split.
        await type_into(pilot, "#metric-name-0", "weight")
        await pilot.click("#flag-splits")
        await type_into(pilot, "#split-0", "Left")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert error_under(app, "name") == "an activity needs a name"
        assert error_under(app, "metrics") == "metric 'weight' needs a unit (e.g. kg, reps, bpm, s)"
        assert error_under(app, "splits").startswith("name 2 to 5 splits")
        assert app.focused is form.query_one("#field-name")

        # Fix the name and the unit; make two metrics the best set and name a split twice.
        await type_into(pilot, "#field-name", "Squat")
        await type_into(pilot, "#metric-unit-0", "kg")
        await type_into(pilot, "#metric-name-1", "Weight")
        await type_into(pilot, "#metric-unit-1", "lb")
        await type_into(pilot, "#split-1", "left")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_under(app, "name") == ""
        assert error_under(app, "metrics") == (
            "two metrics are called 'Weight'; metrics of an activity need different names"
        )
        assert error_under(app, "splits") == (
            "two splits are called 'left'; splits of an activity need different names"
        )
        # Ticking "best" on one metric unticks it on the others.
        await pilot.click("#metric-best-0")
        await pilot.click("#metric-best-1")
        assert [form.query_one(f"#metric-best-{i}", Checkbox).value for i in range(3)] == [
            False,
            True,
            False,
        ]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ActivitiesScreen)
    assert table_rows(store) == before


async def test_editing_keeps_metric_ids_and_removes_a_cleared_row(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    squat = data["squat"]
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        await cursor_to(pilot, "Back squat")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActivityForm)
        assert form.query_one("#field-name", Input).value == "Back squat"
        assert form.query_one("#metric-unit-2", Input).value == "1-10"
        await type_into(pilot, "#metric-name-0", "load")
        await type_into(pilot, "#metric-name-2", "")
        await type_into(pilot, "#metric-unit-2", "")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActivitiesScreen)
    after = store.get_activity(squat.id)
    assert [(m.id, m.name) for m in after.metrics] == [
        (squat.metrics[0].id, "load"),
        (squat.metrics[1].id, "reps"),
    ]
    assert after.times_done == 2  # its history stays with it


async def test_reorder_groups_and_activities_with_keys(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        await cursor_to(pilot, "Push")
        await pilot.press("K")
        await settle(pilot)
        assert [g.name for g in store.groups(root)] == ["Push", "Legs", "Mobility"]
        assert tree_lines(app)[0] == "▾ Push  1"
        # The cursor stays on the group that moved, so it can keep going.
        await pilot.press("J", "J")
        await settle(pilot)
        assert [g.name for g in store.groups(root)] == ["Legs", "Mobility", "Push"]
        assert app.screen.query_one(ActivityTree).cursor_entry.name == "Push"
        await pilot.press("shift+up")
        await settle(pilot)
        assert [g.name for g in store.groups(root)] == ["Legs", "Push", "Mobility"]

        await cursor_to(pilot, "Lunge")
        await pilot.press("K")
        await settle(pilot)
        assert [a.name for a in store.activities(root)][:2] == ["Lunge", "Back squat"]
        await pilot.press("K")  # already first: says so, changes nothing
        await settle(pilot)
        assert [a.name for a in store.activities(root)][:2] == ["Lunge", "Back squat"]
        await cursor_to(pilot, "No group")
        await pilot.press("K")
        await settle(pilot)
        assert tree_lines(app)[-2] == "▾ No group  1"


async def test_add_and_rename_a_group(store: Any, clock: Any, make_app: Any) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "needs a name" in error_under(app, "name")
        await pilot.press(*"Pull")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [g.name for g in store.groups(root)][-1] == "Pull"
        assert app.screen.query_one(ActivityTree).cursor_entry.name == "Pull"
        await pilot.press("e")
        await settle(pilot)
        await type_into(pilot, "#field-name", "Pull day")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [g.name for g in store.groups(root)][-1] == "Pull day"


async def test_deleting_a_group_says_its_activities_stay_ungrouped(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        await cursor_to(pilot, "Legs")
        await pilot.press("d")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.message == (
            "Delete group 'Legs'? Its 2 activities are kept and become ungrouped."
        )
        await pilot.press("n")
        await settle(pilot)
        assert len(store.groups(root)) == 3
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [g.name for g in store.groups(root)] == ["Push", "Mobility"]
        assert tree_lines(app)[-3:] == [
            "Plank  time  1×",
            "Back squat  weight·reps·rpe  2×",
            "Lunge  reps  L/R",
        ]
        # ctrl+z brings the group back (its activities stay where they are now).
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert [g.name for g in store.groups(root)] == ["Legs", "Push", "Mobility"]


async def test_delete_an_activity_names_what_goes_with_it(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        await cursor_to(pilot, "Back squat")
        await pilot.press("delete")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "Delete activity 'Back squat'?" in confirm.message
        assert "3 metrics" in confirm.message and "2 activity instances" in confirm.message
        assert "done 2 times" in confirm.message
        await pilot.press("y")
        await settle(pilot)
        assert "Back squat" not in [a.name for a in store.activities(root)]
        assert not any("Back squat" in line for line in tree_lines(app))


async def test_move_an_activity_to_another_group(store: Any, clock: Any, make_app: Any) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        await cursor_to(pilot, "Plank")
        await pilot.press("m")
        await settle(pilot)
        select_widget = app.screen.query_one("#field-group", Select)
        select_widget.value = data["mobility"].id
        await pilot.press("ctrl+s")
        await settle(pilot)
    moved = store.get_activity(data["plank"].id)
    assert moved.group_name == "Mobility"


async def test_search_by_name(store: Any, clock: Any, make_app: Any) -> None:
    data = build_gym(store, clock)
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_library(pilot)
        await pilot.press("slash")
        await pilot.press(*"PRESS")
        await settle(pilot)
        assert tree_lines(app) == ["▾ Push  1", "Bench press  weight·reps"]
        await pilot.press("enter")
        await pilot.press("escape")
        await settle(pilot)
        assert len(tree_lines(app)) == 8


async def test_an_empty_library_says_what_to_do(store: Any, clock: Any, make_app: Any) -> None:
    clock.set(START)
    gym = store.create_fractal("Gym")
    app = make_app(fractal_id=gym.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_library(pilot)
        hint = app.screen.query_one("#library-empty", Static)
        assert hint.display and "press a to add one" in str(hint.render())


# --- snapshots -------------------------------------------------------------------------------


async def steady_cursor(pilot: Any) -> None:
    """A blinking cursor would make a snapshot depend on timing: keep it shown."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def test_library_snapshot_120x40(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_gym(store, clock)

    async def ready(pilot: Any) -> None:
        await open_library(pilot)
        await cursor_to(pilot, "Back squat")
        await settle(pilot)

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(120, 40), run_before=ready
    )


def test_library_snapshot_80x24(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_gym(store, clock)

    async def ready(pilot: Any) -> None:
        await open_library(pilot)
        await cursor_to(pilot, "Lunge")
        await settle(pilot)

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(80, 24), run_before=ready
    )


def test_activity_form_snapshot_80x24(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_gym(store, clock)

    async def ready(pilot: Any) -> None:
        await open_library(pilot)
        await cursor_to(pilot, "Back squat")
        await pilot.press("e")
        await settle(pilot)
        await steady_cursor(pilot)

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(80, 24), run_before=ready
    )


def test_activity_form_errors_snapshot_120x40(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_gym(store, clock)

    async def ready(pilot: Any) -> None:
        await open_library(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_into(pilot, "#metric-name-0", "weight")
        await pilot.click("#flag-splits")
        await type_into(pilot, "#split-0", "Left")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await steady_cursor(pilot)

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(120, 40), run_before=ready
    )
