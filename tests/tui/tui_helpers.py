"""Helpers shared by the TUI tests (imported by module name, like exchange_helpers)."""

from typing import Any

from textual.widgets import DataTable


def _layout_pending(app: Any) -> bool:
    # A DataTable measures new rows and sets column widths on Idle; on a busy machine a
    # screenshot could otherwise catch a column at its header's width.
    return any(
        table._require_update_dimensions or table._updated_cells
        for table in app.screen.query(DataTable)
    )


async def settle(pilot: Any, rounds: int = 3) -> None:
    """Let thread workers finish, their results reach the screen, and tables lay out."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    for _ in range(50):
        if not _layout_pending(pilot.app):
            break
        await pilot.pause(0.02)
