"""Goal targets, their conditions and their evaluation; "vs last time".

The rules themselves are pure (``fractal_tui.targets``, ``fractal_tui.comparison``); this
module loads practice, persists the met state and keeps goals in step, all inside the
transaction of the change that triggered it:

- **What counts.** An activity instance counts once it is completed, or once its session
  has ended (values logged without stopping a timer still count when the session ends).
  Values of skipped sets do not count. Its day is its session's local start date.
- **When.** Targets of an activity are evaluated when one of its instances is completed (or
  reopened), when values or sets change, when a session ends, when practice is deleted or
  restored (``_soft_delete``/``_restore_batch`` below), when a target is added or edited,
  and on demand (``evaluate_targets``).
- **Met.** A target that holds is marked met (``met_at`` = when the practice that met it was
  completed, ``met_session_id`` = its session), event ``target_met``. A met target that no
  longer holds (its practice was deleted or its values changed) is reverted, event
  ``target_unmet``.
- **Goals.** When every target of a goal is met, the goal completes (``by="targets"``); when
  a goal completed by its targets has a target that is no longer met (reverted, or a new one
  added), it reopens. Reopening a goal whose targets are all met (``complete_goal(undo=True)``)
  resets them, event ``target_reset``: from then on only practice completed after the reset
  counts for them, so old practice does not complete the goal again straight away.
"""

import dataclasses
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from fractal_tui import comparison
from fractal_tui import targets as rules
from fractal_tui.errors import Invalid, NotFound
from fractal_tui.models import (
    Activity,
    ActivityInstance,
    ActivitySet,
    Event,
    Goal,
    MetricDefinition,
    MetricValue,
    PracticeSession,
    SetStatus,
    SoftDeletable,
    Target,
    TargetCondition,
    TargetKind,
)
from fractal_tui.store.base import INCLUDE_DELETED, StoreBase
from fractal_tui.views import (
    Comparison,
    ConditionProgressView,
    ConditionSpec,
    ConditionView,
    DeleteSummary,
    TargetProgress,
    TargetView,
    from_row,
)

_UNSET: Any = object()

# Deleting or restoring one of these may change what targets see.
_PRACTICE_MODELS = (ActivityInstance, PracticeSession, ActivitySet)
_TARGET_MODELS = (Target, Activity)


