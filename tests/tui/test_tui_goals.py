"""The goal tree, driven with the keys a person would press; asserts on the store and on
what the tree shows."""

from datetime import date
from typing import Any

from textual.widgets import Input, Select, Static
from tui_helpers import settle

from fractal_tui.screens.goals import GoalsScreen
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import FormScreen
from fractal_tui.widgets.goal_tree import GoalTree


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def tree_lines(app: Any) -> list[str]:
    """The goal tree as shown: one line per visible goal, without trailing space."""
    tree = app.screen.query_one(GoalTree)
    lines = []
    for n in range(tree.last_line + 1):
        node = tree.get_node_at_line(n)
        label = tree.render_label(node, tree.rich_style, tree.rich_style)
        lines.append(label.plain.rstrip())
    return lines


def names_in_order(store: Any, root_id: str) -> list[str]:
    from fractal_tui.hierarchy import tree_order

    return [row.node.name for row in tree_order(store.goals(root_id))]


def error_under(app: Any, field: str) -> str:
    widget = app.screen.query_one(f"#error-{field}", Static)
    return str(widget.render()) if widget.has_class("-shown") else ""


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*text)


async def open_on_goal(pilot: Any, name: str) -> None:
    """Put the tree's cursor on the goal with this name, with the arrow keys."""
    tree = pilot.app.screen.query_one(GoalTree)
    await pilot.press("home")
    for _ in range(tree.last_line + 1):
        if tree.cursor_goal is not None and tree.cursor_goal.name == name:
            return
        await pilot.press("down")
    raise AssertionError(f"{name!r} is not in the tree")


async def choose_level(pilot: Any, label: str) -> None:
    """In an open goal form, pick a level from the select with the keyboard."""
    select = pilot.app.screen.query_one("#field-level", Select)
    select.focus()
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    values = [value for _, value in select._options]  # type: ignore[attr-defined]
    labels = [str(text) for text, _ in select._options]  # type: ignore[attr-defined]
    current = values.index(select.value)
    target = labels.index(label)
    key = "down" if target > current else "up"
    for _ in range(abs(target - current)):
        await pilot.press(key)
    await pilot.press("enter")
    await pilot.pause()


async def test_a_person_builds_reorders_completes_deletes_and_undoes(
    store: Any, make_app: Any
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # The welcome screen: create the first fractal.
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await type_text(pilot, "Piano")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        [piano] = store.list_fractals()
        assert piano.name == "Piano" and app.fractal_id == piano.id
        assert tree_lines(app) == ["ultimate Piano"]

        # Three levels: a child of the root, a child of that, a child of that.
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "Repertoire")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "Bach prelude")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "Left hand")
        await pilot.press("enter")
        await settle(pilot)
        goals = {g.name: g for g in store.goals(piano.id)}
        assert goals["Repertoire"].parent_id == piano.id and goals["Repertoire"].level == 1
        assert goals["Bach prelude"].parent_id == goals["Repertoire"].id
        assert goals["Bach prelude"].level == 2
        assert goals["Left hand"].parent_id == goals["Bach prelude"].id
        assert goals["Left hand"].level == 3
        # The cursor follows each new goal.
        assert app.screen.query_one(GoalTree).cursor_goal.name == "Left hand"

        # A sibling of Bach, then move it above Bach.
        await open_on_goal(pilot, "Bach prelude")
        await pilot.press("s")
        await settle(pilot)
        await type_text(pilot, "Chopin nocturne")
        await pilot.press("enter")
        await settle(pilot)
        assert names_in_order(store, piano.id) == [
            "Piano",
            "Repertoire",
            "Bach prelude",
            "Left hand",
            "Chopin nocturne",
        ]
        assert app.screen.query_one(GoalTree).cursor_goal.name == "Chopin nocturne"
        await pilot.press("K")
        await settle(pilot)
        assert names_in_order(store, piano.id) == [
            "Piano",
            "Repertoire",
            "Chopin nocturne",
            "Bach prelude",
            "Left hand",
        ]
        lines = tree_lines(app)
        assert [line.split()[-1] for line in lines] == [
            "Piano",
            "Repertoire",
            "nocturne",
            "prelude",
            "hand",
        ]
        assert app.screen.query_one(GoalTree).cursor_goal.name == "Chopin nocturne"

        # Complete Chopin: completed_at is set and the tree shows the done mark.
        await pilot.press("c")
        await settle(pilot)
        chopin = store.resolve_goal(piano.id, "Chopin nocturne")
        assert chopin.completed_at == app.clock()
        assert any(line.endswith("Chopin nocturne ✓") for line in tree_lines(app))

        # Delete Bach with its subtree: the confirmation says what goes with it.
        await open_on_goal(pilot, "Bach prelude")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "deletes 2 goals" in app.screen.message
        await pilot.press("y")
        await settle(pilot)
        assert names_in_order(store, piano.id) == ["Piano", "Repertoire", "Chopin nocturne"]
        assert not any("Bach" in line or "Left hand" in line for line in tree_lines(app))
        assert [n.message for n in app._notifications][-1].startswith(
            "Deleted goal 'Bach prelude' (2 goals)"
        )

        # ctrl+z brings back exactly that batch.
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert names_in_order(store, piano.id) == [
            "Piano",
            "Repertoire",
            "Chopin nocturne",
            "Bach prelude",
            "Left hand",
        ]
        assert any("Left hand" in line for line in tree_lines(app))


