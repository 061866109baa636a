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
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

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
            return self._target_progress_of(s, target, {})

    def goal_targets_progress(self, goal_id: str) -> list[TargetProgress]:
        """Progress of every target of a goal, in order."""
        with self._read() as s:
            goal = self._get(s, Goal, goal_id)
            cache: dict[str, list[rules.Practice]] = {}
            return [
                self._target_progress_of(s, t, cache)
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
        cache: dict[str, list[rules.Practice]] = {}
        changed: list[Target] = []
        goals: dict[str, None] = {}
        for target in targets:
            evaluation = self._target_evaluate(s, target, cache)
            goals[target.goal_id] = None
            if self._target_apply(s, target, evaluation):
                changed.append(target)
        for goal_id in goals:
            self._targets_sync_goal(s, goal_id)
        return changed

    def _target_evaluate(
        self, s: Session, target: Target, cache: dict[str, list[rules.Practice]]
    ) -> rules.Evaluation:
        if target.activity_id not in cache:
            cache[target.activity_id] = self._target_practices(s, target.activity_id)
        return rules.evaluate(
            target.kind,
            [
                rules.Condition(c.metric_id, c.op, c.value)
                for c in self._target_conditions(s, target.id)
            ],
            cache[target.activity_id],
            count=target.count,
            starts_on=target.starts_on,
            ends_on=target.ends_on,
            since=self._target_reset_at(s, target),
        )

    def _target_apply(self, s: Session, target: Target, evaluation: rules.Evaluation) -> bool:
        """Persist a target's met state; True when it changed (met or reverted)."""
        if evaluation.met and target.met_at is None:
            self._update(s, target, met_at=evaluation.when, met_session_id=evaluation.session_id)
            self._event(s, target.root_id, "target_met", target, f"met target {target.name!r}")
            return True
        if not evaluation.met and target.met_at is not None:
            self._update(s, target, met_at=None, met_session_id=None)
            self._event(
                s,
                target.root_id,
                "target_unmet",
                target,
                f"target {target.name!r} is no longer met",
            )
            return True
        if evaluation.met and target.met_session_id != evaluation.session_id:
            # Still met, now by other practice (the first was deleted or changed).
            self._update(s, target, met_session_id=evaluation.session_id)
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

    def _target_practices(self, s: Session, activity_id: str) -> list[rules.Practice]:
        """Every counted instance of an activity with its values (three queries)."""
        rows = s.execute(
            select(ActivityInstance, PracticeSession)
            .join(PracticeSession, PracticeSession.id == ActivityInstance.session_id)
            .where(
                ActivityInstance.activity_id == activity_id,
                or_(
                    ActivityInstance.completed_at.is_not(None),
                    PracticeSession.completed_at.is_not(None),
                ),
            )
        ).all()
        if not rows:
            return []
        ids = [i.id for i, _ in rows]
        values: dict[str, list[tuple[str | None, str | None, str, float]]] = {}
        for v in s.execute(select(MetricValue).where(MetricValue.instance_id.in_(ids))).scalars():
            values.setdefault(v.instance_id, []).append(
                (v.set_id, v.split_id, v.metric_id, v.value)
            )
        skipped = set(
            s.execute(
                select(ActivitySet.id).where(
                    ActivitySet.instance_id.in_(ids),
                    ActivitySet.status == SetStatus.skipped.value,
                )
            ).scalars()
        )
        return [
            rules.practice_from_values(
                instance.id,
                session.id,
                instance.completed_at or session.completed_at,  # type: ignore[arg-type]
                session.started_at.astimezone().date(),
                values.get(instance.id, []),
                skipped,
            )
            for instance, session in rows
        ]

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

    def _target_progress_of(
        self, s: Session, target: Target, cache: dict[str, list[rules.Practice]]
    ) -> TargetProgress:
        view = self._target_view(s, target)
        evaluation = self._target_evaluate(s, target, cache)
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