def _clean_target_name(name: str | None) -> str:
    text = (name or "").strip()
    if len(text) > 200:
        raise Invalid("a target name can be at most 200 characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise Invalid("a target name cannot contain control characters")
    return text


def _kind(kind: str | TargetKind) -> str:
    value = (kind.value if isinstance(kind, TargetKind) else str(kind or "")).strip().lower()
    if value not in rules.KINDS:
        raise Invalid(f"unknown target kind {kind!r}; use one of {', '.join(rules.KINDS)}")
    return value


class TargetsMixin(StoreBase):
    # --- targets: create, read, update -------------------------------------------------

    def add_target(
        self,
        goal_id: str,
        activity_id: str,
        conditions: Sequence[ConditionSpec] = (),
        *,
        kind: str = "threshold",
        count: int | None = None,
        starts_on: date | None = None,
        ends_on: date | None = None,
        name: str = "",
    ) -> TargetView:
        """A target for a goal: an activity and conditions on its metrics.

        ``ConditionSpec.metric_id`` may be a metric's id or its name (case-insensitive).
        The target is evaluated at once against the practice already recorded.
        """
        kind = _kind(kind)
        name = _clean_target_name(name)
        specs = self._target_check_specs(conditions)
        with self._tx() as s:
            goal = self._get(s, Goal, goal_id)
            s.info["root_id"] = goal.root_id
            activity = self._get(s, Activity, activity_id)
            if activity.root_id != goal.root_id:
                raise Invalid("that activity belongs to another fractal")
            resolved = self._target_resolve_conditions(s, activity, specs)
            rules.validate(
                kind,
                [rules.Condition(m.id, op, v) for m, op, v in resolved],
                count,
                starts_on,
                ends_on,
            )
            target = Target(
                goal_id=goal.id,
                activity_id=activity.id,
                kind=kind,
                count=count,
                starts_on=starts_on,
                ends_on=ends_on,
                name=name or _auto_name(activity, kind, resolved, count),
            )
            self._insert(s, target)
            for metric, op, value in resolved:
                self._insert(
                    s, TargetCondition(target_id=target.id, metric_id=metric.id, op=op, value=value)
                )
            self._event(
                s,
                goal.root_id,
                "target_created",
                target,
                f"added target {target.name!r} to {goal.name!r}",
            )
            self._targets_evaluate(s, [target])
            return self._target_view(s, target)

    def update_target(
        self,
        target_id: str,
        *,
        name: str | None = None,
        conditions: Sequence[ConditionSpec] | None = None,
        kind: str | None = None,
        count: int | None = _UNSET,
        starts_on: date | None = _UNSET,
        ends_on: date | None = _UNSET,
    ) -> TargetView:
        """Change a target (conditions given replace the old ones); then re-evaluate it."""
        new_name = _clean_target_name(name) if name is not None else None
        new_kind = _kind(kind) if kind is not None else None
        specs = self._target_check_specs(conditions) if conditions is not None else None
        with self._tx() as s:
            target = self._get(s, Target, target_id)
            s.info["root_id"] = target.root_id
            activity = self._get(s, Activity, target.activity_id)
            old = self._target_conditions(s, target.id)
            if specs is not None:
                resolved = self._target_resolve_conditions(s, activity, specs)
            else:
                metrics = {
                    m.id: m for m in self._target_metrics(s, activity.id, include_deleted=True)
                }
                resolved = [(metrics[c.metric_id], c.op, c.value) for c in old]
            changes: dict[str, Any] = {
                "kind": new_kind or target.kind,
                "count": target.count if count is _UNSET else count,
                "starts_on": target.starts_on if starts_on is _UNSET else starts_on,
                "ends_on": target.ends_on if ends_on is _UNSET else ends_on,
            }
            rules.validate(
                changes["kind"],
                [rules.Condition(m.id, op, v) for m, op, v in resolved],
                changes["count"],
                changes["starts_on"],
                changes["ends_on"],
            )
            if new_name is not None:
                changes["name"] = new_name or _auto_name(
                    activity, changes["kind"], resolved, changes["count"]
                )
            self._update(s, target, **changes)
            if specs is not None:
                self._target_replace_conditions(s, target, old, resolved)
            self._targets_evaluate(s, [target])
            return self._target_view(s, target)

    def get_target(self, target_id: str) -> TargetView:
        with self._read() as s:
            return self._target_view(s, self._get(s, Target, target_id))

    def resolve_target(self, root_id: str, ref: str) -> TargetView:
        """A target by id, id prefix or exact name (case-insensitive)."""
        with self._read(root_id) as s:
            return self._target_view(s, self._resolve(s, Target, ref))

    def targets(self, goal_id: str) -> list[TargetView]:
        """A goal's targets in order."""
        with self._read() as s:
            goal = self._get(s, Goal, goal_id)
            return self._target_views(s, goal.id)

    def shift_target(self, target_id: str, offset: int) -> bool:
        """Move a target up (negative) or down among its goal's targets."""
        with self._tx() as s:
            return self._move(s, self._get(s, Target, target_id), offset)

    def target_progress(self, target_id: str) -> TargetProgress:
        """How far a target is ('sum 105/100 kg', '2/3 sessions', 'best 95/100 kg')."""
        with self._read() as s:
            target = self._get(s, Target, target_id)
            return self._target_progress_of(s, target)

    def goal_targets_progress(self, goal_id: str) -> list[TargetProgress]:
        """Progress of every target of a goal, in order."""
        with self._read() as s:
            goal = self._get(s, Goal, goal_id)
            return [
                self._target_progress_of(s, t)
                for t in self._list(s, Target, Target.goal_id == goal.id)
            ]

    def evaluate_targets(self, root_id: str) -> list[TargetView]:
        """Re-evaluate every target of a fractal; returns the targets whose met state changed."""
        with self._tx(root_id) as s:
            self._fractal_root(s, root_id)
            changed = self._targets_evaluate_root(s, root_id)
            return [self._target_view(s, t) for t in changed]

    # --- "vs last time" ----------------------------------------------------------------

    def compare_with_last(self, instance_id: str) -> Comparison | None:
        """An instance against the most recent earlier completed instance of its activity in
        another session; None when there is none. An unfinished instance compares as it is
        now."""
        with self._read() as s:
            instance = self._get(s, ActivityInstance, instance_id)
            s.info["root_id"] = instance.root_id
            session = self._get(s, PracticeSession, instance.session_id)
            reference = instance.completed_at or session.completed_at or self.now()
            when = func.coalesce(ActivityInstance.completed_at, PracticeSession.completed_at)
            row = s.execute(
                select(ActivityInstance, PracticeSession)
                .join(PracticeSession, PracticeSession.id == ActivityInstance.session_id)
                .where(
                    ActivityInstance.activity_id == instance.activity_id,
                    ActivityInstance.session_id != instance.session_id,
                    when.is_not(None),
                    when < reference,
                )
                .order_by(when.desc(), ActivityInstance.sort_order.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            previous, previous_session = row
            activity = self._get(s, Activity, instance.activity_id)
            metrics = self._target_metrics(s, activity.id)
            now_figs, before_figs = (
                comparison.figures_of(
                    metrics,
                    self._list(s, ActivitySet, ActivitySet.instance_id == inst.id),
                    self._list(s, MetricValue, MetricValue.instance_id == inst.id),
                    has_sets=activity.has_sets,
                    multiplicative=activity.metrics_multiplicative,
                )
                for inst in (instance, previous)
            )
            result = comparison.compare(
                metrics, now_figs, before_figs, multiplicative=activity.metrics_multiplicative
            )
            return Comparison(
                instance_id=instance.id,
                activity_id=activity.id,
                previous_instance_id=previous.id,
                previous_session_id=previous.session_id,
                previous_completed_at=previous.completed_at or previous_session.completed_at,
                used_best_set=result.used_best_set,
                metrics=result.metrics,
                yield_delta=result.yield_delta,
                volume_delta=result.volume_delta,
                improved=result.improved,
            )

    # --- hooks of the practice loop and the goals ----------------------------------------

    def _on_instance_completed(self, s: Session, instance: Any) -> None:
        super()._on_instance_completed(s, instance)
        self._targets_evaluate_activity(s, instance.root_id, instance.activity_id)

    def _on_values_changed(self, s: Session, instance: Any) -> None:
        super()._on_values_changed(s, instance)
        self._targets_evaluate_activity(s, instance.root_id, instance.activity_id)

    def _on_session_ended(self, s: Session, session: Any) -> None:
        super()._on_session_ended(s, session)
        activity_ids = s.execute(
            select(ActivityInstance.activity_id)
            .where(ActivityInstance.session_id == session.id)
            .distinct()
        ).scalars()
        targets = self._list(
            s,
            Target,
            Target.root_id == session.root_id,
            Target.activity_id.in_(list(activity_ids)),
        )
        self._targets_evaluate(s, targets)

    def _on_practice_removed(self, s: Session, root_id: str) -> None:
        super()._on_practice_removed(s, root_id)
        self._targets_evaluate_root(s, root_id)

    def _after_goal_done_changed(self, s: Session, goal: Goal) -> None:
        """Reopening a goal whose targets are all met resets them (parents follow first)."""
        super()._after_goal_done_changed(s, goal)
        if goal.completed_at is not None:
            return
        targets = self._list(s, Target, Target.goal_id == goal.id)
        if not targets or any(t.met_at is None for t in targets):
            return
        for target in targets:
            self._update(s, target, met_at=None, met_session_id=None)
            self._event(
                s,
                target.root_id,
                "target_reset",
                target,
                f"reset target {target.name!r}: {goal.name!r} was reopened",
            )

    def _target_views(self, s: Session, goal_id: str) -> list[Any]:
        """Targets of a goal as views (fills GoalDetail.targets)."""
        return [self._target_view(s, t) for t in self._list(s, Target, Target.goal_id == goal_id)]

    # Deletes and restores of practice (from the trash or any mixin) re-evaluate targets.

    def _soft_delete(self, s: Session, row: SoftDeletable) -> DeleteSummary:
        summary = super()._soft_delete(s, row)
        if isinstance(row, _PRACTICE_MODELS + _TARGET_MODELS):
            self._on_practice_removed(s, row.root_id)  # type: ignore[attr-defined]
        return summary

    def _restore_batch(self, s: Session, batch: str) -> dict[str, int]:
        roots: set[str] = set()
        for model in _PRACTICE_MODELS + _TARGET_MODELS:
            roots.update(
                s.execute(
                    select(model.root_id).where(model.delete_batch == batch).distinct(),  # type: ignore[attr-defined]
                    execution_options={INCLUDE_DELETED: True},
                ).scalars()
            )
        counts = super()._restore_batch(s, batch)
        for root_id in sorted(roots):
            self._targets_evaluate_root(s, root_id)
        return counts

    # --- evaluation ----------------------------------------------------------------------

    def _targets_evaluate_activity(self, s: Session, root_id: str, activity_id: str) -> None:
        targets = self._list(
            s, Target, Target.root_id == root_id, Target.activity_id == activity_id
        )
        self._targets_evaluate(s, targets)

    def _targets_evaluate_root(self, s: Session, root_id: str) -> list[Target]:
        return self._targets_evaluate(s, self._list(s, Target, Target.root_id == root_id))

    def _targets_evaluate(self, s: Session, targets: Iterable[Target]) -> list[Target]:
        """Evaluate targets, persist what changed and bring their goals in step."""
        changed: list[Target] = []
        goals: dict[str, None] = {}
        for target in targets:
            goals[target.goal_id] = None
            if self._target_apply(s, target, self._target_met(s, target)):
                changed.append(target)
        for goal_id in goals:
            self._targets_sync_goal(s, goal_id)
        return changed

    def _target_window(self, s: Session, target: Target) -> tuple[list[rules.Condition], "_Window"]:
        conditions = [
            rules.Condition(c.metric_id, c.op, c.value)
            for c in self._target_conditions(s, target.id)
        ]
        return conditions, _Window(s, target, self._target_reset_at(s, target))

    def _target_met(self, s: Session, target: Target) -> rules.Hit | None:
        """The practice at which a target first holds (None: it does not), as
        ``rules.evaluate`` finds it over all practice. Runs on every log and stop of the
        activity, so it computes no progress figures: SQL finds the practice that may meet
        (values meeting a condition are few), Practices are built only for those."""
        conditions, window = self._target_window(s, target)
        kind = target.kind
        if kind == "sum":
            return window.sum(conditions)[0]
        if kind == "frequency":
            return window.frequency_first(conditions, target.count or 1, sessions=False)[0]
        if kind == "threshold":
            return window.threshold_first(conditions)
        raise Invalid(f"unknown target kind {kind!r}; use one of {', '.join(rules.KINDS)}")

    def _target_evaluate(self, s: Session, target: Target) -> rules.Evaluation:
        """What ``rules.evaluate`` says over all practice (met state and progress figures),
        from SQL over the target's window."""
        conditions, window = self._target_window(s, target)
        kind = target.kind
        if kind == "sum":
            first, currents = window.sum(conditions)
            return rules.compose(
                kind, conditions, currents, sessions=window.sessions(), first=first
            )
        currents = window.bests(conditions)
        if kind == "frequency":
            count = target.count or 1
            first, sessions = window.frequency_first(conditions, count, currents)
            return rules.compose(
                kind, conditions, currents, sessions=sessions, first=first, count=count
            )
        if kind == "threshold":
            first = window.threshold_first(conditions, currents)
            return rules.compose(
                kind, conditions, currents, sessions=window.sessions(), first=first
            )
        raise Invalid(f"unknown target kind {kind!r}; use one of {', '.join(rules.KINDS)}")

    def _target_apply(self, s: Session, target: Target, hit: rules.Hit | None) -> bool:
        """Persist a target's met state; True when it changed (met or reverted)."""
        if hit is not None and target.met_at is None:
            self._update(s, target, met_at=hit.when, met_session_id=hit.session_id)
            self._event(s, target.root_id, "target_met", target, f"met target {target.name!r}")
            return True
        if hit is None and target.met_at is not None:
            self._update(s, target, met_at=None, met_session_id=None)
            self._event(
                s,
                target.root_id,
                "target_unmet",
                target,
                f"target {target.name!r} is no longer met",
            )
            return True
        if hit is not None and target.met_session_id != hit.session_id:
            # Still met, now by other practice (the first was deleted or changed).
            self._update(s, target, met_session_id=hit.session_id)
        return False

    def _targets_sync_goal(self, s: Session, goal_id: str) -> None:
        """All targets met: the goal completes; one not met: a goal they completed reopens."""
        try:
            goal = self._get(s, Goal, goal_id)
        except NotFound:
            return
        targets = self._list(s, Target, Target.goal_id == goal.id)
        if not targets:
            return
        all_met = all(t.met_at is not None for t in targets)
        if all_met and goal.completed_at is None:
            self._set_goal_done(s, goal, True, by="targets")  # type: ignore[attr-defined]
        elif not all_met and goal.completed_at is not None and goal.completed_by == "targets":
            self._set_goal_done(s, goal, False, by="targets")  # type: ignore[attr-defined]

    def _target_reset_at(self, s: Session, target: Target) -> datetime | None:
        return s.execute(
            select(Event.created_at)
            .where(Event.kind == "target_reset", Event.entity_id == target.id)
            .order_by(Event.created_at.desc())
            .limit(1)
        ).scalar()

    # --- reading helpers -----------------------------------------------------------------

    def _target_conditions(self, s: Session, target_id: str) -> list[TargetCondition]:
        return self._list(s, TargetCondition, TargetCondition.target_id == target_id)

    def _target_metrics(
        self, s: Session, activity_id: str, *, include_deleted: bool = False
    ) -> list[MetricDefinition]:
        return self._list(
            s,
            MetricDefinition,
            MetricDefinition.activity_id == activity_id,
            include_deleted=include_deleted,
        )

    def _target_view(self, s: Session, target: Target) -> TargetView:
        conditions = self._target_conditions(s, target.id)
        metrics = {
            m.id: m for m in self._target_metrics(s, target.activity_id, include_deleted=True)
        }
        activity = s.execute(
            select(Activity.name).where(Activity.id == target.activity_id),
            execution_options={INCLUDE_DELETED: True},
        ).scalar()
        return from_row(
            TargetView,
            target,
            activity_name=activity or "",
            conditions=tuple(
                from_row(
                    ConditionView,
                    c,
                    metric_name=metrics[c.metric_id].name if c.metric_id in metrics else "?",
                    unit=metrics[c.metric_id].unit if c.metric_id in metrics else "",
                )
                for c in conditions
            ),
        )

    def _target_progress_of(self, s: Session, target: Target) -> TargetProgress:
        view = self._target_view(s, target)
        evaluation = self._target_evaluate(s, target)
        labels = {c.metric_id: (c.metric_name, c.unit) for c in view.conditions}
        met = target.met_at is not None
        return TargetProgress(
            target=view,
            met=met,
            summary=rules.summary(target.kind, evaluation, labels),
            fraction=1.0 if met else evaluation.fraction,
            conditions=tuple(
                ConditionProgressView(
                    metric_id=cp.condition.metric_id,
                    metric_name=labels.get(cp.condition.metric_id, ("?", ""))[0],
                    unit=labels.get(cp.condition.metric_id, ("?", ""))[1],
                    op=cp.condition.op,
                    value=cp.condition.value,
                    current=cp.current,
                    met=cp.met,
                )
                for cp in evaluation.conditions
            ),
            sessions=evaluation.sessions,
            met_session_id=target.met_session_id,
            met_at=target.met_at,
        )

    # --- writing helpers -----------------------------------------------------------------

    @staticmethod
    def _target_check_specs(conditions: Sequence[ConditionSpec]) -> list[ConditionSpec]:
        """Operators and numbers, checked before any database work."""
        out = []
        for c in conditions:
            if not isinstance(c, ConditionSpec):
                raise Invalid("conditions must be ConditionSpec(metric, op, value)")
            op = rules.normalise_op(c.op)
            value = rules.check_number(c.value, f"the value for {c.metric_id!r}")
            out.append(dataclasses.replace(c, op=op, value=value))
        return out

    def _target_resolve_conditions(
        self, s: Session, activity: Activity, specs: Sequence[ConditionSpec]
    ) -> list[tuple[MetricDefinition, str, float]]:
        """Each condition's metric, named by id or name (case-insensitive), of the activity."""
        metrics = self._target_metrics(s, activity.id)
        out = []
        for spec in specs:
            ref = (spec.metric_id or "").strip()
            metric = next((m for m in metrics if m.id == ref), None) or next(
                (m for m in metrics if m.name.lower() == ref.lower()), None
            )
            if metric is None:
                known = ", ".join(m.name for m in metrics) or "none"
                raise Invalid(f"{activity.name!r} has no metric {ref!r}; its metrics: {known}")
            out.append((metric, spec.op, spec.value))
        return out

    def _target_replace_conditions(
        self,
        s: Session,
        target: Target,
        old: list[TargetCondition],
        new: list[tuple[MetricDefinition, str, float]],
    ) -> None:
        """Rewrite conditions in place (ids kept by position), add or drop the rest."""
        for row, (metric, op, value) in zip(old, new, strict=False):
            self._update(s, row, metric_id=metric.id, op=op, value=value)
        for metric, op, value in new[len(old) :]:
            self._insert(
                s, TargetCondition(target_id=target.id, metric_id=metric.id, op=op, value=value)
            )
        for row in old[len(new) :]:
            self._soft_delete(s, row)


def _auto_name(
    activity: Activity,
    kind: str,
    resolved: Sequence[tuple[MetricDefinition, str, float]],
    count: int | None,
) -> str:
    name = rules.default_name(
        activity.name, kind, [(m.name, op, v, m.unit) for m, op, v in resolved], count
    )
    return name[:200]


# --- a target's window in SQL ------------------------------------------------------------------

# The unique cell index's own expression (``coalesce(set_id, '')``), so a lookup can use it.
_EMPTY: Any = literal_column("''")


def _hopeless(conditions: Sequence[rules.Condition], bests: Sequence[float | None] | None) -> bool:
    """The best value of a condition's metric fails it: no practice can meet them all."""
    if bests is None:
        return False
    return not all(rules.check(v, c.op, c.value) for c, v in zip(conditions, bests, strict=True))


# Values looked at first for a best value (then 16 times as many, and so on).
_TOP = 16
# Candidates whose values are loaded at once when conditions must be checked per group.
_CHUNK = 64


@dataclass(frozen=True)
class _Candidate:
    instance_id: str
    session_id: str
    when: datetime
    started_at: datetime


class _Window:
    """SQL over one target's window: counted instances of its activity (completed, or their
    session is) whose session's local start day is in the target's range, completed after its
    reset. Every statement runs through the store's session, so its criteria (deleted rows
    hidden, one fractal) apply to every table here, joins included."""

    def __init__(self, s: Session, target: Target, since: datetime | None) -> None:
        self.s = s
        self.when = func.coalesce(ActivityInstance.completed_at, PracticeSession.completed_at)
        lo, hi = rules.day_bounds(target.starts_on, target.ends_on)
        where = [ActivityInstance.activity_id == target.activity_id, self.when.is_not(None)]
        if lo is not None:
            where.append(PracticeSession.started_at >= lo)
        if hi is not None:
            where.append(PracticeSession.started_at < hi)
        if since is not None:
            where.append(self.when > since)
        self.where = where
        # Practices are taken by (when, instance id) with ids compared as Python compares
        # strings (code points): SQLite's BINARY and PostgreSQL's "C" collations do the same.
        self.collation = "C" if s.get_bind().dialect.name == "postgresql" else "BINARY"

    def _order(self, when: Any, instance_id: Any) -> tuple[Any, Any]:
        return when, instance_id.collate(self.collation)

    def instances(self, *columns: Any) -> Select[Any]:
        return (
            select(*columns)
            .select_from(ActivityInstance)
            .join(PracticeSession, PracticeSession.id == ActivityInstance.session_id)
            .where(*self.where)
        )

    def values(self, *columns: Any) -> Select[Any]:
        """Counted values of the window: values of skipped sets do not count."""
        return (
            self.instances(*columns)
            .join(MetricValue, MetricValue.instance_id == ActivityInstance.id)
            .outerjoin(ActivitySet, ActivitySet.id == MetricValue.set_id)
            .where(
                or_(
                    ActivitySet.id.is_(None),
                    ActivitySet.status != SetStatus.skipped.value,
                )
            )
        )

    def group_values(self, *columns: Any) -> Select[Any]:
        """Counted values that are in some group of their practice (what best values and
        meeting look at). Within a set (or the instance's own values) each side is a group and
        a value without a split joins every side, unless that side holds the same metric: such
        a value is in no group when every side of its set holds its metric."""

        def same_set(v: Any) -> Any:
            return and_(
                v.instance_id == MetricValue.instance_id,
                func.coalesce(v.set_id, _EMPTY) == func.coalesce(MetricValue.set_id, _EMPTY),
            )

        side, other, same = (aliased(MetricValue) for _ in range(3))
        sided = (
            select(side.id)
            .where(
                same_set(side),
                side.metric_id == MetricValue.metric_id,
                side.split_id.is_not(None),
            )
            .correlate_except(side)
        )
        # A side of the set without the metric: the value joins that side's group. (The
        # innermost query names the outermost value, so correlation is spelled out.)
        lacking = (
            select(other.id)
            .where(
                same_set(other),
                other.split_id.is_not(None),
                ~select(same.id)
                .where(
                    same_set(same),
                    same.metric_id == MetricValue.metric_id,
                    same.split_id == other.split_id,
                )
                .correlate_except(same)
                .exists(),
            )
            .correlate_except(other)
        )
        visible = or_(MetricValue.split_id.is_not(None), ~sided.exists(), lacking.exists())
        return self.values(*columns).where(visible)

    def sessions(self) -> int:
        """Distinct sessions holding counted practice."""
        stmt = self.instances(func.count(ActivityInstance.session_id.distinct()))
        return int(self.s.execute(stmt).scalar_one())

    def bests(self, conditions: Sequence[rules.Condition]) -> list[float | None]:
        """Per condition, the counted value closest to meeting it, as ``rules.best`` picks it
        over the values in groups."""
        return [self._best(c) for c in conditions]

    def _best(self, c: rules.Condition) -> float | None:
        # Values of the metric in order of merit, a few at a time, from the metric's values
        # alone (cheap); the window, skipped sets and groups are checked only for those. The
        # first that counts is the best: it is seldom past the first few.
        value = MetricValue.value
        if c.op in (">=", ">"):
            merit: Any = value.desc()
        elif c.op in ("<=", "<"):
            merit = value.asc()
        else:
            merit = func.abs(value - c.value)
        limit = _TOP
        while True:
            top = (
                select(MetricValue.id)
                .where(MetricValue.metric_id == c.metric_id)
                .order_by(merit)
                .limit(limit)
            )
            found = self.s.execute(
                self.group_values(value, func.abs(value - c.value))
                .where(MetricValue.id.in_(top.scalar_subquery()))
                .order_by(merit)
                .limit(1)
            ).first()
            if found is not None:
                break
            looked_at = self.s.execute(select(func.count()).select_from(top.subquery()))
            if looked_at.scalar_one() < limit:  # every value of the metric was looked at
                return None
            limit *= _TOP
        if c.op != "==":
            return float(found[0])
        # Of values equally close to the goal, ``rules.best`` keeps the first in practice order.
        return float(
            self.s.execute(
                self.group_values(value)
                .where(
                    MetricValue.metric_id == c.metric_id,
                    func.abs(value - c.value) == found[1],
                )
                .order_by(*self._order(self.when, ActivityInstance.id), value)
                .limit(1)
            ).scalar_one()
        )

    @staticmethod
    def _meets(c: rules.Condition) -> Any:
        """SQL for ``rules.check(value, c.op, c.value)`` (values are finite)."""
        bound = rules.check_bound(c.op, c.value)
        value = MetricValue.value
        if c.op == ">=":
            return value >= bound
        if c.op == "<=":
            return value <= bound
        if c.op == ">":
            return value > bound
        if c.op == "<":
            return value < bound
        return func.abs(value - c.value) <= bound

    def threshold_first(
        self, conditions: Sequence[rules.Condition], bests: Sequence[float | None] | None = None
    ) -> rules.Hit | None:
        """The first practice with a group that meets every condition."""
        if not conditions:
            return self.first()
        if _hopeless(conditions, bests):
            return None
        return rules.first_meeting(conditions, self.practices(conditions))

    def frequency_first(
        self,
        conditions: Sequence[rules.Condition],
        count: int,
        bests: Sequence[float | None] | None = None,
        *,
        sessions: bool = True,
    ) -> tuple[rules.Hit | None, int]:
        """(the practice at which ``count`` distinct sessions held practice meeting the
        conditions, how many sessions did). Without ``sessions`` the search stops at that
        practice and the number is how many it took."""
        if not conditions:
            return self.frequency(count)
        if _hopeless(conditions, bests):
            return None, 0
        seen: set[str] = set()
        practices = self.practices(conditions, skip=seen)
        return rules.frequency_first(conditions, practices, count, seen, stop=not sessions)

    def sum(
        self, conditions: Sequence[rules.Condition]
    ) -> tuple[rules.Hit | None, list[float | None]]:
        """(the practice at which the running totals first held, when they still hold at the
        end; each condition's total)."""
        if not conditions:
            return self.first(), []
        first, totals = rules.running_totals(conditions, self.totals(conditions))
        holds = all(rules.check(v, c.op, c.value) for c, v in zip(conditions, totals, strict=True))
        return (first if holds else None), totals

    def first(self) -> rules.Hit | None:
        """The first practice in order."""
        row = self.s.execute(
            self.instances(ActivityInstance.id, ActivityInstance.session_id, self.when)
            .order_by(*self._order(self.when, ActivityInstance.id))
            .limit(1)
        ).first()
        return rules.Hit(*row) if row is not None else None

    def frequency(self, count: int) -> tuple[rules.Hit | None, int]:
        """Distinct sessions, and the practice at which the ``count``-th of them was reached:
        the ``count``-th practice that is the first of its session."""
        ranked = self.instances(
            ActivityInstance.id.label("instance_id"),
            ActivityInstance.session_id.label("session_id"),
            self.when.label("done"),
            func.row_number()
            .over(
                partition_by=ActivityInstance.session_id,
                order_by=self._order(self.when, ActivityInstance.id),
            )
            .label("nth"),
        ).subquery()
        firsts = ranked.c.nth == 1
        sessions = int(
            self.s.execute(select(func.count()).select_from(ranked).where(firsts)).scalar_one()
        )
        if sessions < count:
            return None, sessions
        row = self.s.execute(
            select(ranked.c.instance_id, ranked.c.session_id, ranked.c.done)
            .where(firsts)
            .order_by(*self._order(ranked.c.done, ranked.c.instance_id))
            .offset(count - 1)
            .limit(1)
        ).one()
        return rules.Hit(*row), sessions

    def candidates(self, conditions: Sequence[rules.Condition]) -> Iterator[_Candidate]:
        """Practices that may meet the conditions, in practice order: those holding, for every
        condition, a value that meets it (found from the metric's values alone, without
        joins). Whether they count and form one group is left to the rule. The first few
        come first: the rule often stops there; the rest come in one more query."""
        stmt = self.instances(
            ActivityInstance.id,
            ActivityInstance.session_id,
            self.when,
            PracticeSession.started_at,
        )
        for c in conditions:
            meeting = select(MetricValue.instance_id).where(
                MetricValue.metric_id == c.metric_id, self._meets(c)
            )
            stmt = stmt.where(ActivityInstance.id.in_(meeting))
        stmt = stmt.order_by(*self._order(self.when, ActivityInstance.id))
        first = self.s.execute(stmt.limit(_CHUNK)).all()
        yield from (_Candidate(*row) for row in first)
        if len(first) == _CHUNK:
            rest = self.s.execute(stmt.offset(_CHUNK)).all()
            yield from (_Candidate(*row) for row in rest)

    def practices(
        self, conditions: Sequence[rules.Condition], skip: set[str] | None = None
    ) -> Iterator[rules.Practice]:
        """Candidates as Practices, loaded a chunk at a time as they are consumed; candidates
        of sessions in ``skip`` (as it is when a chunk starts) are left out. Every metric's
        values are loaded: a side holding only other metrics is still a group that a value
        without a split joins."""
        pending = self.candidates(conditions)
        while batch := list(itertools.islice(pending, _CHUNK)):
            chunk = [c for c in batch if skip is None or c.session_id not in skip]
            if not chunk:
                continue
            values: dict[str, list[tuple[str | None, str | None, str, float]]] = {}
            for instance_id, set_id, split_id, metric_id, value in self.s.execute(
                self.values(
                    MetricValue.instance_id,
                    MetricValue.set_id,
                    MetricValue.split_id,
                    MetricValue.metric_id,
                    MetricValue.value,
                ).where(MetricValue.instance_id.in_([c.instance_id for c in chunk]))
            ):
                values.setdefault(instance_id, []).append((set_id, split_id, metric_id, value))
            for c in chunk:
                yield rules.practice_from_values(
                    c.instance_id,
                    c.session_id,
                    c.when,
                    rules.local_day(c.started_at),
                    values.get(c.instance_id, []),
                )

    def totals(
        self, conditions: Sequence[rules.Condition]
    ) -> list[tuple[rules.Hit, dict[str, float]]]:
        """Per practice in order, the sum of its counted values of the conditions' metrics
        (practice without any does not move a running total, so it is left out)."""
        rows: Sequence[Any] = self.s.execute(
            self.values(
                ActivityInstance.id,
                ActivityInstance.session_id,
                self.when,
                MetricValue.metric_id,
                func.sum(MetricValue.value),
            )
            .where(MetricValue.metric_id.in_({c.metric_id for c in conditions}))
            .group_by(
                ActivityInstance.id, ActivityInstance.session_id, self.when, MetricValue.metric_id
            )
        ).all()
        by_instance: dict[str, tuple[rules.Hit, dict[str, float]]] = {}
        for instance_id, session_id, when, metric_id, total in rows:
            entry = by_instance.setdefault(
                instance_id, (rules.Hit(instance_id, session_id, when), {})
            )
            entry[1][metric_id] = float(total)
        return sorted(by_instance.values(), key=lambda e: (e[0].when, e[0].instance_id))
