"""Stand-ins for the metric, set and value rows the pure rules read (imported by module name)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class M:
    id: str
    name: str
    unit: str = ""
    is_best_set: bool = False
    is_multiplicative: bool = True
    higher_is_better: bool = True


@dataclass(frozen=True)
class S:
    id: str
    status: str = "completed"


@dataclass(frozen=True)
class V:
    set_id: str | None
    metric_id: str
    value: float
    split_id: str | None = None
