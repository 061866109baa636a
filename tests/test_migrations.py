"""Alembic revisions: head equals the models, up and down work, failures leave no trace,
`fractal migrate` backs up first, and the migrations ship inside the wheel."""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import CheckConstraint, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel

import fractal_tui.models  # noqa: F401  (fills SQLModel.metadata)
from fractal_tui import schema_version
from fractal_tui.db import (
    alembic_config,
    current_revision,
    downgrade,
    ensure_schema,
    history,
    make_engine,
    migrations_dir,
    script_head,
    upgrade,
)
from fractal_tui.errors import FractalError
from fractal_tui.models import attach_partial_conditions
from fractal_tui.schema_version import HEAD_REVISION, KNOWN_REVISIONS, schema_state

REPO = Path(__file__).resolve().parents[1]
ROOT = "11111111-1111-1111-1111-111111111111"
CHILD = "22222222-2222-2222-2222-222222222222"
NOW = "2026-01-05 09:00:00"
MODEL_TABLES = set(SQLModel.metadata.tables)


def insert_rows(conn: Connection) -> None:
    """A root goal, a child goal and an activity group, by plain SQL."""
    insert_goal = text(
        "INSERT INTO goals (id, root_id, parent_id, level, name, description, sort_order, "
        "complete_with_children, created_at, updated_at) "
        "VALUES (:id, :root, :parent, :level, :name, '', 0, false, :now, :now)"
    )
    conn.execute(
        insert_goal,
        {"id": ROOT, "root": ROOT, "parent": None, "level": 0, "name": "Piano", "now": NOW},
    )
    conn.execute(
        insert_goal,
        {"id": CHILD, "root": ROOT, "parent": ROOT, "level": 1, "name": "Bach", "now": NOW},
    )
    conn.execute(
        text(
            "INSERT INTO activity_groups (id, root_id, name, description, sort_order, "
            "created_at, updated_at) VALUES ('g1', :root, 'Scales', '', 0, :now, :now)"
        ),
        {"root": ROOT, "now": NOW},
    )


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def sqlite_file(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


# --------------------------------------------------------------------------- the revisions


def test_head_revision_constant_matches_alembic() -> None:
    assert script_head() == HEAD_REVISION
    assert tuple(info.revision for info in history()) == KNOWN_REVISIONS
    assert history()[0].down_revision is None
    assert history()[0].message == "initial schema"


def test_migrations_folder_is_the_repository_one_in_a_checkout() -> None:
    found = migrations_dir()
    assert (found / "env.py").is_file()
    assert (found / "versions").is_dir()
    assert alembic_config("sqlite://").get_main_option("script_location") == str(found)


def test_upgrade_from_empty_creates_every_model_table(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert table_names(engine) >= MODEL_TABLES
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


# SQLite cannot reflect the expression index, so Alembic skips it there with a warning
# (the next test checks it); PostgreSQL compares it too.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_head_schema_equals_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_indexes_and_check_constraints_match_the_models(engine: Engine) -> None:
    # compare_metadata skips expression indexes, partial-index conditions and check
    # constraints; these are the parts of 0001 written or reviewed by hand.
    insp = inspect(engine)
    if engine.dialect.name == "sqlite":
        # The inspector skips expression indexes, so list them from the catalogue.
        index_query = text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t "
            "AND name NOT LIKE 'sqlite_autoindex_%'"
        )
    else:
        index_query = text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = :t AND indexname <> :t || '_pkey'"
        )
    for table in SQLModel.metadata.sorted_tables:
        with engine.connect() as conn:
            db_indexes = set(conn.execute(index_query, {"t": table.name}).scalars())
        assert db_indexes == {ix.name for ix in table.indexes}, table.name
        db_checks = {ck["name"] for ck in insp.get_check_constraints(table.name)}
        model_checks = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        assert db_checks == model_checks, table.name

    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            attach_partial_conditions(table, engine.dialect.name)
            for index in table.indexes:
                expected = " ".join(str(CreateIndex(index).compile(dialect=engine.dialect)).split())
                if engine.dialect.name == "sqlite":
                    actual = conn.execute(
                        text("SELECT sql FROM sqlite_master WHERE type='index' AND name=:n"),
                        {"n": index.name},
                    ).scalar()
                    assert " ".join(str(actual).split()) == expected
                else:
                    actual = conn.execute(
                        text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"),
                        {"n": index.name},
                    ).scalar()
                    assert actual is not None, index.name
                    assert ("WHERE" in actual) == ("WHERE" in expected), index.name
                    assert ("UNIQUE" in actual) == bool(index.unique), index.name


