"""Fixtures for the exchange tests. Helpers live in ``exchange_helpers.py`` and the Fractal
Goals database generator in ``fg_fixtures.py``, both beside this file (this folder is on
``sys.path`` under pytest's default import mode)."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from exchange_helpers import new_store, populate


@pytest.fixture
def other_store(tmp_path: Path, clock: Any) -> Any:
    """A second, empty store (its own SQLite file) sharing the fake clock."""
    return new_store(tmp_path, "other.db", clock)


@pytest.fixture
def make_store(tmp_path: Path, clock: Any) -> Callable[[str], Any]:
    return lambda name: new_store(tmp_path, name, clock)


@pytest.fixture
def populated(store: Any, clock: Any) -> dict[str, str]:
    return populate(store, clock)
