"""Shared fixtures. Every test gets its own database under a temporary directory.

- ``_isolate_user_data`` (autouse): HOME, XDG_DATA_HOME and FRACTAL_DB point into the test's
  tmp_path, so nothing can reach the real user data directory.
- ``db_url``: a fresh database URL. Parametrised over the backends: SQLite always, and
  PostgreSQL too when ``FRACTAL_TEST_DATABASE_URL`` is set (a fresh schema per test). It also
  sets FRACTAL_DB to the same URL, so CLI invocations without --db use the same database.
- ``engine``: ``make_engine(db_url)`` with the schema migrated to head.
- ``clock``: a FakeClock; ``store``: ``Store(engine, clock=clock)``.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs
import pytest

PG_ENV = "FRACTAL_TEST_DATABASE_URL"

# Taken at import, before any fixture changes the environment: the real user's data
# directory, which no test may create or modify (tests/test_config.py checks it).
REAL_USER_DATA_DIR = Path(platformdirs.user_data_dir("fractal", appauthor=False))


def dir_snapshot(path: Path) -> tuple[int, tuple[str, ...]] | None:
    """Enough to notice a change: None when missing, else (mtime_ns, listing)."""
    if not path.exists():
        return None
    return path.stat().st_mtime_ns, tuple(sorted(os.listdir(path)))


REAL_USER_DATA_SNAPSHOT = dir_snapshot(REAL_USER_DATA_DIR)


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Any test that (indirectly) uses db_url runs once per available backend.
    if "db_backend" in metafunc.fixturenames:
        # Screens hold no SQL, and a snapshot is one picture whatever the backend, so the
        # TUI suite runs on SQLite only (tests/reliability drives the TUI on PostgreSQL).
        in_tui = metafunc.definition.path.parent.name == "tui"
        chosen = ["sqlite"] if in_tui else backends()
        # @pytest.mark.backends("sqlite"): a test about one backend's behaviour is not
        # generated for the others (rather than generated and skipped).
        marker = metafunc.definition.get_closest_marker("backends")
        if marker is not None:
            chosen = [b for b in chosen if b in marker.args]
        metafunc.parametrize("db_backend", chosen, indirect=True)


@pytest.fixture(autouse=True)
def _isolate_user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("FRACTAL_DB", str(tmp_path / "fractal.db"))
    monkeypatch.delenv("FRACTAL_FRACTAL", raising=False)
    return home


@pytest.fixture
def real_user_data() -> tuple[Path, tuple[int, tuple[str, ...]] | None]:
    """The real user data dir (as pytest found it) and its state when pytest started."""
    return REAL_USER_DATA_DIR, REAL_USER_DATA_SNAPSHOT


@pytest.fixture
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An SQLite file URL under tmp_path (for tests about SQLite itself)."""
    url = f"sqlite:///{tmp_path / 'fractal.db'}"
    monkeypatch.setenv("FRACTAL_DB", url)
    return url


@pytest.fixture
def db_url(db_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if db_backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fractal.db'}"
        monkeypatch.setenv("FRACTAL_DB", url)
        yield url
        return

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = os.environ[PG_ENV]
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        # Every connection of the test's engines lands in the fresh schema.
        url = (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
        monkeypatch.setenv("FRACTAL_DB", url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text("SET lock_timeout = '30s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Any]:
    from fractal_tui.db import ensure_schema, make_engine

    eng = make_engine(db_url)
    ensure_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def clock() -> Any:
    from fractal_tui.clock import FakeClock

    return FakeClock()


@pytest.fixture
def store(engine: Any, clock: Any) -> Any:
    from fractal_tui.store import Store

    return Store(engine, clock=clock)
