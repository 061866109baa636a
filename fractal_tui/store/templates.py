"""Session templates: reusable session plans, and sessions started from them.

- A template has a name (unique in its fractal, case-insensitive), a description and ordered
  sections; a section is a name with ordered items, each an activity (or ``None``: planned
  time without one) and planned minutes. Stored as ``TemplateItem`` rows: a section is the
  run of consecutive items sharing its name; its planned minutes are the sum of its items.
- Section names differ within a template (case-insensitive); the empty name is an unnamed
  section. A section needs at least one item. Planned minutes are finite, 0 to 1440.
- Editing with ``sections`` replaces the items: an item keeps its id (and row) when the same
  activity stays in the same section; other old items are soft-deleted, new ones inserted.
- ``template_from_session`` copies a session's activities and sections; planned minutes are
  each instance's timed minutes rounded up.
- ``start_session_from_template`` and ``repeat_last_session`` start the session and add its
  instances (in order, with sections and planned durations) in one transaction.
- ``planned_vs_actual``: per section, planned minutes (the session's template when it is still
  there, else the instances' planned durations) against timed minutes (running timers count
  up to now).
"""

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fractal_tui import timing
from fractal_tui.errors import Conflict, Invalid, NotFound
from fractal_tui.models import (
    Activity,
    ActivityInstance,
    PracticeSession,
    SessionGoal,
    SessionTemplate,
    TemplateItem,
    WorkInterval,
)
from fractal_tui.store.base import StoreBase
from fractal_tui.views import (
    SectionProgress,
    SessionView,
    TemplateItemSpec,
    TemplateItemView,
    TemplateSection,
    TemplateSectionView,
    TemplateView,
    from_row,
)

MAX_NAME = 200
MAX_MINUTES = 24 * 60


