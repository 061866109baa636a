"""The target form: what a goal asks of an activity.

    form = TargetForm(goal, activities, on_submit=lambda v: store.add_target(goal.id, **v))
    app.push_screen(form, callback)  # callback gets on_submit's result, or None

Parts: the activity (its metrics fill the condition rows), the kind (threshold, sum,
frequency), up to three conditions (metric, operator, value), the count of sessions (for
frequency only), an optional date range and an optional name (the store names a target
from what it asks when left empty).

``on_submit`` gets keyword arguments ready for ``store.add_target(goal_id, ...)``:
``activity_id, conditions, kind, count, starts_on, ends_on, name``. What the form can check
by itself (numbers, dates, a value without a metric) is shown before the store is called;
the store's own rules (a threshold needs a condition, a frequency needs a count, the range
ends before it starts, …) come back as its messages, shown under the part they are about.
"""

from collections.abc import Callable, Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from fractal_tui import targets as rules
from fractal_tui.errors import FractalError
from fractal_tui.views import ActivityView, ConditionSpec, GoalView
from fractal_tui.widgets.form import Field, FieldError, FormScreen, optional_date

MAX_CONDITIONS = 3

KIND_OPTIONS = [
    ("threshold: one practice reaches it", "threshold"),
    ("sum: totals over the range", "sum"),
    ("frequency: a number of sessions", "frequency"),
]

KIND_HINTS = {
    "threshold": "Met when one practice meets every condition (within one set).",
    "sum": "Met when each metric summed over the range meets its condition.",
    "frequency": "Met after COUNT sessions with the activity (meeting the conditions, if any).",
}

OP_OPTIONS = [(op, op) for op in rules.OPS]


def _activity_label(activity: ActivityView) -> str:
    metrics = "·".join(m.name for m in activity.metrics) or "time only"
    return f"{activity.name}  ({metrics})"


def _parse_conditions(rows: list[dict[str, Any]]) -> list[ConditionSpec]:
    specs = []
    for number, row in enumerate(rows, start=1):
        text = row["value"].strip()
        metric = row["metric"]
        if not text:
            continue  # a row without a value is no condition
        if not metric:
            raise FieldError("conditions", f"condition {number}: pick a metric for {text!r}")
        try:
            value = float(text)
        except ValueError:
            raise FieldError(
                "conditions", f"condition {number}: {text!r} is not a number (e.g. 100)"
            ) from None
        try:
            value = rules.check_number(value, f"the value of condition {number}")
        except FractalError as exc:
            raise FieldError("conditions", exc.message) from exc
        specs.append(ConditionSpec(metric_id=metric, op=row["op"], value=value))
    return specs


def _parse_count(raw: dict[str, Any]) -> int | None:
    if raw["kind"] != "frequency":
        return None
    text = raw["text"].strip()
    if not text:
        return None  # the store says a frequency target needs one
    try:
        return int(text)
    except ValueError:
        raise FieldError(
            "count", f"the count is a whole number of sessions (e.g. 3), not {text!r}"
        ) from None


def _parse_dates(raw: dict[str, str]) -> tuple[Any, Any]:
    try:
        return optional_date(raw["from"]), optional_date(raw["to"])
    except FractalError as exc:
        raise FieldError("dates", exc.message) from exc


def _store_message(message: str) -> str:
    """The store's words, without the CLI's option names."""
    return message.replace("(e.g. --count 3)", "(e.g. 3)")


