"""Sets and metric values of activity instances, and `fractal log`.

Rules (checked before anything is written):

- Sets exist only for activities with ``has_sets``; they are ordered and have a status
  (planned, completed, skipped). An activity with sets takes values per set; one without
  takes one value per metric (per split) on the instance itself.
- A value is a finite number for a metric of the instance's activity, and for one of its
  splits when the activity has splits (and only then). The same (instance, set, metric,
  split) is one row, updated in place; recording None clears it.
"""

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, literal_column, select
from sqlalchemy.orm import Session

from fractal_tui import progress
from fractal_tui.errors import Invalid
from fractal_tui.models import (
    Activity,
    ActivityInstance,
    ActivitySet,
    MetricDefinition,
    MetricValue,
    Note,
    PracticeSession,
    SetStatus,
    SplitDefinition,
)
from fractal_tui.store.notes import clean_note_text
from fractal_tui.store.sessions import SessionsMixin
from fractal_tui.views import (
    DeleteSummary,
    InstanceView,
    LogResult,
    SetView,
    ValueView,
    from_row,
)

STATUSES = tuple(x.value for x in SetStatus)

# The empty string as SQL text, not a bound parameter: an expression index is used only when
# the query's expression is the index's own, literal included.
_EMPTY = literal_column("''")


def check_status(status: str) -> str:
    value = (status or "").strip().lower()
    if value not in STATUSES:
        raise Invalid(f"unknown set status {status!r}; use one of: {', '.join(STATUSES)}")
    return value


def check_number(value: Any, what: str = "a value") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"{what} must be a number, not {value!r}")
    if not progress.finite(value):
        raise Invalid(f"{what} must be a finite number, not {value!r}")
    return float(value)


class _LogMemo:
    """What `log` looked up, kept for the next `log` lines of one `fractal batch`.

    Sound only while nothing else can change those rows: the batch holds SQLite's write lock
    from its first line to each commit (BEGIN IMMEDIATE), a commit forgets everything (the
    next transaction may see other writers' work), and the batch forgets after any line that
    is not a successful `log` (another command may have ended the session or edited the
    activity; a failed line's savepoint took back what it did). A `log` itself changes none
    of what is kept: it adds sets, values and notes, and at most the instance it keeps.
    Disabled (keeps nothing) where these guarantees do not hold.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        # (root_id, activity ref) -> session, activity, metrics, splits, the instance log fills
        self._kept: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._values: dict[Any, Any] = {}

    def forget(self) -> None:
        self._kept.clear()
        self._values.clear()

    def fetch(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A value the caller reads from the database (the fractal a batch works in), kept
        by the same rules; only for values no `log` can change."""
        if not self.enabled:
            return compute()
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]

    def keep(
        self,
        root_id: str,
        ref: str,
        session: PracticeSession,
        activity: Activity,
        metrics: list[MetricDefinition],
        splits: list[SplitDefinition],
        instance: ActivityInstance,
    ) -> None:
        self._kept[(root_id, ref)] = (session, activity, metrics, splits, instance)

    def recall(self, s: Session, root_id: str, ref: str) -> tuple[Any, ...] | None:
        """The kept rows, the ones `log` passes on put into ``s`` without a query."""
        kept = self._kept.get((root_id, ref))
        if kept is None:
            return None
        session, activity, metrics, splits, instance = kept
        return (
            s.merge(session, load=False),
            s.merge(activity, load=False),
            metrics,  # read only (ids, names)
            splits,
            s.merge(instance, load=False),
        )


