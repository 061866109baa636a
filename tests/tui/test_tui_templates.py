"""The templates screen and the template builder, driven with the keys a person would press;
asserts on the store and on what the screen shows. The builder's in-memory plan
(``PlanDraft``) is tested on its own first."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from textual.widgets import DataTable, Input, Select, Static
from tui_helpers import settle

from fractal_tui.errors import Invalid
from fractal_tui.screens.templates import TemplatesScreen
from fractal_tui.views import MetricSpec, TemplateItemSpec, TemplateSection
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import FormScreen
from fractal_tui.widgets.template_builder import (
    DraftItem,
    DraftSection,
    PlanDraft,
    TemplateBuilder,
    parse_minutes,
)

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


# --- data ------------------------------------------------------------------------------------


def build_gym(store: Any, clock: Any) -> dict[str, Any]:
    """A library and one template, made at fixed times: the data of the snapshots."""
    clock.set(START)
    gym = store.create_fractal("Gym")
    legs = store.add_group(gym.id, "Legs")
    core = store.add_group(gym.id, "Core")
    squat = store.add_activity(
        gym.id,
        "Back squat",
        group_id=legs.id,
        has_sets=True,
        metrics=[MetricSpec("weight", "kg", is_best_set=True), MetricSpec("reps", "count")],
    )
    lunge = store.add_activity(gym.id, "Lunge", group_id=legs.id)
    plank = store.add_activity(gym.id, "Plank", group_id=core.id, metrics=[MetricSpec("time", "s")])
    bike = store.add_activity(gym.id, "Bike")
    clock.advance(minutes=5)
    daily = store.add_template(
        gym.id,
        "Daily",
        description="Short and steady.",
        sections=[
            TemplateSection("Warm-up", (TemplateItemSpec(bike.id, 10),)),
            TemplateSection(
                "Strength",
                (TemplateItemSpec(squat.id, 25), TemplateItemSpec(lunge.id, 7.5)),
            ),
            TemplateSection("Finish", (TemplateItemSpec(plank.id, 5),)),
        ],
    )
    clock.advance(minutes=5)
    mobility = store.add_template(
        gym.id,
        "Mobility",
        sections=[TemplateSection("", (TemplateItemSpec(plank.id, 3),))],
    )
    clock.set(datetime(2026, 1, 8, 18, 30, tzinfo=UTC))
    return {
        "gym": gym,
        "squat": squat,
        "lunge": lunge,
        "plank": plank,
        "bike": bike,
        "daily": daily,
        "mobility": mobility,
    }


def plan_of(template: Any) -> list[tuple[str, list[tuple[str, float]]]]:
    return [
        (s.name, [(i.activity_name, i.planned_minutes) for i in s.items]) for s in template.sections
    ]


def table_rows(store: Any) -> dict[str, list[tuple]]:
    from sqlmodel import SQLModel

    with store.engine.connect() as conn:
        return {
            t.name: sorted(tuple(str(v) for v in r) for r in conn.execute(select(t)).all())
            for t in SQLModel.metadata.sorted_tables
        }


# --- helpers ---------------------------------------------------------------------------------


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def open_templates(pilot: Any) -> TemplatesScreen:
    await settle(pilot)
    await pilot.press("7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TemplatesScreen)
    return screen


def list_names(app: Any) -> list[str]:
    table = app.screen.query_one("#templates-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def cursor_to_template(pilot: Any, name: str) -> None:
    await pilot.press("home")
    for _ in range(len(list_names(pilot.app))):
        chosen = pilot.app.screen.template
        if chosen is not None and chosen.name == name:
            return
        await pilot.press("down")
    raise AssertionError(f"{name!r} is not in the list: {list_names(pilot.app)}")


def plan_lines(app: Any) -> list[str]:
    """The builder's plan as shown: one line per section or activity."""
    table = app.screen.query_one("#plan", DataTable)
    return [
        " ".join(str(cell).strip() for cell in table.get_row_at(i)).strip()
        for i in range(table.row_count)
    ]


async def cursor_to_line(pilot: Any, text: str) -> None:
    """Put the plan's cursor on the first line that starts with this text."""
    table = pilot.app.screen.query_one("#plan", DataTable)
    lines = plan_lines(pilot.app)
    for i, line in enumerate(lines):
        if line.startswith(text):
            table.focus()
            table.move_cursor(row=i)
            await pilot.pause()
            return
    raise AssertionError(f"no plan line starts with {text!r}: {lines}")


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


