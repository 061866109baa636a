"""Fixtures shared by the CLI tests."""

from typing import Any

import pytest
from cli_helpers import store_on_clock
from click.testing import CliRunner

from fractal_tui.cli import cli


@pytest.fixture
def run(db_url: str, clock: Any, engine: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Invoke `fractal --db <test db> ...` with the store on the test's FakeClock."""
    store_on_clock(monkeypatch, engine, clock)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(cli, ["--db", db_url, *args], input=input)

    return invoke
