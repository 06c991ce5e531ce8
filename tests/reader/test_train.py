"""Training on a tiny random Qwen2 with the small model's real tokenizer and chat template:
targets only carry the loss, the adapter changes, and a crash mid-run resumes from the
checkpoint to the same losses and step count as an uninterrupted run."""

import json
import shutil

import pytest

from reader.encode import IGNORE, counter, encode, labels
from reader.train import Hyper, batch_indices, train
from smallbatch.settings import Settings

SMALL = Settings().models_dir() / "small" / "hf"
pytestmark = pytest.mark.skipif(not (SMALL / "tokenizer.json").exists(),
                                reason="small model not pulled (smallbatch models pull small)")

MESSAGES = [{"role": "system", "content": "Answer from the sources."},
            {"role": "user", "content": "Sources: [1] The tower is 330 metres tall. "
                                        "Question: How tall is the tower?"}]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    path = tmp_path_factory.mktemp("tiny")
    for f in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (SMALL / f).exists():
            shutil.copy(SMALL / f, path / f)
    tok = AutoTokenizer.from_pretrained(path)
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                      num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                      tie_word_embeddings=True)
    Qwen2ForCausalLM(cfg).save_pretrained(path)
    return path, tok


def seqs(tok):
    ask = MESSAGES[:1] + [{"role": "user", "content": "Question: Who?"}]
    return [encode(tok, MESSAGES, "330 metres [1]"),
            encode(tok, ask, "I don't know based on the provided sources.")]


def test_only_the_target_is_labelled(tiny):
    _, tok = tiny
    s = encode(tok, MESSAGES, "330 metres [1]")
    lab = labels(s)
    assert tok.decode([t for t in lab if t != IGNORE]) == "330 metres [1]<|im_end|>"
    prompt = tok.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)
    assert tok.decode(s.ids[:len(s.ids) - s.n_target]) == prompt
    assert counter(tok)(MESSAGES) == len(s.ids) - s.n_target


def test_batches_are_a_function_of_seed_and_step():
    steps = [batch_indices(s, 5, 2, 0) for s in range(5)]
    assert sorted(sum(steps[:2], []) + steps[2][:1]) == [0, 1, 2, 3, 4]  # one epoch, no repeats
    assert steps == [batch_indices(s, 5, 2, 0) for s in range(5)]


def test_training_changes_the_adapter(tiny, tmp_path):
    from safetensors.torch import load_file

    base, tok = tiny
    hp = Hyper(rank=4, alpha=8, lr=1e-2, steps=3, batch_size=2, checkpoint_every=2)
    fig = train(seqs(tok), base, tmp_path / "a", hp, {"batch": "x"})
    weights = load_file(tmp_path / "a" / "adapter_model.safetensors")
    lora_b = [v for k, v in weights.items() if "lora_B" in k]
    assert lora_b and any(float(v.abs().sum()) > 0 for v in lora_b)  # B starts at zero
    assert fig["steps"] == 3 and len(fig["losses"]) == 3 and fig["tokens_per_s"] > 0
    assert json.loads((tmp_path / "a" / "adapter_config.json").read_text())["r"] == 4


class Crash(RuntimeError):
    pass


def test_crash_mid_training_resumes_from_the_checkpoint(tiny, tmp_path):
    base, tok = tiny
    hp = Hyper(rank=4, alpha=8, lr=1e-2, steps=5, batch_size=2, checkpoint_every=2)
    whole = train(seqs(tok), base, tmp_path / "whole", hp, {"batch": "x"})

    def crash(step):
        if step == 3:
            raise Crash("killed")

    with pytest.raises(Crash):
        train(seqs(tok), base, tmp_path / "cut", hp, {"batch": "x"}, on_step=crash)
    progress = json.loads((tmp_path / "cut" / "checkpoint" / "progress.json").read_text())
    assert progress["step"] == 2
    resumed = train(seqs(tok), base, tmp_path / "cut", hp, {"batch": "x"})
    assert resumed["resumed_from"] == 2 and resumed["steps"] == 5
    assert resumed["losses"] == pytest.approx(whole["losses"], abs=1e-4)
    with pytest.raises(ValueError, match="another run"):
        train(seqs(tok), base, tmp_path / "cut", hp, {"batch": "other"})


def test_training_can_start_from_an_adapter(tiny, tmp_path):
    """A run started from a trained adapter carries on from its weights: its first loss is the
    first run's last level, not a fresh LoRA's; another rank is refused with the file named."""
    from safetensors.torch import load_file

    base, tok = tiny
    hp = Hyper(rank=4, alpha=8, lr=1e-1, steps=12, batch_size=2, checkpoint_every=12)
    first = train(seqs(tok), base, tmp_path / "first", hp, {"batch": "x"})
    more = Hyper(rank=4, alpha=8, lr=1e-9, steps=1, batch_size=2, checkpoint_every=1)
    fresh = train(seqs(tok), base, tmp_path / "fresh", more, {"batch": "x"})
    again = train(seqs(tok), base, tmp_path / "again", more, {"batch": "x"},
                  start_from=tmp_path / "first")
    assert first["losses"][-1] < fresh["losses"][0] - 0.05  # the first run learned something
    assert again["losses"][0] < fresh["losses"][0] - 0.05  # ... which the second starts from
    assert abs(again["losses"][0] - first["losses"][-1]) < 0.05
    w0 = load_file(tmp_path / "first" / "adapter_model.safetensors")
    w1 = load_file(tmp_path / "again" / "adapter_model.safetensors")
    assert w0.keys() == w1.keys()
    with pytest.raises(ValueError, match="adapter_config.json"):
        train(seqs(tok), base, tmp_path / "wrong", Hyper(rank=8, alpha=16, steps=1),
              {"batch": "x"}, start_from=tmp_path / "first")