async def test_level_defaults_to_next_rank_skips_are_allowed_and_not_below_is_refused(
    store: Any, clock: Any, make_app: Any
) -> None:
    piano = store.create_fractal("Piano")
    rep = store.add_goal(piano.id, "Repertoire")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_on_goal(pilot, "Repertoire")
        await pilot.press("a")
        await settle(pilot)
        assert app.screen.query_one("#field-level", Select).value == 2  # mid-term
        await type_text(pilot, "Too high")
        await choose_level(pilot, "long-term")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused: the store's message under the level field, the form still open.
        assert isinstance(app.screen, FormScreen)
        assert "cannot sit under a long-term goal" in error_under(app, "level")
        assert [g.name for g in store.goals(piano.id)] == ["Piano", "Repertoire"]

        await choose_level(pilot, "immediate")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        skipped = store.resolve_goal(piano.id, "Too high")
        assert skipped.parent_id == rep.id and skipped.level == 4


async def test_bad_input_shows_the_message_by_the_field_and_escape_writes_nothing(
    store: Any, make_app: Any
) -> None:
    piano = store.create_fractal("Piano")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = store.goals(piano.id)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")  # no name
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "needs a name" in error_under(app, "name")

        await type_text(pilot, "Scales")
        app.screen.query_one("#field-deadline", Input).focus()
        await pilot.pause()
        await type_text(pilot, "2026-13-01")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert "YYYY-MM-DD" in error_under(app, "deadline")
        assert error_under(app, "name") == ""
        assert store.goals(piano.id) == before

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        assert store.goals(piano.id) == before


async def test_edit_changes_name_deadline_and_description(store: Any, make_app: Any) -> None:
    piano = store.create_fractal("Piano")
    store.add_goal(piano.id, "Scales")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_on_goal(pilot, "Scales")
        await pilot.press("e")
        await settle(pilot)
        name = app.screen.query_one("#field-name", Input)
        assert name.value == "Scales"
        name.value = ""
        await type_text(pilot, "Scales, all keys")
        app.screen.query_one("#field-deadline", Input).focus()
        await type_text(pilot, "2026-02-01")
        app.screen.query_one("#field-description", Input).focus()
        await type_text(pilot, "hands together")
        await pilot.press("enter")
        await settle(pilot)
        goal = store.resolve_goal(piano.id, "Scales, all keys")
        assert goal.deadline == date(2026, 2, 1)
        assert goal.description == "hands together"
        # The countdown from the app's clock (2026-01-05) is in the tree.
        assert any(line.endswith("Scales, all keys  in 27d") for line in tree_lines(app))


