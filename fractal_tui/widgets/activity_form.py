"""The activity form: name, group, description, the three flags, up to three metric rows and
the split list, with each rule's message under the part it is about.

    form = ActivityForm(
        "New activity",
        groups,                      # GroupViews for the group select
        on_submit=lambda v: store.add_activity(root_id, **v),
        group_id=group_id,           # preselected group (None: no group)
        activity=None,               # an ActivityView to edit instead
    )
    app.push_screen(form, callback)  # callback gets on_submit's result, or None

``on_submit`` gets keyword arguments ready for ``store.add_activity`` / ``update_activity``:
``name, group_id, description, has_sets, metrics_multiplicative, metrics, splits``. When
editing, each metric row and each split box keeps the id of the row it started with, so a
rename keeps the values recorded for it; a row cleared is a metric (or split) removed (its
values are kept by the store).

The rules are checked when saving, before the store is called, with the store's own pure
checks; whatever the store still refuses is shown under the matching part too.
"""

from collections.abc import Callable, Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from fractal_tui.errors import FractalError
from fractal_tui.store.activities import (
    MAX_METRICS,
    MAX_SPLITS,
    MIN_SPLITS,
    check_metrics,
    check_splits,
    clean_name,
)
from fractal_tui.views import ActivityView, GroupView, MetricSpec, SplitSpec
from fractal_tui.widgets.form import Field, FieldError, FormScreen

NO_GROUP = ""


def _parse_name(value: str) -> str:
    return clean_name(value, "activity")


def _parse_metrics(rows: list[dict[str, Any]]) -> list[MetricSpec]:
    specs = []
    for number, row in enumerate(rows, start=1):
        name, unit = row["name"].strip(), row["unit"].strip()
        if not name and not unit:
            continue  # an empty row: no metric (or a metric removed)
        if not name:
            raise FieldError("metrics", f"metric {number} needs a name (its unit is {unit!r})")
        if not unit:
            raise FieldError("metrics", f"metric {name!r} needs a unit (e.g. kg, reps, bpm, s)")
        specs.append(
            MetricSpec(
                name=name,
                unit=unit,
                is_best_set=row["best"],
                is_multiplicative=row["product"],
                higher_is_better=row["higher"],
                id=row["id"],
            )
        )
    try:
        return check_metrics(specs)
    except FractalError as exc:
        raise FieldError("metrics", exc.message) from exc


def _parse_splits(raw: dict[str, Any]) -> list[SplitSpec]:
    if not raw["on"]:
        return []
    specs = [SplitSpec(name=n.strip(), id=i) for n, i in raw["names"] if n.strip()]
    if len(specs) < MIN_SPLITS:
        raise FieldError(
            "splits",
            f"name {MIN_SPLITS} to {MAX_SPLITS} splits (e.g. Left and Right), or untick Splits",
        )
    try:
        return check_splits(specs)
    except FractalError as exc:
        raise FieldError("splits", exc.message) from exc


def _structured(fn: Callable[[Any], Any]) -> Callable[[str], Any]:
    """A Field parse for the metric rows and splits: raw_values() gives them structured."""
    return fn


