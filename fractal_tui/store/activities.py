"""Activity groups, activities, metric and split definitions.

The rules, checked before anything is written (so a rejection leaves the database as it was):

- An activity has a name (no control characters), an optional group, a description,
  ``has_sets``, ``has_splits`` and ``metrics_multiplicative`` (offer the product of the metrics
  marked ``is_multiplicative``, e.g. weight x reps). Names need not be unique.
- At most 3 metrics, each with a name and a unit; metric names differ within an activity
  (case-insensitive); at most one metric is ``is_best_set``.
- Splits: none, or 2 to 5 with different names, in order. ``has_splits`` is derived: it is
  true exactly when the activity has splits (callers never pass it).
- Editing: a given list of metrics or splits is the full new list. Items with an id keep that
  row (and every value recorded against it), items without one are created, rows left out are
  soft-deleted, never hard-deleted (recorded values keep pointing at them, and purge keeps a
  row that is still referenced). The order of the list becomes the order of the rows.
- Groups are ordered; deleting one (``store.delete("group", …)``) soft-deletes it and leaves
  its activities ungrouped, last among the ungrouped ones.
- Lists: groups in their order, activities in their order within a group, ungrouped last.
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fractal_tui.errors import Invalid, NotFound
from fractal_tui.models import (
    Activity,
    ActivityGroup,
    ActivityInstance,
    MetricDefinition,
    SplitDefinition,
    WorkInterval,
)
from fractal_tui.store.base import StoreBase
from fractal_tui.views import (
    ActivityView,
    DeleteSummary,
    GroupView,
    MetricSpec,
    MetricView,
    SplitSpec,
    SplitView,
    from_row,
)

_UNSET: Any = object()

MAX_METRICS = 3
MIN_SPLITS = 2
MAX_SPLITS = 5
NAME_LIMITS = {"activity": 200, "group": 200, "metric": 100, "split": 100, "unit": 50}


# --- pure checks ------------------------------------------------------------------------------


def clean_name(value: str | None, what: str, *, label: str | None = None) -> str:
    """A stripped name, or Invalid: empty, too long or with control characters."""
    text = (value or "").strip()
    label = label or f"{'an' if what[0] in 'aeiou' else 'a'} {what}"
    if not text:
        raise Invalid(f"{label} needs a name" if what != "unit" else f"{label} needs a unit")
    limit = NAME_LIMITS.get(what, 200)
    if len(text) > limit:
        raise Invalid(f"{label}: the {_field(what)} can be at most {limit} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise Invalid(f"{label}: the {_field(what)} cannot contain control characters")
    return text


def _field(what: str) -> str:
    return "unit" if what == "unit" else "name"


def check_metrics(metrics: Sequence[MetricSpec]) -> list[MetricSpec]:
    """The metrics cleaned (names and units stripped), or Invalid naming the broken rule."""
    metrics = list(metrics)
    if len(metrics) > MAX_METRICS:
        names = ", ".join(repr((m.name or "").strip()) for m in metrics)
        raise Invalid(
            f"an activity can have at most {MAX_METRICS} metrics; got {len(metrics)} ({names})"
        )
    cleaned: list[MetricSpec] = []
    for index, spec in enumerate(metrics, start=1):
        label = f"metric {index}"
        name = clean_name(spec.name, "metric", label=label)
        unit = clean_name(spec.unit, "unit", label=f"metric {name!r}")
        cleaned.append(
            MetricSpec(
                name=name,
                unit=unit,
                is_best_set=bool(spec.is_best_set),
                is_multiplicative=bool(spec.is_multiplicative),
                higher_is_better=bool(spec.higher_is_better),
                id=spec.id or None,
            )
        )
    _no_duplicates([m.name for m in cleaned], "metrics")
    best = [m.name for m in cleaned if m.is_best_set]
    if len(best) > 1:
        listed = " and ".join(repr(n) for n in best)
        raise Invalid(f"only one metric can pick the best set; {listed} are both marked best")
    _no_duplicate_ids([m.id for m in cleaned], "metric")
    return cleaned


def check_splits(splits: Sequence[SplitSpec]) -> list[SplitSpec]:
    """The splits cleaned, or Invalid: there are none or 2 to 5, with different names."""
    splits = list(splits)
    cleaned = [
        SplitSpec(name=clean_name(sp.name, "split", label=f"split {i}"), id=sp.id or None)
        for i, sp in enumerate(splits, start=1)
    ]
    if cleaned and not MIN_SPLITS <= len(cleaned) <= MAX_SPLITS:
        names = ", ".join(repr(sp.name) for sp in cleaned)
        raise Invalid(
            f"an activity has no splits or {MIN_SPLITS} to {MAX_SPLITS} of them "
            f"(e.g. Left and Right); got {len(cleaned)} ({names})"
        )
    _no_duplicates([sp.name for sp in cleaned], "splits")
    _no_duplicate_ids([sp.id for sp in cleaned], "split")
    return cleaned


def _no_duplicates(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name.lower() in seen:
            raise Invalid(
                f"two {what} are called {name!r}; {what} of an activity need different names"
            )
        seen.add(name.lower())


def _no_duplicate_ids(ids: list[str | None], what: str) -> None:
    given = [i for i in ids if i]
    if len(given) != len(set(given)):
        raise Invalid(f"the same {what} id appears twice in the list")


def _aware(value: Any) -> datetime | None:
    """Aggregates may come back naive (or as text) on SQLite; they are UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


