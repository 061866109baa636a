"""The store's core: one transaction per operation and the rules built in for every table.

Domain modules (goals, activities, sessions, …) are mixins over ``StoreBase`` and use only the
helpers here to insert, update, order, delete and read rows, so root_id, soft deletes,
ordering, audit times and events behave the same for every table.
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Engine, and_, event, func, or_, select, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import ORMExecuteState, Session, aliased, sessionmaker, with_loader_criteria
from sqlmodel import SQLModel

from fractal_tui.clock import Clock, system_clock
from fractal_tui.errors import Conflict, Invalid, NotFound
from fractal_tui.kinds import KIND_NAMES, with_article
from fractal_tui.models import (
    MODELS,
    Audited,
    Event,
    Goal,
    Ordered,
    RootScoped,
    SoftDeletable,
    new_id,
)
from fractal_tui.views import DeleteSummary

M = TypeVar("M", bound=SQLModel)

# Execution option that lets a read see soft-deleted rows (trash, restore, export).
INCLUDE_DELETED = "include_deleted"
# Same name as db.READ_ONLY_OPTION; repeated so the store does not import engine set-up.
READ_ONLY_OPTION = "fractal_read_only"


# Messages for the schema's own guards, so a race that slips past the store's checks
# still reads as a conflict a person understands.
_INDEX_MESSAGES = {
    "uq_sessions_one_unfinished": "this fractal already has an unfinished session; end it first",
    "uq_work_intervals_one_running": "a timer is already running in this session",
    "uq_metric_values_cell": "that value was recorded at the same time by another writer",
    "uq_session_goals_pair": "the session is already linked to that goal",
}


def kind_name(model: type[SQLModel] | str, plural: bool = False) -> str:
    name = model if isinstance(model, str) else model.__name__
    singular, many = KIND_NAMES.get(name, (name.lower(), name.lower() + "s"))
    return many if plural else singular


def _soft_deletable_models() -> list[type[SQLModel]]:
    return [m for m in MODELS.values() if issubclass(m, SoftDeletable)]


# SQLModel mixins carry no columns, so the criteria name each concrete table; built once.
_HIDE_DELETED = [
    with_loader_criteria(m, m.deleted_at.is_(None), include_aliases=True)  # type: ignore[attr-defined]
    for m in _soft_deletable_models()
]
_SCOPED_MODELS = [m for m in MODELS.values() if issubclass(m, RootScoped)]


@lru_cache(maxsize=64)
def _scope_options(root_id: str) -> tuple[Any, ...]:
    """Criteria keeping reads inside one fractal; built once per fractal, not per query."""
    return tuple(
        with_loader_criteria(m, lambda cls: cls.root_id == root_id, include_aliases=True)
        for m in _SCOPED_MODELS
    )


def _hide_deleted_and_scope(state: ORMExecuteState) -> None:
    """Every ORM read hides soft-deleted rows and, inside a fractal, other fractals' rows."""
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    options = []
    if not state.execution_options.get(INCLUDE_DELETED, False):
        options.extend(_HIDE_DELETED)
    root_id = state.session.info.get("root_id")
    if root_id is not None:
        options.extend(_scope_options(root_id))
    if options:
        state.statement = state.statement.options(*options)


