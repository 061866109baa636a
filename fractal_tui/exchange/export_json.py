"""The JSON export: one document, written row by row as the store streams it.

Layout (deterministic: tables in import order, rows by id, keys sorted, times ISO 8601 UTC
with offset)::

    {"format": "fractal", "version": 1, "fractals": ["<root id>", ...], "tables": {
    "goals": [
    {"completed_at": null, ..., "id": "..."},
    ...
    ],
    "activity_groups": [],
    ...
    }}

Deleted rows are included; their ``deleted_at`` (and ``delete_batch``) mark them.
"""

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import IO, Any

from fractal_tui.store.exchange import EXCHANGE_FORMAT, EXCHANGE_VERSION


def json_value(value: Any) -> Any:
    """A column value as JSON: times ISO 8601 in UTC with offset, dates ISO."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _default(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too
        return json_value(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dump_row(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, allow_nan=False, default=_default)


def iter_json(store: Any, root_ids: Sequence[str] | None, fractals: Sequence[str]) -> Iterator[str]:
    """The document in pieces (a header, then one piece per row): never whole in memory.

    ``root_ids`` None exports every row; ``fractals`` is what the header lists.
    """
    header = {"format": EXCHANGE_FORMAT, "version": EXCHANGE_VERSION, "fractals": list(fractals)}
    head = json.dumps(header, sort_keys=True, ensure_ascii=False)
    yield head[:-1] + ', "tables": {'
    tables = store.exchange_tables()
    position = -1  # index of the table whose list is open
    first_row = True
    for name, row in store.export_rows(root_ids):
        index = tables.index(name)
        while position < index:
            if position >= 0:
                yield "\n]"
            position += 1
            yield f"{',' if position else ''}\n{json.dumps(tables[position])}: ["
            first_row = True
        yield ("\n" if first_row else ",\n") + dump_row(row)
        first_row = False
    while position < len(tables) - 1:
        if position >= 0:
            yield "\n]"
        position += 1
        yield f"{',' if position else ''}\n{json.dumps(tables[position])}: ["
    yield "\n]\n}}\n"


def write_json(
    store: Any, out: IO[str], root_ids: Sequence[str] | None, fractals: Sequence[str]
) -> int:
    """Write the document piece by piece; returns the number of rows."""
    rows = 0
    for piece in iter_json(store, root_ids, fractals):
        if piece.startswith(("\n{", ",\n{")):
            rows += 1
        out.write(piece)
    return rows
