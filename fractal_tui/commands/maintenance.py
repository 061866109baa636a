"""`fractal migrate` and `fractal db …`: schema upgrades, backups, restores and checks.

Heavy modules (SQLAlchemy, Alembic, the store) are imported inside the commands so that
registering them costs `fractal --help` nothing.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fractal_tui.errors import FractalError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["db_group", "migrate"]


def _db_url() -> str:
    """The database URL the root command resolved (``ctx.obj.db_url``)."""
    obj = click.get_current_context().find_root().obj
    url = getattr(obj, "db_url", None)
    if url:
        return str(url)
    # Invoked without the root group (e.g. directly in a test): same precedence as the CLI.
    from fractal_tui.config import resolve_db_url

    return resolve_db_url(None)


def _require_existing_sqlite(url: str) -> None:
    """Refuse to act on a missing SQLite file instead of silently creating an empty one."""
    from fractal_tui.config import sqlite_path

    path = sqlite_path(url)
    if path is not None and not path.exists():
        raise FractalError(f"There is no database at {path}.")


def _stdin_is_tty() -> bool:
    """Whether a person can answer a question (a seam for tests, too)."""
    return sys.stdin is not None and sys.stdin.isatty()


def _revision_label(rev: str | None) -> str:
    return rev if rev else "(empty)"


def _resolve_target(rev: str) -> str | None:
    """A revision id for `--to`: an id, "head" or "base" (None: no tables)."""
    from fractal_tui.schema_version import HEAD_REVISION, KNOWN_REVISIONS

    if rev == "head":
        return HEAD_REVISION
    if rev == "base":
        return None
    if rev in KNOWN_REVISIONS:
        return rev
    known = ", ".join(("base", *KNOWN_REVISIONS, "head"))
    raise FractalError(f"Unknown revision {rev!r}; choose one of: {known}.")


def _print_status(url: str) -> None:
    from fractal_tui import db
    from fractal_tui.config import sqlite_path
    from fractal_tui.schema_version import HEAD_REVISION

    messages = {info.revision: info.message for info in db.history()}

    def label(rev: str) -> str:
        return f"{rev} ({messages[rev]})" if rev in messages else rev

    click.echo(f"Database: {db.describe(url)}")
    path = sqlite_path(url)
    if path is not None and not path.exists():
        click.echo("Current:  none (no database file yet; it is created on first use)")
        click.echo(f"Newest:   {label(HEAD_REVISION)}")
        return
    engine = db.make_engine(url)
    try:
        from fractal_tui.schema_version import database_revisions, schema_state

        state = schema_state(engine)
        revs = database_revisions(engine)
    finally:
        engine.dispose()
    current = ", ".join(label(rev) for rev in revs) or "none (empty database)"
    click.echo(f"Current:  {current}")
    click.echo(f"Newest:   {label(HEAD_REVISION)}")
    verdict = {
        "current": "Up to date; no upgrade pending.",
        "empty": "Upgrade pending: the schema is created on first use or by `fractal migrate`.",
        "behind": "Upgrade pending: run `fractal migrate` (a backup is made first).",
        "ahead": "This database is newer than this program; upgrade fractal-tui to use it.",
        "unversioned": "This database has tables but no Fractal schema version; not fractal's.",
    }[state]
    click.echo(verdict)


@click.command("migrate")
@click.option(
    "--status", is_flag=True, help="Show the current and newest revision; change nothing."
)
@click.option(
    "--to",
    "to_rev",
    metavar="REV",
    help="Move up or down to this revision: an id such as 0001, 'head', or 'base' (no tables).",
)
@click.option(
    "--no-backup", is_flag=True, help="Do not copy the SQLite file to backups/ first."
)
def migrate(status: bool, to_rev: str | None, no_backup: bool) -> None:
    """Upgrade the database to the newest schema, backing up an SQLite file first.

    The backup goes to backups/<name>-YYYYmmdd-HHMMSS.db next to the database file. For
    PostgreSQL no backup is made: take a pg_dump first.

    \b
    Examples:
      fractal migrate
      fractal migrate --status
      fractal --db ~/practice.db migrate --to 0001
    """
    url = _db_url()
    if status:
        _print_status(url)
        return

    from fractal_tui import db
    from fractal_tui.schema_version import HEAD_REVISION, schema_state

    target = _resolve_target(to_rev or "head")
    engine = db.make_engine(url)
    try:
        where = db.describe(engine)
        state = schema_state(engine)
        if state in ("ahead", "unversioned"):
            db.ensure_schema(engine)  # raises the SchemaError that explains the state
        current = db.current_revision(engine)
        here, there = db.revision_index(current), db.revision_index(target)
        if here == there:
            if target == HEAD_REVISION:
                click.echo(f"Already at the newest schema ({HEAD_REVISION}).")
            else:
                click.echo(f"Already at revision {_revision_label(target)}.")
            return
        _backup_before_change(engine, url, state, no_backup)
        if there > here:
            db.upgrade(engine, target or "head")
            verb = "Upgraded"
        else:
            db.downgrade(engine, target or "base")
            verb = "Downgraded"
        click.echo(
            f"{verb} {where} from {_revision_label(current)} to {_revision_label(target)}"
        )
    finally:
        engine.dispose()


def _backup_before_change(engine: "Engine", url: str, state: str, no_backup: bool) -> None:
    from fractal_tui import db

    if engine.dialect.name != "sqlite":
        click.echo(
            "No file backup is made for PostgreSQL; take one with pg_dump before migrating "
            "if you have not."
        )
        return
    if no_backup or state == "empty":
        return  # nothing worth copying in a database without a schema
    path = db.backup_sqlite(url)
    click.echo(f"Backed up {db.describe(url)} to {path}")


@click.group("db")
def db_group() -> None:
    """Copy the database, put a copy back, or check it.

    \b
    Examples:
      fractal db backup
      fractal db restore ~/.local/share/fractal/backups/fractal-20260105-090000.db
      fractal db check
    """


@db_group.command("backup")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def db_backup(file: Path | None) -> None:
    """Copy the SQLite database to FILE (default: backups/<name>-<time>.db next to it).

    The copy is consistent even while the TUI or another command is writing.

    \b
    Examples:
      fractal db backup
      fractal db backup ~/fractal-before-trip.db
    """
    from fractal_tui import db

    url = _db_url()
    path = db.backup_sqlite(url, file)
    click.echo(f"Backed up {db.describe(url)} to {path}")


@db_group.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", "-y", is_flag=True, help="Do not ask before replacing the database.")
def db_restore(file: Path, yes: bool) -> None:
    """Replace the database with the backup FILE (the current one is backed up first).

    Asks for confirmation on a terminal unless --yes is given; never asks when stdin is
    not a terminal (scripts).

    \b
    Example:
      fractal db restore ~/.local/share/fractal/backups/fractal-20260105-090000.db
    """
    from fractal_tui import db
    from fractal_tui.schema_version import HEAD_REVISION

    url = _db_url()
    where = db.describe(url)
    # Validate before asking: a wrong file should fail fast, not after a question.
    revs = db.validate_sqlite_backup(file)
    if not yes and _stdin_is_tty():
        click.confirm(
            f"Replace the database at {where} with {file}? (The current one is backed up "
            "first.)",
            abort=True,
        )
    previous = db.restore_sqlite(url, file)
    if previous is not None:
        click.echo(f"Backed up the current database to {previous}")
    click.echo(f"Restored {where} from {file}")
    if revs and revs != (HEAD_REVISION,):
        click.echo("It uses an older schema; run `fractal migrate` to upgrade it.")


@db_group.command("check")
def db_check() -> None:
    """Check the database: SQLite integrity, foreign keys and Fractal's own rules.

    Prints "No problems found." and exits 0, or lists the problems and exits 1.

    \b
    Example:
      fractal db check
    """
    from fractal_tui import db
    from fractal_tui.schema_version import schema_state

    url = _db_url()
    _require_existing_sqlite(url)
    engine = db.make_engine(url)
    try:
        problems = db.integrity_check(engine)
        state = schema_state(engine)
        if state == "current":
            from fractal_tui.store import Store

            problems.extend(Store(engine).check_invariants())
        elif state != "empty":
            try:
                db.ensure_schema(engine)
            except FractalError as exc:
                problems.append(exc.message)
    finally:
        engine.dispose()
    if not problems:
        click.echo("No problems found.")
        return
    click.echo(f"Found {len(problems)} problem(s) in {db.describe(url)}:")
    for problem in problems:
        click.echo(f"  - {problem}")
    # SystemExit, not ctx.exit(): it reaches the process exit code however the group is run.
    sys.exit(1)
