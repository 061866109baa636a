"""Reusable pieces of the TUI, and small display helpers shared by the screens."""

from datetime import datetime


def local_time(when: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time in local time; a dash for none."""
    return when.astimezone().strftime(fmt) if when else "—"


def age(since: datetime, now: datetime) -> str:
    """How long ago, shortly: 'just now', '12m', '5h', '3d', '1y 4d'."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    days = seconds // 86400
    return f"{days}d" if days < 365 else f"{days // 365}y {days % 365}d"


def ago(when: datetime | None, now: datetime) -> str:
    """'3d ago', 'just now', or a dash."""
    if when is None:
        return "—"
    text = age(when, now)
    return text if text == "just now" else f"{text} ago"