async def test_move_under_another_parent_offers_only_allowed_parents(
    store: Any, make_app: Any
) -> None:
    piano = store.create_fractal("Piano")
    rep = store.add_goal(piano.id, "Repertoire")
    tech = store.add_goal(piano.id, "Technique")
    scales = store.add_goal(tech.id, "Scales")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_on_goal(pilot, "Scales")
        await pilot.press("m")
        await settle(pilot)
        select = app.screen.query_one("#field-parent", Select)
        offered = [str(label).strip() for label, _ in select._options]
        # Not its own parent, not itself, nothing of its level or lower.
        assert offered == ["Piano (ultimate)", "Repertoire (long-term)"]
        select.focus()
        await pilot.press("enter", "down", "enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert store.get_goal(scales.id).parent_id == rep.id
        assert names_in_order(store, piano.id) == ["Piano", "Repertoire", "Scales", "Technique"]
        assert app.screen.query_one(GoalTree).cursor_goal.id == scales.id


async def test_hide_completed_search_and_collapse(tui: Any, make_app: Any) -> None:
    goals = tui.build_piano()
    app = make_app(fractal_id=goals["piano"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert any("Chopin nocturne ✓" in line for line in tree_lines(app))
        await pilot.press("h")
        await settle(pilot)
        assert not any("Chopin" in line for line in tree_lines(app))
        await pilot.press("h")
        await settle(pilot)
        assert any("Chopin" in line for line in tree_lines(app))

        # Search: only matches and their ancestors stay.
        await pilot.press("slash")
        await type_text(pilot, "scal")
        await settle(pilot)
        assert [line.split(maxsplit=1)[-1] for line in tree_lines(app)][-1].endswith("in 9d")
        assert len(tree_lines(app)) == 3  # Piano, Technique, Scales
        await pilot.press("enter")  # back to the tree, filter kept
        await pilot.press("escape")  # clears the search
        await settle(pilot)
        assert len(tree_lines(app)) == 7

        # Collapse Repertoire with the left arrow; its children leave the tree.
        await open_on_goal(pilot, "Repertoire")
        await pilot.press("left")
        await pilot.pause()
        assert len(tree_lines(app)) == 4
        await pilot.press("right")
        await pilot.pause()
        assert len(tree_lines(app)) == 7


async def test_detail_panel_shows_the_selected_goal(tui: Any, make_app: Any) -> None:
    goals = tui.build_piano()
    app = make_app(fractal_id=goals["piano"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_on_goal(pilot, "Bach prelude in C minor")
        await settle(pilot)
        text = screen_text(app)
        assert "BWV 847, from memory at 80 bpm." in text
        assert "mid-term" in text
        assert "2026-01-02  6d overdue" in text
        assert "Created  2026-01-05 09:10" in text
        assert "Age      3d" in text
        assert "Children 1" in text


async def test_changes_from_outside_appear_on_r_focus_and_poll(
    store: Any, clock: Any, make_app: Any
) -> None:
    from textual import events

    from fractal_tui.store import Store

    piano = store.create_fractal("Piano")
    app = make_app()
    # Another writer over the same database, as the CLI would be.
    other = Store(store.engine, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        other.add_goal(piano.id, "From the CLI")
        await pilot.press("r")
        await settle(pilot)
        assert any("From the CLI" in line for line in tree_lines(app))

        other.add_goal(piano.id, "While away")
        app.post_message(events.AppFocus())
        await settle(pilot)
        assert any("While away" in line for line in tree_lines(app))

        other.add_goal(piano.id, "Polled")
        app.screen._poll()  # what the interval timer calls every few seconds
        await settle(pilot)
        assert any("Polled" in line for line in tree_lines(app))


def test_goal_tree_snapshot_80x24(
    snap_compare: Any, tui: Any, make_app: Any, all_screens: None
) -> None:
    goals = tui.build_piano()

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await open_on_goal(pilot, "Bach prelude in C minor")
        await settle(pilot)

    assert snap_compare(
        make_app(fractal_id=goals["piano"].id), terminal_size=(80, 24), run_before=ready
    )


def test_goal_tree_snapshot_120x40(
    snap_compare: Any, tui: Any, make_app: Any, all_screens: None
) -> None:
    goals = tui.build_piano()

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await open_on_goal(pilot, "Bach prelude in C minor")
        await settle(pilot)

    assert snap_compare(
        make_app(fractal_id=goals["piano"].id), terminal_size=(120, 40), run_before=ready
    )
