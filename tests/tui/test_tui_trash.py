"""Trash (grouped by delete batch; restore, purge one, purge older than N days) and history
(newest first, filtered by kind)."""

from datetime import UTC, datetime
from typing import Any

from textual.widgets import DataTable, Input, Static
from tui_helpers import settle

from fractal_tui.screens.history import HistoryScreen
from fractal_tui.screens.trash import TrashScreen
from fractal_tui.widgets.confirm import ConfirmScreen
from fractal_tui.widgets.form import FormScreen


def rows(app: Any, table_id: str) -> list[list[str]]:
    table = app.screen.query_one(f"#{table_id}", DataTable)
    return [[str(cell).strip() for cell in table.get_row_at(n)] for n in range(table.row_count)]


def with_deletes(store: Any, clock: Any) -> dict[str, Any]:
    clock.set(datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    piano = store.create_fractal("Piano")
    clock.advance(seconds=30)
    rep = store.add_goal(piano.id, "Repertoire")
    clock.advance(seconds=30)
    store.add_goal(rep.id, "Bach")
    clock.advance(minutes=1)
    store.add_goal(rep.id, "Chopin")
    clock.advance(minutes=1)
    old = store.add_goal(piano.id, "Old idea")
    clock.advance(minutes=1)
    store.delete_goal(old.id)  # 2026-01-01 09:04
    clock.set(datetime(2026, 1, 20, 12, 0, tzinfo=UTC))
    store.delete_goal(rep.id)  # 2026-01-20 12:00, with 2 children
    clock.set(datetime(2026, 1, 20, 12, 30, tzinfo=UTC))
    return {"piano": piano, "rep": rep, "old": old}


async def test_trash_groups_by_batch_and_restores_one(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = with_deletes(store, clock)
    app = make_app(fractal_id=data["piano"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert isinstance(app.screen, TrashScreen)
        assert rows(app, "trash-table") == [
            ["2026-01-20 12:00  30m ago", "Piano", "goal 'Repertoire'", "3 goals"],
            ["2026-01-01 09:04  19d ago", "Piano", "goal 'Old idea'", "1 goal"],
        ]
        await pilot.press("enter")  # restore the newest batch
        await settle(pilot)
        names = [g.name for g in store.goals(data["piano"].id)]
        assert names == ["Piano", "Repertoire", "Bach", "Chopin"]
        assert rows(app, "trash-table") == [
            ["2026-01-01 09:04  19d ago", "Piano", "goal 'Old idea'", "1 goal"],
        ]


async def test_purge_one_batch_asks_first(store: Any, clock: Any, make_app: Any) -> None:
    data = with_deletes(store, clock)
    app = make_app(fractal_id=data["piano"].id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("down", "x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.message.startswith("Purge goal 'Old idea' for good? 1 goal")
        await pilot.press("n")
        await settle(pilot)
        assert len(store.trash()) == 2

        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        [left] = store.trash()
        assert left.name == "Repertoire"
        assert [r[2] for r in rows(app, "trash-table")] == ["goal 'Repertoire'"]
        # Purged rows are gone for good: restoring by the old goal's id finds nothing.
        from fractal_tui.errors import NotFound

        try:
            store.restore(data["old"].id)
        except NotFound:
            pass
        else:  # pragma: no cover
            raise AssertionError("a purged goal came back")


async def test_purge_older_than_n_days_validates_and_confirms(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = with_deletes(store, clock)
    app = make_app(fractal_id=data["piano"].id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen)
        days = app.screen.query_one("#field-days", Input)
        assert days.value == "30"
        for bad in ("soon", "-1", "nan"):
            days.value = bad
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, FormScreen), bad
            error = app.screen.query_one("#error-days", Static)
            assert error.has_class("-shown") and str(error.render()), bad
        assert len(store.trash()) == 2

        days.value = "7"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "more than 7 days ago" in app.screen.message
        await pilot.press("y")
        await settle(pilot)
        [left] = store.trash()
        assert left.name == "Repertoire"  # 30 minutes old: kept
        assert len(rows(app, "trash-table")) == 1


async def test_history_newest_first_and_filtered_by_kind(
    store: Any, clock: Any, make_app: Any
) -> None:
    data = with_deletes(store, clock)
    clock.advance(minutes=1)
    store.restore(data["rep"].id)
    app = make_app(fractal_id=data["piano"].id)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        shown = rows(app, "history-table")
        assert [r[1] for r in shown[:3]] == ["restored", "deleted", "deleted"]
        assert shown[-1][1:] == ["fractal created", "created fractal 'Piano'"]
        assert shown[0][0].startswith("2026-01-20 12:31")

        kinds = sorted({r[1] for r in shown})
        await pilot.press("f")  # the first kind, alphabetically
        await settle(pilot)
        assert {r[1] for r in rows(app, "history-table")} == {kinds[0]}
        while app.screen.kind != "deleted":
            await pilot.press("f")
            await settle(pilot)
        filtered = rows(app, "history-table")
        assert [r[2] for r in filtered] == [
            "deleted 'Repertoire' with 3 goals",
            "deleted 'Old idea' with 1 goal",
        ]
        assert "Showing deleted · 2 events" in str(
            app.screen.query_one("#history-filter", Static).render()
        )
        await pilot.press("a")
        await settle(pilot)
        assert len(rows(app, "history-table")) == len(shown)


async def test_empty_trash_says_so(store: Any, make_app: Any) -> None:
    piano = store.create_fractal("Piano")
    app = make_app(fractal_id=piano.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert app.screen.has_class("-empty")
        await pilot.press("enter", "x")
        await settle(pilot)
        assert isinstance(app.screen, TrashScreen)  # nothing to confirm
