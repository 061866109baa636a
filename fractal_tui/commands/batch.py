"""`fractal batch`: many commands in one process, one JSON line in and one JSON line out.

Each line runs through the same click command a shell would run, so parsing, validation,
messages and exit codes are identical; the process, the imports, the engine and the store
are paid for once. Every line is atomic (a savepoint around everything it does), and the
work is committed every few hundred lines, so a long batch never locks out the TUI.
"""

import io
import json
import sys
from typing import Any

import click

from fractal_tui.cli import AppContext
from fractal_tui.errors import FractalError

__all__ = ["batch"]

# Commands that make no sense inside a batch: they replace the database under the open
# connection, start the TUI, or would nest batches.
REFUSED = {
    "batch": "a batch cannot run another batch",
    "migrate": "run `fractal migrate` on its own, not inside a batch",
    "db": "run `fractal db …` on its own, not inside a batch",
}


class _Capture(io.StringIO):
    """What a command prints, kept for its result line."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


class _BatchApp(AppContext):
    """The batch's context for its lines: the fractal is resolved once for a run of `log`
    lines (kept by the store's log memo, so by its rules)."""

    def __init__(self, app: AppContext, memo: Any) -> None:
        self.__dict__.update(app.__dict__)
        self._memo = memo

    def fractal(self) -> Any:
        return self._memo.fetch(("fractal", self.fractal_ref), super().fractal)


class LineError(Exception):
    """A line that cannot be run at all (bad JSON, unknown command): exit code 2."""


def parse_line(raw: str) -> tuple[str, list[str], Any]:
    """(command, args, id) from one line: ["log", "Scales", "bpm=120"] or
    {"cmd": "log", "args": ["Scales", "bpm=120"], "id": 7}."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LineError(f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    line_id = None
    if isinstance(value, dict):
        extra = sorted(set(value) - {"cmd", "args", "id"})
        if extra:
            raise LineError(f"unknown key {extra[0]!r}; a line has cmd, args and id")
        line_id = value.get("id")
        cmd, args = value.get("cmd"), value.get("args", [])
    elif isinstance(value, list) and value:
        cmd, args = value[0], value[1:]
    else:
        raise LineError('a line is a JSON list ["cmd", "arg", …] or an object {"cmd": …}')
    if not isinstance(cmd, str) or not cmd.strip():
        raise LineError('name the command as a string, e.g. "log"')
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise LineError("the arguments must be a list of strings")
    return cmd.strip(), list(args), line_id


def _run(
    group: click.Group, parent: click.Context, app: AppContext, cmd: str, args: list[str]
) -> tuple[int, str, str]:
    """Run one command; (exit code, what it printed, what it printed on stderr)."""
    if cmd in REFUSED:
        raise LineError(REFUSED[cmd])
    command = group.get_command(parent, cmd)
    if command is None:
        raise LineError(f"no such command {cmd!r}; see `fractal --help`")
    out, err = _Capture(), _Capture()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        # click consumes the list it parses: give it a copy.
        with command.make_context(cmd, list(args), parent=parent, obj=app) as ctx:
            command.invoke(ctx)
        code = 0
    except click.exceptions.Exit as exc:  # --help, or a command that exits on purpose
        code = exc.exit_code
    finally:
        sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def run_line(
    group: click.Group, parent: click.Context, app: AppContext, unit: Any, n: int, raw: str
) -> dict[str, Any]:
    """One input line -> its result object (never raises for a bad line)."""
    result: dict[str, Any] = {"line": n}
    try:
        cmd, args, line_id = parse_line(raw)
        if line_id is not None:
            result["id"] = line_id
        result["cmd"] = cmd
        with unit():
            code, out, err = _run(group, parent, app, cmd, args)
            if code:
                raise click.exceptions.Exit(code)  # undo what the line did
    except LineError as exc:
        return result | {"ok": False, "exit": 2, "error": str(exc)}
    except click.exceptions.Exit as exc:
        return result | {"ok": False, "exit": exc.exit_code, "error": f"exit {exc.exit_code}"}
    except click.ClickException as exc:  # usage errors: exit 2, the message click shows
        return result | {"ok": False, "exit": exc.exit_code, "error": exc.format_message()}
    except FractalError as exc:
        return result | {"ok": False, "exit": exc.exit_code, "error": exc.message}
    except click.exceptions.Abort:
        return result | {"ok": False, "exit": 1, "error": "aborted"}
    except Exception as exc:  # a bug or a database problem: reported, the batch goes on
        text = str(exc).strip().splitlines()
        what = text[0] if text else type(exc).__name__
        return result | {
            "ok": False,
            "exit": 1,
            "error": f"unexpected {type(exc).__name__}: {what}",
        }
    result["ok"] = True
    if "--json" in args:
        try:
            result["result"] = json.loads(out)
        except json.JSONDecodeError:
            result["output"] = out.rstrip("\n")
    else:
        result["output"] = out.rstrip("\n")
    if err.strip():
        result["stderr"] = err.rstrip("\n")
    return result


@click.command("batch")
@click.option("--stop-on-error", is_flag=True, help="Stop at the first line that fails.")
@click.pass_context
def batch(ctx: click.Context, stop_on_error: bool) -> None:
    """Run one command per line of stdin (JSON) in one process; print one JSON result each.

    A line is a JSON list, the command and its arguments as you would type them after
    `fractal`, or an object with "cmd", "args" and an optional "id" that is echoed back.
    Global options (--db, --fractal) go before `batch` and hold for every line. Blank lines
    are skipped. Each line behaves exactly as the command alone (same checks, same
    messages) and is atomic: a failing line writes nothing, and the others still run.

    Each result line has "line" (its number in the input), "ok", and either "output" (what
    the command printed; "result" instead when the line asked for --json) or "error" and
    "exit" (1 for a domain error, 2 for bad usage, a bad JSON line or an unknown command).
    The exit code is 1 if any line failed, else 0. `migrate`, `db` and `batch` itself
    cannot run inside a batch.

    \b
    Example:
      printf '%s\\n' '["start", "Scales"]' '["log", "Scales", "bpm=120"]' \\
        '{"cmd": "log", "args": ["Scales", "bpm=126", "--json"], "id": 2}' \\
        '["stop"]' | fractal batch
    \b
    prints, one line each:
      {"line": 1, "cmd": "start", "ok": true, "output": "▶ Scales started at 14:02"}
      {"line": 2, "cmd": "log", "ok": true, "output": "Logged Scales set 1: bpm=120"}
      {"line": 3, "id": 2, "cmd": "log", "ok": true, "result": {"id": "…", …}}
      {"line": 4, "cmd": "stop", "ok": true, "output": "✓ Scales completed after 3:10"}
    """
    app = ctx.find_object(AppContext)
    parent = ctx.parent
    if app is None or parent is None or not isinstance(parent.command, click.Group):
        raise click.UsageError("batch runs as `fractal batch`")
    group = parent.command
    stdin = sys.stdin
    failed = False
    # The memo first: it must see the batch connection's commits.
    with app.store.log_memo() as memo, app.store.batched() as unit:
        line_app = _BatchApp(app, memo)
        for n, raw in enumerate(stdin, start=1):
            if not raw.strip():
                continue
            result = run_line(group, parent, line_app, unit, n, raw)
            if not (result["ok"] and result.get("cmd") == "log"):
                memo.forget()  # the line may have changed what `log` looked up, or failed
            click.echo(json.dumps(result, ensure_ascii=False))
            if not result["ok"]:
                failed = True
                if stop_on_error:
                    break
    if failed:
        ctx.exit(1)