def test_create_all_from_the_models_builds_the_partial_indexes(db_url: str) -> None:
    # The partial conditions wait in Index.info until CREATE (models.partial_index); a
    # schema created from the models alone must still get them. A fresh interpreter, since
    # other tests attach the conditions to the shared metadata.
    code = textwrap.dedent(
        """
        import sys
        from sqlalchemy import create_engine, text
        from sqlmodel import SQLModel
        import fractal_tui.models

        engine = create_engine(sys.argv[1])
        with engine.begin() as conn:
            SQLModel.metadata.create_all(conn)
            if engine.dialect.name == "sqlite":
                query = "SELECT sql FROM sqlite_master WHERE name = :n"
            else:
                query = (
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND indexname = :n"
                )
            print(conn.execute(text(query), {"n": "uq_work_intervals_one_running"}).scalar())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code, db_url], capture_output=True, text=True, check=True
    )
    bare = out.stdout.replace('"', "").replace("(", "").replace(")", "")
    assert "WHERE" in bare.upper() and "ended_at IS NULL" in bare, out.stdout


def test_importing_the_models_does_not_load_the_postgresql_dialect() -> None:
    code = (
        "import sys, fractal_tui.models; "
        "print(any(m.startswith('sqlalchemy.dialects.postgresql') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_partial_unique_indexes_are_enforced(engine: Engine) -> None:
    with engine.begin() as conn:
        insert_rows(conn)
        session = text(
            "INSERT INTO sessions (id, root_id, name, started_at, paused_seconds, sort_order, "
            "created_at, updated_at, completed_at) "
            "VALUES (:id, :root, '', :now, 0, 0, :now, :now, :done)"
        )
        conn.execute(session, {"id": "s1", "root": ROOT, "now": NOW, "done": None})
        conn.execute(session, {"id": "s2", "root": ROOT, "now": NOW, "done": NOW})
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(session, {"id": "s3", "root": ROOT, "now": NOW, "done": None})


def test_base_head_base_head_round_trip_with_rows(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            insert_rows(conn)
        downgrade(engine, "base")
        assert table_names(engine) - {"alembic_version"} == set()
        assert current_revision(engine) is None
        assert schema_state(engine) == "empty"
        upgrade(engine)
        with engine.begin() as conn:
            insert_rows(conn)  # the schema is whole again
        downgrade(engine, "base")
        upgrade(engine, "head")
        assert current_revision(engine) == HEAD_REVISION
        assert schema_state(engine) == "current"
        assert table_names(engine) >= MODEL_TABLES
    finally:
        engine.dispose()


def test_unknown_target_revision_is_a_domain_error(engine: Engine) -> None:
    with pytest.raises(FractalError, match="nope"):
        upgrade(engine, "nope")
    assert current_revision(engine) == HEAD_REVISION


# --------------------------------------------------------------------------- env.py safety


def scripts_with(tmp_path: Path, body: str) -> Path:
    """A copy of the migrations folder with an extra revision 0002 after the head."""
    scripts = tmp_path / "scripts"
    shutil.copytree(migrations_dir(), scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0002_test.py").write_text(
        textwrap.dedent(
            f"""\
            import sqlalchemy as sa
            from alembic import op

            revision = "0002"
            down_revision = {HEAD_REVISION!r}
            branch_labels = None
            depends_on = None


            def downgrade() -> None:
                pass


            """
        )
        + textwrap.dedent(body)
    )
    return scripts


def run_scripts(engine: Engine, scripts: Path, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config(engine)
    config.set_main_option("script_location", str(scripts))
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        # The migration connection goes back to the pool with foreign keys on again.
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_failing_revision_leaves_the_database_as_it_was(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    ensure_schema(engine)
    scripts = scripts_with(
        tmp_path,
        """
        def upgrade() -> None:
            op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
            op.execute("INSERT INTO half_done (id) VALUES (1)")
            op.add_column("goals", sa.Column("extra", sa.Integer))
            raise RuntimeError("boom half-way")
        """,
    )
    try:
        with pytest.raises(RuntimeError, match="boom half-way"):
            run_scripts(engine, scripts)
        assert "half_done" not in table_names(engine)
        assert "extra" not in {c["name"] for c in inspect(engine).get_columns("goals")}
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


def test_batch_table_rebuild_keeps_child_rows(sqlite_url: str, tmp_path: Path) -> None:
    # Rebuilding `goals` drops it; with foreign keys on that would delete or break every
    # row pointing at a goal (PITFALLS). env.py turns them off for the migration.
    engine = make_engine(sqlite_url)
    ensure_schema(engine)
    with engine.begin() as conn:
        insert_rows(conn)
    scripts = scripts_with(
        tmp_path,
        """
        def upgrade() -> None:
            with op.batch_alter_table("goals", recreate="always") as batch:
                batch.add_column(sa.Column("extra", sa.Integer, nullable=True))
        """,
    )
    try:
        run_scripts(engine, scripts)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM goals")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM activity_groups")).scalar() == 1
        assert current_revision(engine) == "0002"
    finally:
        engine.dispose()


def test_revision_that_orphans_rows_is_rolled_back(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    ensure_schema(engine)
    with engine.begin() as conn:
        insert_rows(conn)
    scripts = scripts_with(
        tmp_path,
        """
        def upgrade() -> None:
            op.execute("DELETE FROM goals WHERE parent_id IS NULL")
        """,
    )
    try:
        with pytest.raises(RuntimeError, match="inconsistent"):
            run_scripts(engine, scripts)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM goals")).scalar() == 2
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- fractal migrate


def invoke(*args: str, input: str | None = None) -> Result:
    from fractal_tui.cli import cli

    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=True)


def assert_domain_error(result: Result, fragment: str) -> None:
    """The CLI contract: exit 1 and "Error: <message>" on stderr, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: "), result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.output


def test_migrate_creates_a_new_database_then_reports_it_current(sqlite_url: str) -> None:
    first = invoke("--db", sqlite_url, "migrate")
    assert first.exit_code == 0, first.output
    assert f"Upgraded {sqlite_file(sqlite_url)} from (empty) to {HEAD_REVISION}" in first.output
    assert "Backed up" not in first.output  # nothing to save in a new file

    second = invoke("--db", sqlite_url, "migrate")
    assert second.exit_code == 0, second.output
    assert f"Already at the newest schema ({HEAD_REVISION})" in second.output


def test_migrate_uses_fractal_db_when_no_option_is_given(sqlite_url: str) -> None:
    result = invoke("migrate")  # conftest pointed FRACTAL_DB at sqlite_url
    assert result.exit_code == 0, result.output
    engine = make_engine(sqlite_url)
    try:
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


def test_migrate_backs_up_before_changing_the_schema(engine: Engine, db_url: str) -> None:
    with engine.begin() as conn:
        insert_rows(conn)
    engine.dispose()

    down = invoke("--db", db_url, "migrate", "--to", "base")
    assert down.exit_code == 0, down.output
    assert f"from {HEAD_REVISION} to (empty)" in down.output
    if engine.dialect.name != "sqlite":
        assert "pg_dump" in down.output
        return
    match = re.search(r"Backed up .* to (\S+\.db)", down.output)
    assert match, down.output
    backup = Path(match.group(1))
    conn = sqlite3.connect(backup)
    try:
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("goals", "activity_groups", "sessions")
        }
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()
    assert counts == {"goals": 2, "activity_groups": 1, "sessions": 0}
    assert revision == HEAD_REVISION

    # The backup is what `fractal db restore` puts back.
    restored = invoke("--db", db_url, "db", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    assert goal_count_of(db_url) == 2


def goal_count_of(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM goals")).scalar() or 0)
    finally:
        engine.dispose()


def test_migrate_no_backup_skips_the_copy(engine: Engine, sqlite_url: str) -> None:
    engine.dispose()
    result = invoke("--db", sqlite_url, "migrate", "--to", "base", "--no-backup")
    assert result.exit_code == 0, result.output
    assert "Backed up" not in result.output
    assert not (sqlite_file(sqlite_url).parent / "backups").exists()


def test_migrate_status_reports_current_head_and_pending(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = invoke("--db", sqlite_url, "migrate", "--status")
    assert missing.exit_code == 0, missing.output
    assert "no database file yet" in missing.output
    assert not sqlite_file(sqlite_url).exists()  # --status creates nothing

    assert invoke("--db", sqlite_url, "migrate").exit_code == 0
    current = invoke("--db", sqlite_url, "migrate", "--status")
    assert current.exit_code == 0, current.output
    assert f"Current:  {HEAD_REVISION} (initial schema)" in current.output
    assert f"Newest:   {HEAD_REVISION}" in current.output
    assert "no upgrade pending" in current.output

    monkeypatch.setattr(schema_version, "KNOWN_REVISIONS", (HEAD_REVISION, "9000"))
    monkeypatch.setattr(schema_version, "HEAD_REVISION", "9000")
    behind = invoke("--db", sqlite_url, "migrate", "--status")
    assert "Upgrade pending" in behind.output
    assert "Newest:   9000" in behind.output


def test_migrate_refuses_a_database_from_a_newer_program(engine: Engine, db_url: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    engine.dispose()
    result = invoke("--db", db_url, "migrate")
    assert_domain_error(result, "newer than this program")


def test_migrate_to_an_unknown_revision_is_an_error(engine: Engine, db_url: str) -> None:
    engine.dispose()
    result = invoke("--db", db_url, "migrate", "--to", "zzzz")
    assert_domain_error(result, "Unknown revision 'zzzz'")


def test_migrate_help_has_an_example() -> None:
    result = invoke("migrate", "--help")
    assert result.exit_code == 0
    assert "fractal migrate --status" in result.output


# --------------------------------------------------------------------------- the wheel


def test_installed_wheel_carries_its_migrations(tmp_path: Path) -> None:
    wheels, target, work = tmp_path / "wheels", tmp_path / "site", tmp_path / "cwd"
    work.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", wheels, REPO],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("fractal_tui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "fractal_tui/migrations/env.py" in names
    assert "fractal_tui/migrations/script.py.mako" in names
    assert "fractal_tui/migrations/versions/0001_initial_schema.py" in names
    assert not [n for n in names if "__pycache__" in n]

    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", target, wheel],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    db = tmp_path / "x.db"
    run = subprocess.run(
        [sys.executable, "-c", "from fractal_tui.cli import main; main()", "--db", db, "migrate"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert f"to {HEAD_REVISION}" in run.stdout
    where = subprocess.run(
        [sys.executable, "-c", "import fractal_tui.db as d; print(d.migrations_dir())"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where) == target / "fractal_tui" / "migrations"

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD_REVISION,)
        ]
    finally:
        conn.close()
