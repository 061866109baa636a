"""Engine set-up, the schema life-cycle (Alembic, driven in code) and SQLite backups.

Alembic is imported only inside the functions that migrate, so ordinary commands, which
only call `make_engine` and `ensure_schema` on a current database, never pay for it.
"""

import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

from fractal_tui import schema_version
from fractal_tui.config import is_sqlite, sqlite_path
from fractal_tui.errors import FractalError, SchemaError
from fractal_tui.schema_version import database_revisions, schema_state

if TYPE_CHECKING:
    from alembic.config import Config

# Execution option: `engine.connect().execution_options(fractal_read_only=True)` makes the
# SQLite transaction start with a plain (deferred) BEGIN, so a read never takes the write lock.
READ_ONLY_OPTION = "fractal_read_only"

# busy_timeout comes first: switching to WAL may have to wait for another process's lock.
SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
)

SQLITE_MAGIC = b"SQLite format 3\x00"


# --------------------------------------------------------------------------- engines


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for an SQLite file or a PostgreSQL URL, with Fractal's connection settings."""
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            _prepare_sqlite_file(path)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        _install_sqlite_hooks(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _prepare_sqlite_file(path: Path) -> None:
    """Create private directories and a private (0600) file before SQLite opens it."""
    _make_private_dirs(path.parent)
    _create_private_file(path)


def _make_private_dirs(folder: Path) -> None:
    """Create `folder` and every missing ancestor with mode 0700 (whatever the umask).

    mkdir(parents=True) would give the ancestors 0777 minus the umask: world-writable under
    umask 000, so another user could swap the data directory. Existing folders are left
    alone, as is one that another process creates first.
    """
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=0o700)
        except FileExistsError:
            continue  # another process won the race; leave its permissions alone
        os.chmod(directory, 0o700)  # mkdir's mode is masked by the umask


def _create_private_file(path: Path) -> bool:
    """Create an empty 0600 file; False when it already exists (then it is left untouched)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return True


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # SQLAlchemy's documented pysqlite recipe: stop the driver from issuing its own
        # BEGIN (it does so lazily and not for DDL), and emit BEGIN ourselves below.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front: two writers queue on busy_timeout
        # instead of one failing with "database is locked" when upgrading a read lock.
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def describe(engine_or_url: Engine | str) -> str:
    """How to name a database to a person: the file path, or the URL without a password."""
    if isinstance(engine_or_url, Engine):
        url = engine_or_url.url.render_as_string(hide_password=False)
        safe = engine_or_url.url.render_as_string(hide_password=True)
    else:
        from sqlalchemy.engine import make_url

        url = engine_or_url
        safe = make_url(url).render_as_string(hide_password=True)
    path = sqlite_path(url)
    return str(path) if path is not None else safe


def _url_of(engine_or_url: Engine | str) -> str:
    if isinstance(engine_or_url, Engine):
        return engine_or_url.url.render_as_string(hide_password=False)
    return engine_or_url


# --------------------------------------------------------------------------- planner statistics

# Every store read is scoped by root_id, and most tables have a root_id index. Without
# statistics SQLite cannot tell that root_id (one value for a whole fractal) selects far more
# rows than session_id or instance_id, and may walk a fractal's whole history through it
# (`fractal status` at 100k instances: 20 ms instead of 2). A sampled ANALYZE fixes the
# choice; it is taken once the data is big enough to matter and again each time it has grown
# STATS_GROWTH-fold (about 0.5 s at a million values, a handful of times in a database's life).
STATS_TABLE = "metric_values"  # grows with everything a person records
STATS_MIN_ROWS = 1000
STATS_GROWTH = 4
ANALYSIS_LIMIT = 400


def refresh_statistics(engine: Engine, *, force: bool = False) -> bool:
    """Take SQLite planner statistics when missing or stale; True when it ran.

    Never waits for the write lock: when another connection holds it, a later command does
    it instead. A no-op on PostgreSQL (autovacuum analyzes).
    """
    if engine.dialect.name != "sqlite":
        return False
    if not force:
        with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as conn:
            rows = conn.exec_driver_sql(f"SELECT max(rowid) FROM {STATS_TABLE}").scalar() or 0
            has_stats = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
            ).first()
            known = (
                conn.exec_driver_sql(
                    # the primary key's index: its first figure is the table's row count
                    "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1"
                    " WHERE tbl = ? AND idx LIKE 'sqlite_autoindex_%'",
                    (STATS_TABLE,),
                ).scalar()
                if has_stats
                else None
            )
        if rows < STATS_MIN_ROWS or (known and rows < known * STATS_GROWTH):
            return False
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
            cursor.execute("ANALYZE")
            return True
        except sqlite3.OperationalError:
            return False  # locked by a writer: not now
        finally:
            cursor.execute(SQLITE_PRAGMAS[0])  # busy_timeout back
            cursor.close()
    finally:
        raw.close()


# --------------------------------------------------------------------------- schema life-cycle


class RevisionInfo(NamedTuple):
    revision: str
    down_revision: str | None
    message: str


def ensure_schema(engine: Engine) -> None:
    """Make sure the database has this program's schema, creating it in a new database.

    Raises SchemaError when the database is behind (needs `fractal migrate`), ahead (written
    by a newer fractal-tui) or holds tables that were not made by fractal.
    """
    state = schema_state(engine)
    if state == "current":
        refresh_statistics(engine)
        return
    where = describe(engine)
    if state == "empty":
        try:
            upgrade(engine)
        except Exception:
            # Two processes starting on one new database: the loser finds it done.
            if schema_state(engine) == "current":
                return
            raise
        return
    revs = ", ".join(database_revisions(engine)) or "none"
    if state == "behind":
        backup_note = (
            "a backup is made first"
            if engine.dialect.name == "sqlite"
            else "take a pg_dump first"
        )
        raise SchemaError(
            f"The database at {where} uses an older schema (rev {revs}); run `fractal migrate` "
            f"to upgrade it ({backup_note})."
        )
    if state == "ahead":
        newest = schema_version.HEAD_REVISION
        raise SchemaError(
            f"The database at {where} has schema rev {revs}, which is newer than this program "
            f"knows (newest: {newest}); it was written by a newer fractal-tui. Upgrade "
            f"fractal-tui (pip install -U fractal-tui) to use it."
        )
    raise SchemaError(
        f"The database at {where} has tables but no Fractal schema version, so it was not "
        f"created by fractal. Point --db or FRACTAL_DB at another file."
    )


def migrations_dir() -> Path:
    """The Alembic script folder.

    An installed wheel carries it as ``fractal_tui/migrations`` (hatch force-include); a
    checkout or an editable install has it at the repository root as ``migrations/``.
    """
    package_dir = Path(__file__).resolve().parent
    candidates = (package_dir / "migrations", package_dir.parent / "migrations")
    for candidate in candidates:
        if (candidate / "env.py").is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise FractalError(
        f"Cannot find the database migrations (looked in {looked}); reinstall fractal-tui."
    )


def alembic_config(engine_or_url: Engine | str) -> "Config":
    """An Alembic Config built in code (no alembic.ini), pointing at `migrations_dir()`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("path_separator", "os")
    # ConfigParser interpolates "%": URL-escaped characters (%3D in search_path) must double it.
    config.set_main_option("sqlalchemy.url", _url_of(engine_or_url).replace("%", "%%"))
    return config


