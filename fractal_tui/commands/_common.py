"""What every command shares: the app context, --json output, times and errors."""

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import click

from fractal_tui.cli import AppContext
from fractal_tui.views import jsonable

F = TypeVar("F", bound=Callable[..., Any])

pass_app = click.make_pass_decorator(AppContext)


def json_option(func: F) -> F:
    """Adds --json: print one JSON object (or a list) instead of a human line."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of a human line."
    )(func)


def emit(as_json: bool, payload: Any, human: str | Callable[[], str]) -> None:
    """Print the JSON form of payload, or the human text."""
    if as_json:
        click.echo(json.dumps(jsonable(payload), indent=2, ensure_ascii=False))
    else:
        click.echo(human() if callable(human) else human)


def parse_when(app: AppContext, text: str | None) -> datetime | None:
    """--at/--from/--to: ISO 8601, HH:MM today, or now (local time when no offset)."""
    if text is None:
        return None
    from fractal_tui.timeparse import parse_time

    return parse_time(text, app.store.now())


def local(when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in local time."""
    return when.astimezone().strftime(fmt) if when else "-"
