"""The import summary: rows read, written, left alone, skipped (and why) and fixed."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fractal_tui.kinds import KIND_NAMES as _KINDS
from fractal_tui.views import ImportResult


def plural(model: str, n: int) -> str:
    one, many = _KINDS.get(model, (model, model + "s"))
    return f"{n} {one if n == 1 else many}"


def _join(parts: list[str]) -> str:
    return ", ".join(parts) if parts else "nothing"


@dataclass
class ImportReport:
    """Built up by an importer; ``result`` is what the store wrote (or would write)."""

    source: str
    path: str
    read: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    fixed: Counter[str] = field(default_factory=Counter)
    conflicts: list[str] = field(default_factory=list)
    clean: int | None = None
    result: ImportResult | None = None
    schema: str | None = None

    def skip(self, what: str, reason: str, n: int = 1) -> None:
        """A source row left out: ``what`` names its kind, ``reason`` says why."""
        self.skipped[f"{what}: {reason}"] += n

    def fix(self, what: str, n: int = 1) -> None:
        """Something repaired on the way in (derived root, closed timer, …)."""
        self.fixed[what] += n

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def lines(self) -> list[str]:
        out = []
        head = f"Import from {self.path} ({self.source}"
        head += f", {self.schema} schema)" if self.schema else ")"
        out.append(head + (" - dry run, nothing written:" if self._dry else ":"))
        if self.read:
            out.append("  read: " + _join([f"{n} {name}" for name, n in self.read.items()]))
        if self.clean is not None:
            out.append(f"  {self.clean} clean, {len(self.conflicts)} conflicts")
            out.extend(f"    conflict: {c}" for c in self.conflicts[:20])
            if len(self.conflicts) > 20:
                out.append(f"    … and {len(self.conflicts) - 20} more")
        r = self.result
        if r is not None:
            verb = "would import" if r.dry_run else "imported"
            out.append(f"  {verb}: " + _join(_counts(r.inserted, r.updated)))
            same = {k: v for k, v in r.unchanged.items() if v}
            if same:
                out.append(
                    "  already there, unchanged: " + _join([plural(k, v) for k, v in same.items()])
                )
            if r.kept:
                out.append(
                    "  left as they are here: " + _join([plural(k, v) for k, v in r.kept.items()])
                )
                out.extend(f"    {note}" for note in r.notes[:10])
            if r.hidden:
                out.append(
                    "  stored as deleted, under a deleted row: "
                    + _join([plural(k, v) for k, v in r.hidden.items()])
                )
        if self.skipped:
            out.append(f"  skipped {self.skipped_total}:")
            out.extend(f"    {n} × {what}" for what, n in sorted(self.skipped.items()))
        if self.fixed:
            out.append("  fixed on the way in:")
            out.extend(f"    {n} × {what}" for what, n in sorted(self.fixed.items()))
        return out

    @property
    def _dry(self) -> bool:
        return bool(self.result and self.result.dry_run)

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "source": self.source,
            "path": self.path,
            "schema": self.schema,
            "dry_run": self._dry,
            "read": dict(self.read),
            "inserted": dict(r.inserted) if r else {},
            "updated": dict(r.updated) if r else {},
            "unchanged": dict(r.unchanged) if r else {},
            "kept": dict(r.kept) if r else {},
            "hidden": dict(r.hidden) if r else {},
            "root_ids": list(r.root_ids) if r else [],
            "skipped": dict(self.skipped),
            "fixed": dict(self.fixed),
            "clean": self.clean,
            "conflicts": list(self.conflicts),
            "notes": list(r.notes) if r else [],
        }


def _counts(inserted: dict[str, int], updated: dict[str, int]) -> list[str]:
    out = []
    for model in list(dict.fromkeys([*inserted, *updated])):
        new, changed = inserted.get(model, 0), updated.get(model, 0)
        text = plural(model, new + changed)
        if changed:
            text += f" ({new} new, {changed} updated)"
        out.append(text)
    return out
