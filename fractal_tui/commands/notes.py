"""Notes from the shell: add-note.

TARGET is resolved within the current fractal in this order: ``session`` (or ``active``) for
the active session; an exact id of a goal, session or activity instance; an id prefix (4+
characters) matching exactly one of them; a goal's exact name (case-insensitive). A prefix
or name matching several is an error listing them; ``--kind`` looks at one kind only.
"""

from typing import Any

import click

from fractal_tui.commands._common import emit, json_option, pass_app
from fractal_tui.views import jsonable

__all__ = ["add_note"]


@click.command("add-note")
@click.argument("target")
@click.argument("text", nargs=-1, required=True)
@click.option(
    "--kind",
    type=click.Choice(("goal", "session", "instance"), case_sensitive=False),
    help="What TARGET names, when a name or prefix could mean more than one thing.",
)
@json_option
@pass_app
def add_note(app: Any, target: str, text: tuple[str, ...], kind: str | None, as_json: bool) -> None:
    """Add a note (TEXT) to a goal, a session or an activity instance (TARGET).

    TARGET: a goal's name or id, a session's id (or `session` for the active one), or an
    activity instance's id. The words of TEXT are joined with spaces.

    \b
    Example:
      fractal add-note "Bach prelude" "Left hand lags in bar 12"
      fractal add-note session tired today, kept it short
      fractal add-note 3f2a9c1e "felt easy" --kind instance
    """
    root = app.fractal()
    store = app.store
    subject = store.resolve_note_subject(root.id, target, kind=kind.lower() if kind else None)
    note = store.add_note(**{f"{subject.kind}_id": subject.id}, text=" ".join(text))
    payload = jsonable(note) | {"subject": jsonable(subject)}
    emit(as_json, payload, f"Added a note to {subject.label} (id {note.id[:8]})")