def _run_alembic(engine: Engine, action: str, revision: str) -> None:
    from alembic import command
    from alembic.util.exc import CommandError

    config = alembic_config(engine)
    with engine.connect() as conn:
        # env.py migrates on this connection, so the caller's engine settings (and a test's
        # temporary database) are what Alembic sees.
        config.attributes["connection"] = conn
        try:
            if action == "upgrade":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
        except CommandError as exc:
            raise FractalError(f"Cannot {action} to {revision!r}: {exc}") from exc
        except Exception as exc:
            # A revision that fails (its own error, or env.py's consistency check) is rolled
            # back as a whole; say so, and where the database stands, instead of a traceback.
            if conn.in_transaction():
                conn.rollback()
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FractalError(
                f"Cannot {action} to {revision!r}: a migration failed ({reason}). It was rolled "
                f"back; the database is at revision {current_revision(engine) or '(empty)'}."
            ) from exc


def upgrade(engine: Engine, to: str = "head") -> None:
    """Migrate up to revision `to` (each revision in its own transaction)."""
    _run_alembic(engine, "upgrade", to)


def downgrade(engine: Engine, to: str) -> None:
    """Migrate down to revision `to` ("base" removes every table)."""
    _run_alembic(engine, "downgrade", to)


def current_revision(engine: Engine) -> str | None:
    """The database's revision id, or None for a new (or unversioned) database."""
    revs = database_revisions(engine)
    return ",".join(revs) if revs else None


def history() -> list[RevisionInfo]:
    """Every revision, oldest first, read from the migration scripts."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations_dir()))
    revisions = []
    for rev in reversed(list(script.walk_revisions())):
        down = rev.down_revision
        if isinstance(down, tuple | list):
            down = ",".join(down)
        revisions.append(RevisionInfo(rev.revision, down, (rev.doc or "").strip()))
    return revisions


def script_head() -> str:
    """The newest revision according to the migration scripts (imports Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(migrations_dir())).get_current_head()
    if head is None:
        raise FractalError("The migrations folder has no revisions; reinstall fractal-tui.")
    return head


def revision_index(revision: str | None) -> int:
    """Position of a revision in the known history; -1 for none/base; ValueError if unknown."""
    if revision in (None, "base"):
        return -1
    return schema_version.KNOWN_REVISIONS.index(revision)


# --------------------------------------------------------------------------- backups


