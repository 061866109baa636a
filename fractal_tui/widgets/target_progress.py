"""How far each target of a goal is, for the goal detail panel.

``load_target_lines(store, goal_id)`` runs in a thread worker (it asks the store for the
targets' progress and for the sessions that met them); ``progress_line(line)`` renders the
second line under a target in the panel:

    ✓ Back squat: weight >= 100 kg  met 2026-01-07
      best 105/100 kg · met in 'Leg day'
    ○ Scales: 3 sessions  frequency ×3
      2/3 sessions
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text

from fractal_tui.errors import FractalError
from fractal_tui.views import TargetProgress


@dataclass(frozen=True)
class TargetLine:
    """One target's progress and the session that met it (None when not met or gone)."""

    progress: TargetProgress
    session_name: str | None = None
    session_started_at: datetime | None = None

    @property
    def target_id(self) -> str:
        return self.progress.target.id


def load_target_lines(store: Any, goal_id: str) -> tuple[TargetLine, ...]:
    """Progress of a goal's targets with the sessions that met them. Call in a worker."""
    lines = []
    sessions: dict[str, Any] = {}
    for progress in store.goal_targets_progress(goal_id):
        session_id = progress.met_session_id if progress.met else None
        if session_id and session_id not in sessions:
            try:
                sessions[session_id] = store.get_session(session_id)
            except FractalError:
                sessions[session_id] = None
        session = sessions.get(session_id) if session_id else None
        lines.append(
            TargetLine(
                progress,
                session_name=(session.name or "Session") if session is not None else None,
                session_started_at=session.started_at if session is not None else None,
            )
        )
    return tuple(lines)


def progress_line(line: TargetLine) -> Text:
    """The line under a target: "  sum 105/100 kg · met in 'Leg day'"."""
    progress = line.progress
    text = Text("  ")
    text.append(progress.summary, style="green" if progress.met else "")
    if progress.met and line.session_name is not None:
        text.append(f" · met in {line.session_name!r}", style="dim")
    return text


def lines_by_target(lines: Sequence[TargetLine]) -> dict[str, TargetLine]:
    return {line.target_id: line for line in lines}
