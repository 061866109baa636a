"""Helpers shared by the CLI tests (imported by module name, like tui_helpers)."""

from typing import Any

import pytest
from sqlmodel import SQLModel

from fractal_tui.cli import AppContext


def db_state(engine: Any) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, to prove that a failed command wrote nothing."""
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(str, r)) for r in conn.execute(t.select()))
            for t in SQLModel.metadata.sorted_tables
        }


def store_on_clock(monkeypatch: pytest.MonkeyPatch, engine: Any, clock: Any) -> None:
    """Commands get a store on the test's engine and FakeClock."""
    from fractal_tui.store import Store

    def store(self: AppContext) -> Any:
        if self._store is None:
            self._store = Store(engine, clock=clock)
        return self._store

    monkeypatch.setattr(AppContext, "store", property(store))
