"""Issue 9.4: migrations keep every row, a failed one changes nothing, a newer database is
refused, and `fractal db restore` puts a backup back.

The data is what `fractal demo` makes. Rows are compared by a checksum of each table (the
sorted rows, columns by name). There is one real revision (0001); a second one is
simulated with a temporary copy of the migrations folder holding an extra revision 0002
(never committed to migrations/versions), and this program is told, by monkeypatching,
that 0002 is its newest revision.
"""

import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rel_helpers import checksums_on, table_checksums, table_columns
from sqlalchemy import inspect, text

import fractal_tui.db as fdb
from fractal_tui import schema_version
from fractal_tui.cli import cli
from fractal_tui.db import current_revision, make_engine
from fractal_tui.schema_version import HEAD_REVISION

SYNTHETIC = "0002"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result


def domain_error(result: Result, *fragments: str) -> str:
    """Exit 1, `Error: …` on stderr naming every fragment, no traceback."""
    assert result.exit_code == 1, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.stderr.startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment.lower() in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.output
    return result.stderr


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database filled by `fractal demo`, copied by each SQLite test."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    ok(invoke("--db", str(path), "demo"))
    return path


def fill_with_demo(db_url: str, demo_template: Path) -> str:
    if db_url.startswith("sqlite"):
        target = Path(db_url.removeprefix("sqlite:///"))
        shutil.copy(demo_template, target)
    else:
        ok(invoke("--db", db_url, "demo"))
    engine = make_engine(db_url)
    try:
        counts = table_checksums(engine)
    finally:
        engine.dispose()
    # The demo fills the practice tables, not only goals.
    for table in ("goals", "sessions", "activity_instances", "work_intervals", "metric_values"):
        assert not counts[table].startswith("0:"), table
    return db_url


@pytest.fixture
def demo_url(db_url: str, demo_template: Path) -> str:
    """The test's database (SQLite, and PostgreSQL when configured), filled by the demo."""
    return fill_with_demo(db_url, demo_template)


@pytest.fixture
def demo_sqlite_url(sqlite_url: str, demo_template: Path) -> str:
    """An SQLite file filled by the demo (file backups are SQLite's; PostgreSQL has pg_dump)."""
    return fill_with_demo(sqlite_url, demo_template)


