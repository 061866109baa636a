"""Engine set-up, schema states, backups, restores and integrity checks."""

import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.engine import Engine

from fractal_tui import schema_version
from fractal_tui.db import (
    backup_sqlite,
    current_revision,
    describe,
    ensure_schema,
    integrity_check,
    make_engine,
    restore_sqlite,
    validate_sqlite_backup,
)
from fractal_tui.errors import FractalError, SchemaError
from fractal_tui.schema_version import HEAD_REVISION, schema_state

ROOT = "11111111-1111-1111-1111-111111111111"
NOW = "2026-01-05 09:00:00"


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def add_goal(engine: Engine, goal_id: str, parent: str | None = None) -> None:
    """A goal row by plain SQL (the store is not under test here)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO goals (id, root_id, parent_id, level, name, description, "
                "sort_order, complete_with_children, created_at, updated_at) "
                "VALUES (:id, :root, :parent, :level, :name, '', 0, false, :now, :now)"
            ),
            {
                "id": goal_id,
                "root": ROOT if parent else goal_id,
                "parent": parent,
                "level": 1 if parent else 0,
                "name": f"goal {goal_id[:4]}",
                "now": NOW,
            },
        )


def goal_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM goals").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Engine:
    engine = make_engine(sqlite_url)
    ensure_schema(engine)
    yield engine
    engine.dispose()


# --------------------------------------------------------------------------- engines


def test_sqlite_pragmas_are_on_for_every_connection(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        for _ in range(2):  # a second pooled connection gets them too
            with engine.connect() as conn:
                pragmas = {
                    name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("foreign_keys", "journal_mode", "busy_timeout", "synchronous")
                }
            assert pragmas == {
                "foreign_keys": 1,
                "journal_mode": "wal",
                "busy_timeout": 30000,
                "synchronous": 1,  # NORMAL
            }
    finally:
        engine.dispose()


def test_new_database_file_is_private_and_so_is_a_new_directory(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    path = tmp_path / "new" / "deeper" / "f.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    # A directory that already existed is not the program's to change.
    assert mode(tmp_path) == 0o755
    for sidecar in path.parent.glob("f.db-*"):
        assert mode(sidecar) == 0o600


def test_existing_file_permissions_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    sqlite3.connect(path).close()
    os.chmod(path, 0o640)
    engine = make_engine(f"sqlite:///{path}")
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()
    assert mode(path) == 0o640


def test_concurrent_read_modify_write_transactions_serialise(sqlite_url: str) -> None:
    # Two writers that read first and then write: with a deferred BEGIN the second one's
    # lock upgrade fails at once with "database is locked"; BEGIN IMMEDIATE makes it wait.
    setup = make_engine(sqlite_url)
    with setup.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL UNIQUE)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    setup.dispose()

    errors: list[BaseException] = []

    def work() -> None:
        engine = make_engine(sqlite_url)
        try:
            for _ in range(40):
                with engine.begin() as conn:
                    n = conn.exec_driver_sql("SELECT max(n) FROM counter").scalar()
                    time.sleep(0.001)  # widen the window between the read and the write
                    conn.exec_driver_sql(f"INSERT INTO counter VALUES ({n + 1})")
        except BaseException as exc:  # collected and re-raised by the test
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    conn = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    assert conn.execute("SELECT count(*), max(n) FROM counter").fetchone() == (121, 120)
    conn.close()


def test_read_only_connections_do_not_wait_for_a_writer(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        with engine.connect() as writer:
            writer.begin()
            writer.exec_driver_sql("INSERT INTO t VALUES (1)")  # holds the write lock
            started = time.monotonic()
            with engine.connect().execution_options(fractal_read_only=True) as reader:
                assert reader.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
            assert time.monotonic() - started < 5
            writer.rollback()
    finally:
        engine.dispose()


def test_describe_names_files_by_path_and_hides_passwords(sqlite_url: str) -> None:
    assert describe(sqlite_url) == sqlite_url.removeprefix("sqlite:///")
    assert describe("postgresql+psycopg://me:pw@host/db") == "postgresql+psycopg://me:***@host/db"


# --------------------------------------------------------------------------- schema states


def test_new_database_is_created_at_head(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert schema_state(engine) == "empty"
        ensure_schema(engine)
        assert schema_state(engine) == "current"
        assert current_revision(engine) == HEAD_REVISION
        ensure_schema(engine)  # idempotent
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


def test_ensure_schema_does_not_import_alembic_on_a_current_database(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    ensure_schema(engine)
    engine.dispose()
    code = (
        "import sys; from fractal_tui.db import make_engine, ensure_schema;"
        f"e = make_engine({sqlite_url!r}); ensure_schema(e);"
        "print('alembic' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_database_behind_head_asks_for_fractal_migrate(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend this program knows a newer revision than the database has.
    monkeypatch.setattr(schema_version, "KNOWN_REVISIONS", (HEAD_REVISION, "9000"))
    monkeypatch.setattr(schema_version, "HEAD_REVISION", "9000")
    assert schema_state(engine) == "behind"
    with pytest.raises(SchemaError) as info:
        ensure_schema(engine)
    assert "`fractal migrate`" in info.value.message
    assert f"rev {HEAD_REVISION}" in info.value.message


def test_database_ahead_of_the_program_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    assert schema_state(engine) == "ahead"
    with pytest.raises(SchemaError) as info:
        ensure_schema(engine)
    assert "newer" in info.value.message
    assert "upgrade fractal-tui" in info.value.message.lower()
    assert current_revision(engine) == "ffff9999"  # nothing was touched


def test_tables_without_a_version_are_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE something_else (x INTEGER)"))
        assert schema_state(engine) == "unversioned"
        with pytest.raises(SchemaError, match="not created by fractal"):
            ensure_schema(engine)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- backups


def test_backup_is_consistent_private_and_standalone(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    add_goal(sqlite_engine, ROOT)
    add_goal(sqlite_engine, "22222222-2222-2222-2222-222222222222", parent=ROOT)
    # The engine keeps its connection open: the rows may still sit in the WAL file.
    backup = backup_sqlite(sqlite_url)

    db_path = Path(sqlite_url.removeprefix("sqlite:///"))
    assert backup.parent == db_path.parent / "backups"
    assert re.fullmatch(r"fractal-\d{8}-\d{6}\.db", backup.name)
    assert mode(backup) == 0o600
    assert mode(backup.parent) == 0o700
    assert goal_count(backup) == 2
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
    conn.close()


def test_two_backups_in_one_second_do_not_overwrite_each_other(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    first = backup_sqlite(sqlite_url)
    second = backup_sqlite(sqlite_url)
    assert first != second
    assert first.exists() and second.exists()


def test_backup_to_a_named_file_refuses_to_overwrite(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    dest = tmp_path / "mine.db"
    assert backup_sqlite(sqlite_url, dest) == dest
    assert mode(dest) == 0o600
    before = dest.read_bytes()
    with pytest.raises(FractalError, match="already exists"):
        backup_sqlite(sqlite_url, dest)
    assert dest.read_bytes() == before


def test_backup_of_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FractalError, match="no database"):
        backup_sqlite(f"sqlite:///{tmp_path / 'nothing.db'}")


def test_postgresql_backup_and_restore_point_to_pg_dump(tmp_path: Path) -> None:
    url = "postgresql+psycopg://u@localhost/db"
    with pytest.raises(FractalError, match="pg_dump"):
        backup_sqlite(url)
    with pytest.raises(FractalError, match="pg_restore"):
        restore_sqlite(url, tmp_path / "x.db")


def test_restore_puts_a_backup_back_and_saves_the_current_one(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    add_goal(sqlite_engine, ROOT)
    backup = backup_sqlite(sqlite_url)
    add_goal(sqlite_engine, "33333333-3333-3333-3333-333333333333", parent=ROOT)

    previous = restore_sqlite(sqlite_url, backup)

    assert previous is not None and goal_count(previous) == 2
    # The engine that stayed open sees the restored content.
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM goals")).scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert schema_state(sqlite_engine) == "current"


def test_restore_of_a_non_sqlite_file_changes_nothing(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    add_goal(sqlite_engine, ROOT)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database\n" * 20)
    with pytest.raises(FractalError, match="not an SQLite database"):
        restore_sqlite(sqlite_url, bogus)
    db_path = Path(sqlite_url.removeprefix("sqlite:///"))
    assert goal_count(db_path) == 1
    assert not (db_path.parent / "backups").exists()  # not even a safety backup


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "No such file"),
        (lambda p: p.mkdir(), "not a file"),
        (lambda p: sqlite3.connect(p).execute("CREATE TABLE x (y)").connection.commit(),
         "not a Fractal one"),
    ],
    ids=["missing", "directory", "foreign-sqlite"],
)
def test_restore_validates_the_file(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path, make, message: str
) -> None:
    candidate = tmp_path / "candidate.db"
    make(candidate)
    with pytest.raises(FractalError, match=message):
        restore_sqlite(sqlite_url, candidate)
    assert schema_state(sqlite_engine) == "current"


def test_restore_refuses_a_backup_from_a_newer_program(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    newer = backup_sqlite(sqlite_url, tmp_path / "newer.db")
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = 'ffff9999'")
    conn.commit()
    conn.close()
    with pytest.raises(FractalError, match="newer"):
        restore_sqlite(sqlite_url, newer)
    assert validate_sqlite_backup(backup_sqlite(sqlite_url)) == (HEAD_REVISION,)


# --------------------------------------------------------------------------- integrity


def test_integrity_check_is_empty_on_a_sound_database(engine: Engine) -> None:
    assert integrity_check(engine) == []


def test_integrity_check_reports_dangling_foreign_keys(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    raw = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute(
        "INSERT INTO goals (id, root_id, parent_id, level, name, description, sort_order, "
        "complete_with_children, created_at, updated_at) VALUES "
        "('orphan', 'nowhere', 'nowhere', 1, 'o', '', 0, 0, ?, ?)",
        (NOW, NOW),
    )
    raw.commit()
    raw.close()
    problems = integrity_check(sqlite_engine)
    assert problems
    assert all("goals" in p for p in problems)


# --------------------------------------------------------------------------- fractal db …


def invoke(*args: str, input: str | None = None) -> Result:
    from fractal_tui.cli import cli

    return CliRunner().invoke(cli, list(args), input=input)


def test_db_backup_and_restore_round_trip(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    add_goal(sqlite_engine, ROOT)
    dest = tmp_path / "copy.db"
    backed = invoke("--db", sqlite_url, "db", "backup", str(dest))
    assert backed.exit_code == 0, backed.output
    assert f"to {dest}" in backed.output
    assert goal_count(dest) == 1

    add_goal(sqlite_engine, "44444444-4444-4444-4444-444444444444", parent=ROOT)
    # CliRunner's stdin is not a terminal: no question is asked.
    restored = invoke("--db", sqlite_url, "db", "restore", str(dest))
    assert restored.exit_code == 0, restored.output
    assert f"Restored {sqlite_url.removeprefix('sqlite:///')} from {dest}" in restored.output
    match = re.search(r"Backed up the current database to (\S+)", restored.output)
    assert match, restored.output
    assert goal_count(Path(match.group(1))) == 2  # the replaced state is kept
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM goals")).scalar() == 1


def test_db_backup_without_a_file_goes_to_the_backups_folder(
    sqlite_engine: Engine, sqlite_url: str
) -> None:
    result = invoke("--db", sqlite_url, "db", "backup")
    assert result.exit_code == 0, result.output
    (made,) = (Path(sqlite_url.removeprefix("sqlite:///")).parent / "backups").iterdir()
    assert str(made) in result.output


def test_db_restore_asks_on_a_terminal_unless_yes(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_goal(sqlite_engine, ROOT)
    dest = backup_sqlite(sqlite_url, tmp_path / "copy.db")
    add_goal(sqlite_engine, "55555555-5555-5555-5555-555555555555", parent=ROOT)
    from fractal_tui.commands import maintenance

    monkeypatch.setattr(maintenance, "_stdin_is_tty", lambda: True)

    declined = invoke("--db", sqlite_url, "db", "restore", str(dest), input="n\n")
    assert declined.exit_code == 1
    assert "Replace the database" in declined.output
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM goals")).scalar() == 2

    accepted = invoke("--db", sqlite_url, "db", "restore", "--yes", str(dest))
    assert accepted.exit_code == 0, accepted.output
    assert "Replace the database" not in accepted.output
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM goals")).scalar() == 1


def test_db_restore_of_a_text_file_is_an_error_on_stderr(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    add_goal(sqlite_engine, ROOT)
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello\n")
    result = invoke("--db", sqlite_url, "db", "restore", str(bogus))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "not an SQLite database" in result.stderr
    assert goal_count(Path(sqlite_url.removeprefix("sqlite:///"))) == 1


def test_db_restore_error_in_a_real_process(sqlite_engine: Engine, sqlite_url: str) -> None:
    # The whole path: `fractal` entry point, message on stderr, exit 1, no traceback.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from fractal_tui.cli import main; main()",
            "--db",
            sqlite_url,
            "db",
            "restore",
            "/nonexistent/backup.db",
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "Error: No such file: /nonexistent/backup.db"


def test_db_check_passes_on_a_sound_database(engine: Engine, db_url: str) -> None:
    result = invoke("--db", db_url, "db", "check")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "No problems found."


def test_db_check_lists_problems_and_exits_1(sqlite_engine: Engine, sqlite_url: str) -> None:
    raw = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute(
        "INSERT INTO goals (id, root_id, parent_id, level, name, description, sort_order, "
        "complete_with_children, created_at, updated_at) VALUES "
        "('orphan', 'nowhere', 'nowhere', 1, 'o', '', 0, 0, ?, ?)",
        (NOW, NOW),
    )
    raw.commit()
    raw.close()
    result = invoke("--db", sqlite_url, "db", "check")
    assert result.exit_code == 1
    assert "problem(s)" in result.output
    assert "goals row" in result.output


def test_db_check_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "absent.db"
    result = invoke("--db", str(path), "db", "check")
    assert result.exit_code == 1
    assert "There is no database at" in result.stderr
    assert not path.exists()


def test_db_help_has_examples() -> None:
    for args in (["db", "--help"], ["db", "backup", "--help"], ["db", "restore", "--help"],
                 ["db", "check", "--help"]):
        result = invoke(*args)
        assert result.exit_code == 0
        assert "fractal db" in result.output
