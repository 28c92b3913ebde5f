"""What a case measured, how it compares with its target, and the suite's settings."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["ok", "n/a", "error"]
Kind = Literal["ratio_min", "value_max", "value_at_most", "cost_max", "check", "none"]


@dataclass(frozen=True)
class Settings:
    """How much of everything a run does; `smoke()` proves the suite works in seconds."""

    rounds: int = 5
    seconds: float = 2.0
    warmup: float = 1.0
    entities_small: int = 200
    entities_large: int = 2000
    bans: int = 100_000
    startups: int = 3
    ws_sequential: int = 3000
    ws_pipelined: int = 30_000
    ws_inflight: int = 100
    get_states: int = 200
    fanout_changes: int = 300
    fanout_subscribers: int = 100
    logins: int = 5
    attackers: int = 20
    recorder_changes: int = 40_000  # changes per write-throughput run
    recorder_window: float = 10.0  # seconds per CPU measurement at 100 changes/s
    history_entities: int = 200  # generated history: entities changing every 30 s ...
    history_days: int = 10  # ... for this many days
    smoke: bool = False

    @classmethod
    def smoke_run(cls) -> Settings:
        """A few seconds in all: every case runs once, briefly, on small data."""
        return cls(
            rounds=1,
            seconds=0.3,  # below wrk's one-second minimum: bench.httpload generates the load
            warmup=0.0,
            entities_small=20,
            entities_large=50,
            bans=1000,
            startups=1,
            ws_sequential=50,
            ws_pipelined=500,
            ws_inflight=100,
            get_states=5,
            fanout_changes=5,
            fanout_subscribers=10,
            logins=1,
            attackers=2,
            recorder_changes=2000,
            recorder_window=2.0,
            history_entities=20,
            history_days=1,
            smoke=True,
        )


@dataclass(frozen=True)
class Target:
    """A goal: a ratio to the ceiling (at least), a value or a cost (below), or a named check."""

    kind: Kind
    limit: float
    text: str

    def met(self, result: CaseResult) -> bool | None:
        """Whether the median reaches the goal; None when there is nothing to judge."""
        if self.kind == "ratio_min" and result.ratios:
            return median(result.ratios) >= self.limit
        if self.kind == "value_max" and result.hearth:
            return median(result.hearth) < self.limit
        if self.kind == "value_at_most" and result.hearth:
            return median(result.hearth) <= self.limit
        if self.kind == "cost_max" and result.costs:
            return median(result.costs) < self.limit
        if self.kind == "check" and "check" in result.details:
            return bool(result.details["check"]) and (
                not result.hearth or median(result.hearth) <= self.limit
            )
        return None


NO_TARGET = Target("none", 0.0, "—")


@dataclass
class CaseResult:
    """One row of the table."""

    key: str
    title: str
    unit: str
    target: Target = NO_TARGET
    reference: str = ""  # Home Assistant 2024.3 on this kind of machine (from the issue)
    hearth: list[float] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # Hearth / ceiling, round by round
    costs: list[float] = field(default_factory=list)  # fraction lost against a baseline
    status: Status = "ok"
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None: no target or not measured)."""
        return self.target.met(self) if self.status == "ok" else None

    def not_available(self, why: str) -> CaseResult:
        """Mark the case as not runnable here."""
        self.status, self.note = "n/a", why
        return self

    def failed(self, why: str) -> CaseResult:
        """Mark the case as broken (the run goes on)."""
        self.status, self.note = "error", why
        return self

    def as_dict(self) -> dict[str, Any]:
        """For the JSON file: the raw rounds plus the summaries."""
        data = asdict(self)
        data["target"] = self.target.text
        data["met"] = self.met
        for name in ("hearth", "ceiling", "ratios", "costs"):
            values = getattr(self, name)
            if values:
                data[f"{name}_median"] = median(values)
        return data


def median(values: list[float]) -> float:
    """The median (of an odd or even number of values)."""
    return statistics.median(values)


def spread(values: list[float]) -> tuple[float, float, float]:
    """Median, min and max."""
    return statistics.median(values), min(values), max(values)
