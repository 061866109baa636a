"""The detail panel of the templates list: the selected template's plan, section by section."""

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from fractal_tui.views import TemplateView
from fractal_tui.widgets import local_time
from fractal_tui.widgets.template_builder import minutes_text, section_label


def plan_summary(template: TemplateView) -> str:
    """'3 sections · 4 activities'."""
    sections = len(template.sections)
    items = len(template.items)
    return (
        f"{sections} section{'s' if sections != 1 else ''} · "
        f"{items} activit{'ies' if items != 1 else 'y'}"
    )


def template_renderable(template: TemplateView) -> RenderableType:
    parts: list[RenderableType] = [Text(template.name, style="bold")]
    if template.description:
        parts.append(Text(template.description))
    parts.append(
        Text(
            f"{plan_summary(template)} · {minutes_text(template.planned_minutes)} min planned",
            style="dim",
        )
    )
    parts.append(Text(""))
    if not template.sections:
        parts.append(Text("No activities yet: press e to build its plan.", style="dim"))
    plan = Table.grid(padding=(0, 1))
    plan.add_column(ratio=1)
    plan.add_column(justify="right", no_wrap=True)
    for section in template.sections:
        plan.add_row(
            Text(section_label(section.name), style="bold"),
            Text(f"{minutes_text(section.planned_minutes)} min", style="bold"),
        )
        for item in section.items:
            name = item.activity_name if item.activity_id else "(time without an activity)"
            plan.add_row(
                Text("  " + name),
                Text(minutes_text(item.planned_minutes) if item.planned_minutes else "—"),
            )
    if template.sections:
        parts.append(plan)
    parts.append(Text(""))
    facts = Table.grid(padding=(0, 1))
    facts.add_column(style="dim", no_wrap=True)
    facts.add_column()
    facts.add_row("Created", local_time(template.created_at))
    facts.add_row("Updated", local_time(template.updated_at))
    parts.append(facts)
    return Group(*parts)


class TemplateDetailPanel(VerticalScroll):
    """Shows one TemplateView, or a hint."""

    DEFAULT_CSS = """
    TemplateDetailPanel {
        border-left: vkey $foreground 20%;
        padding: 0 1;
        height: 1fr;
    }
    TemplateDetailPanel > #template-detail-body {
        width: 100%;
    }
    """

    can_focus = False

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("", id="template-detail-body")

    def show_template(self, template: TemplateView | None) -> None:
        body = self.query_one("#template-detail-body", Static)
        if template is None:
            body.update(Text("Press n to build a template.", style="dim"))
        else:
            body.update(template_renderable(template))

    def show_hint(self, hint: str) -> None:
        self.query_one("#template-detail-body", Static).update(Text(hint, style="dim"))
