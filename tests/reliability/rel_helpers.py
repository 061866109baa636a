"""Shared helpers of the reliability tests: whole-database snapshots, table checksums and
invariant checks written independently of the store (plain SQL over the models' metadata),
so a bug in the store's own `check_invariants` cannot hide a broken rule.
"""

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from fractal_tui.models import MODELS, Goal, Ordered, RootScoped, SoftDeletable

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

# Tables the schema owns besides the models' (never compared row by row).
VERSION_TABLE = "alembic_version"


def model_tables() -> list[str]:
    """The models' tables, parents before children."""
    return [t.name for t in SQLModel.metadata.sorted_tables]


def snapshot(engine: Engine, tables: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Every row of every model table (sorted text), to prove that a failure wrote nothing."""
    names = list(tables) if tables is not None else model_tables()
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for name in names:
            rows = conn.exec_driver_sql(f'SELECT * FROM "{name}"').all()
            out[name] = sorted(repr(tuple(r)) for r in rows)
    return out


def table_checksums(engine: Engine, tables: Iterable[str] | None = None) -> dict[str, str]:
    """Per table: the row count and a sha256 over the sorted rows (columns in name order).

    ``checksums_on`` compares given columns only, so a table that gained a column (the
    synthetic revision of test_rel_migrations) can be compared on the columns it had before.
    """
    with engine.connect() as conn:
        names = (
            list(tables)
            if tables is not None
            else sorted(set(inspect(conn).get_table_names()) - {VERSION_TABLE})
        )
        out = {}
        for name in names:
            cols = sorted(c["name"] for c in inspect(conn).get_columns(name))
            out[name] = _checksum(conn, name, cols)
    return out


def checksums_on(engine: Engine, columns: dict[str, Sequence[str]]) -> dict[str, str]:
    """Like table_checksums, on the given columns of each table only."""
    with engine.connect() as conn:
        return {name: _checksum(conn, name, sorted(cols)) for name, cols in columns.items()}


def table_columns(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        insp = inspect(conn)
        return {
            name: [c["name"] for c in insp.get_columns(name)]
            for name in insp.get_table_names()
            if name != VERSION_TABLE
        }


def _checksum(conn: Any, table: str, cols: Sequence[str]) -> str:
    select_list = ", ".join(f'"{c}"' for c in cols)
    rows = sorted(
        repr(tuple(r)) for r in conn.exec_driver_sql(f'SELECT {select_list} FROM "{table}"')
    )
    digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return f"{len(rows)}:{digest[:16]}"


def wipe(engine: Engine) -> None:
    """Delete every row of every model table (children first); the schema stays."""
    with engine.begin() as conn:
        for name in reversed(model_tables()):
            conn.exec_driver_sql(f'DELETE FROM "{name}"')


# --------------------------------------------------------------------------- invariants


def _model_rows(conn: Any, model: type[SQLModel]) -> list[dict[str, Any]]:
    table = model.__table__  # type: ignore[attr-defined]
    return [dict(r._mapping) for r in conn.execute(table.select())]


def invariant_problems(engine: Engine, *, restored: Iterable[str] = ()) -> list[str]:
    """The built-in rules of DESIGN.md, checked row by row in Python. Empty when all hold.

    - root_id: every row's root_id names a live-or-deleted root goal that is its own root,
      equals its parent's root_id (the row named by ``__root_from__``) and the root_id of
      every root-scoped row it points at.
    - soft delete: no visible row hangs under a deleted parent (``__root_from__``), a deleted
      owner (any ``__cascade__`` relation) or a deleted fractal.
    - ordering: sort_order is unique among visible siblings.

    ``restored``: ids of rows a restore brought back; kept for reports, nothing is excused.
    - timers: at most one running interval per session and one unfinished session per
      fractal; a running interval only in an unfinished, unpaused session and for an
      unfinished instance; no interval, session duration or paused time is negative.
    """
    problems: list[str] = []
    with engine.connect() as conn:
        rows = {name: _model_rows(conn, model) for name, model in MODELS.items()}
    by_id = {name: {r["id"]: r for r in rs} for name, rs in rows.items()}
    table_model = {m.__tablename__: name for name, m in MODELS.items()}  # type: ignore[attr-defined]
    goals = by_id["Goal"]

    for name, model in MODELS.items():
        if not issubclass(model, RootScoped):
            continue
        table = model.__table__  # type: ignore[attr-defined]
        for row in rows[name]:
            label = f"{name} {row['id'][:8]}"
            root = goals.get(row["root_id"])
            if root is None:
                problems.append(f"{label}: root_id {row['root_id']!r} names no goal")
                continue
            if root["parent_id"] is not None or root["root_id"] != root["id"]:
                problems.append(f"{label}: root_id names a goal that is not a fractal root")
            visible = "deleted_at" not in row or row["deleted_at"] is None
            if visible and name != "Event" and root["deleted_at"] is not None:
                problems.append(f"{label}: visible in a deleted fractal")
            for column in table.columns:
                for fk in column.foreign_keys:
                    if column.name in ("root_id", "id") or row[column.name] is None:
                        continue
                    target_name = table_model.get(fk.column.table.name)
                    target = by_id.get(target_name or "", {}).get(row[column.name])
                    if target is None:
                        problems.append(f"{label}: {column.name} names a missing row")
                        continue
                    if "root_id" in target and target["root_id"] != row["root_id"]:
                        problems.append(
                            f"{label}: root_id differs from its {column.name}'s ({target_name})"
                        )
            source = getattr(model, "__root_from__", None)
            if source is not None and visible:
                column, parent_name = source
                parent = by_id[parent_name].get(row[column]) if row[column] else None
                if parent is not None and parent.get("deleted_at") is not None:
                    problems.append(f"{label}: visible under a deleted {parent_name}")

    # Visible dependents of deleted owners (the cascade relations).
    for owner_name, owner in MODELS.items():
        for child_name, column in getattr(owner, "__cascade__", ()):
            for child in rows[child_name]:
                if child.get("deleted_at") is not None or child[column] is None:
                    continue
                parent = by_id[owner_name].get(child[column])
                if parent is not None and parent.get("deleted_at") is not None:
                    problems.append(
                        f"{child_name} {child['id'][:8]}: visible while its {owner_name} "
                        f"({column}) is deleted"
                    )

    # Ordering among visible siblings.
    for name, model in MODELS.items():
        if not issubclass(model, Ordered) or not issubclass(model, SoftDeletable):
            continue
        seen: dict[tuple[Any, ...], dict[int, list[str]]] = {}
        for row in rows[name]:
            if row["deleted_at"] is not None:
                continue
            key = tuple(row[c] for c in model.__order_scope__)
            seen.setdefault(key, {}).setdefault(row["sort_order"], []).append(row["id"])
        for key, orders in seen.items():
            for order, ids in orders.items():
                if len(ids) > 1:
                    problems.append(f"{name}: sort_order {order} twice among {key}")

    # Timers and sessions.
    sessions = by_id["PracticeSession"]
    instances = by_id["ActivityInstance"]
    running: dict[str, int] = {}
    for iv in rows["WorkInterval"]:
        if iv["ended_at"] is not None and iv["ended_at"] < iv["started_at"]:
            problems.append(f"interval {iv['id'][:8]} ends before it starts")
        if iv["deleted_at"] is not None or iv["ended_at"] is not None:
            continue
        running[iv["session_id"]] = running.get(iv["session_id"], 0) + 1
        session = sessions.get(iv["session_id"])
        if session is not None and session["completed_at"] is not None:
            problems.append(f"interval {iv['id'][:8]} runs in an ended session")
        if session is not None and session["paused_at"] is not None:
            problems.append(f"interval {iv['id'][:8]} runs in a paused session")
        instance = instances.get(iv["instance_id"])
        if instance is not None and instance["completed_at"] is not None:
            problems.append(f"interval {iv['id'][:8]} runs for a completed instance")
        if instance is not None and instance["session_id"] != iv["session_id"]:
            problems.append(f"interval {iv['id'][:8]} is in another session than its instance")
    problems.extend(
        f"session {sid[:8]} has {n} running timers" for sid, n in running.items() if n > 1
    )
    unfinished: dict[str, int] = {}
    for ses in rows["PracticeSession"]:
        if (ses["duration_seconds"] or 0) < 0 or ses["paused_seconds"] < 0:
            problems.append(f"session {ses['id'][:8]} has a negative duration or pause")
        if ses["ended_at"] is not None and ses["ended_at"] < ses["started_at"]:
            problems.append(f"session {ses['id'][:8]} ends before it starts")
        if ses["deleted_at"] is None and ses["completed_at"] is None:
            unfinished[ses["root_id"]] = unfinished.get(ses["root_id"], 0) + 1
    problems.extend(
        f"fractal {rid[:8]} has {n} unfinished sessions" for rid, n in unfinished.items() if n > 1
    )
    # A root goal is its own root and a child's level ranks below its parent's.
    for g in rows["Goal"]:
        if g["parent_id"] is None and g["root_id"] != g["id"]:
            problems.append(f"root goal {g['id'][:8]} is not its own root")
        parent = goals.get(g["parent_id"]) if g["parent_id"] else None
        if parent is not None and g["level"] <= parent["level"]:
            problems.append(f"goal {g['id'][:8]} does not rank below its parent")
    return problems


def all_problems(engine: Engine, store: Any) -> list[str]:
    """What `fractal db check` looks at, plus the independent checks above."""
    from fractal_tui.db import integrity_check

    return [*invariant_problems(engine), *store.check_invariants(), *integrity_check(engine)]


def visible_goal_tree_ok(engine: Engine) -> None:
    """Every visible goal's ancestors are visible (walks the whole chain)."""
    with engine.connect() as conn:
        goals = {r["id"]: r for r in _model_rows(conn, Goal)}
    for g in goals.values():
        if g["deleted_at"] is not None:
            continue
        seen = set()
        cur = g
        while cur["parent_id"] is not None:
            assert cur["id"] not in seen, "cycle in the goal tree"
            seen.add(cur["id"])
            cur = goals[cur["parent_id"]]
            assert cur["deleted_at"] is None, f"goal {g['id'][:8]} has a deleted ancestor"


# --------------------------------------------------------------------------- processes


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: this checkout importable, no colour, UTC."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.setdefault("TZ", "UTC")
    env["NO_COLOR"] = "1"
    env.pop("FRACTAL_FRACTAL", None)
    env.update(extra)
    return env


def fractal_process(
    args: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float = 60, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """Run the real `fractal` entry point in a child process."""
    return subprocess.run(
        [sys.executable, "-c", "from fractal_tui.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        **kw,
    )
