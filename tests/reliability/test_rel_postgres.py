"""Issue 9.6: PostgreSQL is a first-class backend.

Every test here takes ``db_url``, so it runs on SQLite and, when FRACTAL_TEST_DATABASE_URL
is set, on PostgreSQL in a schema of its own (tests/conftest.py). They check that fixture's
isolation, drive the CLI (store, migrate, db commands) and the TUI over the test database,
and check that `.ci/run` picks PostgreSQL exactly when a server answers.
"""

import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rel_helpers import REPO, invariant_problems
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fractal_tui.cli import cli
from fractal_tui.config import normalize_db_url
from fractal_tui.db import make_engine

PG_ENV = "FRACTAL_TEST_DATABASE_URL"


def is_pg(url: str) -> bool:
    return url.startswith("postgresql")


def schema_of(url: str) -> str:
    options = make_url(url).query.get("options", "")
    assert isinstance(options, str) and options.startswith("-csearch_path="), url
    return options.removeprefix("-csearch_path=")


# --------------------------------------------------------------------------- the fixture

SEEN_SCHEMAS: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _schemas_are_dropped_afterwards() -> Iterator[None]:
    """After this module, every per-test schema the fixture made is gone again."""
    yield
    base = os.environ.get(PG_ENV)
    if not base or not SEEN_SCHEMAS:
        return
    admin = create_engine(base)
    try:
        with admin.connect() as conn:
            left = conn.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname = ANY(:names)"),
                {"names": SEEN_SCHEMAS},
            ).scalars()
            assert list(left) == []
    finally:
        admin.dispose()


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_has_a_database_of_its_own(
    engine: Any, db_url: str, tmp_path: Any, round_: int
) -> None:
    from fractal_tui.store import Store

    store = Store(engine)
    # A fresh database: nothing from another test (or the other round) is visible.
    assert store.list_fractals() == []
    store.create_fractal(f"Round {round_}")
    if not is_pg(db_url):
        assert db_url == f"sqlite:///{tmp_path / 'fractal.db'}"
        return
    schema = schema_of(db_url)
    assert schema.startswith("t_") and len(schema) == 34
    assert schema not in SEEN_SCHEMAS
    SEEN_SCHEMAS.append(schema)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_schema()")).scalar() == schema
        where = conn.execute(
            text("SELECT table_schema FROM information_schema.tables WHERE table_name = 'goals'")
        ).scalars()
        # The tables live in the test's schema, never in public.
        assert schema in set(where)
        assert (
            conn.execute(
                text(
                    "SELECT count(*) FROM information_schema.tables "
                    "WHERE table_schema = 'public' AND table_name = 'goals'"
                )
            ).scalar()
            == 0
        )


def test_two_schemas_do_not_see_each_other(db_url: str, store: Any) -> None:
    """The search_path mechanism the fixture relies on really isolates (or, on SQLite, two
    files do)."""
    from fractal_tui.db import ensure_schema
    from fractal_tui.store import Store

    store.create_fractal("Mine")
    if is_pg(db_url):
        other_schema = f"t_{uuid.uuid4().hex}"
        base = os.environ[PG_ENV]
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{other_schema}"'))
        other = (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={other_schema}"})
            .render_as_string(hide_password=False)
        )
    else:
        admin = None
        other = db_url.replace("fractal.db", "other.db")
    engine = make_engine(other)
    try:
        ensure_schema(engine)
        Store(engine).create_fractal("Theirs")
        assert [f.name for f in Store(engine).list_fractals()] == ["Theirs"]
        assert [f.name for f in store.list_fractals()] == ["Mine"]
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{other_schema}" CASCADE'))
            admin.dispose()


# --------------------------------------------------------------------------- the CLI


