"""The fractals screen: the list with its numbers; create, rename, delete, open."""

from datetime import UTC, datetime
from typing import Any

from textual.widgets import DataTable, Input
from tui_helpers import settle

from fractal_tui.screens.fractals import FractalsScreen
from fractal_tui.screens.goals import GoalsScreen
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import FormScreen


def table_rows(app: Any) -> list[list[str]]:
    table = app.screen.query_one("#fractals-table", DataTable)
    return [[str(cell).strip() for cell in table.get_row_at(n)] for n in range(table.row_count)]


def two_fractals(store: Any, clock: Any) -> tuple[Any, Any]:
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    piano = store.create_fractal("Piano")
    rep = store.add_goal(piano.id, "Repertoire")
    store.add_goal(piano.id, "Technique")
    store.add_goal(rep.id, "Bach")
    store.complete_goal(rep.id)
    clock.advance(days=1)
    strength = store.create_fractal("Strength")
    store.add_goal(strength.id, "Squat 140 kg")
    clock.advance(hours=2)
    store.start_session(piano.id, name="Morning practice")
    clock.set(datetime(2026, 1, 8, 18, 0, tzinfo=UTC))
    return piano, strength


async def test_lists_fractals_with_counts_completion_session_and_last_activity(
    store: Any, clock: Any, make_app: Any
) -> None:
    piano, strength = two_fractals(store, clock)
    app = make_app(fractal_id=piano.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)
        assert isinstance(app.screen, FractalsScreen)
        assert table_rows(app) == [
            ["●", "Piano", "3", "33%", "Morning practice", "2d ago"],
            ["", "Strength", "1", "0%", "—", "2d ago"],
        ]


async def test_create_rename_open_and_delete(store: Any, clock: Any, make_app: Any) -> None:
    piano, strength = two_fractals(store, clock)
    app = make_app(fractal_id=piano.id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)

        # Create: the new fractal opens on its goal tree.
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        await pilot.press(*"Spanish", "enter")
        await settle(pilot)
        spanish = store.resolve_fractal("Spanish")
        assert isinstance(app.screen, GoalsScreen)
        assert app.fractal_id == spanish.id and app.title == "Spanish"

        # Rename Strength (second row); a bad name is refused by the field.
        await pilot.press("0")
        await settle(pilot)
        await pilot.press("up", "up", "up", "down", "e")
        await settle(pilot)
        name = app.screen.query_one("#field-name", Input)
        assert name.value == "Strength"
        name.value = "   "
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        assert store.get_goal(strength.id).name == "Strength"
        name.value = "Strength training"
        await pilot.press("enter")
        await settle(pilot)
        assert store.get_goal(strength.id).name == "Strength training"
        assert [r[1] for r in table_rows(app)] == ["Piano", "Strength training", "Spanish"]

        # Open it with enter.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        assert app.fractal_id == strength.id and app.title == "Strength training"

        # Delete Piano (not the open one): confirmation names what goes with it.
        await pilot.press("0")
        await settle(pilot)
        await pilot.press("up", "up", "up", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Delete the fractal 'Piano'? This deletes 4 goals" in app.screen.message
        assert "1 session" in app.screen.message
        await pilot.press("y")
        await settle(pilot)
        assert [f.name for f in store.list_fractals()] == ["Strength training", "Spanish"]
        assert [r[1] for r in table_rows(app)] == ["Strength training", "Spanish"]
        assert app.fractal_id == strength.id

        # Undo brings it back.
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert [f.name for f in store.list_fractals()] == [
            "Piano",
            "Strength training",
            "Spanish",
        ]


async def test_deleting_the_open_fractal_closes_it(store: Any, clock: Any, make_app: Any) -> None:
    piano, strength = two_fractals(store, clock)
    app = make_app(fractal_id=piano.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)
        await pilot.press("up", "up", "up", "d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.fractal_id is None
        assert app.title == "Fractal"
        # The goal tree has nothing to show until another fractal is opened.
        await pilot.press("1")
        await settle(pilot)
        assert isinstance(app.screen, GoalsScreen)
        assert app.screen.tree.goals == ()
        await pilot.press("0")
        await settle(pilot)
        await pilot.press("up", "up", "up", "enter")
        await settle(pilot)
        assert app.fractal_id == strength.id


def test_fractals_snapshot_80x24(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    piano, _ = two_fractals(store, clock)

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)

    assert snap_compare(make_app(fractal_id=piano.id), terminal_size=(80, 24), run_before=ready)


def test_fractals_snapshot_120x40(
    snap_compare: Any, store: Any, clock: Any, make_app: Any, all_screens: None
) -> None:
    piano, _ = two_fractals(store, clock)

    async def ready(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("0")
        await settle(pilot)

    assert snap_compare(make_app(fractal_id=piano.id), terminal_size=(120, 40), run_before=ready)
