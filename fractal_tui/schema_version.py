"""What schema this program expects, and what schema a database has, without Alembic.

Importing Alembic costs about as much as importing SQLModel, so ordinary commands check the
``alembic_version`` table with plain SQL against the list below. A test asserts this list
equals Alembic's own revision history, so the two cannot drift apart.
"""

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

# Every revision in migrations/versions, oldest first. Add the new id here with each revision.
KNOWN_REVISIONS: tuple[str, ...] = ("0001",)
HEAD_REVISION: str = KNOWN_REVISIONS[-1]

VERSION_TABLE = "alembic_version"

SchemaState = Literal["empty", "current", "behind", "ahead", "unversioned"]


def _read_state(conn: "Connection") -> tuple[SchemaState, tuple[str, ...]]:
    from sqlalchemy import inspect, text

    tables = set(inspect(conn).get_table_names())
    if VERSION_TABLE in tables:
        revs = tuple(
            row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        )
    else:
        revs = ()
    if not revs:
        # An empty alembic_version table is what a downgrade to "base" leaves behind.
        others = tables - {VERSION_TABLE}
        return ("unversioned" if others else "empty"), ()
    if any(rev not in KNOWN_REVISIONS for rev in revs):
        return "ahead", revs
    if revs == (HEAD_REVISION,):
        return "current", revs
    return "behind", revs


def schema_state(engine: "Engine") -> SchemaState:
    """Where a database stands relative to this program's schema.

    - "empty": no tables at all (a new database); safe to create the schema
    - "current": at HEAD_REVISION
    - "behind": at an older revision this program knows; needs `fractal migrate`
    - "ahead": at a revision this program does not know; a newer fractal-tui wrote it
    - "unversioned": has tables but no revision; not made by fractal (or made by hand)
    """
    with engine.connect().execution_options(fractal_read_only=True) as conn:
        return _read_state(conn)[0]


def database_revisions(engine: "Engine") -> tuple[str, ...]:
    """The revision id(s) stored in the database; empty for a new or unversioned one."""
    with engine.connect().execution_options(fractal_read_only=True) as conn:
        return _read_state(conn)[1]
