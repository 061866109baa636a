"""Alembic environment for Fractal, driven in code by fractal_tui.db (there is no alembic.ini).

fractal_tui.db passes the connection to migrate on as ``config.attributes["connection"]``;
without one (the `alembic` command line) an engine is built from ``sqlalchemy.url``.
"""

from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.types import DateTime, TypeDecorator
from sqlmodel import SQLModel

import fractal_tui.models  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Revisions must not import the app's models (they change; a revision must not), so the
    # UTC wrapper type is written as the plain column type it stores.
    if type_ == "type" and isinstance(obj, TypeDecorator) and isinstance(obj.impl, DateTime):
        return f"sa.DateTime(timezone={obj.impl.timezone!r})"
    return False


def _sqlite_problems(conn: Connection) -> list[str]:
    problems = [
        f"{table} row {rowid} refers to a missing row in {parent}"
        for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check")
    ]
    integrity = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems.extend(integrity)
    return problems


def _check_after_step(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:
    # Runs inside each revision's transaction, before its commit: raising here rolls the
    # revision back, so a migration that orphans rows never lands.
    problems = _sqlite_problems(ctx.connection)
    if problems:
        raise RuntimeError(
            f"Migration {step} would leave the database inconsistent: " + "; ".join(problems[:10])
        )


def _set_foreign_keys(conn: Connection, on: bool) -> None:
    # On the DBAPI connection: through SQLAlchemy the statement would autobegin a
    # transaction, and SQLite ignores PRAGMA foreign_keys inside one.
    dbapi = conn.connection.driver_connection
    assert dbapi is not None
    dbapi.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    actual = dbapi.execute("PRAGMA foreign_keys").fetchone()[0]
    if bool(actual) != on:
        raise RuntimeError(
            "Cannot switch SQLite foreign keys on the migration connection (it is inside a "
            "transaction); migrate on a fresh connection."
        )


def _migrate(conn: Connection) -> None:
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations copy and drop tables; with foreign keys on, the drop would
        # cascade and silently delete child rows (PITFALLS).
        _set_foreign_keys(conn, on=False)
    try:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            render_item=_render_item,
            # SQLite DDL is transactional once pysqlite stops managing transactions (db.py),
            # so each revision commits or rolls back as a whole.
            transactional_ddl=True,
            transaction_per_migration=True,
            on_version_apply=_check_after_step if sqlite else None,
        )
        with context.begin_transaction():
            context.run_migrations()
        if conn.in_transaction():
            # Reading the version table autobegins; commit so nothing stays locked.
            conn.commit()
    finally:
        if sqlite:
            if conn.in_transaction():
                conn.rollback()
            _set_foreign_keys(conn, on=True)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    conn = config.attributes.get("connection")
    if conn is not None:
        _migrate(conn)
        return
    from fractal_tui.db import make_engine

    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("No database: set sqlalchemy.url or pass a connection.")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _migrate(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
