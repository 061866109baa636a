"""Soft delete and what follows it: delete, trash, restore, purge, and the event log (history).

A delete takes the row's dependents with it in one batch; ``restore`` brings back exactly
that batch. Confirmation is asked only when stdin is a terminal (never in scripts) and
``--yes`` skips it.
"""

import math
import sys
from typing import Any

import click

from fractal_tui.commands._common import emit, json_option, local, pass_app
from fractal_tui.errors import Invalid
from fractal_tui.views import jsonable

__all__ = ["delete", "history", "purge", "restore", "trash"]


def _stdin_is_tty() -> bool:
    """Whether a person can answer a prompt (tests replace this)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _describe(counts: dict[str, int]) -> str:
    from fractal_tui.store.base import describe_counts

    return describe_counts(counts)


def _others(kind: str, counts: dict[str, int]) -> dict[str, int]:
    """The counts of a delete without the row that was named (what went *with* it)."""
    from fractal_tui.kinds import KIND_NAMES

    plural = next((many for one, many in KIND_NAMES.values() if one == kind), kind + "s")
    rest = dict(counts)
    if rest.get(plural, 0) > 0:
        rest[plural] -= 1
    return {k: n for k, n in rest.items() if n}


def _what(kind: str, name: str, row_id: str) -> str:
    return f"{kind} {name!r}" if name else f"{kind} {row_id[:8]}"


def _scope(app: Any) -> str | None:
    """The fractal to limit trash/purge/history to: only when --fractal names one."""
    return app.fractal().id if app.fractal_ref else None


def _kind(kind: str) -> str:
    from fractal_tui.store.trash import DELETABLE_KINDS

    key = kind.strip().lower()
    if key not in DELETABLE_KINDS:
        raise Invalid(f"cannot delete a {kind!r}; kinds: {', '.join(DELETABLE_KINDS)}")
    return key


@click.command("delete")
@click.argument("kind", metavar="KIND")
@click.argument("item")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_app
def delete(app: Any, kind: str, item: str, yes: bool, as_json: bool) -> None:
    """Delete ITEM of KIND with everything that depends on it (restorable from the trash).

    KIND is one of: fractal, goal, group, activity, session, instance, set, target,
    template, note. ITEM is a name, an id or an id prefix. When stdin is a terminal you are
    asked to confirm unless --yes is given; scripts are never prompted.

    \b
    Example:
      fractal delete goal "Chopin Op. 10 No. 1"
      fractal delete session 1a2b3c4d --yes
      fractal delete fractal Piano --yes
    """
    key = _kind(kind)
    root_id = None if key == "fractal" else app.fractal().id
    if not yes and _stdin_is_tty():
        preview = app.store.preview_delete(key, item, root_id)
        others = _others(preview.kind, preview.counts)
        extra = f" with {_describe(others)}" if others else ""
        click.confirm(
            f"Delete {_what(preview.kind, preview.name, preview.id)}{extra}?",
            abort=True,
            err=True,
        )
    summary = app.store.delete(key, item, root_id)
    others = _others(summary.kind, summary.counts)
    extra = f" with {_describe(others)}" if others else ""
    payload = jsonable(summary)
    payload["root_id"] = summary.id if key == "fractal" else root_id
    payload["total"] = summary.total
    emit(
        as_json,
        payload,
        f"Deleted {_what(summary.kind, summary.name, summary.id)}{extra} "
        f"(restore with: fractal restore {summary.batch[:8]})",
    )


@click.command("trash")
@json_option
@pass_app
def trash(app: Any, as_json: bool) -> None:
    """List what was deleted, one delete batch per line, newest first.

    Shows every fractal's trash, or only one fractal's with --fractal.

    \b
    Example:
      fractal trash
      fractal --fractal Piano trash --json
    """
    batches = app.store.trash(_scope(app))
    if as_json:
        emit(True, [dict(jsonable(b), total=b.total) for b in batches], "")
        return
    if not batches:
        click.echo("The trash is empty.")
        return
    for b in batches:
        others = _others(b.kind, b.counts)
        extra = f" with {_describe(others)}" if others else ""
        click.echo(
            f"{local(b.deleted_at)}  {_what(b.kind, b.name, b.id)}{extra}  batch {b.batch[:8]}"
        )


@click.command("restore")
@click.argument("item")
@json_option
@pass_app
def restore(app: Any, item: str, as_json: bool) -> None:
    """Bring back a delete batch: ITEM is a batch id (or prefix) or the id of a deleted row.

    Restores exactly what was deleted together, nothing deleted separately.

    \b
    Example:
      fractal trash
      fractal restore 1a2b3c4d
    """
    scope = _scope(app)
    batch = app.store.trash_batch(item, scope)
    counts = app.store.restore(batch.batch, scope)
    payload = dict(jsonable(batch), restored=counts)
    emit(
        as_json,
        payload,
        f"Restored {_what(batch.kind, batch.name, batch.id)} ({_describe(counts)})",
    )


@click.command("purge")
@click.option(
    "--older-than",
    "older_than",
    type=float,
    metavar="DAYS",
    help="Remove items deleted more than DAYS days ago (0: everything in the trash).",
)
@click.option("--batch", metavar="ID", help="Remove one delete batch (id or prefix) instead.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_app
def purge(app: Any, older_than: float | None, batch: str | None, yes: bool, as_json: bool) -> None:
    """Remove deleted items for good; this cannot be undone.

    Rows that a live row still points at stay in the trash. When stdin is a terminal you
    are asked to confirm unless --yes is given.

    \b
    Example:
      fractal purge --older-than 30
      fractal purge --batch 1a2b3c4d --yes
    """
    if (older_than is None) == (batch is None):
        raise click.UsageError("give either --older-than DAYS or --batch ID")
    if older_than is not None and (not math.isfinite(older_than) or older_than < 0):
        raise Invalid("--older-than needs a number of days, zero or more")
    scope = _scope(app)
    if batch is not None:
        found = app.store.trash_batch(batch, scope)
        batch = found.batch
        question = f"Remove {_what(found.kind, found.name, found.id)} for good?"
        others = _others(found.kind, found.counts)
        if others:
            question = question[:-1] + f" with {_describe(others)}?"
    else:
        question = f"Remove everything deleted more than {older_than:g} days ago for good?"
    if not yes and _stdin_is_tty():
        click.confirm(question, abort=True, err=True)
    counts = app.store.purge(older_than_days=older_than, batch=batch, root_id=scope)
    emit(
        as_json,
        {"purged": counts, "total": sum(counts.values())},
        f"Purged {_describe(counts)} for good" if counts else "Nothing to purge.",
    )


@click.command("history")
@click.option(
    "--limit",
    type=click.IntRange(max=100_000),
    default=50,
    show_default=True,
    metavar="N",
    help="How many events.",
)
@click.option("--kind", metavar="KIND", help="Only events of this kind (e.g. deleted).")
@json_option
@pass_app
def history(app: Any, limit: int, kind: str | None, as_json: bool) -> None:
    """Show the event log, newest first: what was created, completed, deleted, restored.

    Shows every fractal's events, or only one fractal's with --fractal.

    \b
    Example:
      fractal history --limit 20
      fractal history --kind goal_completed --json
    """
    events = app.store.history(_scope(app), limit=limit, kind=kind)
    if as_json:
        emit(True, events, "")
        return
    if not events:
        click.echo("No events yet.")
        return
    for e in events:
        click.echo(f"{local(e.created_at)}  {e.kind:<16}  {e.message}")
