"""A modal form: labelled inputs, errors next to the field, escape cancels without writing.

    FormScreen(
        "New goal",
        [
            Field("name", "Name"),
            Field("level", "Level", options=[("short-term", 3), ...], value=3),
            Field("deadline", "Deadline", placeholder="YYYY-MM-DD", parse=optional_date),
        ],
        on_submit=lambda values: store.add_goal(parent_id, **values),
    )

``app.push_screen(form, callback)``: ``callback`` gets what ``on_submit`` returned (for
example the new GoalView), or None when the form was cancelled. ``on_submit`` runs in a thread
worker (it may call the store). A ``FractalError`` from a field's ``parse`` is shown under
that field; one from ``on_submit`` is shown under the field it is about (a ``FieldError``
names it; otherwise the first field whose keywords appear in the message), else at the foot of
the form. Either way the form stays open and nothing is written.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from fractal_tui.errors import FractalError, Invalid
from fractal_tui.timeparse import parse_date


class FieldError(Invalid):
    """An error about one field of a form."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Field:
    """One labelled input of a form.

    name: key in the values dict; label: shown to the left; value: initial value (for a
    select, one of the option values); parse: turns the text into a value and may raise a
    FractalError (shown under this field); options: (label, value) pairs make a select;
    keywords: words that tie a store error message to this field (default: name and label).
    """

    name: str
    label: str
    value: Any = ""
    placeholder: str = ""
    parse: Callable[[str], Any] | None = None
    options: Sequence[tuple[str, Any]] | None = None
    keywords: tuple[str, ...] = ()
    password: bool = False

    def matches(self, message: str) -> bool:
        words = self.keywords or (self.name.lower(), self.label.lower())
        text = message.lower()
        return any(w and w in text for w in words)


def optional_date(text: str) -> Any:
    """Empty -> None, else an ISO date."""
    return parse_date(text) if text.strip() else None


def required_text(text: str) -> str:
    if not text.strip():
        raise Invalid("this cannot be empty")
    return text.strip()


class FormScreen(ModalScreen[Any]):
    """A modal form. See the module docstring."""

    DEFAULT_CSS = """
    FormScreen {
        align: center middle;
        background: $background 60%;
    }
    FormScreen > #form {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary 80%;
        background: $surface;
        padding: 0 1;
    }
    FormScreen #form-title {
        text-style: bold;
        width: 100%;
        padding: 0 0 1 0;
    }
    FormScreen #form-fields {
        height: auto;
        max-height: 1fr;
    }
    FormScreen .form-row {
        height: auto;
    }
    FormScreen .form-label {
        width: 14;
        padding: 1 1 0 0;
        text-align: right;
    }
    FormScreen .form-row Input, FormScreen .form-row Select {
        width: 1fr;
    }
    FormScreen .field-error, FormScreen #form-error {
        color: $error;
        display: none;
        padding: 0 0 0 14;
    }
    FormScreen #form-error {
        padding: 0;
    }
    FormScreen .field-error.-shown, FormScreen #form-error.-shown {
        display: block;
    }
    FormScreen #form-buttons {
        height: auto;
        align-horizontal: right;
    }
    FormScreen #form-buttons Button {
        margin-left: 1;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Save"),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        on_submit: Callable[[dict[str, Any]], Any] | None = None,
        *,
        submit_label: str = "Save",
        description: str = "",
    ) -> None:
        super().__init__()
        self.form_title = title
        self.fields = list(fields)
        self.on_submit = on_submit
        self.submit_label = submit_label
        self.description = description
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="form"):
            yield Static(self.form_title, id="form-title", markup=False)
            if self.description:
                yield Static(self.description, id="form-description", markup=False)
            with VerticalScroll(id="form-fields"):
                for f in self.fields:
                    with Horizontal(classes="form-row"):
                        yield Label(f.label, classes="form-label")
                        yield self._input_for(f)
                    yield Static("", id=f"error-{f.name}", classes="field-error", markup=False)
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Cancel", id="form-cancel")
                yield Button(self.submit_label, id="form-submit", variant="primary")

    def _input_for(self, f: Field) -> Input | Select[Any]:
        if f.options is not None:
            options = [(label, value) for label, value in f.options]
            values = [v for _, v in options]
            initial = f.value if f.value in values else (values[0] if values else Select.BLANK)
            return Select(options, value=initial, allow_blank=False, id=f"field-{f.name}")
        return Input(
            value="" if f.value is None else str(f.value),
            placeholder=f.placeholder,
            password=f.password,
            id=f"field-{f.name}",
        )

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#field-{self.fields[0].name}").focus()

    # --- values and errors ---------------------------------------------------------------

    def raw_values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            out[f.name] = widget.value  # type: ignore[attr-defined]
        return out

    def show_error(self, message: str, field: str | None = None) -> None:
        """Show a message under a field (or at the foot of the form)."""
        target = self.query_one(f"#error-{field}" if field else "#form-error", Static)
        target.update(message)
        target.add_class("-shown")
        if field:
            self.query_one(f"#field-{field}").focus()

    def clear_errors(self) -> None:
        for widget in self.query(".field-error, #form-error").results(Static):
            widget.update("")
            widget.remove_class("-shown")

    def _field_for(self, exc: FractalError) -> str | None:
        if isinstance(exc, FieldError):
            return exc.field
        for f in self.fields:
            if f.matches(exc.message):
                return f.name
        return None

    # --- actions -------------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#form-submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        if self._busy:
            return
        self.clear_errors()
        values: dict[str, Any] = {}
        failed = False
        raw_values = self.raw_values()
        for f in self.fields:
            raw = raw_values[f.name]
            if f.parse is None:
                values[f.name] = raw
                continue
            try:
                values[f.name] = f.parse(raw)
            except FractalError as exc:
                if not failed:
                    self.show_error(exc.message, f.name)
                else:
                    self.query_one(f"#error-{f.name}", Static).update(exc.message)
                    self.query_one(f"#error-{f.name}", Static).add_class("-shown")
                failed = True
        if failed:
            return
        if self.on_submit is None:
            self.dismiss(values)
            return
        self._busy = True
        submit = self.on_submit

        def work() -> None:
            try:
                result = submit(values)
            except FractalError as exc:
                self.app.call_from_thread(self._failed, exc)
                return
            except Exception as exc:  # a bug: say so in the form rather than crash the app
                self.app.call_from_thread(
                    self._failed, FractalError(f"unexpected {type(exc).__name__}: {exc}")
                )
                raise
            self.app.call_from_thread(self._succeeded, result)

        self.run_worker(work, thread=True, group="form", exit_on_error=False)

    def _failed(self, exc: FractalError) -> None:
        self._busy = False
        self.show_error(exc.message, self._field_for(exc))

    def _succeeded(self, result: Any) -> None:
        self._busy = False
        self.dismiss(result)
