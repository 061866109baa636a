"""Notes on goals, sessions and activity instances.

- A note has exactly one subject: a goal, a session or an activity instance; its root_id is
  the subject's. Text is required (trimmed), may span lines, has no other control characters.
- Deleting uses the generic ``store.delete("note", id)``; a subject's delete takes its notes.
- ``resolve_note_subject`` turns what a person typed into a subject, in this order:
  1. ``session`` (or ``active``): the fractal's active session;
  2. an exact id of a goal, session or instance of the fractal;
  3. an id prefix (4+ characters) matching exactly one goal, session or instance;
  4. a goal's exact name (case-insensitive).
  A prefix or a name matching several rows is an error that lists them.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from fractal_tui.errors import Invalid, NotFound
from fractal_tui.models import Activity, ActivityInstance, Goal, Note, PracticeSession
from fractal_tui.store.base import StoreBase
from fractal_tui.views import NoteSubject, NoteView, from_row

MAX_NOTE = 20_000
SUBJECT_KINDS = ("goal", "session", "instance")
ACTIVE_WORDS = ("session", "active")

_MODELS: dict[str, type] = {
    "goal": Goal,
    "session": PracticeSession,
    "instance": ActivityInstance,
}


def clean_note_text(text: str | None) -> str:
    """Trimmed text: not empty, not huge, no control characters but newlines and tabs."""
    value = (text or "").strip()
    if not value:
        raise Invalid("a note needs some text")
    if len(value) > MAX_NOTE:
        raise Invalid(f"a note can be at most {MAX_NOTE} characters")
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in value):
        raise Invalid("a note cannot contain control characters (newlines and tabs are fine)")
    return value


def _one_subject(goal_id: str | None, session_id: str | None, instance_id: str | None) -> str:
    given = [
        k
        for k, v in (("goal", goal_id), ("session", session_id), ("instance", instance_id))
        if v is not None
    ]
    if len(given) != 1:
        raise Invalid("a note is about exactly one goal, session or activity instance")
    return given[0]


class NotesMixin(StoreBase):
    def add_note(
        self,
        *,
        goal_id: str | None = None,
        session_id: str | None = None,
        instance_id: str | None = None,
        text: str,
    ) -> NoteView:
        """A note on exactly one goal, session or activity instance."""
        kind = _one_subject(goal_id, session_id, instance_id)
        body = clean_note_text(text)
        with self._tx() as s:
            subject_id = {"goal": goal_id, "session": session_id, "instance": instance_id}[kind]
            subject = self._get(s, _MODELS[kind], subject_id)
            note = Note(
                goal_id=subject.id if kind == "goal" else None,
                session_id=subject.id if kind == "session" else None,
                instance_id=subject.id if kind == "instance" else None,
                text=body,
            )
            self._insert(s, note, root_id=subject.root_id)
            self._event(
                s,
                note.root_id,
                "note_added",
                note,
                f"added a note to {self._note_subject_label(s, kind, subject)}",
            )
            return from_row(NoteView, note)

    def notes_for(
        self,
        *,
        goal_id: str | None = None,
        session_id: str | None = None,
        instance_id: str | None = None,
    ) -> list[NoteView]:
        """The notes of one subject, oldest first."""
        kind = _one_subject(goal_id, session_id, instance_id)
        with self._read() as s:
            subject_id = {"goal": goal_id, "session": session_id, "instance": instance_id}[kind]
            subject = self._get(s, _MODELS[kind], subject_id)
            column = {
                "goal": Note.goal_id,
                "session": Note.session_id,
                "instance": Note.instance_id,
            }
            return [from_row(NoteView, n) for n in self._list(s, Note, column[kind] == subject.id)]

    def notes(self, root_id: str, *, limit: int = 100) -> list[NoteView]:
        """A fractal's notes, newest first."""
        if limit < 1:
            raise Invalid("the limit must be at least 1")
        with self._read(root_id) as s:
            self._fractal_root(s, root_id)
            rows = s.execute(
                select(Note).order_by(Note.created_at.desc(), Note.id).limit(limit)
            ).scalars()
            return [from_row(NoteView, n) for n in rows]

    def get_note(self, note_id: str) -> NoteView:
        with self._read() as s:
            return from_row(NoteView, self._get(s, Note, note_id))

    def update_note(self, note_id: str, text: str) -> NoteView:
        """Replace a note's text."""
        body = clean_note_text(text)
        with self._tx() as s:
            note = self._get(s, Note, note_id)
            self._update(s, note, text=body)
            return from_row(NoteView, note)

    # --- what a note is about ------------------------------------------------------------

    def resolve_note_subject(
        self, root_id: str, ref: str, *, kind: str | None = None
    ) -> NoteSubject:
        """The goal, session or instance ``ref`` names in the fractal (order: module doc).

        ``kind`` ("goal", "session" or "instance") looks only at that kind.
        """
        ref = (ref or "").strip()
        if kind is not None and kind not in SUBJECT_KINDS:
            raise Invalid(f"a note is about a {', a '.join(SUBJECT_KINDS)}, not a {kind!r}")
        if not ref:
            raise Invalid("name what the note is about: a goal, a session or an activity instance")
        kinds = (kind,) if kind else SUBJECT_KINDS
        with self._read(root_id) as s:
            self._fractal_root(s, root_id)
            if "session" in kinds and ref.lower() in ACTIVE_WORDS:
                active = (
                    s.execute(select(PracticeSession).where(PracticeSession.completed_at.is_(None)))
                    .scalars()
                    .first()
                )
                if active is None:
                    raise NotFound(f"there is no active session for {ref!r} to mean")
                return self._note_subject(s, "session", active)
            for k in kinds:
                row = s.get(_MODELS[k], ref)
                if row is not None and row.deleted_at is None and row.root_id == root_id:
                    return self._note_subject(s, k, row)
            found: list[tuple[str, object]] = []
            if len(ref) >= 4:
                like = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                for k in kinds:
                    model = _MODELS[k]
                    found += [
                        (k, r)
                        for r in s.execute(
                            select(model).where(model.id.like(like, escape="\\")).limit(10)
                        ).scalars()
                    ]
            if not found and "goal" in kinds:
                found = [("goal", g) for g in self._list(s, Goal) if g.name.lower() == ref.lower()]
            if len(found) == 1:
                return self._note_subject(s, *found[0])
            if not found:
                raise NotFound(
                    f"nothing matches {ref!r}: give a goal's name or id, a session's id "
                    "(or 'session' for the active one), or an activity instance's id"
                )
            listed = "; ".join(
                f"{self._note_subject_label(s, k, r)} (id {r.id[:8]})"  # type: ignore[attr-defined]
                for k, r in found
            )
            raise Invalid(f"{ref!r} matches {len(found)} things: {listed}. Give more of the id.")

    def _note_subject(self, s: Session, kind: str, row: object) -> NoteSubject:
        return NoteSubject(
            kind=kind,
            id=row.id,  # type: ignore[attr-defined]
            root_id=row.root_id,  # type: ignore[attr-defined]
            label=self._note_subject_label(s, kind, row),
        )

    def _note_subject_label(self, s: Session, kind: str, row: object) -> str:
        if kind == "goal":
            return f"goal {row.name!r}"  # type: ignore[attr-defined]
        if kind == "session":
            started = row.started_at.astimezone().strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]
            name = row.name  # type: ignore[attr-defined]
            return f"session {name!r} of {started}" if name else f"the session of {started}"
        activity = s.execute(
            select(Activity.name).where(Activity.id == row.activity_id)  # type: ignore[attr-defined]
        ).scalar()
        return f"activity instance {activity or '?'!r}"
