"""LoRA (Hu et al. 2021, peft) on the small model's HF folder: fp32 on CPU (measured faster than
bf16 here), loss on the target tokens only, seeded, checkpointed every K steps and resumable.

Each optimizer step takes ``batch_size`` sequences, run one at a time (no padding; gradients
accumulate) and weighted by their target tokens. Only the target positions are projected to the
vocabulary (``logits_to_keep``): the prompt's 150k-wide logits would cost a quarter of the
compute and most of the memory. Data order is a function of (seed, epoch), so a resumed run
sees exactly the batches an uninterrupted one would.

On a GPU host the same command trains on CUDA (``device = "auto"``), still fp32 weights.
"""

from __future__ import annotations

import math
import random
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from reader.checkpoint import load_checkpoint, save_checkpoint
from reader.encode import Sequence

MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class Hyper:
    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    lr: float = 2e-4
    steps: int = 10
    batch_size: int = 4
    checkpoint_every: int = 10
    seed: int = 0
    warmup: float = 0.1  # share of the steps with a linear warm-up; then linear decay

    @classmethod
    def from_settings(cls, cfg, n_examples: int) -> "Hyper":
        steps = cfg.steps or max(1, math.ceil(cfg.epochs * n_examples / cfg.batch_size))
        return cls(cfg.rank, cfg.alpha, cfg.dropout, cfg.lr, steps, cfg.batch_size,
                   cfg.checkpoint_every, cfg.seed)


def pick_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def batch_indices(step: int, n: int, size: int, seed: int) -> list[int]:
    """The examples of optimizer step ``step``: epoch-wise seeded permutations, concatenated."""
    out = []
    for k in range(step * size, (step + 1) * size):
        epoch, pos = divmod(k, n)
        perm = list(range(n))
        random.Random(seed * 100_003 + epoch).shuffle(perm)
        out.append(perm[pos])
    return out


def load(base_dir: Path, hp: Hyper, device: str, start_from: Path | None = None):
    """The base model in fp32 with a trainable LoRA: a fresh one, or the adapter in
    ``start_from`` (e.g. the shipped general reader) to train further."""
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(hp.seed)
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    if start_from is not None:
        check_start(start_from, hp)
        model = PeftModel.from_pretrained(model, start_from, is_trainable=True)
        model = model.to(device=device, dtype=torch.float32)  # a shipped bf16 adapter too
    else:
        cfg = LoraConfig(r=hp.rank, lora_alpha=hp.alpha, lora_dropout=hp.dropout,
                         target_modules=MODULES, task_type="CAUSAL_LM")
        model = get_peft_model(model, cfg).to(device)
    model.train()
    return model


def check_start(folder: Path, hp: Hyper) -> None:
    """An adapter to start from must have this run's rank, alpha and target modules (the
    manifest's hyperparameters would otherwise describe another adapter)."""
    import json

    path = folder / "adapter_config.json"
    if not path.is_file():
        raise ValueError(f"{path}: missing; not an adapter folder to start from")
    cfg = json.loads(path.read_text())
    got = (cfg.get("r"), cfg.get("lora_alpha"), sorted(cfg.get("target_modules") or []))
    want = (hp.rank, hp.alpha, sorted(MODULES))
    if got != want:
        raise ValueError(f"{path}: rank, alpha, modules {got} differ from this run's {want}")


def optimizer(model, hp: Hyper):
    import torch

    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=hp.lr,
                            weight_decay=0.0)
    warm = max(1, int(hp.warmup * hp.steps))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (hp.steps - s) / max(1, hp.steps - warm))))
    return opt, sched


def step_loss(model, batch: list[Sequence], device: str) -> tuple[float, int]:
    """Forward + backward over the batch, one sequence at a time; returns (mean loss over the
    target tokens, tokens processed)."""
    import torch
    import torch.nn.functional as F

    total = sum(s.n_target for s in batch)
    loss_sum, tokens = 0.0, 0
    for s in batch:
        ids = torch.tensor([s.ids], device=device)
        out = model(input_ids=ids, logits_to_keep=s.n_target + 1)
        logits = out.logits[0, :-1].float()  # position p predicts token p + 1
        loss = F.cross_entropy(logits, ids[0, -s.n_target:], reduction="sum")
        (loss / total).backward()
        loss_sum += float(loss.detach())
        tokens += len(s.ids)
    return loss_sum / total, tokens


def train(seqs: list[Sequence], base_dir: Path, out: Path, hp: Hyper, run_key: dict,
          device: str = "cpu", on_step=None, start_from: Path | None = None) -> dict:
    """Train (or resume) into ``out``, from a fresh LoRA or the adapter in ``start_from``;
    returns the training figures for the manifest. ``on_step(step)`` runs after each optimizer
    step (tests use it to crash mid-run)."""
    from tqdm import tqdm

    device = pick_device(device)
    out.mkdir(parents=True, exist_ok=True)
    model = load(base_dir, hp, device, start_from)
    opt, sched = optimizer(model, hp)
    key = {**run_key, "hyper": asdict(hp)}
    start, losses = load_checkpoint(out, model, opt, sched, key)
    t0, tokens = time.perf_counter(), 0
    bar = tqdm(total=hp.steps, initial=start, desc="reader LoRA", unit="step", file=sys.stderr)
    for step in range(start, hp.steps):
        batch = [seqs[i] for i in batch_indices(step, len(seqs), hp.batch_size, hp.seed)]
        loss, n = step_loss(model, batch, device)
        _clip(model)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(round(loss, 5))
        tokens += n
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.3f}")
        if (step + 1) % hp.checkpoint_every == 0 or step + 1 == hp.steps:
            save_checkpoint(out, model, opt, sched, step + 1, losses, key)
        if on_step is not None:
            on_step(step + 1)
    bar.close()
    wall = time.perf_counter() - t0
    model.save_pretrained(out)
    return {"steps": hp.steps, "resumed_from": start, "device": device,
            "tokens_this_run": tokens, "wall_s_this_run": round(wall, 1),
            "tokens_per_s": round(tokens / wall, 1) if wall and tokens else None,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "final_loss": losses[-1] if losses else None, "losses": losses}


def _clip(model, norm: float = 1.0) -> None:
    import torch

    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], norm)


def loss_plot(losses: list[float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(1, len(losses) + 1), losses)
    ax.set_xlabel("step")
    ax.set_ylabel("loss (target tokens)")
    ax.set_title("reader LoRA training loss")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
