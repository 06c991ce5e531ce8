"""Systems under comparison, declared in one TOML file.

    [eval]
    questions = "../shared/data/squad-v1.1-dev.json"   # SQuAD JSON or JSONL, or a list of files
    n = 300            # questions sampled (seed below); all if absent
    seed = 13
    concurrency = 2
    style = "short"    # answer style: short (extractive phrase, fair for EM/F1) | sentence (chat)
    out = "eval/results"
    source_field = "source_ids"  # JSONL field with the gold source ids (e.g. "doc" for page ids)
    unanswerable = 50  # + questions about SQuAD articles no evaluated store holds (abstain = right)
    unanswerable_from = "../shared/data/squad-v1.1-dev.json"   # default: the questions file;
                       # or a JSONL of questions written to be unanswerable ("answerable": false)
    ragas_n = 20       # ragas on the first 20 answerable questions per system (0 = off)
    ragas_metrics = ["faithfulness", "factual_correctness", "context_precision", "context_recall"]
    ragas_calibration = 1   # known-good/known-bad sample pairs judged in every ragas run

    [[system]]
    name = "small+raw"
    role = "small"          # a role from the settings (small | large | teacher | judge) ...
    kb = "squad-raw"        # ... over this knowledge base's current snapshot (or `snapshot = PATH`)

    [[system]]
    name = "small+clean windows"
    role = "small"
    kb = "squad-clean"
    top_k = 2
    retrieval = { show = "window", window_sentences = 1 }   # RetrievalSettings overrides

    [[system]]
    name = "large closed-book"
    base_url = "http://gpu-box:8000/v1"   # ... or any OpenAI-compatible server
    model = "Qwen2.5-7B-Instruct"        # (no kb/snapshot: closed-book)
    params = "7B"                        # model size for the accuracy-vs-model-size plot
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from eval.questions import Question, load_questions, sample, titles, unanswerable
from eval.ragas_judge import RAGAS_METRICS
from eval.store_size import store_info
from smallbatch.llm import Endpoint, endpoint
from smallbatch.settings import RetrievalSettings, Settings
from smallbatch.snapshot import is_complete


@dataclass
class System:
    name: str
    endpoint: Endpoint
    model_label: str  # e.g. "small (qwen2.5-coder-0.5b-instruct)"
    snapshot: Path | None = None  # None = closed-book
    top_k: int | None = None
    params: str | None = None  # model size, e.g. "0.5B" (catalog models know theirs)
    retrieval: dict = field(default_factory=dict)  # RetrievalSettings overrides, e.g. show

    def settings(self, s: Settings) -> Settings:
        """``s`` with this system's retrieval overrides and top_k."""
        update = {**self.retrieval, **({"top_k": self.top_k} if self.top_k else {})}
        if not update:
            return s
        return s.model_copy(update={"retrieval": s.retrieval.model_validate(
            {**s.retrieval.model_dump(), **update})})

    @property
    def closed_book(self) -> bool:
        return self.snapshot is None


@dataclass
class EvalPlan:
    questions: list[Path]
    n: int | None
    seed: int
    concurrency: int
    out: Path
    style: str = "short"
    systems: list[System] = field(default_factory=list)
    source: Path | None = None
    source_field: str = "source_ids"
    unanswerable: int = 0
    unanswerable_from: Path | None = None
    ragas_n: int = 0
    ragas_metrics: list[str] = field(default_factory=lambda: list(DEFAULT_RAGAS))
    ragas_calibration: int = 1


DEFAULT_RAGAS = ("faithfulness", "factual_correctness", "context_precision", "context_recall")


