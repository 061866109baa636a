"""Goal targets in the TUI: the target form (T on the goal tree), each target's progress in
the goal detail panel, and a goal completing when practice meets its targets."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from textual.widgets import Input, Select, Static
from tui_helpers import settle

from fractal_tui.screens.goals import GoalsScreen
from fractal_tui.views import ConditionSpec, MetricSpec
from fractal_tui.widgets.goal_detail import GoalDetailPanel
from fractal_tui.widgets.goal_tree import GoalTree
from fractal_tui.widgets.target_form import TargetForm

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


# --- data ------------------------------------------------------------------------------------


def practise(
    store: Any, root_id: str, name: str, at: datetime, activity: Any, sets: list[dict[str, float]]
) -> Any:
    """A finished session with one completed instance of an activity and its values."""
    session = store.start_session(root_id, name=name, at=at)
    inst = store.add_instance(session.id, activity.id)
    metrics = {m.name: m.id for m in activity.metrics}
    for values in sets:
        set_id = store.add_set(inst.id).id if activity.has_sets else None
        for metric, value in values.items():
            store.record_value(inst.id, metrics[metric], value, set_id=set_id)
    store.complete_instance(inst.id, at=at.replace(minute=30))
    store.end_session(session.id, at=at.replace(minute=45))
    return session


def build_gym(store: Any, clock: Any) -> dict[str, Any]:
    """Goals, a small library and some practice, made at fixed times."""
    clock.set(START)
    gym = store.create_fractal("Gym")
    strength = store.add_goal(gym.id, "Get strong")
    squat_goal = store.add_goal(strength.id, "Squat 100 kg", level=4)
    habit = store.add_goal(strength.id, "Bike three times", level=4)
    squat = store.add_activity(
        gym.id,
        "Back squat",
        has_sets=True,
        metrics_multiplicative=True,
        metrics=[MetricSpec("weight", "kg", is_best_set=True), MetricSpec("reps", "count")],
    )
    plank = store.add_activity(gym.id, "Plank", metrics=[MetricSpec("time", "s")])
    bike = store.add_activity(gym.id, "Bike")
    clock.set(datetime(2026, 1, 7, 20, 0, tzinfo=UTC))
    practise(
        store,
        gym.id,
        "Monday legs",
        datetime(2026, 1, 6, 18, 0, tzinfo=UTC),
        squat,
        [{"weight": 90, "reps": 5}, {"weight": 80, "reps": 8}],
    )
    practise(store, gym.id, "Spin", datetime(2026, 1, 7, 7, 0, tzinfo=UTC), bike, [])
    clock.set(datetime(2026, 1, 8, 18, 0, tzinfo=UTC))
    return {
        "gym": gym,
        "strength": strength,
        "squat_goal": squat_goal,
        "habit": habit,
        "squat": squat,
        "plank": plank,
        "bike": bike,
    }


def table_rows(store: Any) -> dict[str, list[tuple]]:
    from sqlmodel import SQLModel

    with store.engine.connect() as conn:
        return {
            t.name: sorted(tuple(str(v) for v in r) for r in conn.execute(select(t)).all())
            for t in SQLModel.metadata.sorted_tables
        }


# --- helpers ---------------------------------------------------------------------------------


async def open_on_goal(pilot: Any, name: str) -> None:
    """Put the tree's cursor on the goal with this name, with the arrow keys."""
    await settle(pilot)
    assert isinstance(pilot.app.screen, GoalsScreen)
    tree = pilot.app.screen.query_one(GoalTree)
    await pilot.press("home")
    for _ in range(tree.last_line + 1):
        if tree.cursor_goal is not None and tree.cursor_goal.name == name:
            await settle(pilot)
            return
        await pilot.press("down")
    raise AssertionError(f"{name!r} is not in the tree")


def tree_line(app: Any, name: str) -> str:
    tree = app.screen.query_one(GoalTree)
    for n in range(tree.last_line + 1):
        node = tree.get_node_at_line(n)
        label = tree.render_label(node, tree.rich_style, tree.rich_style).plain.rstrip()
        if name in label:
            return label
    raise AssertionError(f"{name!r} is not in the tree")


