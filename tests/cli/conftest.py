"""Fixtures shared by the CLI tests."""

from typing import Any

import pytest
from click.testing import CliRunner

from fractal_tui.cli import AppContext, cli


@pytest.fixture
def run(db_url: str, clock: Any, engine: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke `fractal --db <test db> ...` with the store on the test's FakeClock."""
    from fractal_tui.store import Store

    def store(self: AppContext) -> Any:
        if self._store is None:
            self._store = Store(engine, clock=clock)
        return self._store

    monkeypatch.setattr(AppContext, "store", property(store))
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(cli, ["--db", db_url, *args], input=input)

    return invoke
