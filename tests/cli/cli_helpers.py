"""Helpers shared by the CLI tests (imported by module name, like tui_helpers)."""

from typing import Any

from sqlmodel import SQLModel


def db_state(engine: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, to prove that a failed command wrote nothing."""
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(str, r)) for r in conn.execute(t.select()))
            for t in SQLModel.metadata.sorted_tables
        }
