"""`fractal export` and `fractal import`: move data in and out.

Heavy modules (the store, SQLAlchemy) load inside the commands.
"""

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from fractal_tui.commands._common import emit, json_option, pass_app
from fractal_tui.errors import Invalid

__all__ = ["export", "import_"]

SQLITE_MAGIC = b"SQLite format 3\x00"


@contextmanager
def _output(path: str) -> Iterator[IO[str]]:
    """stdout for "-", else a temporary file beside FILE, renamed over it only on success."""
    if path == "-":
        yield sys.stdout
        return
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise Invalid(f"cannot write {path}: the folder {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: every table, deleted rows included; csv: one row per metric value.",
)
@click.option(
    "--all", "all_fractals", is_flag=True, help="Every fractal (deleted ones too), not one."
)
@click.option("--sessions", is_flag=True, help="CSV only: one row per session instead.")
@click.option(
    "-o",
    "--output",
    default="-",
    metavar="FILE",
    help="Write to FILE instead of standard output.",
)
@pass_app
def export(app: Any, fmt: str, all_fractals: bool, sessions: bool, output: str) -> None:
    """Export the current fractal (or all with --all) as JSON or CSV.

    JSON holds every table, deleted rows included and marked, and imports back unchanged
    (`fractal import FILE`). CSV has one row per metric value (date, session, activity, set,
    split, metric, unit, value), or with --sessions one row per session.

    \b
    Examples:
      fractal export -o backup.json
      fractal export --all -o everything.json
      fractal --fractal Piano export --format csv -o piano.csv
      fractal export --format csv --sessions
    """
    if sessions and fmt != "csv":
        raise click.UsageError("--sessions goes with --format csv")
    store = app.store
    if all_fractals:
        fractals = store.exchange_root_ids()
        scope: list[str] | None = None
    else:
        fractals = [app.fractal().id]
        scope = fractals
    with _output(output) as out:
        if fmt == "json":
            from fractal_tui.exchange.export_json import write_json

            rows = write_json(store, out, scope, fractals)
            what = f"{rows} rows"
        else:
            from fractal_tui.exchange.export_csv import write_sessions_csv, write_values_csv

            roots = scope if scope is not None else fractals
            if sessions:
                rows = write_sessions_csv(store, out, roots)
                what = f"{rows} sessions"
            else:
                rows = write_values_csv(store, out, roots)
                what = f"{rows} values"
    if output != "-":
        n = len(fractals)
        click.echo(f"Exported {n} fractal{'s' if n != 1 else ''} ({what}) to {output}")


def detect_format(path: Path) -> str:
    """fractal-goals for an SQLite file; json, watson or timewarrior by a JSON file's shape."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror or exc}") from None
    if head == SQLITE_MAGIC:
        return "fractal-goals"
    from fractal_tui.exchange.import_json import parse_json, read_text

    doc = parse_json(read_text(path), path)
    if isinstance(doc, dict):
        return "json"
    if isinstance(doc, list) and doc and isinstance(doc[0], list):
        return "watson"
    if isinstance(doc, list) and doc and isinstance(doc[0], dict):
        return "timewarrior"
    raise Invalid(
        f"cannot tell what kind of file {path} is; give --format "
        "(json, fractal-goals, watson or timewarrior)"
    )


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "json", "fractal-goals", "watson", "timewarrior"]),
    default="auto",
    show_default=True,
    help="What FILE is; auto tells by its content.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@click.option(
    "--skip-conflicts",
    is_flag=True,
    help="Watson/Timewarrior: import the intervals that overlap nothing, report the rest.",
)
@json_option
@pass_app
def import_(
    app: Any, file: Path, fmt: str, dry_run: bool, skip_conflicts: bool, as_json: bool
) -> None:
    """Import a Fractal JSON export, a Fractal Goals database, or time-tracker data.

    Rows are matched by id, so importing the same file twice changes nothing. Fractal Goals:
    each root goal becomes a fractal. Watson and Timewarrior: each interval becomes a timed
    activity (named after the project or first tag) in a session per day of the current
    fractal; overlapping intervals are reported first and nothing is written unless
    --skip-conflicts. A summary says what was read, imported, skipped and why.

    \b
    Examples:
      fractal import backup.json
      fractal import goals.db --format fractal-goals --dry-run
      fractal --fractal Work import ~/.config/watson/frames --format watson
      timew export > tw.json && fractal import tw.json --format timewarrior --skip-conflicts
    """
    if fmt == "auto":
        fmt = detect_format(file)
    store = app.store
    if fmt == "json":
        from fractal_tui.exchange.import_json import import_json

        report = import_json(store, file, dry_run=dry_run)
    elif fmt == "fractal-goals":
        from fractal_tui.exchange.fractal_goals import import_fractal_goals

        report = import_fractal_goals(store, file, dry_run=dry_run)
    else:
        from fractal_tui.exchange.timetrackers import import_tracker

        root = app.fractal()
        report = import_tracker(
            store, file, fmt, root.id, dry_run=dry_run, skip_conflicts=skip_conflicts
        )
    emit(as_json, report.as_dict(), lambda: "\n".join(report.lines()))
