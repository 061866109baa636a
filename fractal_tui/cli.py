"""The `fractal` command: a click group whose commands live in ``fractal_tui.commands``.

Heavy libraries (SQLAlchemy, SQLModel, Alembic, Textual) are imported only when a command
needs them, so `fractal --help` and `fractal --version` stay fast. Commands are registered
lazily by name for the same reason.
"""

import importlib
import sys
from typing import Any

import click

from fractal_tui.errors import FractalError

# command name -> "module:attribute" under fractal_tui.commands; imported on first use.
COMMANDS: dict[str, str] = {
    "migrate": "maintenance:migrate",
    "db": "maintenance:db_group",
    "demo": "demo:demo",
    "delete": "trash:delete",
    "trash": "trash:trash",
    "restore": "trash:restore",
    "purge": "trash:purge",
    "history": "trash:history",
    "add-fractal": "goals:add_fractal",
    "fractals": "goals:fractals",
    "rename-fractal": "goals:rename_fractal",
    "add-goal": "goals:add_goal",
    "goals": "goals:goals",
    "edit-goal": "goals:edit_goal",
    "complete-goal": "goals:complete_goal",
    "add-group": "activities:add_group",
    "edit-group": "activities:edit_group",
    "groups": "activities:groups",
    "add-activity": "activities:add_activity",
    "activities": "activities:activities",
    "edit-activity": "activities:edit_activity",
    "start-session": "practice:start_session",
    "sessions": "practice:sessions",
    "session": "practice:session",
    "start": "practice:start",
    "pause": "practice:pause",
    "resume": "practice:resume",
    "stop": "practice:stop",
    "log": "practice:log",
    "end-session": "practice:end_session",
    "status": "practice:status",
    "add-note": "notes:add_note",
    "add-target": "planning:add_target",
    "add-template": "planning:add_template",
    "templates": "planning:templates",
    "report": "reports:report",
    "progress": "reports:progress",
    "export": "exchange:export",
    "import": "exchange:import_",
    "batch": "batch:batch",
}


class AppContext:
    """What every command needs: where the database is and which fractal is meant."""

    def __init__(self, db: str | None, fractal: str | None) -> None:
        from fractal_tui.config import resolve_db_url

        self.db_url = resolve_db_url(db)
        self.fractal_ref = fractal
        self._store: Any = None

    @property
    def store(self) -> Any:
        """The store over a database at the newest schema (created on first use)."""
        if self._store is None:
            from fractal_tui.db import ensure_schema, make_engine
            from fractal_tui.store import Store

            engine = make_engine(self.db_url)
            ensure_schema(engine)
            self._store = Store(engine)
        return self._store

    def fractal(self) -> Any:
        """The fractal named by --fractal, or the only one, or the one used last."""
        return self.store.resolve_fractal(self.fractal_ref)


