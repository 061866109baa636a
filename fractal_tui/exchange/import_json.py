"""Reading a JSON export back: check its shape, then hand its tables to the store."""

import json
from pathlib import Path
from typing import Any

from fractal_tui.errors import Invalid
from fractal_tui.exchange.report import ImportReport

FORMAT = "fractal"
VERSION = 1


def read_text(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(f"{path} is not a text file (not UTF-8); is it the right file?") from None


def parse_json(text: str, path: str | Path) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(
            f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None


def read_document(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """The tables of a Fractal JSON export, or Invalid saying what is wrong with the file."""
    doc = parse_json(read_text(path), path)
    if isinstance(doc, list):
        raise Invalid(
            f"{path} is a JSON list, not a Fractal export; for a time tracker's file use "
            "--format watson or --format timewarrior"
        )
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise Invalid(
            f'{path} is not a Fractal export: expected an object with "format": "{FORMAT}"'
        )
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise Invalid(f'{path}: "version" must be a whole number, not {version!r}')
    if version > VERSION:
        raise Invalid(
            f"{path} was written by a newer Fractal (format version {version}; this one reads "
            f"up to {VERSION}); upgrade fractal-tui to import it"
        )
    tables = doc.get("tables")
    if not isinstance(tables, dict):
        raise Invalid(f'{path}: "tables" must be an object of table name -> list of rows')
    for name, rows in tables.items():
        if not isinstance(rows, list):
            raise Invalid(f'{path}: table "{name}" must be a list of rows')
        for row in rows:
            if not isinstance(row, dict):
                raise Invalid(f'{path}: a row of table "{name}" is not an object: {row!r:.60}')
    return tables


def import_json(store: Any, path: str | Path, *, dry_run: bool = False) -> ImportReport:
    tables = read_document(path)
    report = ImportReport(source="json", path=str(path))
    for name, rows in tables.items():
        if rows:
            report.read[name] = len(rows)
    report.result = store.import_rows(tables, dry_run=dry_run)
    return report
