"""The grid of curation settings the tuner tries: every combination of four axes.

- ``budgets``: a share of the full store's unit tokens (a number <= 1) or tokens (> 1);
- ``min_scores``: the quality a unit needs (0 keeps every unit the ingest kept);
- ``weights``: ``"heuristic:judge"``, how the two quality views combine into the score;
- ``kinds``: which unit kinds stay: ``"all"``, a list ``"fact,qa"``, or ``"all-summary"``
  (all but these).

Candidates that cannot differ are made once: with ``min_score`` 0 the weights decide nothing,
and a kinds spec that names the same kinds as another is the same candidate. The order is the
axes' order, so a grid is deterministic.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

ALL = "all"


@dataclass(frozen=True)
class Candidate:
    budget: float  # <= 1: share of the full store's tokens; > 1: tokens
    min_score: float
    weights: tuple[float, float]  # (heuristic, judge)
    kinds: tuple[str, ...]  # sorted; the kinds present in the store when it is "all"
    all_kinds: bool = False

    @property
    def name(self) -> str:
        budget = f"{self.budget:g}" if self.budget <= 1 else f"{int(self.budget)}t"
        kinds = ALL if self.all_kinds else "+".join(self.kinds)
        quality = f" s{self.min_score:g} w{self.weights[0]:g}:{self.weights[1]:g}" \
            if self.min_score > 0 else " s0"
        return f"b{budget}{quality} {kinds}"

    def budget_tokens(self, full_tokens: int) -> int:
        return round(self.budget * full_tokens) if self.budget <= 1 else int(self.budget)

    def to_json(self, full_tokens: int) -> dict:
        return {"budget": self.budget, "budget_tokens": self.budget_tokens(full_tokens),
                "min_score": self.min_score,
                "weights": {"heuristic": self.weights[0], "judge": self.weights[1]},
                "kinds": list(self.kinds)}


@dataclass(frozen=True)
class Grid:
    budgets: tuple[float, ...]
    min_scores: tuple[float, ...]
    weights: tuple[str, ...]
    kinds: tuple[str, ...]

    def __post_init__(self) -> None:
        for f in fields(self):
            if not getattr(self, f.name):
                raise ValueError(f"tune grid: {f.name} is empty")
        for b in self.budgets:
            if b <= 0 or (b > 1 and b != int(b)):
                raise ValueError(f"tune grid: budget {b}: a share in (0, 1] or a whole number "
                                 f"of tokens > 1")
        for s in self.min_scores:
            if not 0.0 <= s <= 1.0:
                raise ValueError(f"tune grid: min_score {s} is not in [0, 1]")
        for w in self.weights:
            parse_weights(w)

    @classmethod
    def from_toml(cls, path: Path, defaults: "Grid") -> "Grid":
        """Axes from a TOML file (``budgets = [0.1, 0.5, 1]``, ...); absent axes keep the
        ``defaults``."""
        cfg = tomllib.loads(Path(path).read_text())
        names = [f.name for f in fields(cls)]
        unknown = set(cfg) - set(names)
        if unknown:
            raise ValueError(f"{path}: unknown keys {sorted(unknown)}; valid: {names}")
        return defaults.replace(**cfg)

    def replace(self, **axes) -> "Grid":
        """This grid with the given axes (None values ignored) replaced."""
        given = {k: tuple(v) for k, v in axes.items() if v is not None}
        return Grid(**{f.name: given.get(f.name, getattr(self, f.name)) for f in fields(self)})

    def candidates(self, present_kinds: set[str]) -> list[Candidate]:
        out: dict[tuple, Candidate] = {}
        kinds = [parse_kinds(k, present_kinds) for k in self.kinds]
        for budget, score, weights, (ks, every) in itertools.product(
                self.budgets, self.min_scores, [parse_weights(w) for w in self.weights], kinds):
            c = Candidate(float(budget), float(score), weights if score > 0 else (1.0, 1.0),
                          ks, every)
            total = sum(c.weights)
            key = (c.budget, c.min_score, c.weights[0] / total, c.kinds)
            out.setdefault(key, c)
        return list(out.values())


def parse_weights(spec: str) -> tuple[float, float]:
    """``"1:1"`` -> (1.0, 1.0): the heuristic and the judge weight, >= 0 and not both 0."""
    try:
        h, j = (float(x) for x in str(spec).split(":"))
    except ValueError:
        raise ValueError(f"weights {spec!r}: write heuristic:judge, e.g. 1:1 or 0:1") from None
    if h < 0 or j < 0 or h + j == 0:
        raise ValueError(f"weights {spec!r}: both >= 0 and not both 0")
    return h, j


def parse_kinds(spec: str, present: set[str]) -> tuple[tuple[str, ...], bool]:
    """(the kinds kept, sorted; whether that is every kind present). ``"all"``, ``"fact,qa"``
    or ``"all-summary"`` (every present kind but summary; ``"all-summary,qa"`` leaves out two)."""
    spec = spec.strip()
    if spec == ALL:
        return tuple(sorted(present)), True
    leave_out = spec.startswith(ALL + "-")
    listed = spec[len(ALL) + 1:] if leave_out else spec
    names = {k.strip() for k in listed.replace("+", ",").split(",") if k.strip()}
    unknown = set() if leave_out else names - present  # leaving out an absent kind: no-op
    if unknown or not names:
        raise ValueError(f"kinds {spec!r}: the store has {sorted(present)} "
                         f"(write all, fact,qa or all-summary)")
    kept = present - names if leave_out else names
    if not kept:
        raise ValueError(f"kinds {spec!r} leaves no kind")
    return tuple(sorted(kept)), kept == present