def run(db_url: str, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--db", db_url, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result


def ok(db_url: str, *args: str) -> Result:
    result = run(db_url, *args)
    assert result.exit_code == 0, (args, result.output, result.stderr)
    return result


def test_the_practice_loop_through_the_cli(db_url: str) -> None:
    ok(db_url, "add-fractal", "Piano")
    ok(db_url, "add-goal", "Play Bach", "--parent", "Piano")
    ok(db_url, "add-activity", "Scales", "--metric", "bpm:bpm")
    ok(db_url, "add-activity", "Squat", "--sets", "--metric", "reps:n", "--metric", "weight:kg")
    ok(db_url, "start-session", "Morning", "--goal", "Play Bach")
    ok(db_url, "start", "Scales")
    ok(db_url, "log", "Scales", "bpm=96")
    ok(db_url, "log", "Squat", "reps=5", "weight=100")
    ok(db_url, "log", "Squat", "reps=5", "weight=105")
    conflict = run(db_url, "start", "Squat")
    assert conflict.exit_code == 1 and "--switch" in conflict.stderr
    ok(db_url, "start", "Squat", "--switch")
    assert "Squat" in ok(db_url, "status").output
    ok(db_url, "stop")
    ok(db_url, "end-session")

    sessions = json.loads(ok(db_url, "sessions", "--json").output)
    assert [s["name"] for s in sessions] == ["Morning"]
    detail = json.loads(ok(db_url, "session", "Morning", "--json").output)
    text_ = json.dumps(detail)
    assert "Scales" in text_ and "Squat" in text_
    goals = json.loads(ok(db_url, "goals", "--json").output)
    assert {g["name"] for g in goals} == {"Piano", "Play Bach"}

    # Delete and restore through the trash.
    deleted = ok(db_url, "delete", "goal", "Play Bach", "--yes")
    assert "Play Bach" in deleted.output
    assert {g["name"] for g in json.loads(ok(db_url, "goals", "--json").output)} == {"Piano"}
    trash = json.loads(ok(db_url, "trash", "--json").output)
    ok(db_url, "restore", trash[0]["batch"])
    assert len(json.loads(ok(db_url, "goals", "--json").output)) == 2
    assert ok(db_url, "db", "check").output.strip() == "No problems found."

    engine = make_engine(normalize_db_url(db_url))
    try:
        assert invariant_problems(engine) == []
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM metric_values")).scalar() == 5
    finally:
        engine.dispose()


def test_migrate_and_db_commands(db_url: str, tmp_path: Any) -> None:
    ok(db_url, "add-fractal", "Piano")
    status = ok(db_url, "migrate", "--status").output
    assert "Up to date" in status
    assert ok(db_url, "migrate").output.startswith("Already at the newest schema")
    down = ok(db_url, "migrate", "--to", "base")
    up = ok(db_url, "migrate")
    assert "to 0001" in up.output
    backup = run(db_url, "db", "backup")
    if is_pg(db_url):
        # No file backup of a server: the person is told to use pg_dump, every time.
        assert "pg_dump" in down.output and "Backed up" not in down.output
        assert "pg_dump" in up.output
        assert backup.exit_code == 1 and "pg_dump" in backup.stderr
        # A real SQLite backup offered to a server database: refused, pointing to pg_restore.
        sqlite_backup = tmp_path / "elsewhere.db"
        ok(f"sqlite:///{sqlite_backup}", "add-fractal", "Elsewhere")
        restore = run(db_url, "db", "restore", "--yes", str(sqlite_backup))
        assert restore.exit_code == 1
        assert "pg_restore" in restore.stderr
    else:
        assert "Backed up" in down.output
        assert backup.exit_code == 0 and "Backed up" in backup.output
    # base -> head: a new, empty schema
    assert ok(db_url, "fractals").output.startswith("No fractals yet")


def test_a_plain_postgresql_url_means_psycopg(db_url: str) -> None:
    """`postgresql://…` (what people copy from their server) works: psycopg 3, not psycopg2."""
    assert normalize_db_url("postgresql://me@host/db") == "postgresql+psycopg://me@host/db"
    assert normalize_db_url("postgres://me@host/db") == "postgresql+psycopg://me@host/db"
    plain = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
    ok(plain, "add-fractal", "Piano")
    assert "Piano" in ok(db_url, "fractals").output


# --------------------------------------------------------------------------- the TUI


async def test_the_tui_reads_and_writes(store: Any, clock: Any, engine: Any) -> None:
    from textual.widgets import Input

    from fractal_tui.app import FractalApp, TuiSettings
    from fractal_tui.screens.goals import GoalsScreen
    from fractal_tui.widgets.form import FormScreen

    root = store.create_fractal("Piano").id
    app = FractalApp(store, clock=clock, settings=TuiSettings(poll_seconds=0))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        assert isinstance(app.screen, GoalsScreen)
        assert app.fractal_id == root
        await pilot.press("a")
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#field-name", Input).has_focus
        await pilot.press(*"Bach")
        await pilot.press("enter")
        for _ in range(3):
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        assert isinstance(app.screen, GoalsScreen)
    assert [g.name for g in store.goals(root)] == ["Piano", "Bach"]


# --------------------------------------------------------------------------- CI


def test_ci_runs_postgresql_exactly_when_a_server_answers() -> None:
    try:
        socket.create_connection(("127.0.0.1", 5432), 2).close()
        answers = True
    except OSError:
        answers = False
    env = {k: v for k, v in os.environ.items() if k != PG_ENV}
    result = subprocess.run(
        ["bash", str(REPO / ".ci" / "run"), "--detect-only"],
        env={**env, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(
        line.split("=", 1) for line in result.stdout.splitlines() if line.startswith("FRACTAL_")
    )
    backends = next(line for line in result.stdout.splitlines() if "backends:" in line)
    if answers and "postgresql (role" in backends:
        url = lines[PG_ENV]
        assert url.startswith("postgresql+psycopg://") and url.endswith("@127.0.0.1:5432/test")
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
        finally:
            engine.dispose()
    elif answers:
        # A server that refuses both roles: CI says so instead of silently skipping it.
        assert "could connect" in backends and lines[PG_ENV] == ""
    else:
        assert backends.endswith("sqlite (no PostgreSQL server answered)")
        assert lines[PG_ENV] == ""