def checksums(url: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        return table_checksums(engine)
    finally:
        engine.dispose()


def backup_path(output: str) -> Path:
    match = re.search(r"Backed up .* to (\S+\.db)", output)
    assert match, output
    return Path(match.group(1))


# --------------------------------------------------------------------------- round trips


def test_backup_downgrade_upgrade_restore_gives_back_every_row(demo_sqlite_url: str) -> None:
    demo_url = demo_sqlite_url
    before = checksums(demo_url)

    down = ok(invoke("--db", demo_url, "migrate", "--to", "base"))
    backup = backup_path(down.output)
    engine = make_engine(demo_url)
    try:
        # Below 0001 there are no tables: the rows live only in the backup now.
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    up = ok(invoke("--db", demo_url, "migrate"))
    assert f"to {HEAD_REVISION}" in up.output

    restored = ok(invoke("--db", demo_url, "db", "restore", str(backup)))
    assert "Restored" in restored.output
    assert checksums(demo_url) == before
    assert ok(invoke("--db", demo_url, "db", "check")).output.strip() == "No problems found."


def synthetic_scripts(tmp_path: Path, upgrade: str, downgrade: str = "pass") -> Path:
    """A copy of the migrations folder with an extra revision 0002 after the head."""
    scripts = tmp_path / "scripts"
    shutil.copytree(fdb.migrations_dir(), scripts, ignore=shutil.ignore_patterns("__pycache__"))

    def function(name: str, code: str) -> str:
        return f"def {name}() -> None:\n" + textwrap.indent(textwrap.dedent(code).strip(), "    ")

    body = "\n".join(
        [
            '"""synthetic test revision"""',
            "import sqlalchemy as sa",
            "from alembic import op",
            "",
            f"revision = {SYNTHETIC!r}",
            f"down_revision = {HEAD_REVISION!r}",
            "branch_labels = None",
            "depends_on = None",
            "",
            "",
            "def sqlite() -> bool:",
            '    return op.get_bind().dialect.name == "sqlite"',
            "",
            "",
            function("upgrade", upgrade),
            "",
            "",
            function("downgrade", downgrade),
            "",
        ]
    )
    (scripts / "versions" / f"{SYNTHETIC}_synthetic.py").write_text(body)
    return scripts


@pytest.fixture
def newer_program(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make this program believe its migrations folder is `scripts`, with head 0002."""

    def use(scripts: Path) -> None:
        monkeypatch.setattr(fdb, "migrations_dir", lambda: scripts)
        monkeypatch.setattr(schema_version, "KNOWN_REVISIONS", (HEAD_REVISION, SYNTHETIC))
        monkeypatch.setattr(schema_version, "HEAD_REVISION", SYNTHETIC)

    return use


# A revision like a real one would be: a nullable column on a table that many others point
# at. On SQLite the table is rebuilt (copy, drop, rename), the risky case of PITFALLS.
ADD_COLUMN = """
    recreate = "always" if sqlite() else "auto"
    with op.batch_alter_table("goals", recreate=recreate) as batch:
        batch.add_column(sa.Column("mood", sa.String(20), nullable=True))
    op.add_column("sessions", sa.Column("weather", sa.String(20), nullable=True))
"""
DROP_COLUMN = """
    recreate = "always" if sqlite() else "auto"
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("weather")
    with op.batch_alter_table("goals", recreate=recreate) as batch:
        batch.drop_column("mood")
"""


def schema_objects(url: str) -> dict[str, Any]:
    """Indexes and check constraints by table (what a table rebuild could silently lose)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            out: dict[str, Any] = {}
            for table in insp.get_table_names():
                if engine.dialect.name == "sqlite":
                    indexes = conn.execute(
                        text(
                            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                            "AND tbl_name = :t AND sql IS NOT NULL ORDER BY name"
                        ),
                        {"t": table},
                    ).all()
                else:
                    indexes = conn.execute(
                        text(
                            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
                            "current_schema() AND tablename = :t ORDER BY indexname"
                        ),
                        {"t": table},
                    ).all()
                checks = sorted(
                    (c["name"], " ".join(str(c["sqltext"]).split()))
                    for c in insp.get_check_constraints(table)
                )
                fks = sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in insp.get_foreign_keys(table)
                )
                out[table] = (sorted(map(tuple, indexes)), checks, fks)
            return out
    finally:
        engine.dispose()


def test_second_revision_up_down_up_keeps_every_row(
    demo_url: str, tmp_path: Path, newer_program: Any
) -> None:
    engine = make_engine(demo_url)
    try:
        columns = table_columns(engine)
        before = checksums_on(engine, columns)
    finally:
        engine.dispose()
    schema_before = schema_objects(demo_url)
    newer_program(synthetic_scripts(tmp_path, ADD_COLUMN, DROP_COLUMN))

    # The database is now behind: ordinary commands ask for `fractal migrate` and write nothing.
    domain_error(invoke("--db", demo_url, "goals"), "fractal migrate")

    for target, revision in (("head", SYNTHETIC), ("0001", "0001"), ("head", SYNTHETIC)):
        result = ok(invoke("--db", demo_url, "migrate", "--to", target))
        assert f"to {revision}" in result.output
        engine = make_engine(demo_url)
        try:
            assert current_revision(engine) == revision
            now = table_columns(engine)
            assert ("mood" in now["goals"]) == (revision == SYNTHETIC)
            assert ("weather" in now["sessions"]) == (revision == SYNTHETIC)
            # Every row of every table, on the columns 0001 has.
            assert checksums_on(engine, columns) == before, target
            if revision == "0001":
                assert schema_objects(demo_url) == schema_before
        finally:
            engine.dispose()
    # At 0002 the program works on the kept data: `fractal db check` is clean.
    check = ok(invoke("--db", demo_url, "db", "check"))
    assert check.output.strip() == "No problems found."


def test_migration_that_fails_half_way_changes_nothing_and_the_backup_restores(
    demo_url: str, tmp_path: Path, newer_program: Any
) -> None:
    before = checksums(demo_url)
    newer_program(
        synthetic_scripts(
            tmp_path,
            """
            recreate = "always" if sqlite() else "auto"
            with op.batch_alter_table("goals", recreate=recreate) as batch:
                batch.add_column(sa.Column("mood", sa.String(20), nullable=True))
            op.execute("UPDATE goals SET mood = 'half-way'")
            op.execute("DELETE FROM events")
            raise RuntimeError("boom half-way through 0002")
            """,
        )
    )
    result = invoke("--db", demo_url, "migrate")
    message = domain_error(result, "0002", "boom half-way")
    # The person is told where the database stands.
    assert HEAD_REVISION in message
    assert checksums(demo_url) == before
    engine = make_engine(demo_url)
    try:
        assert current_revision(engine) == HEAD_REVISION
        assert "mood" not in table_columns(engine)["goals"]
    finally:
        engine.dispose()
    if not demo_url.startswith("sqlite"):
        assert "pg_dump" in result.output
        return
    # The backup made before the attempt is whole and puts the same rows back.
    backup = backup_path(result.output)
    with make_engine(f"sqlite:///{backup}").connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine = make_engine(f"sqlite:///{backup}")
    try:
        assert table_checksums(engine) == before
    finally:
        engine.dispose()
    ok(invoke("--db", demo_url, "db", "restore", str(backup)))
    assert checksums(demo_url) == before


# --------------------------------------------------------------------------- a newer database


NEWER_CHECKED = [
    ["goals"],
    ["fractals"],
    ["add-fractal", "Gym"],
    ["start-session"],
    ["log", "Scales", "bpm=90"],
    ["status"],
    ["db", "check"],
    ["migrate"],
    [],  # `fractal` alone starts the TUI: refused before any screen opens
]


def test_a_database_newer_than_the_program_is_refused(store: Any, db_url: str) -> None:
    from fractal_tui.views import MetricSpec

    root = store.create_fractal("Piano").id
    store.add_activity(root, "Scales", metrics=(MetricSpec("bpm", "bpm"),))
    store.start_session(root)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    before = table_checksums(store.engine)
    for args in NEWER_CHECKED:
        result = invoke("--db", db_url, *args)
        if args == ["db", "check"]:
            # `db check` reports it as a problem found (exit 1, on stdout).
            assert result.exit_code == 1, result.output
            assert "newer" in result.output and "ffff9999" in result.output
            continue
        message = domain_error(result, "newer", "ffff9999")
        assert "upgrade fractal-tui" in message.lower(), args
    assert table_checksums(store.engine) == before
