"""Training checkpoints: adapter weights, optimizer and scheduler state, RNG state, step and
losses in ``<out>/checkpoint``, written to a temporary folder and renamed into place, so a crash
while saving leaves the previous checkpoint whole. A checkpoint resumes only the run it belongs
to (same batch hash and hyperparameters)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

CKPT = "checkpoint"


def save_checkpoint(out: Path, model, opt, sched, step: int, losses: list[float],
                    run_key: dict) -> None:
    import torch
    from peft import get_peft_model_state_dict

    tmp = out / (CKPT + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save({"adapter": get_peft_model_state_dict(model), "opt": opt.state_dict(),
                "sched": sched.state_dict(), "rng": torch.get_rng_state()}, tmp / "state.pt")
    (tmp / "progress.json").write_text(json.dumps({"step": step, "losses": losses,
                                                   "run": run_key}))
    old = out / (CKPT + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if (out / CKPT).exists():
        (out / CKPT).rename(old)
    tmp.rename(out / CKPT)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(out: Path, model, opt, sched, run_key: dict) -> tuple[int, list[float]]:
    """(step, losses) restored from ``out/checkpoint``; (0, []) when there is none for this
    run. A checkpoint of another run (other batch or hyperparameters) is an error, not a
    silent restart."""
    import torch
    from peft import set_peft_model_state_dict

    folder = out / CKPT
    if not (folder / "progress.json").exists():
        return 0, []
    progress = json.loads((folder / "progress.json").read_text())
    if progress["run"] != run_key:
        raise ValueError(f"{folder}: a checkpoint of another run (batch or hyperparameters "
                         f"differ); delete it to start over")
    state = torch.load(folder / "state.pt", weights_only=False)
    set_peft_model_state_dict(model, state["adapter"])
    opt.load_state_dict(state["opt"])
    sched.load_state_dict(state["sched"])
    torch.set_rng_state(state["rng"])
    return progress["step"], progress["losses"]