async def add_section(pilot: Any, name: str) -> None:
    await pilot.press("s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FormScreen)
    await pilot.press(*name, "enter")
    await settle(pilot)


async def add_activity(pilot: Any, search: str, minutes: str) -> None:
    await pilot.press("a")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FormScreen)
    await pick(pilot, "#field-activity", search)
    await pilot.press("tab", *minutes, "enter")
    await settle(pilot)


def error_under(app: Any, field: str) -> str:
    widget = app.screen.query_one(f"#error-{field}", Static)
    return str(widget.render()) if widget.has_class("-shown") else ""


async def steady_cursor(pilot: Any) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


# --- the plan in memory ----------------------------------------------------------------------


def item(name: str, minutes: float = 0) -> DraftItem:
    return DraftItem(name.lower(), name, minutes)


def shape(draft: PlanDraft) -> list[tuple[str, list[str]]]:
    return [(s.name, [i.activity_name for i in s.items]) for s in draft.sections]


def test_draft_moves_items_across_section_edges_and_sections_with_their_items() -> None:
    draft = PlanDraft(
        [
            DraftSection("A", [item("a1"), item("a2")]),
            DraftSection("B", [item("b1")]),
        ]
    )
    assert draft.rows() == [(0, None), (0, 0), (0, 1), (1, None), (1, 0)]
    # Down past the end of A: first in B.
    assert draft.move_item(0, 1, 1) == (1, 0)
    assert shape(draft) == [("A", ["a1"]), ("B", ["a2", "b1"])]
    # Up past the start of B: last in A.
    assert draft.move_item(1, 0, -1) == (0, 1)
    assert shape(draft) == [("A", ["a1", "a2"]), ("B", ["b1"])]
    assert draft.move_item(0, 0, -1) is None  # already first of all
    assert draft.move_section(1, -1) == (0, None)
    assert shape(draft) == [("B", ["b1"]), ("A", ["a1", "a2"])]
    assert draft.move_section(1, 1) is None


def test_draft_adds_after_the_cursor_and_makes_a_section_when_there_is_none() -> None:
    draft = PlanDraft()
    assert draft.add_item(item("x", 5), None) == (0, 0)
    assert shape(draft) == [("", ["x"])]
    assert draft.add_section("B", after=0) == (1, None)
    assert draft.add_item(item("y"), (1, None)) == (1, 0)
    assert draft.add_item(item("w"), (0, None)) == (0, 1)  # a section line: at its end
    assert draft.add_item(item("v"), (0, 0)) == (0, 1)  # an item line: just after it
    assert shape(draft) == [("", ["x", "v", "w"]), ("B", ["y"])]
    assert draft.remove_item(0, 2) == (0, 1)
    assert draft.remove_section(0) == (0, None)
    assert draft.to_sections() == (TemplateSection("B", (TemplateItemSpec("y", 0.0),)),)
    assert draft.remove_section(0) is None


def test_minutes_use_the_store_rules() -> None:
    assert parse_minutes("") == 0.0
    assert parse_minutes(" 7.5 ") == 7.5
    for bad, message in (
        ("ten", "planned minutes must be a number (e.g. 10), not 'ten'"),
        ("-1", "planned minutes must be between 0 and 1440"),
        ("nan", "planned minutes must be a finite number, not nan"),
    ):
        try:
            parse_minutes(bad)
        except Invalid as exc:
            assert exc.message == message
        else:
            raise AssertionError(f"{bad!r} was accepted")


# --- the list ----------------------------------------------------------------------------------