class DomainError(click.ClickException):
    """A domain error shown as `Error: message` on stderr with exit code 1."""

    exit_code = 1


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or its help is asked)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FractalError as exc:
            raise DomainError(exc.message) from exc

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(f"fractal_tui.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"fractal_tui.commands.{module_name}":
                return None  # not built yet
            raise
        command = getattr(module, attr, None)
        return command if isinstance(command, click.Command) else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing help for every command would import them all; names are enough here.
        rows = [(name, _SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        rows = [r for r in rows if r[0] in self.commands or _module_exists(COMMANDS[r[0]])]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _module_exists(target: str) -> bool:
    from importlib.util import find_spec

    return find_spec(f"fractal_tui.commands.{target.split(':')[0]}") is not None


_SUMMARIES: dict[str, str] = {
    "migrate": "Upgrade the database schema (backs up an SQLite file first).",
    "db": "Back up, restore or check the database.",
    "demo": "Create a demo fractal with realistic history.",
    "delete": "Soft-delete a goal, session, activity, … (restorable).",
    "trash": "List deleted items, grouped by delete batch.",
    "restore": "Bring back a deleted batch.",
    "purge": "Remove deleted items for good.",
    "history": "Show the event log.",
    "add-fractal": "Create a fractal (a root goal).",
    "fractals": "List fractals.",
    "rename-fractal": "Rename a fractal.",
    "add-goal": "Add a goal under a parent.",
    "goals": "Show the goal tree.",
    "edit-goal": "Change, move or reorder a goal.",
    "complete-goal": "Mark a goal done (or not done).",
    "add-group": "Create an activity group.",
    "edit-group": "Rename, describe or reorder an activity group.",
    "groups": "List activity groups.",
    "add-activity": "Define an activity with metrics and splits.",
    "activities": "List activities.",
    "edit-activity": "Change an activity.",
    "start-session": "Start a practice session.",
    "sessions": "List sessions.",
    "session": "Show a session.",
    "start": "Start an activity's timer in the active session.",
    "pause": "Pause the active session.",
    "resume": "Resume the active session.",
    "stop": "Complete the running (or named) activity.",
    "log": "Record metric values in the active session.",
    "end-session": "Complete the active session.",
    "status": "Show the active session and running timer.",
    "add-note": "Add a note to a goal, session or activity.",
    "add-target": "Add a target to a goal.",
    "add-template": "Create a session template.",
    "templates": "List session templates.",
    "report": "Time and counts, rolled up the goal tree.",
    "progress": "A metric of an activity over time.",
    "export": "Export data as JSON or CSV.",
    "import": "Import data (JSON, Fractal Goals, Watson, Timewarrior).",
    "batch": "Run one JSON command per line from stdin.",
}


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.option(
    "--db",
    envvar="FRACTAL_DB",
    metavar="URL-OR-PATH",
    help="Database: an SQLite file path or a SQLAlchemy URL (env FRACTAL_DB).",
)
@click.option(
    "--fractal",
    "fractal",
    envvar="FRACTAL_FRACTAL",
    metavar="NAME-OR-ID",
    help="Which fractal (env FRACTAL_FRACTAL); defaults to the only one, else the last used.",
)
@click.option(
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, _param, value: _print_version(ctx, value),
    help="Show the version and exit.",
)
@click.pass_context
def cli(ctx: click.Context, db: str | None, fractal: str | None) -> None:
    """Fractal: a keyboard-first practice tracker.

    Run `fractal` alone to open the terminal app. Every command below has --help.

    \b
    Example:
      fractal add-fractal "Piano"
      fractal --fractal Piano add-goal "Play Bach's C minor prelude" --parent Piano
    """
    ctx.obj = AppContext(db, fractal)
    if ctx.invoked_subcommand is None:
        from fractal_tui.app import run_tui

        run_tui(ctx.obj)


def _print_version(ctx: click.Context, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from fractal_tui import __version__

    click.echo(f"fractal, version {__version__}")
    ctx.exit()


def main() -> None:
    """Entry point: domain errors become a message and exit 1, never a traceback."""
    try:
        # In this mode click returns ctx.exit()'s code instead of raising it.
        code = cli.main(standalone_mode=False, prog_name="fractal")
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except FractalError as exc:
        click.echo(f"Error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: still no traceback, but say where to look
        if _is_database_error(exc):
            click.echo(f"Error: the database could not be used: {_first_line(exc)}", err=True)
            sys.exit(1)
        click.echo(f"Error: unexpected {type(exc).__name__}: {_first_line(exc)}", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_database_error(exc: Exception) -> bool:
    if "sqlalchemy" not in sys.modules:
        return False
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(exc, SQLAlchemyError)


if __name__ == "__main__":  # pragma: no cover
    # Run the imported module's main, not this __main__ copy: commands import
    # fractal_tui.cli, and two copies would mean two AppContext classes.
    from fractal_tui.cli import main as _main

    _main()
