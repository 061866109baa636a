"""Deleting by kind, the trash (grouped by delete batch), restore, purge and the event log."""

import math
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fractal_tui.errors import Invalid, NotFound
from fractal_tui.models import MODELS, Event, Goal, SoftDeletable
from fractal_tui.store.base import INCLUDE_DELETED, StoreBase, kind_name, older_than
from fractal_tui.views import DeleteSummary, EventView, TrashBatch, from_row

# Kinds a person may name in `fractal delete KIND ITEM`, mapped to model names.
DELETABLE_KINDS = {
    "fractal": "Goal",
    "goal": "Goal",
    "group": "ActivityGroup",
    "activity": "Activity",
    "session": "PracticeSession",
    "instance": "ActivityInstance",
    "set": "ActivitySet",
    "target": "Target",
    "template": "SessionTemplate",
    "note": "Note",
}


class TrashMixin(StoreBase):
    def _deletable(self, s: Session, kind: str, ref: str, root_id: str | None) -> SoftDeletable:
        model_name = DELETABLE_KINDS.get(kind.lower())
        if model_name is None:
            raise Invalid(f"cannot delete a {kind!r}; kinds: {', '.join(DELETABLE_KINDS)}")
        model = MODELS[model_name]
        where = []
        if kind.lower() == "fractal":
            where.append(Goal.parent_id.is_(None))
        name_attr = "name" if hasattr(model, "name") else "id"
        if name_attr == "id":
            return self._get(s, model, ref)  # type: ignore[return-value]
        return self._resolve(s, model, ref, *where, name_attr=name_attr)  # type: ignore[return-value]

    def delete(self, kind: str, ref: str, root_id: str | None = None) -> DeleteSummary:
        """Soft-delete one row of a kind (and what depends on it) in one batch."""
        with self._tx(None if kind.lower() == "fractal" else root_id) as s:
            row = self._deletable(s, kind, ref, root_id)
            hook = getattr(self, f"_before_delete_{type(row).__name__}", None)
            if hook is not None:
                hook(s, row)
            summary = self._soft_delete(s, row)
            name = getattr(row, "name", "") or row.id  # type: ignore[attr-defined]
            self._event(
                s,
                row.root_id,  # type: ignore[attr-defined]
                "deleted",
                row,
                f"deleted {kind_name(type(row))} {name!r} with {summary.describe()}",
                batch=summary.batch,
            )
            return summary

    def preview_delete(self, kind: str, ref: str, root_id: str | None = None) -> DeleteSummary:
        """What `delete` would take with it, without deleting."""
        with self._tx(None if kind.lower() == "fractal" else root_id) as s:
            return self._delete_preview(s, self._deletable(s, kind, ref, root_id))

    def trash(self, root_id: str | None = None) -> list[TrashBatch]:
        """Deleted rows grouped by delete batch, newest first."""
        batches: dict[str, dict[str, int]] = {}
        first: dict[str, tuple[datetime, str, str, str, str]] = {}
        with self._read(root_id) as s:
            for model in MODELS.values():
                if not issubclass(model, SoftDeletable):
                    continue
                rows = s.execute(
                    select(model.delete_batch, func.count(), func.min(model.deleted_at))  # type: ignore[attr-defined]
                    .where(model.delete_batch.is_not(None))  # type: ignore[attr-defined]
                    .group_by(model.delete_batch),  # type: ignore[attr-defined]
                    execution_options={INCLUDE_DELETED: True},
                ).all()
                for batch, count, _ in rows:
                    batches.setdefault(batch, {})[kind_name(model, plural=True)] = count
            for batch in batches:
                event = (
                    s.execute(
                        select(Event).where(Event.batch == batch, Event.kind.in_(_DELETE_KINDS))
                    )
                    .scalars()
                    .first()
                )
                if event is None:
                    continue
                first[batch] = (
                    event.created_at,
                    event.root_id,
                    kind_name(event.entity_type) if event.entity_type else "",
                    event.entity_id or "",
                    _name_of(s, event),
                )
        out = [
            TrashBatch(
                batch=b,
                deleted_at=first[b][0],
                root_id=first[b][1],
                kind=first[b][2],
                id=first[b][3],
                name=first[b][4],
                counts=counts,
            )
            for b, counts in batches.items()
            if b in first
        ]
        return sorted(out, key=lambda t: t.deleted_at, reverse=True)

    def trash_batch(self, ref: str, root_id: str | None = None) -> TrashBatch:
        """One batch of the trash, named by its id, an id prefix or the id of a row in it."""
        ref = (ref or "").strip()
        if not ref:
            raise Invalid("name a batch of the trash: its id, or the id of a deleted row")
        with self._read(root_id) as s:
            batch = self._find_batch(s, ref)
        for item in self.trash(root_id):
            if item.batch == batch:
                return item
        raise NotFound(f"nothing in the trash matches {ref!r}")

    def restore(self, ref: str, root_id: str | None = None) -> dict[str, int]:
        """Bring back a delete batch, named by its batch id or any row deleted in it."""
        ref = (ref or "").strip()
        if not ref:
            raise Invalid("name what to restore: a batch id, or the id of a deleted row")
        with self._tx(root_id) as s:
            batch = self._find_batch(s, ref)
            counts = self._restore_batch(s, batch)
            event = (
                s.execute(select(Event).where(Event.batch == batch, Event.kind.in_(_DELETE_KINDS)))
                .scalars()
                .first()
            )
            root = event.root_id if event else self._batch_root(s, batch)
            what = ", ".join(f"{n} {kind_name(k, plural=n != 1)}" for k, n in counts.items())
            self._event(s, root, "restored", None, f"restored {what}", batch=batch)
            return {kind_name(k, plural=True): n for k, n in counts.items()}

    def _find_batch(self, s: Session, ref: str) -> str:
        opts = {INCLUDE_DELETED: True}
        for model in MODELS.values():
            if not issubclass(model, SoftDeletable):
                continue
            batch = s.execute(
                select(model.delete_batch)  # type: ignore[attr-defined]
                .where(model.delete_batch.is_not(None))  # type: ignore[attr-defined]
                .where((model.delete_batch == ref) | (model.id == ref))  # type: ignore[attr-defined]
                .limit(1),
                execution_options=opts,
            ).scalar()
            if batch:
                return batch
        if len(ref) >= 4:
            matches: set[str] = set()
            for model in MODELS.values():
                if not issubclass(model, SoftDeletable):
                    continue
                matches.update(
                    s.execute(
                        select(model.delete_batch)  # type: ignore[attr-defined]
                        .where(model.delete_batch.is_not(None))  # type: ignore[attr-defined]
                        .where(
                            model.delete_batch.startswith(ref, autoescape=True)  # type: ignore[attr-defined]
                            | model.id.startswith(ref, autoescape=True)  # type: ignore[attr-defined]
                        ),
                        execution_options=opts,
                    ).scalars()
                )
            if len(matches) == 1:
                return matches.pop()
            if len(matches) > 1:
                raise Invalid(
                    f"{ref!r} matches {len(matches)} deleted batches; give more of the id"
                )
        raise NotFound(f"nothing in the trash matches {ref!r}")

    def _batch_root(self, s: Session, batch: str) -> str:
        for model in MODELS.values():
            if issubclass(model, SoftDeletable):
                root = s.execute(
                    select(model.root_id).where(model.delete_batch == batch).limit(1)  # type: ignore[attr-defined]
                ).scalar()
                if root:
                    return root
        raise NotFound(f"nothing in the trash belongs to batch {batch!r}")

    def purge(
        self,
        *,
        older_than_days: float | None = None,
        batch: str | None = None,
        root_id: str | None = None,
    ) -> dict[str, int]:
        """Remove deleted rows for good: those deleted more than N days ago, or one batch."""
        if (older_than_days is None) == (batch is None):
            raise Invalid("purge needs either an age in days or a batch")
        if older_than_days is not None and (
            not math.isfinite(older_than_days) or older_than_days < 0
        ):
            raise Invalid("the age for purge must be a number of days, zero or more")
        with self._tx(root_id) as s:
            if batch is not None:
                batch_id = self._find_batch(s, batch)
                counts = self._purge(s, lambda m: m.delete_batch == batch_id)
            else:
                try:
                    where = older_than(older_than_days or 0, self.now())
                except OverflowError:  # older than the calendar: nothing is that old
                    return {}
                counts = self._purge(s, where)
            return {kind_name(k, plural=True): n for k, n in counts.items()}

    def history(
        self, root_id: str | None = None, *, limit: int = 50, kind: str | None = None
    ) -> list[EventView]:
        """The event log, newest first."""
        if limit < 1:
            raise Invalid("the limit must be at least 1")
        if limit > MAX_HISTORY:
            raise Invalid(f"the limit can be at most {MAX_HISTORY:,}")
        with self._read(root_id) as s:
            stmt = select(Event).order_by(Event.created_at.desc(), Event.id).limit(limit)
            if kind:
                stmt = stmt.where(Event.kind == kind)
            return [from_row(EventView, e) for e in s.execute(stmt).scalars()]


_DELETE_KINDS = ("deleted", "fractal_deleted")
# Events one history read returns at most (a LIMIT must fit the database integer).
MAX_HISTORY = 100_000


def _name_of(s: Session, event: Event) -> str:
    model = MODELS.get(event.entity_type)
    if model is None or not event.entity_id:
        return ""
    row = (
        s.execute(
            select(model).where(model.id == event.entity_id),  # type: ignore[attr-defined]
            execution_options={INCLUDE_DELETED: True},
        )
        .scalars()
        .first()
    )
    return getattr(row, "name", "") if row is not None else ""


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
