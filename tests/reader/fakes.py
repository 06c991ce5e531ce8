"""A fake model role for reader tests: answers each typed prompt with a function of its input."""

from __future__ import annotations

from smallbatch.prompting import TypedCallError


class FakeRole:
    def __init__(self, answers: dict):
        """``answers``: prompt name -> function(input) -> output model (or an exception)."""
        self.answers, self.asked = answers, []

    def run(self, prompt, inputs, max_tokens=512, desc=None):
        out = []
        for inp in inputs:
            self.asked.append((prompt.name, inp))
            try:
                out.append(self.answers[prompt.name](inp))
            except TypedCallError as e:
                out.append(e)
        return out