def detail_text(app: Any) -> str:
    from rich.console import Console

    console = Console(width=60, record=True, color_system=None)
    body = app.screen.query_one(GoalDetailPanel).query_one("#goal-detail-body", Static)
    console.print(body.content)
    return console.export_text()


async def pick(pilot: Any, select_id: str, search: str) -> None:
    """Open a select with enter, type to find an option, enter to take it."""
    select = pilot.app.screen.query_one(select_id, Select)
    select.focus()
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*search)
    await pilot.press("enter")
    await pilot.pause()


async def type_into(pilot: Any, selector: str, text: str) -> None:
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = ""
    await pilot.pause()
    await pilot.press(*text)


def error_under(app: Any, field: str) -> str:
    widget = app.screen.query_one(f"#error-{field}", Static)
    return str(widget.render()) if widget.has_class("-shown") else ""


async def open_form(pilot: Any, goal: str) -> TargetForm:
    await open_on_goal(pilot, goal)
    await pilot.press("T")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, TargetForm)
    return form


# --- the form ----------------------------------------------------------------------------------


async def test_add_a_sum_target_with_the_keyboard_and_see_its_progress(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    goal = data["squat_goal"]
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "Squat 100 kg")
        assert app.focused is form.query_one("#field-activity")
        await pick(pilot, "#field-activity", "Back")
        # The activity's metrics fill the condition rows, one row each.
        assert [form.query_one(f"#cond-metric-{i}", Select).value for i in range(2)] == [
            m.id for m in data["squat"].metrics
        ]
        assert not form.query_one("#condition-2").display
        assert str(form.query_one("#cond-unit-0", Static).render()) == "kg"
        assert form.query_one("#field-count", Input).disabled  # only for frequency
        await pick(pilot, "#field-kind", "sum")
        assert "summed over the range" in str(form.query_one("#kind-hint", Static).render())
        await pilot.press("tab", "tab", "tab", *"1000")  # metric, operator, then the value
        assert app.focused is form.query_one("#cond-value-0")
        await type_into(pilot, "#date-from", "2026-01-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)

        [target] = store.targets(goal.id)
        assert (target.kind, target.count, target.starts_on, target.ends_on) == (
            "sum",
            None,
            date(2026, 1, 1),
            None,
        )
        assert [(c.metric_name, c.op, c.value) for c in target.conditions] == [
            ("weight", ">=", 1000.0)
        ]
        assert target.name == "Back squat: sum weight >= 1000 kg"
        # Its progress shows under it: 90 + 80 kg so far.
        text = detail_text(app)
        assert "○ Back squat: sum weight >= 1000 kg  sum" in text
        assert "sum 170/1000 kg" in text


async def test_a_frequency_target_for_an_activity_without_metrics(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    goal = data["habit"]
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "Bike three times")
        await pick(pilot, "#field-activity", "Bike")
        assert form.query_one("#conditions-none").display
        assert not form.query_one("#condition-0").display
        await pick(pilot, "#field-kind", "f")
        count = form.query_one("#field-count", Input)
        assert not count.disabled
        await pilot.press("tab", *"3", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        [target] = store.targets(goal.id)
        assert (target.kind, target.count, target.conditions) == ("frequency", 3, ())
        assert "1/3 sessions" in detail_text(app)


async def test_bad_input_is_shown_by_its_field_and_nothing_is_written(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    before = table_rows(store)
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, "Squat 100 kg")
        await pick(pilot, "#field-activity", "Back")
        # A threshold without a value: the store's rule, under the conditions.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert error_under(app, "conditions") == (
            "a threshold target needs at least one condition on a metric (e.g. weight>=100)"
        )
        assert app.focused is form.query_one("#cond-value-0")
        await pilot.press(*"heavy", "ctrl+s")
        await settle(pilot)
        assert error_under(app, "conditions") == "condition 1: 'heavy' is not a number (e.g. 100)"
        await type_into(pilot, "#cond-value-0", "nan")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_under(app, "conditions") == (
            "the value of condition 1 must be a finite number, not nan"
        )
        # A value without a metric.
        await type_into(pilot, "#cond-value-0", "100")
        await type_into(pilot, "#cond-value-1", "5")
        form.query_one("#cond-metric-1", Select).clear()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_under(app, "conditions") == "condition 2: pick a metric for '5'"
        await type_into(pilot, "#cond-value-1", "")
        # Dates: one that is no date, then a range that ends before it starts.
        await type_into(pilot, "#date-from", "2026-13-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "2026-13-01" in error_under(app, "dates")
        assert error_under(app, "conditions") == ""
        await type_into(pilot, "#date-from", "2026-02-01")
        await type_into(pilot, "#date-to", "2026-01-15")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_under(app, "dates") == (
            "the target's range ends (2026-01-15) before it starts (2026-02-01)"
        )
        await type_into(pilot, "#date-to", "")
        # A frequency target needs a whole count of 1 or more.
        await pick(pilot, "#field-kind", "f")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_under(app, "count") == "a frequency target needs a count of sessions (e.g. 3)"
        assert app.focused is form.query_one("#field-count")
        await pilot.press(*"two", "ctrl+s")
        await settle(pilot)
        assert error_under(app, "count") == (
            "the count is a whole number of sessions (e.g. 3), not 'two'"
        )
        await type_into(pilot, "#field-count", "0")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_under(app, "count") == (
            "the count of a frequency target must be 1 or more, not 0"
        )
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
    assert table_rows(store) == before


async def test_without_activities_the_form_says_what_to_do(
    store: Any, clock: Any, make_app: Any
) -> None:
    clock.set(START)
    gym = store.create_fractal("Gym")
    store.add_goal(gym.id, "Squat 100 kg")
    app = make_app(fractal_id=gym.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_on_goal(pilot, "Squat 100 kg")
        await pilot.press("T")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        messages = [n.message for n in app._notifications]
        assert messages[-1] == "A target is about an activity: press 3 and add one first."


# --- meeting a target ------------------------------------------------------------------------


async def test_practice_that_meets_the_target_completes_the_goal_in_the_tree(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root, goal, squat = data["gym"].id, data["squat_goal"], data["squat"]
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        # The target, through the form: one set of at least 100 kg.
        await open_form(pilot, "Squat 100 kg")
        await pick(pilot, "#field-activity", "Back")
        await type_into(pilot, "#cond-value-0", "100")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "best 90/100 kg" in detail_text(app)
        assert "✓" not in tree_line(app, "Squat 100 kg")

        # Practice, as the session screen or the CLI would record it.
        clock.set(datetime(2026, 1, 8, 18, 0, tzinfo=UTC))
        session = store.start_session(root, name="Heavy day")
        inst = store.add_instance(session.id, squat.id)
        weight, reps = (m.id for m in squat.metrics)
        for kg in (95, 102.5):
            set_id = store.add_set(inst.id).id
            store.record_value(inst.id, weight, kg, set_id=set_id)
            store.record_value(inst.id, reps, 3, set_id=set_id)
            clock.advance(minutes=5)
        store.complete_instance(inst.id)
        clock.advance(minutes=5)
        store.end_session(session.id)

        await pilot.press("r")
        await settle(pilot)
        assert tree_line(app, "Squat 100 kg").endswith("✓")
        done = store.get_goal(goal.id)
        assert done.completed_by == "targets"
        [target] = store.targets(goal.id)
        assert target.met_session_id == session.id
        text = detail_text(app)
        assert "✓ done" in text
        assert "(by its targets)" in text
        assert "✓ Back squat: weight >= 100 kg  met 2026-01-08" in text
        assert "best 102.5/100 kg · met in 'Heavy day'" in text


# --- snapshots -----------------------------------------------------------------------------------


async def steady_cursor(pilot: Any) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


def test_target_form_snapshot_80x24(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_gym(store, clock)

    async def ready(pilot: Any) -> None:
        await open_form(pilot, "Squat 100 kg")
        await pick(pilot, "#field-activity", "Back")
        await type_into(pilot, "#cond-value-0", "100")
        await type_into(pilot, "#cond-value-1", "5")
        await steady_cursor(pilot)

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(80, 24), run_before=ready
    )


def test_goal_targets_progress_snapshot_80x24(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_gym(store, clock)
    store.add_target(data["squat_goal"].id, data["squat"].id, [ConditionSpec("weight", ">=", 100)])
    store.add_target(data["squat_goal"].id, data["bike"].id, kind="frequency", count=3)

    async def ready(pilot: Any) -> None:
        await open_on_goal(pilot, "Squat 100 kg")

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(80, 24), run_before=ready
    )
