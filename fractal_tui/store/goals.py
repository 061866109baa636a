"""Fractals (root goals) and the goal tree."""

from dataclasses import fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fractal_tui import hierarchy
from fractal_tui.errors import Invalid
from fractal_tui.models import Event, Goal, Note, PracticeSession, SessionGoal
from fractal_tui.store.base import StoreBase
from fractal_tui.views import DeleteSummary, FractalView, GoalDetail, GoalView, NoteView, from_row

_UNSET: Any = object()
_GOAL_VIEW_FIELDS = tuple(f.name for f in fields(GoalView))


def _clean_name(name: str, what: str = "goal") -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid(f"a {what} needs a name")
    if len(name) > 500:
        raise Invalid(f"a {what} name can be at most 500 characters")
    if any(ord(c) < 32 for c in name):
        raise Invalid(f"a {what} name cannot contain control characters")
    return name


class GoalsMixin(StoreBase):
    # --- fractals ------------------------------------------------------------------

    def create_fractal(
        self, name: str, *, description: str = "", level: int = 0, deadline: date | None = None
    ) -> GoalView:
        """A new fractal: a root goal that is its own root."""
        name = _clean_name(name, "fractal")
        hierarchy.check_new_level(level, None, [])
        with self._tx() as s:
            goal = Goal(name=name, description=description, level=level, deadline=deadline)
            self._insert(s, goal)
            self._event(s, goal.id, "fractal_created", goal, f"created fractal {name!r}")
            return from_row(GoalView, goal)

    def list_fractals(self) -> list[FractalView]:
        with self._read() as s:
            roots = self._list(s, Goal, Goal.parent_id.is_(None))
            counts = dict(
                s.execute(
                    select(Goal.root_id, func.count())
                    .where(Goal.parent_id.is_not(None))
                    .group_by(Goal.root_id)
                ).all()
            )
            done = dict(
                s.execute(
                    select(Goal.root_id, func.count())
                    .where(Goal.completed_at.is_not(None), Goal.parent_id.is_not(None))
                    .group_by(Goal.root_id)
                ).all()
            )
            active = {
                r.root_id: r
                for r in s.execute(
                    select(PracticeSession).where(PracticeSession.completed_at.is_(None))
                ).scalars()
            }
            last = dict(
                s.execute(
                    select(Event.root_id, func.max(Event.created_at)).group_by(Event.root_id)
                ).all()
            )
            return [
                from_row(
                    FractalView,
                    g,
                    goal_count=counts.get(g.id, 0),
                    completed_count=done.get(g.id, 0),
                    active_session_id=active[g.id].id if g.id in active else None,
                    active_session_name=(active[g.id].name or "session")
                    if g.id in active
                    else None,
                    last_activity=_aware(last.get(g.id)),
                )
                for g in roots
            ]

    def resolve_fractal(self, ref: str | None) -> GoalView:
        """A fractal by id, prefix or name; without one, the only fractal or the last used."""
        with self._read() as s:
            if ref:
                goal = self._resolve(s, Goal, ref, Goal.parent_id.is_(None))
                return from_row(GoalView, goal)
            roots = self._list(s, Goal, Goal.parent_id.is_(None))
            if not roots:
                raise Invalid("there is no fractal yet; create one with `fractal add-fractal NAME`")
            if len(roots) == 1:
                return from_row(GoalView, roots[0])
            live = {g.id for g in roots}
            recent = s.execute(
                select(Event.root_id)
                .where(Event.root_id.in_(live))
                .order_by(Event.created_at.desc())
                .limit(1)
            ).scalar()
            chosen = next(g for g in roots if g.id == recent) if recent else roots[-1]
            return from_row(GoalView, chosen)

    # --- goals -----------------------------------------------------------------------

    def add_goal(
        self,
        parent_id: str,
        name: str,
        *,
        level: int | None = None,
        description: str = "",
        deadline: date | None = None,
        complete_with_children: bool = False,
    ) -> GoalView:
        """A child goal; its level defaults to the next rank below the parent."""
        name = _clean_name(name)
        with self._tx() as s:
            parent = self._get(s, Goal, parent_id)
            if level is None:
                level = hierarchy.default_child_level(parent.level)
            hierarchy.check_child_level(parent.level, level)
            goal = Goal(
                parent_id=parent.id,
                name=name,
                level=level,
                description=description,
                deadline=deadline,
                complete_with_children=complete_with_children,
            )
            self._insert(s, goal)
            self._event(s, goal.root_id, "goal_created", goal, f"added goal {name!r}")
            return from_row(GoalView, goal)

    def add_sibling(self, goal_id: str, name: str, **kwargs: Any) -> GoalView:
        with self._read() as s:
            goal = self._get(s, Goal, goal_id)
            if goal.parent_id is None:
                raise Invalid("a fractal's root has no siblings; create a new fractal instead")
            parent_id = goal.parent_id
            kwargs.setdefault("level", goal.level)
        return self.add_goal(parent_id, name, **kwargs)

    def get_goal(self, goal_id: str) -> GoalView:
        with self._read() as s:
            return from_row(GoalView, self._get(s, Goal, goal_id))

    def resolve_goal(self, root_id: str, ref: str) -> GoalView:
        with self._read(root_id) as s:
            return from_row(GoalView, self._resolve(s, Goal, ref))

    def goals(self, root_id: str, *, include_completed: bool = True) -> list[GoalView]:
        """The fractal's goals, each list of siblings in sort order (see hierarchy.tree_order)."""
        # Plain columns through Core: the goal tree reads every goal of a fractal, and ORM
        # rows cost ~3x as much for 1,000 goals. Same filters and order as _list.
        goals = Goal.__table__.c  # type: ignore[attr-defined]
        stmt = (
            select(*(goals[name] for name in _GOAL_VIEW_FIELDS))
            .where(goals.root_id == root_id, goals.deleted_at.is_(None))
            .order_by(goals.sort_order, goals.created_at)
        )
        if not include_completed:
            stmt = stmt.where(goals.completed_at.is_(None))
        with self._read(root_id) as s:
            return [GoalView(*row) for row in s.connection().execute(stmt)]

    def goal_detail(self, goal_id: str) -> GoalDetail:
        with self._read() as s:
            goal = self._get(s, Goal, goal_id)
            children = s.execute(
                select(func.count()).select_from(Goal).where(Goal.parent_id == goal.id)
            ).scalar()
            sessions = s.execute(
                select(func.count(func.distinct(SessionGoal.session_id)))
                .select_from(SessionGoal)
                .join(PracticeSession, PracticeSession.id == SessionGoal.session_id)
                .where(SessionGoal.goal_id == goal.id)
            ).scalar()
            notes = self._list(s, Note, Note.goal_id == goal.id)
            return GoalDetail(
                goal=from_row(GoalView, goal),
                children_count=children or 0,
                session_count=sessions or 0,
                notes=tuple(from_row(NoteView, n) for n in notes),
                targets=tuple(self._target_views(s, goal.id)),
            )

    def _target_views(self, s: Session, goal_id: str) -> list[Any]:
        """Targets of a goal as views; the targets module fills this in."""
        return []

    def update_goal(
        self,
        goal_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        deadline: date | None = _UNSET,
        level: int | None = None,
        complete_with_children: bool | None = None,
    ) -> GoalView:
        with self._tx() as s:
            goal = self._get(s, Goal, goal_id)
            changes: dict[str, Any] = {}
            if name is not None:
                changes["name"] = _clean_name(name)
            if description is not None:
                changes["description"] = description
            if deadline is not _UNSET:
                changes["deadline"] = deadline
            if complete_with_children is not None:
                changes["complete_with_children"] = complete_with_children
            if level is not None and level != goal.level:
                parent_level = self._get(s, Goal, goal.parent_id).level if goal.parent_id else None
                child_levels = s.execute(
                    select(Goal.level).where(Goal.parent_id == goal.id)
                ).scalars()
                hierarchy.check_new_level(level, parent_level, child_levels)
                changes["level"] = level
            self._update(s, goal, **changes)
            return from_row(GoalView, goal)

    def move_goal(self, goal_id: str, new_parent_id: str) -> GoalView:
        """Put a goal (with its subtree) under another parent in the same fractal."""
        with self._tx() as s:
            goal = self._get(s, Goal, goal_id)
            parent = self._get(s, Goal, new_parent_id)
            if goal.parent_id is None:
                raise Invalid("a fractal's root cannot be moved under another goal")
            if parent.root_id != goal.root_id:
                raise Invalid("goals can only move within their own fractal")
            tree = self._list(s, Goal, Goal.root_id == goal.root_id)
            if parent.id == goal.id or parent.id in hierarchy.descendants(tree, goal.id):
                raise Invalid(f"cannot move {goal.name!r} under itself or one of its own goals")
            hierarchy.check_child_level(parent.level, goal.level)
            if goal.parent_id != parent.id:
                self._update(s, goal, parent_id=parent.id)
                self._update(s, goal, sort_order=self._next_sort_order(s, goal))
                self._event(
                    s,
                    goal.root_id,
                    "goal_moved",
                    goal,
                    f"moved {goal.name!r} under {parent.name!r}",
                )
            return from_row(GoalView, goal)

    def edit_goal(
        self,
        goal_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        deadline: date | None = _UNSET,
        level: int | None = None,
        parent_id: str | None = None,
        before: str | None = None,
        after: str | None = None,
        offset: int = 0,
        complete_with_children: bool | None = None,
    ) -> GoalView:
        """Change, move and reorder a goal in one transaction: all of it or nothing.

        The new level is checked against the new parent (and the goal's children);
        ``before``/``after`` name a sibling under the new parent; ``offset`` moves the goal
        up (negative) or down among its siblings.
        """
        if before is not None and after is not None:
            raise Invalid("give at most one of before or after")
        if offset and (before is not None or after is not None):
            raise Invalid("either move up/down or place before/after a sibling, not both")
        with self._tx() as s:
            goal = self._get(s, Goal, goal_id)
            parent = self._get(s, Goal, goal.parent_id) if goal.parent_id else None
            if parent_id is not None and (parent is None or parent_id != parent.id):
                if goal.parent_id is None:
                    raise Invalid("a fractal's root cannot be moved under another goal")
                parent = self._get(s, Goal, parent_id)
                if parent.root_id != goal.root_id:
                    raise Invalid("goals can only move within their own fractal")
                tree = self._list(s, Goal, Goal.root_id == goal.root_id)
                if parent.id == goal.id or parent.id in hierarchy.descendants(tree, goal.id):
                    raise Invalid(f"cannot move {goal.name!r} under itself or one of its own goals")
            new_level = goal.level if level is None else level
            child_levels = s.execute(select(Goal.level).where(Goal.parent_id == goal.id)).scalars()
            hierarchy.check_new_level(new_level, parent.level if parent else None, child_levels)
            changes: dict[str, Any] = {"level": new_level}
            if name is not None:
                changes["name"] = _clean_name(name)
            if description is not None:
                changes["description"] = description
            if deadline is not _UNSET:
                changes["deadline"] = deadline
            if complete_with_children is not None:
                changes["complete_with_children"] = complete_with_children
            self._update(s, goal, **changes)
            if parent is not None and goal.parent_id != parent.id:
                self._update(s, goal, parent_id=parent.id)
                self._update(s, goal, sort_order=self._next_sort_order(s, goal))
                self._event(
                    s,
                    goal.root_id,
                    "goal_moved",
                    goal,
                    f"moved {goal.name!r} under {parent.name!r}",
                )
            if before is not None or after is not None:
                anchor = self._get(s, Goal, before or after)
                if anchor.parent_id != goal.parent_id or anchor.id == goal.id:
                    raise Invalid(f"{anchor.name!r} is not a sibling of {goal.name!r}")
                if before is not None:
                    self._place(s, goal, before=anchor)
                else:
                    self._place(s, goal, after=anchor)
            elif offset:
                self._move(s, goal, offset)
            return from_row(GoalView, goal)

    def shift_goal(self, goal_id: str, offset: int) -> bool:
        """Move a goal up (negative) or down among its siblings; False when already at the end."""
        with self._tx() as s:
            return self._move(s, self._get(s, Goal, goal_id), offset)

    def place_goal(
        self, goal_id: str, *, before: str | None = None, after: str | None = None
    ) -> GoalView:
        """Put a goal just before or after a sibling."""
        if (before is None) == (after is None):
            raise Invalid("give exactly one of before or after")
        with self._tx() as s:
            goal = self._get(s, Goal, goal_id)
            anchor = self._get(s, Goal, before or after)
            if anchor.parent_id != goal.parent_id or anchor.id == goal.id:
                raise Invalid(f"{anchor.name!r} is not a sibling of {goal.name!r}")
            if before:
                self._place(s, goal, before=anchor)
            else:
                self._place(s, goal, after=anchor)
            return from_row(GoalView, goal)

    def complete_goal(self, goal_id: str, *, undo: bool = False) -> GoalView:
        """Mark a goal done (or not done); parents that complete with children follow."""
        with self._tx() as s:
            goal = self._get(s, Goal, goal_id)
            self._set_goal_done(s, goal, not undo, by="manual")
            return from_row(GoalView, goal)

    def _set_goal_done(self, s: Session, goal: Goal, done: bool, by: str) -> None:
        if done == (goal.completed_at is not None):
            return
        if done:
            self._update(s, goal, completed_at=self.now(), completed_by=by)
            message = f"completed {goal.name!r}" + ("" if by == "manual" else f" (by its {by})")
            self._event(s, goal.root_id, "goal_completed", goal, message)
        else:
            self._update(s, goal, completed_at=None, completed_by=None)
            self._event(s, goal.root_id, "goal_reopened", goal, f"reopened {goal.name!r}")
        self._after_goal_done_changed(s, goal)

    def _after_goal_done_changed(self, s: Session, goal: Goal) -> None:
        """A parent set to complete with its children follows them."""
        if goal.parent_id is None:
            return
        parent = self._get(s, Goal, goal.parent_id)
        if not parent.complete_with_children:
            return
        open_children = s.execute(
            select(func.count())
            .select_from(Goal)
            .where(Goal.parent_id == parent.id, Goal.completed_at.is_(None))
        ).scalar()
        if open_children == 0 and parent.completed_at is None:
            self._set_goal_done(s, parent, True, by="children")
        elif (
            open_children and parent.completed_at is not None and parent.completed_by == "children"
        ):
            self._set_goal_done(s, parent, False, by="children")

    def delete_goal(self, goal_id: str) -> DeleteSummary:
        """Soft-delete a goal with its subtree and targets (a root: the whole fractal)."""
        with self._tx() as s:
            goal = self._get(s, Goal, goal_id)
            summary = self._soft_delete(s, goal)
            kind = "fractal_deleted" if goal.parent_id is None else "deleted"
            self._event(
                s,
                goal.root_id,
                kind,
                goal,
                f"deleted {goal.name!r} with {summary.describe()}",
                batch=summary.batch,
            )
            return summary

    def preview_delete_goal(self, goal_id: str) -> DeleteSummary:
        with self._tx() as s:
            return self._delete_preview(s, self._get(s, Goal, goal_id))


def _aware(value: datetime | None) -> datetime | None:
    # Aggregates bypass the column type on SQLite, so tag their naive UTC by hand.
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    from datetime import UTC

    return value.replace(tzinfo=UTC)
