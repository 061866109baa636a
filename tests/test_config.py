"""Which database Fractal uses, and that tests never reach the real user data."""

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from fractal_tui.config import (
    default_db_path,
    display_name,
    is_sqlite,
    resolve_db_url,
    sqlite_path,
)


def test_db_option_beats_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FRACTAL_DB", str(tmp_path / "env.db"))
    assert resolve_db_url(str(tmp_path / "opt.db")) == f"sqlite:///{tmp_path / 'opt.db'}"


def test_environment_beats_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FRACTAL_DB", str(tmp_path / "env.db"))
    assert resolve_db_url(None) == f"sqlite:///{tmp_path / 'env.db'}"


def test_default_is_the_user_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FRACTAL_DB")
    expected = Path(platformdirs.user_data_dir("fractal", appauthor=False)) / "fractal.db"
    assert resolve_db_url(None) == f"sqlite:///{expected}"
    assert default_db_path() == expected
    # The autouse fixture moved the data dir into tmp_path.
    assert expected.is_relative_to(tmp_path)


def test_empty_environment_value_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRACTAL_DB", "  ")
    assert resolve_db_url(None) == f"sqlite:///{default_db_path()}"


def test_plain_paths_become_absolute_sqlite_urls(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_db_url("data/x.db") == f"sqlite:///{tmp_path / 'data' / 'x.db'}"
    assert resolve_db_url("sub/../y.db") == f"sqlite:///{tmp_path / 'y.db'}"
    home = Path(os.environ["HOME"])
    assert resolve_db_url("~/p.db") == f"sqlite:///{home / 'p.db'}"


def test_urls_pass_through_and_bare_postgres_gets_the_psycopg_driver() -> None:
    assert resolve_db_url("sqlite:////abs/x.db") == "sqlite:////abs/x.db"
    assert (
        resolve_db_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    )
    assert resolve_db_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_db_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_is_sqlite_and_sqlite_path() -> None:
    assert is_sqlite("sqlite:////a/b.db")
    assert is_sqlite("sqlite+pysqlite:////a/b.db")
    assert not is_sqlite("postgresql+psycopg://u@h/db")
    assert sqlite_path("sqlite:////a/b.db") == Path("/a/b.db")
    assert sqlite_path("sqlite:///rel.db") == Path("rel.db")
    assert sqlite_path("sqlite:////a/my%20db.db?timeout=5") == Path("/a/my db.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql+psycopg://u@h/db") is None


def test_display_name_hides_passwords() -> None:
    assert display_name("postgresql+psycopg://me:secret@host/db") == (
        "postgresql+psycopg://me@host/db"
    )
    assert display_name("sqlite:////a/b.db") == "/a/b.db"


def test_first_start_creates_files_only_in_the_temporary_data_dir(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    real_user_data: tuple[Path, tuple[int, tuple[str, ...]] | None],
) -> None:
    from fractal_tui.db import ensure_schema, make_engine
    from fractal_tui.schema_version import schema_state

    monkeypatch.delenv("FRACTAL_DB")
    url = resolve_db_url(None)
    engine = make_engine(url)
    try:
        ensure_schema(engine)
        assert schema_state(engine) == "current"
    finally:
        engine.dispose()

    data_dir = Path(os.environ["XDG_DATA_HOME"]) / "fractal"
    assert (data_dir / "fractal.db").is_file()
    assert data_dir.is_relative_to(tmp_path)
    assert oct(data_dir.stat().st_mode & 0o777) == oct(0o700)
    # The real user data directory of the environment pytest started in is untouched.
    real_dir, real_before = real_user_data
    assert not real_dir.is_relative_to(tmp_path)
    assert data_dir != real_dir
    after = None
    if real_dir.exists():
        after = real_dir.stat().st_mtime_ns, tuple(sorted(os.listdir(real_dir)))
    assert after == real_before


def test_config_and_package_import_stay_light() -> None:
    # `fractal --help` resolves the database URL; it must not pay for SQLAlchemy.
    code = (
        "import sys, fractal_tui, fractal_tui.config;"
        "heavy = [m for m in ('sqlalchemy', 'sqlmodel', 'alembic', 'textual') if m in sys.modules];"
        "print(','.join(heavy)); print(fractal_tui.__version__)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == ""
    assert out[1]  # some version string, installed or not