class ActivitiesMixin(StoreBase):
    # --- groups --------------------------------------------------------------------------

    def add_group(self, root_id: str, name: str, *, description: str = "") -> GroupView:
        """A new activity group, last in the fractal's order."""
        name = clean_name(name, "group")
        with self._tx(root_id) as s:
            group = self._new_group(s, root_id, name, description)
            return from_row(GroupView, group)

    def _new_group(
        self, s: Session, root_id: str, name: str, description: str = ""
    ) -> ActivityGroup:
        group = ActivityGroup(name=name, description=description or "")
        self._insert(s, group, root_id=root_id)
        self._event(s, group.root_id, "group_created", group, f"added group {name!r}")
        return group

    def groups(self, root_id: str) -> list[GroupView]:
        """The fractal's groups in order, each with how many activities it holds."""
        with self._read(root_id) as s:
            rows = self._list(s, ActivityGroup)
            counts = dict(
                s.execute(
                    select(Activity.group_id, func.count(Activity.id))
                    .where(Activity.group_id.is_not(None))
                    .group_by(Activity.group_id)
                ).all()
            )
            return [from_row(GroupView, g, activity_count=counts.get(g.id, 0)) for g in rows]

    def get_group(self, group_id: str) -> GroupView:
        with self._read() as s:
            group = self._get(s, ActivityGroup, group_id)
            return from_row(GroupView, group, activity_count=self._group_size(s, group.id))

    def resolve_group(self, root_id: str, ref: str) -> GroupView:
        """A group by id, id prefix or name (case-insensitive); ambiguity lists candidates."""
        with self._read(root_id) as s:
            group = self._resolve(s, ActivityGroup, ref)
            return from_row(GroupView, group, activity_count=self._group_size(s, group.id))

    def update_group(
        self, group_id: str, *, name: str | None = None, description: str | None = None
    ) -> GroupView:
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = clean_name(name, "group")
        if description is not None:
            changes["description"] = description
        with self._tx() as s:
            group = self._get(s, ActivityGroup, group_id)
            old_name = group.name
            changed = [k for k, v in changes.items() if getattr(group, k) != v]
            self._update(s, group, **changes)
            if changed:
                what = f"renamed group {old_name!r} to {group.name!r}"
                if group.name == old_name:
                    what = f"changed group {group.name!r}"
                self._event(s, group.root_id, "group_updated", group, what)
            return from_row(GroupView, group, activity_count=self._group_size(s, group.id))

    def shift_group(self, group_id: str, offset: int) -> bool:
        """Move a group up (negative) or down; False when it is already at that end."""
        with self._tx() as s:
            return self._move(s, self._get(s, ActivityGroup, group_id), offset)

    def set_group_order(self, root_id: str, ids: Sequence[str]) -> None:
        """Reorder the fractal's groups to match ids (each group exactly once)."""
        with self._tx(root_id) as s:
            self._set_order(s, self._list(s, ActivityGroup), list(ids))

    def preview_delete_group(self, group_id: str) -> tuple[DeleteSummary, int]:
        """What deleting a group takes with it, and how many activities become ungrouped."""
        with self._tx() as s:
            group = self._get(s, ActivityGroup, group_id)
            return self._delete_preview(s, group), self._group_size(s, group.id)

    def _before_delete_ActivityGroup(self, s: Session, group: ActivityGroup) -> None:  # noqa: N802
        """Deleting a group keeps its activities: they go, in order, to the end of the ungrouped."""
        for activity in self._list(s, Activity, Activity.group_id == group.id):
            self._update(s, activity, group_id=None)
            self._update(s, activity, sort_order=self._next_sort_order(s, activity))

    def _group_size(self, s: Session, group_id: str) -> int:
        return (
            s.execute(select(func.count(Activity.id)).where(Activity.group_id == group_id)).scalar()
            or 0
        )

    # --- activities ----------------------------------------------------------------------

    def add_activity(
        self,
        root_id: str,
        name: str,
        *,
        group_id: str | None = None,
        group_name: str | None = None,
        description: str = "",
        has_sets: bool = False,
        metrics_multiplicative: bool = False,
        metrics: Sequence[MetricSpec] = (),
        splits: Sequence[SplitSpec] = (),
    ) -> ActivityView:
        """Define an activity, last in its group (or among the ungrouped).

        ``group_name`` (instead of ``group_id``) uses the group of that exact name, creating
        it in the same transaction when there is none. ``has_splits`` follows ``splits``.
        """
        name = clean_name(name, "activity")
        metric_specs = check_metrics(metrics)
        split_specs = check_splits(splits)
        if any(m.id for m in metric_specs) or any(sp.id for sp in split_specs):
            raise Invalid("a new activity's metrics and splits cannot name existing ids")
        if group_id is not None and group_name is not None:
            raise Invalid("give a group id or a group name, not both")
        if group_name is not None:
            group_name = clean_name(group_name, "group")
        with self._tx(root_id) as s:
            self._fractal_root(s, root_id)
            group = None
            if group_id is not None:
                group = self._get(s, ActivityGroup, group_id)
            elif group_name is not None:
                group = self._group_named(s, root_id, group_name)
            activity = Activity(
                name=name,
                group_id=group.id if group else None,
                description=description or "",
                has_sets=bool(has_sets),
                has_splits=bool(split_specs),
                metrics_multiplicative=bool(metrics_multiplicative),
            )
            self._insert(s, activity, root_id=root_id)
            self._sync_metrics(s, activity, metric_specs)
            self._sync_splits(s, activity, split_specs)
            where = f" in group {group.name!r}" if group else ""
            self._event(
                s, activity.root_id, "activity_created", activity, f"added activity {name!r}{where}"
            )
            return self._view(s, activity)

    def _group_named(self, s: Session, root_id: str, name: str) -> ActivityGroup:
        matches = list(
            s.execute(
                select(ActivityGroup)
                .where(func.lower(ActivityGroup.name) == name.lower())
                .order_by(ActivityGroup.sort_order, ActivityGroup.created_at)
                .limit(10)
            ).scalars()
        )
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = "; ".join(f"{g.name} (id {g.id[:8]})" for g in matches)
            raise Invalid(
                f"{name!r} matches {len(matches)} groups: {listed}. Use an id prefix instead."
            )
        return self._new_group(s, root_id, name)

    def update_activity(
        self,
        activity_id: str,
        *,
        name: str | None = None,
        group_id: str | None = _UNSET,
        group_name: str | None = None,
        description: str | None = None,
        has_sets: bool | None = None,
        metrics_multiplicative: bool | None = None,
        metrics: Sequence[MetricSpec] | None = None,
        splits: Sequence[SplitSpec] | None = None,
    ) -> ActivityView:
        """Change an activity. ``metrics`` / ``splits``, when given, are the full new lists:
        items with an id keep that row (and its recorded values), items without one are
        created, rows left out are soft-deleted. ``group_id=None`` ungroups; a new group puts
        the activity last in it; ``group_name`` finds (or creates) a group by exact name.
        """
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = clean_name(name, "activity")
        if description is not None:
            changes["description"] = description
        if has_sets is not None:
            changes["has_sets"] = bool(has_sets)
        if metrics_multiplicative is not None:
            changes["metrics_multiplicative"] = bool(metrics_multiplicative)
        metric_specs = check_metrics(metrics) if metrics is not None else None
        split_specs = check_splits(splits) if splits is not None else None
        if split_specs is not None:
            changes["has_splits"] = bool(split_specs)
        if group_id is not _UNSET and group_name is not None:
            raise Invalid("give a group id or a group name, not both")
        if group_name is not None:
            group_name = clean_name(group_name, "group")
        with self._tx() as s:
            activity = self._get(s, Activity, activity_id)
            s.info["root_id"] = activity.root_id  # scope the rest to this fractal
            old_name = activity.name
            # Check the ids first: nothing is written when one is wrong.
            if metric_specs is not None:
                self._check_ids(s, MetricDefinition, activity, [m.id for m in metric_specs])
            if split_specs is not None:
                self._check_ids(s, SplitDefinition, activity, [sp.id for sp in split_specs])
            group: ActivityGroup | None | Any = _UNSET
            if group_id is not _UNSET:
                group = self._get(s, ActivityGroup, group_id) if group_id else None
            elif group_name is not None:
                group = self._group_named(s, activity.root_id, group_name)
            notes: list[str] = []
            changed = [k for k, v in changes.items() if getattr(activity, k) != v]
            self._update(s, activity, **changes)
            if metric_specs is not None:
                notes += self._sync_metrics(s, activity, metric_specs)
            if split_specs is not None:
                notes += self._sync_splits(s, activity, split_specs)
            if group is not _UNSET:
                notes += self._regroup(s, activity, group)
            if changed or notes:
                what = f"changed activity {activity.name!r}"
                if activity.name != old_name:
                    what = f"renamed activity {old_name!r} to {activity.name!r}"
                if notes:
                    what += "; " + "; ".join(notes)
                self._event(s, activity.root_id, "activity_updated", activity, what)
            return self._view(s, activity)

    def _check_ids(self, s: Session, model: Any, activity: Activity, ids: list[str | None]) -> None:
        wanted = {i for i in ids if i}
        if not wanted:
            return
        present = set(
            s.execute(
                select(model.id).where(model.activity_id == activity.id, model.id.in_(wanted))
            ).scalars()
        )
        missing = sorted(wanted - present)
        if missing:
            what = "metric" if model is MetricDefinition else "split"
            raise NotFound(f"{activity.name!r} has no {what} with id {missing[0]!r}")

    def _sync_metrics(self, s: Session, activity: Activity, specs: list[MetricSpec]) -> list[str]:
        """Make the live metrics match specs; returns notes on what was removed."""
        existing = self._list(s, MetricDefinition, MetricDefinition.activity_id == activity.id)
        by_id = {m.id: m for m in existing}
        keep = {m.id for m in specs if m.id}
        notes = []
        for row in existing:
            if row.id not in keep:
                self._soft_delete(s, row)
                notes.append(f"removed metric {row.name!r} (its recorded values are kept)")
        ordered = []
        for spec in specs:
            fields = {
                "name": spec.name,
                "unit": spec.unit,
                "is_best_set": spec.is_best_set,
                "is_multiplicative": spec.is_multiplicative,
                "higher_is_better": spec.higher_is_better,
            }
            if spec.id:
                row = by_id[spec.id]
                if any(getattr(row, k) != v for k, v in fields.items()):
                    notes.append(f"changed metric {row.name!r}")
                self._update(s, row, **fields)
            else:
                row = self._insert(s, MetricDefinition(activity_id=activity.id, **fields))
                if existing:
                    notes.append(f"added metric {spec.name!r}")
            ordered.append(row)
        if [r.id for r in existing if r.id in keep] != [r.id for r in ordered if r.id in keep]:
            notes.append("reordered metrics")
        self._reorder(s, ordered)
        return notes

    def _sync_splits(self, s: Session, activity: Activity, specs: list[SplitSpec]) -> list[str]:
        existing = self._list(s, SplitDefinition, SplitDefinition.activity_id == activity.id)
        by_id = {sp.id: sp for sp in existing}
        keep = {sp.id for sp in specs if sp.id}
        notes = []
        for row in existing:
            if row.id not in keep:
                self._soft_delete(s, row)
                notes.append(f"removed split {row.name!r}")
        ordered = []
        for spec in specs:
            if spec.id:
                row = by_id[spec.id]
                if row.name != spec.name:
                    notes.append(f"renamed split {row.name!r} to {spec.name!r}")
                self._update(s, row, name=spec.name)
            else:
                row = self._insert(s, SplitDefinition(activity_id=activity.id, name=spec.name))
                if existing:
                    notes.append(f"added split {spec.name!r}")
            ordered.append(row)
        if [r.id for r in existing if r.id in keep] != [r.id for r in ordered if r.id in keep]:
            notes.append("reordered splits")
        self._reorder(s, ordered)
        return notes

    def _regroup(self, s: Session, activity: Activity, group: ActivityGroup | None) -> list[str]:
        """Move an activity to the end of another group (None: ungrouped)."""
        new_id = group.id if group is not None else None
        if activity.group_id == new_id:
            return []
        left_behind = [r for r in self._siblings(s, activity) if r.id != activity.id]
        self._update(s, activity, group_id=new_id)
        self._update(s, activity, sort_order=self._next_sort_order(s, activity))
        self._reorder(s, left_behind)
        return [f"moved to group {group.name!r}" if group else "moved out of its group"]

    def get_activity(self, activity_id: str) -> ActivityView:
        with self._read() as s:
            activity = self._get(s, Activity, activity_id)
            s.info["root_id"] = activity.root_id
            return self._view(s, activity)

    def resolve_activity(self, root_id: str, ref: str, *, usage: bool = True) -> ActivityView:
        """An activity by id, id prefix or name (case-insensitive); ambiguity lists candidates.

        ``usage=False`` leaves out times_done and last_done (0 and None): they aggregate the
        activity's whole history, which a caller that only needs its id should not pay for.
        """
        with self._read(root_id) as s:
            return self._view(s, self._resolve(s, Activity, ref), usage=usage)

    def resolve_activity_id(self, root_id: str, ref: str) -> str:
        """The id of the activity ``ref`` names, by the rules (and messages) of
        resolve_activity, without reading its definitions or usage."""
        with self._read(root_id) as s:
            return self._resolve(s, Activity, ref).id

    def activities(self, root_id: str, *, query: str | None = None) -> list[ActivityView]:
        """The fractal's activities: by group order, then their order; ungrouped last.

        ``query`` keeps those whose name contains it (case-insensitive).
        """
        with self._read(root_id) as s:
            where = []
            if query and query.strip():
                where.append(
                    func.lower(Activity.name).contains(query.strip().lower(), autoescape=True)
                )
            rows = self._list(s, Activity, *where)
            return self._views(s, rows, by_ids=bool(where))

    def shift_activity(self, activity_id: str, offset: int) -> bool:
        """Move an activity up (negative) or down within its group; False at that end."""
        with self._tx() as s:
            return self._move(s, self._get(s, Activity, activity_id), offset)

    def move_activity_to_group(self, activity_id: str, group_id: str | None) -> ActivityView:
        """Put an activity last in another group (None: among the ungrouped)."""
        with self._tx() as s:
            activity = self._get(s, Activity, activity_id)
            s.info["root_id"] = activity.root_id
            group = self._get(s, ActivityGroup, group_id) if group_id else None
            notes = self._regroup(s, activity, group)
            if notes:
                self._event(
                    s,
                    activity.root_id,
                    "activity_moved",
                    activity,
                    f"{activity.name!r} {notes[0]}",
                )
            return self._view(s, activity)

    # --- read models ---------------------------------------------------------------------

    def _view(self, s: Session, activity: Activity, *, usage: bool = True) -> ActivityView:
        return self._views(s, [activity], by_ids=True, usage=usage)[0]

    def _views(
        self, s: Session, rows: list[Activity], *, by_ids: bool, usage: bool = True
    ) -> list[ActivityView]:
        """Views with metrics, splits, group name and usage, in a fixed number of queries.

        ``by_ids`` limits the queries to these activities; otherwise the read's fractal
        scope already does (listing all of a fractal's activities). ``usage=False`` skips
        times_done and last_done (left 0 and None): they read every instance and interval
        of the activities, so they grow with history.
        """
        if not rows:
            return []
        ids = [a.id for a in rows]

        def only(column: Any) -> list[Any]:
            return [column.in_(ids)] if by_ids else []

        groups = self._list(s, ActivityGroup)
        group_pos = {g.id: i for i, g in enumerate(groups)}
        group_names = {g.id: g.name for g in groups}
        metrics: dict[str, list[MetricView]] = {}
        for m in self._list(s, MetricDefinition, *only(MetricDefinition.activity_id)):
            metrics.setdefault(m.activity_id, []).append(from_row(MetricView, m))
        splits: dict[str, list[SplitView]] = {}
        for sp in self._list(s, SplitDefinition, *only(SplitDefinition.activity_id)):
            splits.setdefault(sp.activity_id, []).append(from_row(SplitView, sp))
        counts, started = self._usage(s, only(ActivityInstance.activity_id)) if usage else ({}, {})
        ungrouped = len(groups)
        ordered = sorted(
            rows,
            key=lambda a: group_pos.get(a.group_id, ungrouped) if a.group_id else ungrouped,
        )  # stable: keeps each group's own order
        return [
            from_row(
                ActivityView,
                a,
                metrics=tuple(metrics.get(a.id, ())),
                splits=tuple(splits.get(a.id, ())),
                group_name=group_names.get(a.group_id) if a.group_id else None,
                times_done=counts.get(a.id, (0, None))[0],
                last_done=_latest(counts.get(a.id, (0, None))[1], started.get(a.id)),
            )
            for a in ordered
        ]

    def _usage(
        self, s: Session, where: list[Any]
    ) -> tuple[dict[str, tuple[int, datetime | None]], dict[str, datetime | None]]:
        """Per activity: (instance count, last completion), and the last timer start."""
        usage = {
            activity_id: (count, _aware(done))
            for activity_id, count, done in s.execute(
                select(
                    ActivityInstance.activity_id,
                    func.count(ActivityInstance.id),
                    func.max(ActivityInstance.completed_at),
                )
                .where(*where)
                .group_by(ActivityInstance.activity_id)
            ).all()
        }
        started = {
            activity_id: _aware(when)
            for activity_id, when in s.execute(
                select(ActivityInstance.activity_id, func.max(WorkInterval.started_at))
                .join(WorkInterval, WorkInterval.instance_id == ActivityInstance.id)
                .where(*where)
                .group_by(ActivityInstance.activity_id)
            ).all()
        }
        return usage, started
