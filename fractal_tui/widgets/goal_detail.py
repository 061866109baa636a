"""The detail panel of the goal tree: everything about the selected goal."""

from collections.abc import Sequence
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from fractal_tui.hierarchy import LEVEL_NAMES
from fractal_tui.timeparse import countdown
from fractal_tui.views import GoalDetail, TargetView
from fractal_tui.widgets import age, local_time
from fractal_tui.widgets.target_progress import TargetLine, lines_by_target, progress_line


def _number(value: float) -> str:
    return f"{value:g}"


def target_line(target: TargetView) -> Text:
    """'✓ Scales: BPM >= 120 bpm  met 2026-01-07' — the target's name (or what it asks)."""
    done = target.met_at is not None
    text = Text("✓ " if done else "○ ", style="bold green" if done else "dim")
    conditions = ", ".join(
        f"{c.metric_name or 'value'} {c.op} {_number(c.value)}{(' ' + c.unit) if c.unit else ''}"
        for c in target.conditions
    )
    text.append(target.name or ": ".join(p for p in (target.activity_name, conditions) if p))
    extra = []
    if target.kind and target.kind != "threshold":
        extra.append(target.kind + (f" ×{target.count}" if target.count else ""))
    if done:
        extra.append(f"met {local_time(target.met_at, '%Y-%m-%d')}")
    if extra:
        text.append("  " + " · ".join(extra), style="dim")
    return text


class GoalDetailPanel(VerticalScroll):
    """Shows a GoalDetail; ``show_detail(detail, now)`` updates it."""

    DEFAULT_CSS = """
    GoalDetailPanel {
        border-left: vkey $foreground 20%;
        padding: 0 1;
        height: 1fr;
    }
    GoalDetailPanel > #goal-detail-body {
        width: 100%;
    }
    """

    can_focus = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: GoalDetail | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", id="goal-detail-body")

    def show_detail(
        self, detail: GoalDetail | None, now: datetime, progress: Sequence[TargetLine] = ()
    ) -> None:
        self.detail = detail
        body = self.query_one("#goal-detail-body", Static)
        if detail is None:
            body.update(Text("No goal selected.", style="dim"))
            return
        body.update(render_detail(detail, now, progress))


def render_detail(detail: GoalDetail, now: datetime, progress: Sequence[TargetLine] = ()) -> Group:
    goal = detail.goal
    today = now.astimezone().date()
    title = Text(goal.name, style="bold")
    if goal.done:
        title.append("  ✓ done", style="bold green")

    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="dim", no_wrap=True)
    facts.add_column()
    level = LEVEL_NAMES[goal.level] if 0 <= goal.level < len(LEVEL_NAMES) else str(goal.level)
    facts.add_row("Level", level + (" (fractal)" if goal.is_root else ""))
    if goal.deadline is not None:
        left = countdown(goal.deadline, today)
        facts.add_row(
            "Deadline",
            Text.assemble(
                goal.deadline.isoformat(),
                "  ",
                (left, "bold red" if goal.deadline < today and not goal.done else "dim"),
            ),
        )
    else:
        facts.add_row("Deadline", Text("none", style="dim"))
    if goal.completed_at is not None:
        how = f" (by its {goal.completed_by})" if goal.completed_by not in (None, "manual") else ""
        facts.add_row("Completed", local_time(goal.completed_at) + how)
    facts.add_row("Created", f"{local_time(goal.created_at)}")
    facts.add_row("Updated", f"{local_time(goal.updated_at)}")
    facts.add_row("Age", age(goal.created_at, now))
    facts.add_row("Children", str(detail.children_count))
    facts.add_row("Sessions", str(detail.session_count))

    parts: list = [title, Text()]
    if goal.description:
        parts += [Text(goal.description), Text()]
    parts.append(facts)

    parts += [Text(), Text(f"Targets ({len(detail.targets)})", style="bold")]
    if detail.targets:
        lines = lines_by_target(progress)
        for t in detail.targets:
            parts.append(target_line(t))
            if t.id in lines:
                parts.append(progress_line(lines[t.id]))
    else:
        parts.append(Text("none yet", style="dim"))

    parts += [Text(), Text(f"Notes ({len(detail.notes)})", style="bold")]
    if detail.notes:
        for note in detail.notes:
            line = Text(note.created_at.astimezone().strftime("%Y-%m-%d") + " ", style="dim")
            line.append(note.text)
            parts.append(line)
    else:
        parts.append(Text("none yet", style="dim"))
    return Group(*parts)