class ActivityForm(FormScreen):
    """The new-activity and edit-activity form (see the module docstring)."""

    DEFAULT_CSS = """
    ActivityForm > #form {
        width: 80;
    }
    ActivityForm #form-fields {
        max-height: 70vh;
    }
    ActivityForm .form-row {
        height: auto;
    }
    ActivityForm .form-row.-gap {
        margin-top: 1;
    }
    ActivityForm .form-label {
        width: 13;
        padding: 0 1 0 0;
    }
    ActivityForm .field-error {
        padding: 0 0 0 13;
    }
    ActivityForm #form-buttons {
        margin-top: 1;
    }
    ActivityForm #metrics-block {
        height: auto;
        width: 1fr;
    }
    ActivityForm .metric-row, ActivityForm #metric-head {
        height: 1;
    }
    ActivityForm .metric-row Input.metric-name, ActivityForm .head-name {
        width: 1fr;
    }
    ActivityForm .metric-row Input.metric-unit, ActivityForm .head-unit {
        width: 12;
        margin-left: 1;
    }
    ActivityForm .metric-row Checkbox {
        width: auto;
        margin: 0 0 0 1;
    }
    /* One-line rows: a focused checkbox shows a cursor instead of growing a border. */
    ActivityForm Checkbox.-textual-compact:focus {
        border: none !important;
    }
    ActivityForm Checkbox:focus > .toggle--button {
        background: $block-cursor-background;
    }
    ActivityForm #metric-head {
        color: $text-muted;
    }
    ActivityForm .head-flags {
        width: 23;
    }
    ActivityForm #metric-legend {
        color: $text-muted;
        height: auto;
    }
    ActivityForm #split-boxes {
        height: 1;
        width: 1fr;
    }
    ActivityForm #split-boxes Input {
        width: 1fr;
        margin-right: 1;
    }
    ActivityForm #flag-row Checkbox {
        margin-right: 2;
    }
    """

    def __init__(
        self,
        title: str,
        groups: Sequence[GroupView],
        on_submit: Callable[[dict[str, Any]], Any] | None = None,
        *,
        activity: ActivityView | None = None,
        group_id: str | None = None,
        submit_label: str = "Save",
    ) -> None:
        fields = [
            Field("name", "Name", parse=_parse_name),
            Field("group_id", "Group", parse=lambda v: v or None, keywords=("group",)),
            Field("description", "Description", keywords=("description",)),
            Field("flags", "Flags", keywords=("sets", "product")),
            Field(
                "metrics",
                "Metrics",
                parse=_structured(_parse_metrics),
                keywords=("metric", "best set"),
            ),
            Field("splits", "Splits", parse=_structured(_parse_splits), keywords=("split",)),
        ]
        super().__init__(
            title, fields, self._submit if on_submit else None, submit_label=submit_label
        )
        self.groups = list(groups)
        self.activity = activity
        self.initial_group = activity.group_id if activity else group_id
        self._user_submit = on_submit

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        a = self.activity
        with Vertical(id="form"):
            yield Static(self.form_title, id="form-title", markup=False)
            with VerticalScroll(id="form-fields"):
                with Horizontal(classes="form-row"):
                    yield Label("Name", classes="form-label")
                    yield Input(
                        value=a.name if a else "",
                        placeholder="e.g. Back squat, C major scale",
                        id="field-name",
                        compact=True,
                    )
                yield self._error("name")
                with Horizontal(classes="form-row"):
                    yield Label("Group", classes="form-label")
                    yield self._group_select()
                yield self._error("group_id")
                with Horizontal(classes="form-row"):
                    yield Label("Description", classes="form-label")
                    yield Input(
                        value=a.description if a else "",
                        placeholder="optional",
                        id="field-description",
                        compact=True,
                    )
                yield self._error("description")
                with Horizontal(classes="form-row -gap", id="flag-row"):
                    yield Label("Flags", classes="form-label")
                    yield Checkbox("Sets", bool(a and a.has_sets), id="flag-sets", compact=True)
                    yield Checkbox(
                        "Splits", bool(a and a.has_splits), id="flag-splits", compact=True
                    )
                    yield Checkbox(
                        "Product (e.g. weight × reps)",
                        bool(a and a.metrics_multiplicative),
                        id="flag-product",
                        compact=True,
                    )
                yield self._error("flags")
                with Horizontal(classes="form-row -gap"):
                    yield Label("Metrics", classes="form-label")
                    with Vertical(id="metrics-block"):
                        with Horizontal(id="metric-head"):
                            yield Static("name", classes="head-name")
                            yield Static("unit", classes="head-unit")
                            yield Static("", classes="head-flags")
                        for i in range(MAX_METRICS):
                            yield from self._metric_row(i)
                        yield Static(
                            "best: best-set metric · ×: in product · ↑: higher is better",
                            id="metric-legend",
                        )
                yield self._error("metrics")
                with Horizontal(classes="form-row -gap", id="split-row"):
                    yield Label("Splits", classes="form-label")
                    with Horizontal(id="split-boxes"):
                        names = [sp.name for sp in a.splits] if a else []
                        for j in range(MAX_SPLITS):
                            yield Input(
                                value=names[j] if j < len(names) else "",
                                placeholder=("Left", "Right", "", "", "")[j],
                                id=f"split-{j}",
                                compact=True,
                            )
                yield self._error("splits")
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Cancel", id="form-cancel", compact=True)
                yield Button(
                    f"{self.submit_label} (ctrl+s)",
                    id="form-submit",
                    variant="primary",
                    compact=True,
                )

    def _error(self, name: str) -> Static:
        return Static("", id=f"error-{name}", classes="field-error", markup=False)

    def _group_select(self) -> Select[str]:
        options = [("(no group)", NO_GROUP)] + [(g.name, g.id) for g in self.groups]
        values = [v for _, v in options]
        value = self.initial_group if self.initial_group in values else NO_GROUP
        return Select(options, value=value, allow_blank=False, id="field-group_id", compact=True)

    def _metric_row(self, i: int) -> ComposeResult:
        metrics = self.activity.metrics if self.activity else ()
        m = metrics[i] if i < len(metrics) else None
        with Horizontal(classes="metric-row", id=f"metric-{i}"):
            yield Input(
                value=m.name if m else "",
                placeholder=("weight", "reps", "")[i] if not self.activity else "",
                id=f"metric-name-{i}",
                classes="metric-name",
                compact=True,
            )
            yield Input(
                value=m.unit if m else "",
                placeholder=("kg", "count", "")[i] if not self.activity else "",
                id=f"metric-unit-{i}",
                classes="metric-unit",
                compact=True,
            )
            yield Checkbox("best", bool(m and m.is_best_set), id=f"metric-best-{i}", compact=True)
            yield Checkbox(
                "×", m.is_multiplicative if m else True, id=f"metric-product-{i}", compact=True
            )
            yield Checkbox(
                "↑", m.higher_is_better if m else True, id=f"metric-higher-{i}", compact=True
            )

    def on_mount(self) -> None:
        # FormScreen's on_mount (focus the first field) runs too.
        self._sync_enabled()

    # --- behaviour -----------------------------------------------------------------------

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        box_id = event.checkbox.id or ""
        if box_id.startswith("metric-best-") and event.value:
            # At most one metric picks the best set: ticking one unticks the others.
            for i in range(MAX_METRICS):
                other = self.query_one(f"#metric-best-{i}", Checkbox)
                if other is not event.checkbox and other.value:
                    other.value = False
        if box_id in ("flag-splits", "flag-product"):
            self._sync_enabled()

    def _sync_enabled(self) -> None:
        splits_on = self.query_one("#flag-splits", Checkbox).value
        for j in range(MAX_SPLITS):
            self.query_one(f"#split-{j}", Input).disabled = not splits_on
        product_on = self.query_one("#flag-product", Checkbox).value
        for i in range(MAX_METRICS):
            self.query_one(f"#metric-product-{i}", Checkbox).disabled = not product_on

    # --- values, errors and saving -------------------------------------------------------

    def raw_values(self) -> dict[str, Any]:
        a = self.activity
        metric_ids = [m.id for m in a.metrics] if a else []
        split_ids = [sp.id for sp in a.splits] if a else []

        def value(selector: str) -> Any:
            return self.query_one(selector).value  # type: ignore[attr-defined]

        return {
            "name": value("#field-name"),
            "group_id": value("#field-group_id"),
            "description": value("#field-description"),
            "flags": {
                "has_sets": value("#flag-sets"),
                "metrics_multiplicative": value("#flag-product"),
            },
            "metrics": [
                {
                    "name": value(f"#metric-name-{i}"),
                    "unit": value(f"#metric-unit-{i}"),
                    "best": value(f"#metric-best-{i}"),
                    "product": value(f"#metric-product-{i}"),
                    "higher": value(f"#metric-higher-{i}"),
                    "id": metric_ids[i] if i < len(metric_ids) else None,
                }
                for i in range(MAX_METRICS)
            ],
            "splits": {
                "on": value("#flag-splits"),
                "names": [
                    (value(f"#split-{j}"), split_ids[j] if j < len(split_ids) else None)
                    for j in range(MAX_SPLITS)
                ],
            },
        }

    def _submit(self, values: dict[str, Any]) -> Any:
        """Flatten the form's values into store keyword arguments, then save."""
        kwargs = {
            "name": values["name"],
            "group_id": values["group_id"],
            "description": values["description"].strip(),
            **values["flags"],
            "metrics": values["metrics"],
            "splits": values["splits"],
        }
        assert self._user_submit is not None
        return self._user_submit(kwargs)

    def _focus_target(self, field: str | None) -> str:
        return {
            "flags": "#flag-sets",
            "metrics": "#metric-name-0",
            "splits": "#split-0"
            if self.query_one("#flag-splits", Checkbox).value
            else "#flag-splits",
        }.get(field or "", f"#field-{field}")

    def show_error(self, message: str, field: str | None = None) -> None:
        target = self.query_one(f"#error-{field}" if field else "#form-error", Static)
        target.update(message)
        target.add_class("-shown")
        if field:
            self.query_one(self._focus_target(field)).focus()

    def _field_for(self, exc: FractalError) -> str | None:
        if isinstance(exc, FieldError):
            return exc.field
        text = exc.message.lower()
        for name, words in (
            ("metrics", ("metric", "best set")),
            ("splits", ("split",)),
            ("group_id", ("group",)),
            ("name", ("name",)),
        ):
            if any(w in text for w in words):
                return name
        return None
