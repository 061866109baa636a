"""Which database to use: ``--db`` > ``FRACTAL_DB`` > the platform's user data directory.

Kept free of SQLAlchemy so the CLI can resolve the URL (and print ``--help``) cheaply.
"""

import os
from pathlib import Path
from urllib.parse import unquote

import platformdirs

ENV_VAR = "FRACTAL_DB"
APP_NAME = "fractal"
DEFAULT_FILENAME = "fractal.db"

# A bare `postgresql://` would make SQLAlchemy look for psycopg2, which we do not depend on.
_PG_ALIASES = ("postgresql://", "postgres://")
_PG_DRIVER_URL = "postgresql+psycopg://"


def default_db_path() -> Path:
    """The database file used when neither ``--db`` nor ``FRACTAL_DB`` is given."""
    # appauthor=False: no "<author>/<app>" nesting on Windows.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / DEFAULT_FILENAME


def path_to_url(path: str | os.PathLike[str]) -> str:
    """An absolute ``sqlite:///`` URL for a filesystem path (``~`` expanded)."""
    # abspath, not resolve(): normalise ".." but keep a symlink the user chose.
    absolute = os.path.abspath(os.path.expanduser(os.fspath(path)))
    return f"sqlite:///{absolute}"


def normalize_db_url(value: str) -> str:
    """Turn a ``--db``/``FRACTAL_DB`` value into an SQLAlchemy URL string."""
    value = value.strip()
    if "://" not in value:
        return path_to_url(value)
    for alias in _PG_ALIASES:
        if value.startswith(alias):
            return _PG_DRIVER_URL + value[len(alias) :]
    return value


def resolve_db_url(db: str | None) -> str:
    """The database URL: the ``--db`` value, else ``$FRACTAL_DB``, else the user data dir."""
    if db:
        return normalize_db_url(db)
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return normalize_db_url(env)
    return path_to_url(default_db_path())


def is_sqlite(url: str) -> bool:
    """True for ``sqlite://`` and ``sqlite+<driver>://`` URLs."""
    scheme = url.split("://", 1)[0].lower()
    return scheme == "sqlite" or scheme.startswith("sqlite+")


def is_postgresql(url: str) -> bool:
    scheme = url.split("://", 1)[0].lower()
    return scheme in ("postgresql", "postgres") or scheme.startswith("postgresql+")


def sqlite_path(url: str) -> Path | None:
    """The file behind an SQLite URL; None for in-memory databases and non-SQLite URLs."""
    if not is_sqlite(url):
        return None
    rest = url.split("://", 1)[1]
    # sqlite:///relative.db -> "/relative.db"; sqlite:////abs.db -> "//abs.db"
    if not rest.startswith("/"):
        return None  # "sqlite://" (in-memory) or a host part SQLite does not use
    raw = unquote(rest[1:].split("?", 1)[0])
    if raw in ("", ":memory:") or raw.startswith("file:"):
        return None
    return Path(raw)


def display_name(url: str) -> str:
    """How to name a database to a person: the file path, or the URL without a password."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return url
