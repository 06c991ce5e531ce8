"""Training sequences exactly as vLLM reads them: the chat template rendered with the
generation prompt (``apply_chat_template(..., add_generation_prompt=True)``, tokenized without
added special tokens, as vLLM's chat endpoint does), then the target and the template's
end-of-turn token — the token the server stops on. Only the target's tokens carry a label."""

from __future__ import annotations

from dataclasses import dataclass

IGNORE = -100  # label of a prompt token: no loss


@dataclass(slots=True)
class Sequence:
    ids: list[int]
    n_target: int  # the last n_target ids are the target (its end token included)


def prompt_ids(tokenizer, messages: list[dict]) -> list[int]:
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def encode(tokenizer, messages: list[dict], target: str) -> Sequence:
    end = tokenizer.eos_token  # <|im_end|> for Qwen chat models
    t = tokenizer(target + end, add_special_tokens=False)["input_ids"]
    return Sequence(prompt_ids(tokenizer, messages) + t, len(t))


def labels(seq: Sequence) -> list[int]:
    return [IGNORE] * (len(seq.ids) - seq.n_target) + seq.ids[-seq.n_target:]


def counter(tokenizer):
    """``count(messages)``: the prompt's length in tokens (for the example builder)."""
    return lambda messages: len(prompt_ids(tokenizer, messages))