class TargetForm(FormScreen):
    """The add-target form of a goal (see the module docstring)."""

    DEFAULT_CSS = """
    TargetForm > #form {
        width: 78;
    }
    TargetForm #form-title {
        padding: 0;
    }
    TargetForm #form-fields {
        max-height: 80vh;
    }
    TargetForm .form-row {
        height: auto;
        margin-top: 1;
    }
    TargetForm .form-row.-tight {
        margin-top: 0;
    }
    TargetForm .form-label {
        width: 11;
        padding: 0 1 0 0;
    }
    TargetForm .field-error {
        padding: 0 0 0 11;
    }
    TargetForm #kind-hint {
        color: $text-muted;
        padding: 0 0 0 11;
        height: auto;
    }
    TargetForm #conditions-block {
        height: auto;
        width: 1fr;
    }
    TargetForm #conditions-none {
        color: $text-muted;
        height: auto;
    }
    TargetForm .condition-row {
        height: 1;
    }
    TargetForm .condition-row .cond-metric {
        width: 1fr;
    }
    TargetForm .condition-row .cond-op {
        width: 10;
        margin-left: 1;
    }
    TargetForm .condition-row .cond-value {
        width: 12;
        margin-left: 1;
    }
    TargetForm .condition-row .cond-unit {
        width: 8;
        margin-left: 1;
        color: $text-muted;
    }
    TargetForm #field-count {
        width: 16;
    }
    TargetForm #count-hint {
        color: $text-muted;
        margin-left: 1;
        width: 1fr;
    }
    TargetForm #date-row Input {
        width: 14;
    }
    TargetForm #date-row .date-sep {
        width: auto;
        margin: 0 1;
    }
    TargetForm #date-hint {
        color: $text-muted;
        margin-left: 1;
        width: 1fr;
    }
    TargetForm #form-buttons {
        margin-top: 1;
    }
    """

    def __init__(
        self,
        goal: GoalView,
        activities: Sequence[ActivityView],
        on_submit: Callable[[dict[str, Any]], Any] | None = None,
        *,
        activity_id: str | None = None,
    ) -> None:
        fields = [
            Field("activity", "Activity"),
            Field("kind", "Kind"),
            Field("conditions", "Conditions", parse=_parse_conditions),
            Field("count", "Count", parse=_parse_count),
            Field("dates", "Dates", parse=_parse_dates),
            Field("name", "Name"),
        ]
        super().__init__(
            f"New target for {goal.name!r}",
            fields,
            self._submit if on_submit else None,
            submit_label="Add",
        )
        self.goal = goal
        self.activities = list(activities)
        ids = [a.id for a in self.activities]
        self.initial_activity = activity_id if activity_id in ids else (ids[0] if ids else None)
        self._user_submit = on_submit

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(self.form_title, id="form-title", markup=False)
            with VerticalScroll(id="form-fields"):
                with Horizontal(classes="form-row"):
                    yield Label("Activity", classes="form-label")
                    yield Select(
                        [(_activity_label(a), a.id) for a in self.activities],
                        value=self.initial_activity
                        if self.initial_activity is not None
                        else Select.NULL,
                        allow_blank=False,
                        id="field-activity",
                        compact=True,
                    )
                yield self._error("activity")
                with Horizontal(classes="form-row"):
                    yield Label("Kind", classes="form-label")
                    yield Select(
                        KIND_OPTIONS,
                        value="threshold",
                        allow_blank=False,
                        id="field-kind",
                        compact=True,
                    )
                yield Static(KIND_HINTS["threshold"], id="kind-hint", markup=False)
                yield self._error("kind")
                with Horizontal(classes="form-row"):
                    yield Label("Conditions", classes="form-label")
                    with Vertical(id="conditions-block"):
                        yield Static(
                            "none: the activity has no metrics (a frequency target fits)",
                            id="conditions-none",
                        )
                        for i in range(MAX_CONDITIONS):
                            yield from self._condition_row(i)
                yield self._error("conditions")
                with Horizontal(classes="form-row"):
                    yield Label("Count", classes="form-label")
                    yield Input(placeholder="sessions", id="field-count", compact=True)
                    yield Static("for frequency targets", id="count-hint")
                yield self._error("count")
                with Horizontal(classes="form-row", id="date-row"):
                    yield Label("Dates", classes="form-label")
                    yield Input(placeholder="start", id="date-from", compact=True)
                    yield Static("to", classes="date-sep")
                    yield Input(placeholder="end", id="date-to", compact=True)
                    yield Static("YYYY-MM-DD, both optional", id="date-hint")
                yield self._error("dates")
                with Horizontal(classes="form-row"):
                    yield Label("Name", classes="form-label")
                    yield Input(
                        placeholder="optional: named from what it asks",
                        id="field-name",
                        compact=True,
                    )
                yield self._error("name")
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Cancel (esc)", id="form-cancel", compact=True)
                yield Button(
                    f"{self.submit_label} (ctrl+s)",
                    id="form-submit",
                    variant="primary",
                    compact=True,
                )

    def _error(self, name: str) -> Static:
        return Static("", id=f"error-{name}", classes="field-error", markup=False)

    def _condition_row(self, i: int) -> ComposeResult:
        with Horizontal(classes="condition-row", id=f"condition-{i}"):
            yield Select(
                [],
                prompt="metric",
                id=f"cond-metric-{i}",
                classes="cond-metric",
                compact=True,
            )
            yield Select(
                OP_OPTIONS,
                value=">=",
                allow_blank=False,
                id=f"cond-op-{i}",
                classes="cond-op",
                compact=True,
            )
            yield Input(
                placeholder="value", id=f"cond-value-{i}", classes="cond-value", compact=True
            )
            yield Static("", id=f"cond-unit-{i}", classes="cond-unit")

    def on_mount(self) -> None:
        # FormScreen's on_mount (focus the first field) runs too.
        self._fill_metrics()
        self._sync_kind()

    # --- behaviour -----------------------------------------------------------------------

    @property
    def activity(self) -> ActivityView | None:
        value = self.query_one("#field-activity", Select).value
        return next((a for a in self.activities if a.id == value), None)

    def _fill_metrics(self) -> None:
        """The condition rows offer the chosen activity's metrics, one row per metric (a row
        without a value is no condition)."""
        activity = self.activity
        metrics = activity.metrics if activity else ()
        options = [(m.name, m.id) for m in metrics]
        for i in range(MAX_CONDITIONS):
            select = self.query_one(f"#cond-metric-{i}", Select)
            select.set_options(options)
            if i < len(metrics):
                select.value = metrics[i].id
            self._show_unit(i)
        for i in range(MAX_CONDITIONS):
            row = self.query_one(f"#condition-{i}")
            row.display = bool(metrics) and i < max(1, min(MAX_CONDITIONS, len(metrics)))
        self.query_one("#conditions-none").display = not metrics

    def _show_unit(self, i: int) -> None:
        activity = self.activity
        value = self.query_one(f"#cond-metric-{i}", Select).value
        metric = next((m for m in (activity.metrics if activity else ()) if m.id == value), None)
        self.query_one(f"#cond-unit-{i}", Static).update(metric.unit if metric else "")

    def _sync_kind(self) -> None:
        kind = self.query_one("#field-kind", Select).value
        self.query_one("#kind-hint", Static).update(KIND_HINTS.get(str(kind), ""))
        frequency = kind == "frequency"
        self.query_one("#field-count", Input).disabled = not frequency
        self.query_one("#count-hint", Static).update(
            "sessions in the range" if frequency else "for frequency targets"
        )

    @on(Select.Changed, "#field-activity")
    def _activity_changed(self) -> None:
        self._fill_metrics()

    @on(Select.Changed, "#field-kind")
    def _kind_changed(self) -> None:
        self._sync_kind()

    @on(Select.Changed, ".cond-metric")
    def _metric_changed(self, event: Select.Changed) -> None:
        index = int((event.select.id or "0").rsplit("-", 1)[-1])
        self._show_unit(index)

    # --- values, errors and saving -------------------------------------------------------

    def raw_values(self) -> dict[str, Any]:
        def value(selector: str) -> Any:
            return self.query_one(selector).value  # type: ignore[attr-defined]

        def blank(v: Any) -> Any:
            return None if v is Select.NULL else v

        activity = self.activity
        shown = len(activity.metrics) if activity else 0
        kind = value("#field-kind")
        return {
            "activity": blank(value("#field-activity")),
            "kind": kind,
            "conditions": [
                {
                    "metric": blank(value(f"#cond-metric-{i}")),
                    "op": value(f"#cond-op-{i}"),
                    "value": value(f"#cond-value-{i}") if i < max(1, shown) else "",
                }
                for i in range(MAX_CONDITIONS)
            ],
            "count": {"kind": kind, "text": value("#field-count")},
            "dates": {"from": value("#date-from"), "to": value("#date-to")},
            "name": value("#field-name"),
        }

    def _submit(self, values: dict[str, Any]) -> Any:
        """Flatten the form's values into store keyword arguments, then save."""
        starts_on, ends_on = values["dates"]
        kwargs = {
            "activity_id": values["activity"],
            "conditions": values["conditions"],
            "kind": values["kind"],
            "count": values["count"],
            "starts_on": starts_on,
            "ends_on": ends_on,
            "name": values["name"].strip(),
        }
        if not kwargs["activity_id"]:
            raise FieldError("activity", "pick the activity the target is about")
        assert self._user_submit is not None
        return self._user_submit(kwargs)

    def _focus_target(self, field: str | None) -> str:
        return {
            "conditions": "#cond-value-0",
            "dates": "#date-from",
        }.get(field or "", f"#field-{field}")

    def show_error(self, message: str, field: str | None = None) -> None:
        target = self.query_one(f"#error-{field}" if field else "#form-error", Static)
        target.update(_store_message(message))
        target.add_class("-shown")
        if field:
            widget = self.query_one(self._focus_target(field))
            if not widget.disabled and widget.display:
                widget.focus()

    def _field_for(self, exc: FractalError) -> str | None:
        if isinstance(exc, FieldError):
            return exc.field
        text = exc.message.lower()
        for name, words in (
            ("count", ("count",)),
            ("dates", ("range", "date")),
            ("conditions", ("condition", "metric", "operator", "value")),
            ("kind", ("kind",)),
            ("name", ("name",)),
            ("activity", ("activity", "activities")),
        ):
            if any(w in text for w in words):
                return name
        return None