def _clean(value: str | None, what: str, *, required: bool = True, limit: int = MAX_NAME) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(f"a {what} needs a name")
    if len(text) > limit:
        raise Invalid(f"a {what} name can be at most {limit} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise Invalid(f"a {what} name cannot contain control characters")
    return text


def _clean_description(value: str | None) -> str:
    text = (value or "").strip()
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        raise Invalid("a description cannot contain control characters")
    return text


def _minutes(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Invalid(f"planned minutes {where} must be a finite number, not {value!r}")
    if not 0 <= value <= MAX_MINUTES:
        raise Invalid(f"planned minutes {where} must be between 0 and {MAX_MINUTES}")
    return float(value)


def check_sections(sections: Sequence[TemplateSection]) -> list[tuple[str, list[TemplateItemSpec]]]:
    """Sections with clean names and items, or Invalid (before anything is written)."""
    out: list[tuple[str, list[TemplateItemSpec]]] = []
    seen: set[str] = set()
    for section in sections:
        if not isinstance(section, TemplateSection):
            raise Invalid("sections must be TemplateSection(name, items)")
        name = _clean(section.name, "section", required=False)
        label = repr(name) if name else "the unnamed section"
        if name.casefold() in seen:
            raise Invalid(f"two sections are called {label}; section names must differ")
        seen.add(name.casefold())
        items = list(section.items)
        if not items:
            raise Invalid(f"section {label} has no activities")
        clean_items = []
        for item in items:
            if not isinstance(item, TemplateItemSpec):
                raise Invalid("section items must be TemplateItemSpec(activity_id, minutes)")
            minutes = _minutes(item.planned_minutes, f"in section {label}")
            clean_items.append(TemplateItemSpec(item.activity_id, minutes))
        out.append((name, clean_items))
    return out


def group_sections(items: Sequence[TemplateItemView]) -> list[TemplateSectionView]:
    """Items in order, grouped into sections: runs of consecutive items sharing a name."""
    runs: list[tuple[str, list[TemplateItemView]]] = []
    for item in items:
        if runs and runs[-1][0] == item.section:
            runs[-1][1].append(item)
        else:
            runs.append((item.section, [item]))
    return [
        TemplateSectionView(
            name=name, planned_minutes=sum(i.planned_minutes for i in rows), items=tuple(rows)
        )
        for name, rows in runs
    ]


class TemplatesMixin(StoreBase):
    # --- create, read ------------------------------------------------------------------

    def add_template(
        self,
        root_id: str,
        name: str,
        *,
        description: str = "",
        sections: Sequence[TemplateSection] = (),
    ) -> TemplateView:
        """A new template, last in the fractal's list."""
        name = _clean(name, "template")
        description = _clean_description(description)
        plan = check_sections(sections)
        with self._tx(root_id) as s:
            self._fractal_root(s, root_id)
            self._template_name_free(s, name)
            template = self._insert(
                s, SessionTemplate(name=name, description=description), root_id=root_id
            )
            self._template_write_items(s, template, [], plan)
            self._event(s, root_id, "template_created", template, f"added template {name!r}")
            return self._template_view(s, template)

    def templates(self, root_id: str) -> list[TemplateView]:
        """The fractal's templates in order, with their sections."""
        with self._read(root_id) as s:
            self._fractal_root(s, root_id)
            rows = self._list(s, SessionTemplate)
            return self._template_views(s, rows)

    def get_template(self, template_id: str) -> TemplateView:
        with self._read() as s:
            return self._template_view(s, self._get(s, SessionTemplate, template_id))

    def resolve_template(self, root_id: str, ref: str) -> TemplateView:
        """A template by id, id prefix or exact name (case-insensitive)."""
        with self._read(root_id) as s:
            return self._template_view(s, self._resolve(s, SessionTemplate, ref))

    # --- change ------------------------------------------------------------------------

    def update_template(
        self,
        template_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        sections: Sequence[TemplateSection] | None = None,
    ) -> TemplateView:
        """Rename, describe, or replace the sections (ids kept where an activity stays put)."""
        new_name = _clean(name, "template") if name is not None else None
        new_description = _clean_description(description) if description is not None else None
        plan = check_sections(sections) if sections is not None else None
        with self._tx() as s:
            template = self._get(s, SessionTemplate, template_id)
            s.info["root_id"] = template.root_id
            changes: dict[str, Any] = {}
            if new_name is not None and new_name != template.name:
                self._template_name_free(s, new_name, but=template.id)
                changes["name"] = new_name
            if new_description is not None:
                changes["description"] = new_description
            self._update(s, template, **changes)
            if plan is not None:
                old = self._list(s, TemplateItem, TemplateItem.template_id == template.id)
                self._template_write_items(s, template, old, plan)
            return self._template_view(s, template)

    def shift_template(self, template_id: str, offset: int) -> bool:
        """Move a template up (negative) or down in the list; False at that end."""
        with self._tx() as s:
            return self._move(s, self._get(s, SessionTemplate, template_id), offset)

    def template_from_session(
        self, session_id: str, name: str, *, description: str = ""
    ) -> TemplateView:
        """A template with a session's activities and sections; minutes = time rounded up."""
        name = _clean(name, "template")
        description = _clean_description(description)
        with self._tx() as s:
            session = self._get(s, PracticeSession, session_id)
            s.info["root_id"] = session.root_id
            instances = self._list(s, ActivityInstance, ActivityInstance.session_id == session.id)
            if not instances:
                raise Invalid("that session has no activities to make a template from")
            seconds = self._template_seconds(s, [i.id for i in instances])
            grouped: dict[str, tuple[str, list[TemplateItemSpec]]] = {}
            for inst in instances:
                key = inst.section.casefold()
                grouped.setdefault(key, (inst.section, []))[1].append(
                    TemplateItemSpec(
                        inst.activity_id,
                        float(min(MAX_MINUTES, math.ceil(seconds.get(inst.id, 0.0) / 60))),
                    )
                )
            plan = list(grouped.values())
            self._template_name_free(s, name)
            template = self._insert(
                s,
                SessionTemplate(name=name, description=description),
                root_id=session.root_id,
            )
            self._template_write_items(s, template, [], plan)
            self._event(
                s,
                session.root_id,
                "template_created",
                template,
                f"added template {name!r} from a session",
            )
            return self._template_view(s, template)

    # --- sessions from plans -----------------------------------------------------------

    def start_session_from_template(
        self,
        root_id: str,
        template_id: str,
        *,
        name: str | None = None,
        goal_ids: Sequence[str] = (),
        at: datetime | None = None,
    ) -> SessionView:
        """Start the fractal's session with the template's activities, in its order.

        Without a name (None or empty) the session takes the template's name.
        """
        with self._tx(root_id) as s:
            template = self._get(s, SessionTemplate, template_id)
            if template.root_id != root_id:
                raise NotFound(f"no template with id {template_id!r} in this fractal")
            items = self._list(s, TemplateItem, TemplateItem.template_id == template.id)
            session = self._start_session(  # type: ignore[attr-defined]
                s, root_id, name or template.name, goal_ids, at
            )
            self._update(s, session, template_id=template.id)
            for item in items:
                if item.activity_id is None:
                    continue
                planned = item.planned_minutes * 60 if item.planned_minutes > 0 else None
                self._template_add_instance(s, session, item.activity_id, item.section, planned)
            return self._session_view(s, session)  # type: ignore[attr-defined,no-any-return]

    def repeat_last_session(self, root_id: str, *, at: datetime | None = None) -> SessionView:
        """Start a session like the fractal's last completed one: its name, goals, template,
        activities, sections and planned durations."""
        with self._tx(root_id) as s:
            self._fractal_root(s, root_id)
            last = (
                s.execute(
                    select(PracticeSession)
                    .where(PracticeSession.completed_at.is_not(None))
                    .order_by(
                        PracticeSession.completed_at.desc(), PracticeSession.started_at.desc()
                    )
                    .limit(1)
                )
                .scalars()
                .first()
            )
            if last is None:
                raise NotFound("there is no completed session to repeat yet")
            instances = self._list(s, ActivityInstance, ActivityInstance.session_id == last.id)
            goal_ids = list(
                s.execute(
                    select(SessionGoal.goal_id)
                    .where(SessionGoal.session_id == last.id)
                    .order_by(SessionGoal.created_at)
                ).scalars()
            )
            template_id = None
            if last.template_id is not None:
                template_id = s.execute(
                    select(SessionTemplate.id).where(SessionTemplate.id == last.template_id)
                ).scalar()
            session = self._start_session(s, root_id, last.name, goal_ids, at)  # type: ignore[attr-defined]
            if template_id is not None:
                self._update(s, session, template_id=template_id)
            for inst in instances:
                self._template_add_instance(
                    s, session, inst.activity_id, inst.section, inst.target_duration_seconds
                )
            return self._session_view(s, session)  # type: ignore[attr-defined,no-any-return]

    def planned_vs_actual(self, session_id: str) -> list[SectionProgress]:
        """Planned against timed minutes per section of a session."""
        with self._read() as s:
            session = self._get(s, PracticeSession, session_id)
            s.info["root_id"] = session.root_id
            instances = self._list(s, ActivityInstance, ActivityInstance.session_id == session.id)
            seconds = self._template_seconds(s, [i.id for i in instances])
            planned: dict[str, float] = {}
            names: dict[str, str] = {}
            order: list[str] = []

            def section(name: str) -> str:
                key = name.casefold()
                if key not in names:
                    names[key] = name
                    order.append(key)
                    planned[key] = 0.0
                return key

            # A deleted template took its items with it: then the instances' plan counts.
            items = (
                self._list(s, TemplateItem, TemplateItem.template_id == session.template_id)
                if session.template_id is not None
                else []
            )
            for item in items:
                planned[section(item.section)] += item.planned_minutes
            actual: dict[str, float] = {}
            count: dict[str, int] = {}
            done: dict[str, int] = {}
            for inst in instances:
                key = section(inst.section)
                if not items and inst.target_duration_seconds:
                    planned[key] += inst.target_duration_seconds / 60
                actual[key] = actual.get(key, 0.0) + seconds.get(inst.id, 0.0) / 60
                count[key] = count.get(key, 0) + 1
                done[key] = done.get(key, 0) + (inst.completed_at is not None)
            return [
                SectionProgress(
                    section=names[key],
                    planned_minutes=planned[key],
                    actual_minutes=actual.get(key, 0.0),
                    instance_count=count.get(key, 0),
                    completed_count=done.get(key, 0),
                )
                for key in order
            ]

    # --- helpers -------------------------------------------------------------------------

    def _template_name_free(self, s: Session, name: str, *, but: str | None = None) -> None:
        """Template names are unique in a fractal (the transaction is scoped to it)."""
        where = [func.lower(SessionTemplate.name) == name.lower()]
        if but is not None:
            where.append(SessionTemplate.id != but)
        if s.execute(select(SessionTemplate.id).where(*where).limit(1)).first():
            raise Conflict(f"a template called {name!r} already exists; pick another name")

    def _template_write_items(
        self,
        s: Session,
        template: SessionTemplate,
        old: list[TemplateItem],
        plan: list[tuple[str, list[TemplateItemSpec]]],
    ) -> None:
        """Make the template's items match the plan, reusing rows of the same activity in
        the same section; then number them in plan order."""
        pool: dict[tuple[str, str | None], list[TemplateItem]] = {}
        for row in old:
            pool.setdefault((row.section.casefold(), row.activity_id), []).append(row)
        final: list[TemplateItem] = []
        for section, specs in plan:
            for spec in specs:
                if spec.activity_id is not None:
                    self._get(s, Activity, spec.activity_id)  # live and in this fractal
                reuse = pool.get((section.casefold(), spec.activity_id))
                if reuse:
                    row = reuse.pop(0)
                    self._update(s, row, section=section, planned_minutes=spec.planned_minutes)
                else:
                    row = self._insert(
                        s,
                        TemplateItem(
                            template_id=template.id,
                            section=section,
                            activity_id=spec.activity_id,
                            planned_minutes=spec.planned_minutes,
                        ),
                    )
                final.append(row)
        for rows in pool.values():
            for row in rows:
                self._soft_delete(s, row)
        self._reorder(s, final)

    def _template_add_instance(
        self,
        s: Session,
        session: PracticeSession,
        activity_id: str,
        section: str,
        planned_seconds: float | None,
    ) -> ActivityInstance:
        instance = self._add_instance(s, session, activity_id, section)  # type: ignore[attr-defined]
        if planned_seconds:
            self._update(s, instance, target_duration_seconds=planned_seconds)
        return instance  # type: ignore[no-any-return]

    def _template_seconds(self, s: Session, instance_ids: list[str]) -> dict[str, float]:
        """Timed seconds per instance; a running interval counts up to now."""
        if not instance_ids:
            return {}
        spans: dict[str, list[WorkInterval]] = {}
        for row in s.execute(
            select(WorkInterval).where(WorkInterval.instance_id.in_(instance_ids))
        ).scalars():
            spans.setdefault(row.instance_id, []).append(row)
        now = self.now()
        return {i: timing.elapsed(rows, now) for i, rows in spans.items()}

    def _template_views(self, s: Session, rows: Sequence[SessionTemplate]) -> list[TemplateView]:
        ids = [t.id for t in rows]
        if not ids:
            return []
        items = self._list(s, TemplateItem, TemplateItem.template_id.in_(ids))
        names = dict(
            s.execute(
                select(Activity.id, Activity.name).where(
                    Activity.id.in_({i.activity_id for i in items if i.activity_id})
                )
            ).all()
        )
        by_template: dict[str, list[TemplateItemView]] = {}
        for item in items:
            by_template.setdefault(item.template_id, []).append(
                from_row(
                    TemplateItemView,
                    item,
                    activity_name=names.get(item.activity_id, "") if item.activity_id else "",
                )
            )
        out = []
        for t in rows:
            views = by_template.get(t.id, [])
            out.append(
                from_row(
                    TemplateView,
                    t,
                    items=tuple(views),
                    sections=tuple(group_sections(views)),
                    planned_minutes=sum(v.planned_minutes for v in views),
                )
            )
        return out

    def _template_view(self, s: Session, template: SessionTemplate) -> TemplateView:
        return self._template_views(s, [template])[0]