async def test_the_list_shows_templates_in_order_with_their_plan(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_templates(pilot)
        assert list_names(app) == ["Daily", "Mobility"]
        text = screen_text(app)
        for expected in (
            "Short and steady.",
            "3 sections · 4 activities · 47.5 min planned",
            "Warm-up",
            "Bike",
            "Strength",
            "Back squat",
            "Lunge",
            "7.5",
        ):
            assert expected in text, expected
        await cursor_to_template(pilot, "Mobility")
        await settle(pilot)
        assert "(unnamed section)" in screen_text(app)


async def test_an_empty_list_says_what_to_do(store: Any, clock: Any, make_app: Any) -> None:
    clock.set(START)
    gym = store.create_fractal("Gym")
    app = make_app(fractal_id=gym.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_templates(pilot)
        hint = app.screen.query_one("#templates-empty", Static)
        assert hint.display and "press n to build one" in str(hint.render())
        await pilot.press("s")  # nothing to start: says so, writes nothing
        await settle(pilot)
        assert store.active_session(gym.id) is None


# --- building ---------------------------------------------------------------------------------


async def test_build_a_template_with_sections_and_activities_from_the_keyboard(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_templates(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        assert isinstance(builder, TemplateBuilder)
        assert app.focused is builder.query_one("#field-name")
        await pilot.press(*"Leg day", "enter")  # enter goes on to the description
        await pilot.press(*"Heavy, then stretch", "enter")  # and on to the plan
        assert app.focused is builder.query_one("#plan")

        await add_section(pilot, "Warm-up")
        await add_activity(pilot, "Bike", "5")
        await add_section(pilot, "Main")
        await add_activity(pilot, "Back", "20")
        await add_activity(pilot, "Lun", "10")
        await add_section(pilot, "Cool-down")
        await add_activity(pilot, "Pla", "2.5")
        assert plan_lines(app) == [
            "Warm-up 5 min",
            "Bike 5",
            "Main 30 min",
            "Back squat 20",
            "Lunge 10",
            "Cool-down 2.5 min",
            "Plank 2.5",
        ]
        assert "3 sections · 4 activities · 37.5 min" in screen_text(app)

        # Lunge before the squat, the cool-down before the main part.
        await cursor_to_line(pilot, "Lunge")
        await pilot.press("K")
        await cursor_to_line(pilot, "Cool-down")
        await pilot.press("shift+up")
        await pilot.pause()
        assert plan_lines(app) == [
            "Warm-up 5 min",
            "Bike 5",
            "Cool-down 2.5 min",
            "Plank 2.5",
            "Main 30 min",
            "Lunge 10",
            "Back squat 20",
        ]
        # Rename a section with e, and drop the bike with d.
        await cursor_to_line(pilot, "Cool-down")
        await pilot.press("e")
        await settle(pilot)
        field = app.screen.query_one("#field-name", Input)
        assert field.value == "Cool-down"
        field.value = ""
        await pilot.press(*"Stretch", "enter")
        await settle(pilot)
        await cursor_to_line(pilot, "Bike")
        await pilot.press("d")
        await pilot.pause()
        assert plan_lines(app)[:3] == [
            "Warm-up  empty: press a to add an activity 0 min",
            "Stretch 2.5 min",
            "Plank 2.5",
        ]
        # An empty section cannot be saved: the store says so under the plan.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is builder
        assert error_under(app, "plan") == "section 'Warm-up' has no activities"
        await cursor_to_line(pilot, "Warm-up")
        await pilot.press("delete")  # an empty section goes without asking
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TemplatesScreen)

        made = store.resolve_template(root, "Leg day")
        assert made.description == "Heavy, then stretch"
        assert plan_of(made) == [
            ("Stretch", [("Plank", 2.5)]),
            ("Main", [("Lunge", 10.0), ("Back squat", 20.0)]),
        ]
        assert list_names(app) == ["Daily", "Mobility", "Leg day"]
        assert app.screen.template.name == "Leg day"  # the cursor is on the new one


async def test_edit_a_template_keeps_the_items_that_stay(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    daily = data["daily"]
    kept = {i.activity_name: i.id for i in daily.items}
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_templates(pilot)
        await pilot.press("enter")  # enter edits too
        await settle(pilot)
        builder = app.screen
        assert isinstance(builder, TemplateBuilder)
        assert app.focused is builder.query_one("#plan")
        assert plan_lines(app)[:2] == ["Warm-up 10 min", "Bike 10"]
        # Change the squat's minutes.
        await cursor_to_line(pilot, "Back squat")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert form.query_one("#field-activity", Select).value == data["squat"].id
        minutes = form.query_one("#field-minutes", Input)
        assert minutes.value == "25"
        minutes.value = ""
        minutes.focus()
        await pilot.press(*"30", "enter")
        await settle(pilot)
        # Removing a section that holds activities asks first.
        await cursor_to_line(pilot, "Finish")
        await pilot.press("d")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.message == "Remove section 'Finish' and its 1 activity from the plan?"
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TemplatesScreen)

    after = store.get_template(daily.id)
    assert plan_of(after) == [
        ("Warm-up", [("Bike", 10.0)]),
        ("Strength", [("Back squat", 30.0), ("Lunge", 7.5)]),
    ]
    assert {i.activity_name: i.id for i in after.items} == {
        "Bike": kept["Bike"],
        "Back squat": kept["Back squat"],
        "Lunge": kept["Lunge"],
    }


async def test_bad_input_is_shown_in_place_and_leaving_writes_nothing(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    before = table_rows(store)
    app = make_app(fractal_id=data["gym"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_templates(pilot)
        await pilot.press("n")
        await settle(pilot)
        builder = app.screen
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_under(app, "name") == "a template needs a name"
        assert app.focused is builder.query_one("#field-name")

        await pilot.press(*"daily", "enter", "enter")
        await add_activity(pilot, "Bike", "5")
        assert plan_lines(app) == ["(unnamed section) 5 min", "Bike 5"]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error_under(app, "name") == (
            "a template called 'daily' already exists; pick another name"
        )
        assert error_under(app, "plan") == ""
        assert app.focused is builder.query_one("#field-name")
        await pilot.press("enter", "enter")  # back to the plan

        # A section name used twice, and minutes that are not minutes, in the small forms.
        await add_section(pilot, "Warm-up")
        await pilot.press("s")
        await settle(pilot)
        await pilot.press(*"warm-up", "enter")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert error_under(app, "name") == (
            "two sections are called 'warm-up'; section names must differ"
        )
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("tab", *"ten", "enter")
        await settle(pilot)
        assert error_under(app, "minutes") == (
            "planned minutes must be a number (e.g. 10), not 'ten'"
        )
        app.screen.query_one("#field-minutes", Input).value = "2000"
        await pilot.press("enter")
        await settle(pilot)
        assert error_under(app, "minutes") == "planned minutes must be between 0 and 1440"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is builder

        # Leaving with changes asks; "Keep editing" stays, "Discard" leaves.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is builder
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, TemplatesScreen)
    assert table_rows(store) == before


async def test_reorder_templates_with_keys(store: Any, clock: Any, make_app: Any) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_templates(pilot)
        await cursor_to_template(pilot, "Mobility")
        await pilot.press("K")
        await settle(pilot)
        assert [t.name for t in store.templates(root)] == ["Mobility", "Daily"]
        assert list_names(app) == ["Mobility", "Daily"]
        assert app.screen.template.name == "Mobility"  # the cursor follows it
        await pilot.press("K")  # already first: says so, changes nothing
        await settle(pilot)
        assert [t.name for t in store.templates(root)] == ["Mobility", "Daily"]
        await pilot.press("shift+down")
        await settle(pilot)
        assert [t.name for t in store.templates(root)] == ["Daily", "Mobility"]


async def test_delete_asks_then_ctrl_z_brings_it_back(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_templates(pilot)
        await pilot.press("d")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert confirm.message.startswith(
            "Delete template 'Daily' and its plan (3 sections · 4 activities)?"
        )
        await pilot.press("n")
        await settle(pilot)
        assert [t.name for t in store.templates(root)] == ["Daily", "Mobility"]
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert [t.name for t in store.templates(root)] == ["Mobility"]
        assert list_names(app) == ["Mobility"]
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert [t.name for t in store.templates(root)] == ["Daily", "Mobility"]
        assert plan_of(store.get_template(data["daily"].id))[0] == ("Warm-up", [("Bike", 10.0)])


# --- starting a session ------------------------------------------------------------------------


async def test_start_a_session_from_the_template_under_the_cursor(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = build_gym(store, clock)
    root = data["gym"].id
    app = make_app(fractal_id=root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_templates(pilot)
        await pilot.press("s")
        await settle(pilot)
        session = store.active_session(root)
        assert session is not None
        assert session.name == "Daily" and session.template_id == data["daily"].id
        detail = store.session_detail(session.id)
        assert [
            (i.activity_name, i.section, i.target_duration_seconds) for i in detail.instances
        ] == [
            ("Bike", "Warm-up", 600.0),
            ("Back squat", "Strength", 1500.0),
            ("Lunge", "Strength", 450.0),
            ("Plank", "Finish", 300.0),
        ]
        # The app shows the new session.
        assert app.current_mode == "sessions"

        # A second one while it runs: refused with a way out, nothing written.
        await pilot.press("7")
        await settle(pilot)
        assert isinstance(app.screen, TemplatesScreen)
        await cursor_to_template(pilot, "Mobility")
        await pilot.press("s")
        await settle(pilot)
        assert store.active_session(root).id == session.id
        assert store.sessions(root).total == 1
        messages = [n.message for n in app._notifications]
        assert any(
            "is still active; end it first on the sessions screen (press 2)" in m for m in messages
        ), messages


# --- snapshots -----------------------------------------------------------------------------------


def test_templates_snapshot_80x24(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_gym(store, clock)

    async def ready(pilot: Any) -> None:
        await open_templates(pilot)
        await settle(pilot)

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(80, 24), run_before=ready
    )


def test_template_builder_snapshot_80x24(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    data = build_gym(store, clock)

    async def ready(pilot: Any) -> None:
        await open_templates(pilot)
        await pilot.press("e")
        await settle(pilot)
        await cursor_to_line(pilot, "Lunge")
        await steady_cursor(pilot)

    assert snap_compare(
        make_app(fractal_id=data["gym"].id), terminal_size=(80, 24), run_before=ready
    )
