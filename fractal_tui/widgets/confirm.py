"""A yes/no question as a modal screen: ``ConfirmScreen(message)`` dismisses with a bool.

    self.app.push_screen(
        ConfirmScreen("Delete 'Scales'? This deletes 4 goals and 2 targets."),
        lambda yes: yes and self.run_store(...),
    )

Keys: y or enter (on the confirm button) confirms; n or escape cancels.
"""

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
        background: $background 60%;
    }
    ConfirmScreen > #confirm {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $error 80%;
        background: $surface;
        padding: 0 1;
    }
    ConfirmScreen.-safe > #confirm {
        border: thick $primary 80%;
    }
    ConfirmScreen #confirm-title {
        text-style: bold;
        padding-bottom: 1;
    }
    ConfirmScreen #confirm-message {
        padding-bottom: 1;
    }
    ConfirmScreen #confirm-buttons {
        height: auto;
        align-horizontal: right;
    }
    ConfirmScreen #confirm-buttons Button {
        margin-left: 1;
    }
    """

    BINDINGS = [
        Binding("y", "confirm", "Yes"),
        Binding("n", "cancel", "No"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        message: str,
        *,
        title: str = "Are you sure?",
        confirm_label: str = "Delete",
        cancel_label: str = "Cancel",
        danger: bool = True,
    ) -> None:
        super().__init__(classes="" if danger else "-safe")
        self.message = message
        self.confirm_title = title
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.confirm_title, id="confirm-title", markup=False)
            yield Static(self.message, id="confirm-message", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.cancel_label} (n)", id="confirm-no")
                yield Button(
                    f"{self.confirm_label} (y)",
                    id="confirm-yes",
                    variant="error" if self.danger else "primary",
                )

    def on_mount(self) -> None:
        self.query_one("#confirm-yes").focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.dismiss(False)