class StoreBase:
    """Transactions, built-in rules and shared helpers. Holds no UI."""

    def __init__(self, engine: Engine, clock: Clock = system_clock) -> None:
        self.engine = engine
        self.clock = clock
        self._sessions = sessionmaker(engine, class_=Session, expire_on_commit=False)
        # Reads begin a plain transaction on SQLite, so `fractal status` in a shell prompt
        # never waits for (or takes) the write lock.
        self._read_sessions = sessionmaker(
            engine.execution_options(**{READ_ONLY_OPTION: True}),
            class_=Session,
            expire_on_commit=False,
        )
        for maker in (self._sessions, self._read_sessions):
            event.listen(maker, "do_orm_execute", _hide_deleted_and_scope)

    # --- unit of work ------------------------------------------------------------------

    @contextmanager
    def _tx(self, root_id: str | None = None) -> Iterator[Session]:
        """One transaction: commits on success, rolls back everything on any error."""
        with self._sessions() as s:
            if root_id is not None:
                s.info["root_id"] = root_id
            try:
                yield s
                s.commit()
            except IntegrityError as exc:
                s.rollback()
                raise Conflict(_integrity_message(exc)) from exc
            except BaseException:
                s.rollback()
                raise

    @contextmanager
    def _read(self, root_id: str | None = None) -> Iterator[Session]:
        """A read-only unit of work (rolled back at the end)."""
        with self._read_sessions() as s:
            if root_id is not None:
                s.info["root_id"] = root_id
            try:
                yield s
            finally:
                s.rollback()

    def now(self) -> datetime:
        when = self.clock()
        if when.tzinfo is None:
            raise ValueError("the store's clock must return timezone-aware times")
        return when

    # --- reading -----------------------------------------------------------------------

    def _get(
        self, s: Session, model: type[M], row_id: str | None, *, include_deleted: bool = False
    ) -> M:
        """A row by exact id (live unless asked), or NotFound."""
        row = None
        if row_id:
            stmt = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
            opts = {INCLUDE_DELETED: True} if include_deleted else {}
            row = s.execute(stmt, execution_options=opts).scalars().first()
        if row is None:
            raise NotFound(f"no {kind_name(model)} with id {row_id!r}")
        return row

    def _list(
        self, s: Session, model: type[M], *where: Any, include_deleted: bool = False
    ) -> list[M]:
        stmt = select(model).where(*where)
        if issubclass(model, Ordered):
            stmt = stmt.order_by(model.sort_order, model.created_at)  # type: ignore[attr-defined]
        elif issubclass(model, Audited):
            stmt = stmt.order_by(model.created_at)  # type: ignore[attr-defined]
        opts = {INCLUDE_DELETED: True} if include_deleted else {}
        return list(s.execute(stmt, execution_options=opts).scalars())

    def _resolve(
        self,
        s: Session,
        model: type[M],
        ref: str,
        *where: Any,
        name_attr: str = "name",
    ) -> M:
        """A row by id, unique id prefix (4+ characters), exact name (case-insensitive), or
        else a unique name prefix (3+ characters).

        An ambiguous name is an error that lists the candidates.
        """
        ref = (ref or "").strip()
        if not ref:
            raise Invalid(
                f"name {with_article(kind_name(model))} (its id, an id prefix or its name)"
            )
        col_id = model.id  # type: ignore[attr-defined]
        row = s.execute(select(model).where(col_id == ref, *where)).scalars().first()
        if row is not None:
            return row
        matches: list[M] = []
        if len(ref) >= 4:
            matches = list(
                s.execute(
                    select(model).where(_starts_with(col_id, ref), *where).limit(10)
                ).scalars()
            )
        name_col = getattr(model, name_attr)
        if not matches:
            matches = list(
                s.execute(
                    select(model).where(func.lower(name_col) == ref.lower(), *where).limit(10)
                ).scalars()
            )
        if not matches and len(ref) >= 3:
            # People type "Hanon" for "Hanon exercises": a unique name prefix is enough.
            matches = list(
                s.execute(
                    select(model)
                    .where(_starts_with(func.lower(name_col), ref.lower()), *where)
                    .limit(10)
                ).scalars()
            )
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFound(f"no {kind_name(model)} matches {ref!r}")
        listed = "; ".join(f"{getattr(m, name_attr)} (id {m.id[:8]})" for m in matches)  # type: ignore[attr-defined]
        raise Invalid(
            f"{ref!r} matches {len(matches)} {kind_name(model, plural=True)}: {listed}. "
            "Use an id prefix instead."
        )

    def _fractal_root(self, s: Session, root_id: str) -> Goal:
        goal = self._get(s, Goal, root_id)
        if goal.parent_id is not None:
            raise Invalid(f"{goal.name!r} is not a fractal (it is a goal inside one)")
        return goal

    # --- writing -----------------------------------------------------------------------

    def _insert(self, s: Session, row: M, *, root_id: str | None = None) -> M:
        """Add a row with its built-in fields: root_id, sort_order, audit times."""
        now = self.now()
        if isinstance(row, (Audited, Event)):
            row.created_at = now
        if isinstance(row, Audited):
            row.updated_at = now
        if isinstance(row, Event):
            row.root_id = root_id or row.root_id  # the log may speak of a deleted fractal
        elif isinstance(row, RootScoped):
            row.root_id = self._derive_root(s, row, root_id)
            self._check_links(s, row)
        if isinstance(row, Ordered):
            row.sort_order = self._next_sort_order(s, row)
        s.add(row)
        s.flush()
        return row

    def _update(self, s: Session, row: M, **changes: Any) -> M:
        """Change fields, touch updated_at, and re-check cross-fractal links."""
        changed = False
        for key, value in changes.items():
            if getattr(row, key) != value:
                setattr(row, key, value)
                changed = True
        if changed:
            if isinstance(row, Audited):
                row.updated_at = self.now()
            if isinstance(row, RootScoped):
                self._check_links(s, row, only=set(changes))
            s.add(row)
            s.flush()
        return row

    def _derive_root(self, s: Session, row: RootScoped, given: str | None) -> str:
        source = type(row).__root_from__
        if source is None:
            if not given:
                raise Invalid(f"{with_article(kind_name(type(row)))} needs a fractal")
            return self._fractal_root(s, given).id
        column, model_name = source
        parent_id = getattr(row, column)
        if parent_id is None:
            if isinstance(row, Goal):
                return row.id  # a root goal is its own fractal
            raise Invalid(
                f"{with_article(kind_name(type(row)))} needs its {column.removesuffix('_id')}"
            )
        parent = self._get(s, MODELS[model_name], parent_id)
        root = parent.root_id  # type: ignore[attr-defined]
        if given and given != root:
            raise Invalid(f"that {kind_name(MODELS[model_name])} belongs to another fractal")
        return root

    def _check_links(self, s: Session, row: RootScoped, only: set[str] | None = None) -> None:
        """Every row a row points at must be live and in the same fractal."""
        table = type(row).__table__  # type: ignore[attr-defined]
        for column in table.columns:
            if column.name in ("id", "root_id") or (only is not None and column.name not in only):
                continue
            for fk in column.foreign_keys:
                value = getattr(row, column.name)
                if value is None:
                    continue
                target = _model_for_table(fk.column.table.name)
                if target is None or not issubclass(target, RootScoped):
                    continue
                parent = self._get(s, target, value)
                if parent.root_id != row.root_id:  # type: ignore[attr-defined]
                    raise Invalid(f"that {kind_name(target)} belongs to another fractal")

    def _next_sort_order(self, s: Session, row: Ordered) -> int:
        scope = [
            getattr(type(row), col) == getattr(row, col)
            if getattr(row, col) is not None
            else getattr(type(row), col).is_(None)
            for col in type(row).__order_scope__
        ]
        current = s.execute(select(func.max(type(row).sort_order)).where(*scope)).scalar()
        return 0 if current is None else current + 1

    def _siblings(self, s: Session, row: Ordered) -> list[Any]:
        model = type(row)
        scope = [
            getattr(model, col) == getattr(row, col)
            if getattr(row, col) is not None
            else getattr(model, col).is_(None)
            for col in model.__order_scope__
        ]
        return self._list(s, model, *scope)

    def _reorder(self, s: Session, rows: Sequence[Ordered]) -> None:
        """Write sort_order 0..n-1 in the given order, touching only rows that change."""
        for index, sibling in enumerate(rows):
            if sibling.sort_order != index:
                self._update(s, sibling, sort_order=index)

    def _move(self, s: Session, row: Ordered, offset: int) -> bool:
        """Move a row up (negative) or down among its siblings; False at either end."""
        siblings = self._siblings(s, row)
        ids = [r.id for r in siblings]  # type: ignore[attr-defined]
        index = ids.index(row.id)  # type: ignore[attr-defined]
        new_index = max(0, min(len(siblings) - 1, index + offset))
        if new_index == index:
            return False
        siblings.insert(new_index, siblings.pop(index))
        self._reorder(s, siblings)
        return True

    def _place(self, s: Session, row: Ordered, *, before: Any = None, after: Any = None) -> None:
        """Put a row just before or after a sibling."""
        anchor = before if before is not None else after
        siblings = [r for r in self._siblings(s, row) if r.id != row.id]  # type: ignore[attr-defined]
        ids = [r.id for r in siblings]
        if anchor.id not in ids:
            raise Invalid(f"{getattr(anchor, 'name', 'that row')!r} is not a sibling")
        index = ids.index(anchor.id) + (0 if before is not None else 1)
        siblings.insert(index, row)
        self._reorder(s, siblings)

    def _set_order(self, s: Session, rows: Sequence[Ordered], ids: Sequence[str]) -> None:
        """Reorder siblings to match ids (which must name each sibling exactly once)."""
        by_id = {r.id: r for r in rows}  # type: ignore[attr-defined]
        if sorted(ids) != sorted(by_id):
            raise Invalid("a new order must name each item exactly once")
        self._reorder(s, [by_id[i] for i in ids])

    # --- hooks: the practice loop calls these; the targets mixin overrides them ----------

    def _on_instance_completed(self, s: Session, instance: Any) -> None:
        """An activity instance was completed (or its completion was undone)."""

    def _on_values_changed(self, s: Session, instance: Any) -> None:
        """Metric values or sets of an instance changed."""

    def _on_session_ended(self, s: Session, session: Any) -> None:
        """A session was completed."""

    def _on_practice_removed(self, s: Session, root_id: str) -> None:
        """Instances or sessions were deleted (targets they met may no longer be met)."""

    # --- events ------------------------------------------------------------------------

    def _event(
        self,
        s: Session,
        root_id: str,
        kind: str,
        row: Any = None,
        message: str = "",
        batch: str | None = None,
    ) -> None:
        self._insert(
            s,
            Event(
                root_id=root_id,
                kind=kind,
                entity_type=type(row).__name__ if row is not None else "",
                entity_id=getattr(row, "id", None),
                message=message,
                batch=batch,
            ),
            root_id=root_id,
        )

    # --- soft delete, restore, purge ---------------------------------------------------

    def _soft_delete(self, s: Session, row: SoftDeletable) -> DeleteSummary:
        """Delete a row and its dependents in one batch with one timestamp."""
        batch, now = new_id(), self.now()
        counts: Counter[str] = Counter()
        if isinstance(row, Goal) and row.parent_id is None:
            self._delete_fractal_rows(s, row.id, now, batch, counts)
        else:
            self._cascade(s, row, now, batch, counts)
        s.flush()
        return _summary(batch, now, row, counts)

    def _cascade(
        self, s: Session, row: SoftDeletable, now: datetime, batch: str, counts: Counter[str]
    ) -> None:
        row.deleted_at = now
        row.delete_batch = batch
        if isinstance(row, Audited):
            row.updated_at = now
        s.add(row)
        counts[type(row).__name__] += 1
        for model_name, column in type(row).__cascade__:
            child_model = MODELS[model_name]
            for child in self._list(s, child_model, getattr(child_model, column) == row.id):  # type: ignore[arg-type]
                if child.deleted_at is None:  # type: ignore[attr-defined]
                    self._cascade(s, child, now, batch, counts)  # type: ignore[arg-type]

    def _delete_fractal_rows(
        self, s: Session, root_id: str, now: datetime, batch: str, counts: Counter[str]
    ) -> None:
        # A whole fractal: one bulk update per table instead of walking every row.
        for model in MODELS.values():
            if not issubclass(model, SoftDeletable):
                continue
            live = and_(model.root_id == root_id, model.deleted_at.is_(None))  # type: ignore[attr-defined]
            n = s.execute(select(func.count()).select_from(model).where(live)).scalar() or 0
            if n:
                s.execute(
                    update(model)
                    .where(live)
                    .values(deleted_at=now, delete_batch=batch, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                counts[model.__name__] += n
        s.expire_all()

    def _delete_preview(self, s: Session, row: SoftDeletable) -> DeleteSummary:
        """What a delete would take with it, computed by doing it and rolling back."""
        nested = s.begin_nested()
        try:
            return self._soft_delete(s, row)
        finally:
            nested.rollback()
            s.expire_all()

    def _restore_batch(self, s: Session, batch: str) -> dict[str, int]:
        """Bring back exactly the rows of one delete batch."""
        restored: dict[type[SQLModel], list[str]] = {}
        now = self.now()
        for model in MODELS.values():
            if not issubclass(model, SoftDeletable):
                continue
            in_batch = model.delete_batch == batch  # type: ignore[attr-defined]
            ids = list(
                s.execute(
                    select(model.id).where(in_batch),  # type: ignore[attr-defined]
                    execution_options={INCLUDE_DELETED: True},
                ).scalars()
            )
            if not ids:
                continue
            restored[model] = ids
            s.execute(
                update(model)
                .where(in_batch)
                .values(deleted_at=None, delete_batch=None, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        s.flush()
        s.expire_all()
        if not restored:
            raise NotFound(f"nothing in the trash belongs to batch {batch!r}")
        problem = self._restored_parent_problem(s, restored)
        if problem:
            raise Conflict(problem)
        self._restored_order_fix(s, restored)
        return {m.__name__: len(ids) for m, ids in restored.items()}

    def _restored_order_fix(self, s: Session, restored: dict[type[SQLModel], list[str]]) -> None:
        """A restored row whose place a newer sibling took goes last, so orders stay unique."""
        for model, ids in restored.items():
            if not issubclass(model, Ordered):
                continue
            for row in self._list(s, model, model.id.in_(ids)):  # type: ignore[attr-defined]
                clash = [
                    r
                    for r in self._siblings(s, row)
                    if r.sort_order == row.sort_order and r.id != row.id
                ]
                if clash:
                    self._update(s, row, sort_order=self._next_sort_order(s, row))

    def _restored_parent_problem(
        self, s: Session, restored: dict[type[SQLModel], list[str]]
    ) -> str | None:
        """A restored row may not hang under a row, or sit in a fractal, that is still deleted."""
        for model, ids in restored.items():
            if not issubclass(model, RootScoped):
                continue
            root = Goal.__table__.alias()  # type: ignore[attr-defined]
            table = model.__table__  # type: ignore[attr-defined]
            dead_root = s.execute(
                select(root.c.name)
                .select_from(table.join(root, root.c.id == table.c.root_id))
                .where(table.c.id.in_(ids), root.c.deleted_at.is_not(None))
                .limit(1)
            ).scalar()
            if dead_root is not None:
                return (
                    f"cannot restore this on its own: its fractal {dead_root!r} is deleted; "
                    "restore the fractal first"
                )
        for model, ids in restored.items():
            source = getattr(model, "__root_from__", None)
            if source is None:
                continue
            column, parent_name = source
            parent_model = MODELS[parent_name]
            child = aliased(model)  # goals hang under goals: alias the child side
            stmt = (
                select(parent_model)
                .join(child, getattr(child, column) == parent_model.id)  # type: ignore[attr-defined]
                .where(
                    parent_model.deleted_at.is_not(None),  # type: ignore[attr-defined]
                    child.id.in_(ids),  # type: ignore[attr-defined]
                )
                .limit(1)
            )
            parent = s.execute(stmt, execution_options={INCLUDE_DELETED: True}).scalars().first()
            if parent is not None:
                name = getattr(parent, "name", "") or parent.id  # type: ignore[attr-defined]
                return (
                    f"cannot restore this on its own: its {kind_name(parent_model)} "
                    f"{name!r} is deleted too; restore that first"
                )
        return None

    def _purge(self, s: Session, where: Any) -> dict[str, int]:
        """Remove deleted rows for good, children first; rows still referenced stay.

        ``where`` maps a model to an extra condition (age, batch). A row that a live row
        still points at (a removed metric with recorded values) is kept.
        """
        counts: Counter[str] = Counter()
        tables = list(reversed(SQLModel.metadata.sorted_tables))
        for _round in range(20):  # self-references (goal trees) need a few passes
            removed = 0
            for table in tables:
                model = _model_for_table(table.name)
                if model is None or not issubclass(model, SoftDeletable):
                    continue
                cond = [table.c.deleted_at.is_not(None), where(model)]
                for ref_table, ref_col in _references_to(table.name):
                    ref = ref_table.alias()
                    sub = select(ref.c.id).where(ref.c[ref_col] == table.c.id)
                    if ref_table is table:
                        sub = sub.where(ref.c.id != table.c.id)  # a root is its own root
                    cond.append(~sub.exists())
                if model is Goal:
                    # A fractal's log points at its root goal and goes with it.
                    roots = select(table.c.id).where(*cond, table.c.parent_id.is_(None))
                    s.execute(sql_delete(Event).where(Event.root_id.in_(roots)))  # type: ignore[attr-defined]
                result = s.execute(sql_delete(table).where(*cond))
                if result.rowcount:
                    counts[model.__name__] += result.rowcount
                    removed += result.rowcount
            if not removed:
                break
        s.expire_all()
        return dict(counts)

    # --- invariants --------------------------------------------------------------------

    def check_invariants(self) -> list[str]:
        """Problems with the built-in rules, as sentences; empty when all is well."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            for model in MODELS.values():
                if not issubclass(model, RootScoped):
                    continue
                table = model.__table__  # type: ignore[attr-defined]
                label = kind_name(model, plural=True)
                n = conn.execute(
                    select(func.count()).select_from(table).where(table.c.root_id.is_(None))
                ).scalar()
                if n:
                    problems.append(f"{n} {label} have no root_id")
                for column in table.columns:
                    if column.name in ("id",):
                        continue
                    for fk in column.foreign_keys:
                        target = fk.column.table
                        if "root_id" not in target.c:
                            continue
                        t = target.alias()
                        base = (
                            select(func.count())
                            .select_from(table.outerjoin(t, t.c.id == column))
                            .where(column.is_not(None))
                        )
                        orphans = conn.execute(base.where(t.c.id.is_(None))).scalar()
                        if orphans:
                            problems.append(
                                f"{orphans} {label} point at a missing row through {column.name}"
                            )
                        if column.name != "root_id":
                            wrong = conn.execute(
                                base.where(t.c.id.is_not(None), t.c.root_id != table.c.root_id)
                            ).scalar()
                            if wrong:
                                problems.append(
                                    f"{wrong} {label} have a root_id different from their "
                                    f"{column.name.removesuffix('_id')}'s"
                                )
                        if (
                            column.name != "root_id"
                            and "deleted_at" in table.c
                            and "deleted_at" in target.c
                            and model.__root_from__ is not None
                            and model.__root_from__[0] == column.name
                        ):
                            hidden = conn.execute(
                                base.where(
                                    table.c.deleted_at.is_(None), t.c.deleted_at.is_not(None)
                                )
                            ).scalar()
                            if hidden:
                                problems.append(
                                    f"{hidden} visible {label} hang under a deleted "
                                    f"{column.name.removesuffix('_id')}"
                                )
            goals = Goal.__table__  # type: ignore[attr-defined]
            n = conn.execute(
                select(func.count())
                .select_from(goals)
                .where(goals.c.parent_id.is_(None), goals.c.root_id != goals.c.id)
            ).scalar()
            if n:
                problems.append(f"{n} root goals are not their own root")
            problems.extend(_duplicate_checks(conn))
        return problems


# --- helpers -----------------------------------------------------------------------------


def _starts_with(column: Any, prefix: str) -> Any:
    """column LIKE 'prefix%' with LIKE's wildcards in the prefix taken literally."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig)
    for index, message in _INDEX_MESSAGES.items():
        if index in text:
            return message
    lowered = text.lower()
    if "unique" in lowered and "sessions" in lowered and "root_id" in lowered:
        return _INDEX_MESSAGES["uq_sessions_one_unfinished"]
    if "unique" in lowered and "work_intervals" in lowered:
        return _INDEX_MESSAGES["uq_work_intervals_one_running"]
    if "foreign key" in lowered:
        return "that would leave a row pointing at something that does not exist"
    if "check constraint" in lowered or "violates check" in lowered:
        return f"a value breaks a rule of the schema ({text.splitlines()[0]})"
    return f"the change clashes with the data already there ({text.splitlines()[0]})"


def _summary(batch: str, when: datetime, row: Any, counts: Counter[str]) -> DeleteSummary:
    return DeleteSummary(
        batch=batch,
        deleted_at=when,
        kind=kind_name(type(row)),
        id=row.id,
        name=getattr(row, "name", "") or "",
        counts={kind_name(k, plural=True): v for k, v in counts.items()},
    )


def describe_counts(counts: dict[str, int]) -> str:
    """'4 goals and 2 targets' for a confirmation or a toast."""
    parts = [f"{n} {name if n != 1 else _singular(name)}" for name, n in counts.items() if n]
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _singular(plural: str) -> str:
    for singular, many in KIND_NAMES.values():
        if many == plural:
            return singular
    return plural


def _model_for_table(table_name: str) -> type[SQLModel] | None:
    for model in MODELS.values():
        if model.__tablename__ == table_name:  # type: ignore[attr-defined]
            return model
    return None


def _references_to(table_name: str) -> Iterable[tuple[Any, str]]:
    """(table, column) pairs whose foreign keys point at table_name; the event log aside."""
    for table in SQLModel.metadata.sorted_tables:
        if table.name == Event.__tablename__:
            continue
        for column in table.columns:
            for fk in column.foreign_keys:
                if fk.column.table.name == table_name:
                    yield table, column.name


def _duplicate_checks(conn: Any) -> list[str]:
    from fractal_tui.models import PracticeSession, WorkInterval

    problems = []
    wi = WorkInterval.__table__  # type: ignore[attr-defined]
    running = conn.execute(
        select(wi.c.session_id)
        .where(wi.c.ended_at.is_(None), wi.c.deleted_at.is_(None))
        .group_by(wi.c.session_id)
        .having(func.count() > 1)
    ).all()
    if running:
        problems.append(f"{len(running)} sessions have more than one running timer")
    negative = conn.execute(
        select(func.count()).select_from(wi).where(wi.c.ended_at < wi.c.started_at)
    ).scalar()
    if negative:
        problems.append(f"{negative} timer intervals end before they start")
    ps = PracticeSession.__table__  # type: ignore[attr-defined]
    open_ = conn.execute(
        select(ps.c.root_id)
        .where(ps.c.completed_at.is_(None), ps.c.deleted_at.is_(None))
        .group_by(ps.c.root_id)
        .having(func.count() > 1)
    ).all()
    if open_:
        problems.append(f"{len(open_)} fractals have more than one unfinished session")
    bad = conn.execute(
        select(func.count())
        .select_from(ps)
        .where(or_(ps.c.duration_seconds < 0, ps.c.paused_seconds < 0))
    ).scalar()
    if bad:
        problems.append(f"{bad} sessions have a negative duration or paused time")
    return problems


def older_than(days: float, now: datetime) -> Any:
    """A purge filter: rows deleted more than `days` ago."""
    cutoff = now - timedelta(days=days)
    return lambda model: model.deleted_at <= cutoff