def _system(row: dict, settings: Settings, base: Path) -> System:
    from rag.assemble import current_snapshot
    from smallbatch.models.catalog import CATALOG

    name = row.get("name")
    if not name:
        raise ValueError("every [[system]] needs a name")
    if "base_url" in row:
        if "model" not in row:
            raise ValueError(f"system {name!r}: base_url needs a model")
        ep = Endpoint(name, row["base_url"].rstrip("/"), row["model"], row.get("api_key", "EMPTY"),
                      float(row.get("timeout_s", 600)), int(row.get("max_retries", 2)))
        label = row["model"]
        params = row.get("params")
    else:
        role = row.get("role", "small")
        ep = endpoint(settings, role)
        label = f"{getattr(settings, role).model} ({ep.model})"
        catalog = CATALOG.get(getattr(settings, role).model)
        params = row.get("params", catalog.params if catalog else None)
    snapshot = None
    if "snapshot" in row:
        snapshot = (base / row["snapshot"]).resolve()
    elif "kb" in row:
        snapshot = current_snapshot(settings, row["kb"])
    unknown = set(row) - {"name", "role", "base_url", "model", "api_key", "timeout_s",
                          "max_retries", "kb", "snapshot", "top_k", "params", "retrieval"}
    if unknown:
        raise ValueError(f"system {name!r}: unknown keys {sorted(unknown)}")
    retrieval = dict(row.get("retrieval", {}))
    bad = set(retrieval) - set(RetrievalSettings.model_fields)
    if bad:
        raise ValueError(f"system {name!r}: unknown retrieval settings {sorted(bad)}")
    system = System(name, ep, label, snapshot, row.get("top_k"), params, retrieval)
    try:
        system.settings(settings)
    except ValidationError as e:
        raise ValueError(f"system {name!r}: retrieval: {e.errors()[0]['msg']}") from None
    return system


def load_plan(path: Path, settings: Settings) -> EvalPlan:
    path = Path(path)
    cfg = tomllib.loads(path.read_text())
    ev = cfg.get("eval", {})
    base = Path.cwd()
    systems = [_system(row, settings, base) for row in cfg.get("system", [])]
    if not systems:
        raise ValueError(f"{path}: declares no [[system]]")
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: system names must be unique, got {names}")
    unknown = set(ev) - {"questions", "n", "seed", "concurrency", "style", "out", "source_field",
                         "unanswerable", "unanswerable_from", "ragas_n", "ragas_metrics",
                         "ragas_calibration"}
    if unknown:
        raise ValueError(f"{path}: [eval] has unknown keys {sorted(unknown)}")
    metrics = list(ev.get("ragas_metrics", DEFAULT_RAGAS))
    bad = set(metrics) - set(RAGAS_METRICS)
    if bad:
        raise ValueError(f"{path}: unknown ragas_metrics {sorted(bad)}; choose from {RAGAS_METRICS}")
    pool = ev.get("unanswerable_from")
    files = ev.get("questions", "")
    files = [files] if isinstance(files, str) else list(files)
    return EvalPlan([Path(f) for f in files], ev.get("n"), int(ev.get("seed", 13)),
                    int(ev.get("concurrency", 2)), Path(ev.get("out", "eval/results")),
                    ev.get("style", "short"), systems, path, ev.get("source_field", "source_ids"),
                    int(ev.get("unanswerable", 0)), Path(pool) if pool else None,
                    int(ev.get("ragas_n", 0)), metrics, int(ev.get("ragas_calibration", 1)))


def plan_questions(plan: EvalPlan, questions_file: Path | None = None,
                   n: int | None = None) -> list[Question]:
    """The seeded sample of gold questions, then the unanswerable ones (if the plan asks)."""
    paths = [Path(questions_file)] if questions_file else plan.questions
    gold = [q for path in paths for q in load_questions(path, plan.source_field)]
    chosen = sample(gold, n if n is not None else plan.n, plan.seed)
    if not plan.unanswerable:
        return chosen
    pool = plan.unanswerable_from or paths[0]
    if pool.suffix == ".jsonl":  # written to be unanswerable: no store lookup needed
        written = [q for q in load_questions(pool) if not q.answerable]
        if len(written) < plan.unanswerable:
            raise ValueError(f"{pool}: {len(written)} unanswerable questions, "
                             f"{plan.unanswerable} asked for")
        return chosen + sample(written, plan.unanswerable, plan.seed)
    if pool.suffix != ".json":
        raise ValueError(f"unanswerable questions come from a SQuAD JSON file or a JSONL of "
                         f"questions flagged \"answerable\": false; set unanswerable_from "
                         f"(got {pool})")
    # Stores not built yet are left out: they hold the same articles as the built ones (a store
    # is a cut or a cleaning of the same sources), so the unanswerable set does not change.
    infos = [store_info(s.snapshot) for s in plan.systems if s.snapshot and is_complete(s.snapshot)]
    exclude = titles(sid for q in gold for sid in q.source_ids)
    exclude |= {t for i in infos for t in i.titles}
    text = "\n".join(i.text for i in infos)
    return chosen + unanswerable(pool, exclude, text, plan.unanswerable, plan.seed)
