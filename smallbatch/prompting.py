"""Typed prompts: a pydantic input, a pydantic output, an instruction, worked examples and a
version string (which goes into manifests and cache keys).

``call_typed`` asks any OpenAI-compatible server for JSON that matches the output schema
(``response_format`` json_schema, which vLLM enforces), validates it, retries malformed output,
and raises ``TypedCallError`` with the reason when the retries are spent — the caller counts it
as a drop; nothing is silently lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


class TypedCallError(RuntimeError):
    def __init__(self, prompt: str, reason: str, raw: str = "") -> None:
        super().__init__(f"{prompt}: {reason}")
        self.prompt, self.reason, self.raw = prompt, reason, raw


@dataclass(frozen=True)
class TypedPrompt(Generic[In, Out]):
    name: str
    version: str
    instruction: str
    input_model: type[In]
    output_model: type[Out]
    examples: list[tuple[In, Out]] = field(default_factory=list)

    @property
    def key(self) -> str:
        """``name@version``: goes into manifests and cache keys."""
        return f"{self.name}@{self.version}"

    def schema(self) -> dict:
        return self.output_model.model_json_schema()

    def messages(self, inp: In) -> list[dict]:
        """System instruction, each example as a prior user/assistant turn, then the input."""
        msgs = [{"role": "system", "content": self.instruction}]
        for ex_in, ex_out in self.examples:
            msgs.append({"role": "user", "content": ex_in.model_dump_json()})
            msgs.append({"role": "assistant", "content": ex_out.model_dump_json()})
        msgs.append({"role": "user", "content": inp.model_dump_json()})
        return msgs


def parse(prompt: TypedPrompt, text: str) -> BaseModel:
    """Validate model output against the prompt's output schema (raises TypedCallError)."""
    try:
        return prompt.output_model.model_validate_json(text)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "output"
        kind = "invalid JSON" if first.get("type") == "json_invalid" else "schema mismatch"
        raise TypedCallError(prompt.key, f"{kind} at {where}: {first.get('msg')}", text) from None


async def call_typed(client, model: str, prompt: TypedPrompt[In, Out], inp: In, *,
                     max_tokens: int = 512, temperature: float = 0.0, retries: int = 2,
                     usage: dict | None = None) -> Out:
    """One typed call; ``usage`` (if given) accumulates prompt/completion tokens and calls."""
    last: TypedCallError | None = None
    for attempt in range(retries + 1):
        resp = await client.chat.completions.create(
            model=model, messages=prompt.messages(inp), max_tokens=max_tokens,
            temperature=temperature if attempt == 0 else max(temperature, 0.3),
            response_format={"type": "json_schema", "json_schema": {
                "name": prompt.name, "schema": prompt.schema()}},
        )
        if usage is not None:
            usage["calls"] = usage.get("calls", 0) + 1
            if resp.usage:
                usage["prompt_tokens"] = usage.get("prompt_tokens", 0) + resp.usage.prompt_tokens
                usage["completion_tokens"] = (usage.get("completion_tokens", 0)
                                              + resp.usage.completion_tokens)
        choice = resp.choices[0]
        text = choice.message.content or ""
        if choice.finish_reason == "length":
            last = TypedCallError(prompt.key, f"output cut at max_tokens={max_tokens}", text)
            continue
        try:
            return parse(prompt, text)
        except TypedCallError as e:
            last = e
    assert last is not None
    raise TypedCallError(prompt.key, f"{last.reason} (after {retries + 1} attempts)", last.raw)


def to_json(obj: BaseModel) -> str:
    return json.dumps(obj.model_dump(), ensure_ascii=False, sort_keys=True)