class PracticeMixin(SessionsMixin):
    """Builds on the sessions mixin: `log` finds or adds the instance in the active session."""

    _log_memo: _LogMemo | None = None

    @contextmanager
    def log_memo(self) -> Iterator[_LogMemo]:
        """For `fractal batch`: while open, `log` keeps what it looked up (the active
        session, the activity by the name given, its metrics and splits, the instance it
        fills) and the next `log` of the same activity skips those reads.

        Yields the memo: call its ``forget`` after every line that is not a successful
        `log`. Commits forget by themselves. Only on SQLite, where the batch's transaction
        holds the write lock; elsewhere another writer could change those rows
        mid-transaction, so nothing is kept. One thread only, like the batch.
        """
        if self.engine.dialect.name != "sqlite":
            yield _LogMemo(enabled=False)
            return
        memo = _LogMemo()

        def on_commit(conn: Any) -> None:
            memo.forget()

        event.listen(self.engine, "commit", on_commit)
        self._log_memo = memo
        try:
            yield memo
        finally:
            self._log_memo = None
            event.remove(self.engine, "commit", on_commit)

    # --- helpers -------------------------------------------------------------------------

    def _practice_instance(self, s: Session, instance_id: str) -> tuple[ActivityInstance, Activity]:
        instance = self._get(s, ActivityInstance, instance_id)
        s.info["root_id"] = instance.root_id
        return instance, self._get(s, Activity, instance.activity_id)

    def _instance_sets(self, s: Session, instance_id: str) -> list[ActivitySet]:
        return self._list(s, ActivitySet, ActivitySet.instance_id == instance_id)

    def _new_set(self, s: Session, instance: ActivityInstance, status: str) -> ActivitySet:
        return self._insert(s, ActivitySet(instance_id=instance.id, status=status))

    def _record_value(
        self,
        s: Session,
        instance: ActivityInstance,
        activity: Activity,
        metric_id: str,
        value: float | None,
        set_id: str | None,
        split_id: str | None,
    ) -> MetricValue | None:
        """Upsert or clear one cell after checking it against the activity's definition."""
        if value is not None:
            value = check_number(value)
        metric = self._get(s, MetricDefinition, metric_id)
        if metric.activity_id != activity.id:
            raise Invalid(f"{metric.name!r} is not a metric of {activity.name!r}")
        if activity.has_sets and set_id is None:
            raise Invalid(f"{activity.name!r} is recorded in sets; name a set")
        if not activity.has_sets and set_id is not None:
            raise Invalid(f"{activity.name!r} has no sets; record the value without one")
        if set_id is not None:
            act_set = self._get(s, ActivitySet, set_id)
            if act_set.instance_id != instance.id:
                raise Invalid("that set belongs to another activity instance")
        splits = self._list(s, SplitDefinition, SplitDefinition.activity_id == activity.id)
        if splits and split_id is None:
            names = ", ".join(sp.name for sp in splits)
            raise Invalid(f"{activity.name!r} is recorded per side; name a split ({names})")
        if split_id is not None and not any(sp.id == split_id for sp in splits):
            raise Invalid(f"that split is not one of {activity.name!r}'s")
        cell = self._find_cell(s, instance.id, metric.id, set_id, split_id)
        return self._write_cell(s, instance, cell, metric.id, value, set_id, split_id)

    def _find_cell(
        self, s: Session, instance_id: str, metric_id: str, set_id: str | None, split_id: str | None
    ) -> MetricValue | None:
        """The live row of one cell, if any.

        Written as the unique index's own expressions (``coalesce(set_id, '')``), so the
        lookup is one probe of that index whatever the planner's statistics say; a bare
        ``set_id IS NULL`` let SQLite pick the set_id index, which holds every set-less
        value of the fractal.
        """
        return (
            s.execute(
                select(MetricValue).where(
                    MetricValue.instance_id == instance_id,
                    func.coalesce(MetricValue.set_id, _EMPTY) == (set_id or ""),
                    MetricValue.metric_id == metric_id,
                    func.coalesce(MetricValue.split_id, _EMPTY) == (split_id or ""),
                )
            )
            .scalars()
            .first()
        )

    def _write_cell(
        self,
        s: Session,
        instance: ActivityInstance,
        cell: MetricValue | None,
        metric_id: str,
        value: float | None,
        set_id: str | None,
        split_id: str | None,
    ) -> MetricValue | None:
        """Update, clear or add one (already checked) cell; ``cell`` is its live row."""
        if value is None:
            if cell is not None:
                self._soft_delete(s, cell)
            return None
        if cell is not None:
            return self._update(s, cell, value=value)
        return self._insert(
            s,
            MetricValue(
                instance_id=instance.id,
                set_id=set_id,
                metric_id=metric_id,
                split_id=split_id,
                value=value,
            ),
        )

    # --- sets ----------------------------------------------------------------------------

    def add_set(self, instance_id: str, *, status: str = "planned") -> SetView:
        """A new set, last in the instance's order."""
        status = check_status(status)
        with self._tx() as s:
            instance, activity = self._practice_instance(s, instance_id)
            if not activity.has_sets:
                raise Invalid(f"{activity.name!r} has no sets; turn sets on for the activity")
            row = self._new_set(s, instance, status)
            self._on_values_changed(s, instance)
            return from_row(SetView, row)

    def set_status(self, set_id: str, status: str) -> SetView:
        status = check_status(status)
        with self._tx() as s:
            row = self._get(s, ActivitySet, set_id)
            instance, _ = self._practice_instance(s, row.instance_id)
            self._update(s, row, status=status)
            self._on_values_changed(s, instance)
            return from_row(SetView, row)

    def set_set_notes(self, set_id: str, notes: str) -> SetView:
        with self._tx() as s:
            row = self._get(s, ActivitySet, set_id)
            self._update(s, row, notes=clean_note_text(notes) if (notes or "").strip() else "")
            return from_row(SetView, row)

    def remove_set(self, set_id: str) -> DeleteSummary:
        """Soft-delete a set with its values (restorable from the trash)."""
        with self._tx() as s:
            row = self._get(s, ActivitySet, set_id)
            instance, activity = self._practice_instance(s, row.instance_id)
            number = [x.id for x in self._instance_sets(s, instance.id)].index(row.id) + 1
            summary = self._soft_delete(s, row)
            self._event(
                s,
                instance.root_id,
                "deleted",
                row,
                f"deleted set {number} of {activity.name!r} with {summary.describe()}",
                batch=summary.batch,
            )
            self._on_values_changed(s, instance)
            return summary

    def shift_set(self, set_id: str, offset: int) -> bool:
        with self._tx() as s:
            return self._move(s, self._get(s, ActivitySet, set_id), offset)

    # --- values --------------------------------------------------------------------------

    def record_value(
        self,
        instance_id: str,
        metric_id: str,
        value: float | None,
        *,
        set_id: str | None = None,
        split_id: str | None = None,
    ) -> ValueView | None:
        """Record (or with None, clear) one value; the same cell is updated in place."""
        with self._tx() as s:
            instance, activity = self._practice_instance(s, instance_id)
            row = self._record_value(s, instance, activity, metric_id, value, set_id, split_id)
            self._on_values_changed(s, instance)
            return from_row(ValueView, row) if row is not None else None

    def log(
        self,
        root_id: str,
        activity_ref: str,
        values: Mapping[str, float | None],
        *,
        set_index: int | None = None,
        new_set: bool = False,
        split: str | None = None,
        note: str | None = None,
        at: datetime | None = None,
        instance_detail: bool = True,
    ) -> LogResult:
        """Record values by metric name in the active session, adding the activity if needed.

        A None value clears that metric's cell.

        With sets: ``set_index`` (1-based) fills that set, ``new_set`` adds one; with neither,
        a new set, except that naming a split fills the last set while that side is empty
        (so logging Left then Right makes one pair). A logged set is marked completed.
        ``at``, when given, may not be in the future (values carry no time of their own).

        ``instance_detail=False`` leaves the result's instance without its intervals, sets
        and values (the rest is filled): reading them back grows with the instance, and a
        caller that shows one line (`fractal log`, `fractal batch`) does not need them.
        """
        if not values:
            raise Invalid("give at least one value, e.g. reps=5")
        if set_index is not None and new_set:
            raise Invalid("give a set number or ask for a new set, not both")
        if set_index is not None and set_index < 1:
            raise Invalid("set numbers start at 1")
        note_text = clean_note_text(note) if note is not None else None
        memo = self._log_memo
        with self._tx(root_id) as s:
            if at is not None:
                self._practice_time(at, "the time of the values")
            known = memo.recall(s, root_id, activity_ref) if memo is not None else None
            if known is None:
                session = self._require_active(s, root_id)
                activity = self._resolve(s, Activity, activity_ref)
                metrics = self._list(
                    s, MetricDefinition, MetricDefinition.activity_id == activity.id
                )
                splits = self._list(s, SplitDefinition, SplitDefinition.activity_id == activity.id)
                instance = None
            else:
                session, activity, metrics, splits, instance = known
            if not metrics:
                raise Invalid(f"{activity.name!r} has no metrics to record")
            resolved = self._metric_values(activity, metrics, values)
            split_row = _split_named(activity, splits, split)
            if not activity.has_sets and (set_index is not None or new_set):
                raise Invalid(f"{activity.name!r} has no sets; leave out --set and --new-set")
            added = False
            if instance is None:
                instance, added = self._log_instance(s, session, activity)
            act_set, number, fresh = None, None, added
            if activity.has_sets:
                act_set, number, fresh = self._log_set(
                    s, instance, resolved, set_index, new_set, split_row
                )
            set_id = act_set.id if act_set is not None else None
            split_id = split_row.id if split_row is not None else None
            # Every cell is checked already (metrics of this activity, numbers, set and
            # split); a set or instance made just now has no cells but those written here.
            cells: dict[str, MetricValue | None] = {}
            rows = []
            for metric, value in resolved:
                if metric.id in cells or fresh:
                    cell = cells.get(metric.id)
                else:
                    cell = self._find_cell(s, instance.id, metric.id, set_id, split_id)
                cells[metric.id] = self._write_cell(
                    s, instance, cell, metric.id, value, set_id, split_id
                )
                rows.append(cells[metric.id])
            if act_set is not None and act_set.status != SetStatus.completed.value:
                self._update(s, act_set, status=SetStatus.completed.value)
            if note_text is not None:
                if act_set is not None:
                    self._update(s, act_set, notes=note_text)
                else:
                    self._insert(
                        s, Note(instance_id=instance.id, text=note_text), root_id=instance.root_id
                    )
            self._on_values_changed(s, instance)
            if instance_detail:
                view = self._instance_view(s, instance)
            else:
                view = from_row(InstanceView, instance, activity_name=activity.name)
            result = LogResult(
                instance=view,
                values=tuple(from_row(ValueView, r) for r in rows if r is not None),
                set=from_row(SetView, act_set) if act_set is not None else None,
                set_number=number,
                added_instance=added,
            )
        if memo is not None:  # only once the call's work is in (its savepoint released)
            memo.keep(root_id, activity_ref, session, activity, metrics, splits, instance)
        return result

    def _metric_values(
        self,
        activity: Activity,
        metrics: list[MetricDefinition],
        values: Mapping[str, float | None],
    ) -> list[tuple[MetricDefinition, float | None]]:
        out = []
        for name, value in values.items():
            metric = _match_metric(metrics, name)
            if metric is None:
                known = ", ".join(f"{m.name} ({m.unit})" for m in metrics)
                raise Invalid(f"{activity.name!r} has no metric {name!r}; its metrics: {known}")
            out.append((metric, None if value is None else check_number(value, metric.name)))
        return out

    def _log_instance(
        self, s: Session, session: PracticeSession, activity: Activity
    ) -> tuple[ActivityInstance, bool]:
        """The session's instance of the activity: the first unfinished, else the last one,
        else a new one."""
        found = self._list(
            s,
            ActivityInstance,
            ActivityInstance.session_id == session.id,
            ActivityInstance.activity_id == activity.id,
        )
        open_ = [i for i in found if i.completed_at is None]
        if open_:
            return open_[0], False
        if found:
            return found[-1], False
        return self._add_instance(s, session, activity.id), True

    def _log_set(
        self,
        s: Session,
        instance: ActivityInstance,
        resolved: list[tuple[MetricDefinition, float | None]],
        set_index: int | None,
        new_set: bool,
        split_row: SplitDefinition | None,
    ) -> tuple[ActivitySet, int, bool]:
        """The set to fill, its 1-based number, and whether it was added just now.

        Counts the sets and reads only the one it fills: an instance can have hundreds.
        """
        count = (
            s.execute(
                select(func.count(ActivitySet.id)).where(ActivitySet.instance_id == instance.id)
            ).scalar()
            or 0
        )
        if set_index is not None:
            if set_index > count:
                raise Invalid(
                    f"there is no set {set_index}; this activity has {count} "
                    f"set{'s' if count != 1 else ''} (use --new-set to add one)"
                )
            return self._nth_set(s, instance.id, set_index - 1), set_index, False
        if not new_set and split_row is not None and count:
            last = self._nth_set(s, instance.id, count - 1)
            filled = s.execute(
                select(MetricValue.id).where(
                    MetricValue.set_id == last.id,
                    MetricValue.split_id == split_row.id,
                    MetricValue.metric_id.in_([m.id for m, _ in resolved]),
                )
            ).first()
            if filled is None:
                return last, count, False
        return self._new_set(s, instance, SetStatus.completed.value), count + 1, True

    def _nth_set(self, s: Session, instance_id: str, index: int) -> ActivitySet:
        """The instance's set at a 0-based position, in the sets' own order."""
        return (
            s.execute(
                select(ActivitySet)
                .where(ActivitySet.instance_id == instance_id)
                .order_by(ActivitySet.sort_order, ActivitySet.created_at)
                .offset(index)
                .limit(1)
            )
            .scalars()
            .one()
        )


def _split_named(
    activity: Activity, splits: list[SplitDefinition], split: str | None
) -> SplitDefinition | None:
    """The activity's split a `log` names (None without splits), or Invalid."""
    names = ", ".join(sp.name for sp in splits)
    if split is None:
        if splits:
            raise Invalid(f"{activity.name!r} is recorded per side; name a split ({names})")
        return None
    if not splits:
        raise Invalid(f"{activity.name!r} has no splits; leave out --split")
    wanted = split.strip().lower()
    found = next((sp for sp in splits if sp.name.lower() == wanted), None)
    if found is None:
        raise Invalid(f"{activity.name!r} has no split {split!r}; its splits: {names}")
    return found


def _match_metric(metrics: list[MetricDefinition], name: str) -> MetricDefinition | None:
    """A metric by name, else by unit, else by a unique name prefix (reps, rep, Repetitions)."""
    key = (name or "").strip().lower()
    if not key:
        return None
    for attribute in ("name", "unit"):
        found = [m for m in metrics if getattr(m, attribute).lower() == key]
        if len(found) == 1:
            return found[0]
    found = [m for m in metrics if m.name.lower().startswith(key)]
    return found[0] if len(found) == 1 else None