def _require_sqlite_file(url: str, verb: str) -> Path:
    if not is_sqlite(url):
        raise FractalError(
            f"Cannot {verb} a PostgreSQL database from fractal; use pg_dump to back it up "
            f"and pg_restore to put a dump back."
        )
    path = sqlite_path(url)
    if path is None:
        raise FractalError(f"Cannot {verb} an in-memory database.")
    return path.absolute()


def backup_sqlite(url: str, dest: Path | None = None) -> Path:
    """Copy an SQLite database consistently (online backup API, fine in WAL mode).

    Without `dest` the copy goes to ``backups/<stem>-YYYYmmdd-HHMMSS.db`` next to the
    database. The copy is a standalone file (rollback journal, not WAL) with mode 0600.
    """
    source = _require_sqlite_file(url, "back up")
    if not source.is_file():
        raise FractalError(f"There is no database at {source} to back up.")
    if dest is None:
        dest = _new_backup_file(source)
    else:
        dest = Path(dest).expanduser().absolute()
        if dest.is_dir():
            raise FractalError(f"{dest} is a directory; give a file name for the backup.")
        if not dest.parent.is_dir():
            raise FractalError(f"The folder {dest.parent} does not exist.")
        if not _create_private_file(dest):
            raise FractalError(f"{dest} already exists; choose another file name.")
    try:
        _copy_sqlite(source, dest, standalone=True)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return dest


def _new_backup_file(source: Path) -> Path:
    folder = source.parent / "backups"
    _make_private_dirs(folder)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    # Two backups in one second (migrate, then restore) must not overwrite each other.
    for n in range(1, 1000):
        suffix = "" if n == 1 else f"-{n}"
        candidate = folder / f"{source.stem}-{stamp}{suffix}.db"
        if _create_private_file(candidate):
            return candidate
    raise FractalError(f"Too many backups named {source.stem}-{stamp}* in {folder}.")


def _copy_sqlite(source: Path, dest: Path, *, standalone: bool) -> None:
    src = sqlite3.connect(str(source), timeout=30)
    try:
        dst = sqlite3.connect(str(dest), timeout=30)
        try:
            src.backup(dst)
            # A backup is one self-contained file; a restored live database stays in WAL.
            dst.execute("PRAGMA journal_mode=DELETE" if standalone else "PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise FractalError(f"Copying {source} to {dest} failed: {exc}") from exc
    finally:
        src.close()


def validate_sqlite_backup(file: Path) -> tuple[str, ...]:
    """Check that `file` is an intact Fractal SQLite database; return its revision(s)."""
    file = Path(file).expanduser()
    if not file.exists():
        raise FractalError(f"No such file: {file}")
    if not file.is_file():
        raise FractalError(f"{file} is not a file.")
    with open(file, "rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise FractalError(f"{file} is not an SQLite database.")
    try:
        conn = sqlite3.connect(f"{file.absolute().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            check = [row[0] for row in conn.execute("PRAGMA quick_check")]
            has_version = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
            ).fetchone()
            revs = (
                tuple(row[0] for row in conn.execute("SELECT version_num FROM alembic_version"))
                if has_version
                else ()
            )
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise FractalError(f"{file} cannot be read as an SQLite database: {exc}") from exc
    if check != ["ok"]:
        raise FractalError(f"{file} is damaged: {'; '.join(check[:5])}")
    if not has_version:
        raise FractalError(
            f"{file} is an SQLite database but not a Fractal one (no alembic_version table)."
        )
    unknown = [rev for rev in revs if rev not in schema_version.KNOWN_REVISIONS]
    if unknown:
        raise FractalError(
            f"{file} has schema rev {', '.join(unknown)}, newer than this program knows; "
            f"upgrade fractal-tui first."
        )
    return revs


def restore_sqlite(url: str, file: Path) -> Path | None:
    """Put a backup back in place of the database at `url`.

    The file is validated first; the current database (if any) is backed up before it is
    overwritten. Returns the path of that safety backup (None when there was no database).
    The copy uses the backup API, so other open connections see the restored content.
    """
    target = _require_sqlite_file(url, "restore")
    file = Path(file).expanduser().absolute()
    validate_sqlite_backup(file)
    if target.exists() and file.resolve() == target.resolve():
        raise FractalError(f"{file} is the database itself; choose a backup file.")
    # A zero-byte file is a database that was opened but never written: nothing to save.
    previous = backup_sqlite(url) if target.is_file() and target.stat().st_size else None
    _prepare_sqlite_file(target)
    _copy_sqlite(file, target, standalone=False)
    return previous


# --------------------------------------------------------------------------- checks


def integrity_check(engine: Engine) -> list[str]:
    """SQLite's own integrity and foreign-key checks; an empty list when all is well."""
    if engine.dialect.name != "sqlite":
        return []  # PostgreSQL enforces foreign keys itself and has no integrity pragma
    problems: list[str] = []
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as conn:
        rows = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems.extend(f"integrity: {row}" for row in rows)
        for table, rowid, parent, _fkid in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            problems.append(f"{table} row {rowid} refers to a missing row in {parent}")
    return problems
