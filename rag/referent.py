"""Who "he" is, decided without a model: the subject the user asked about.

A pronoun in a follow-up refers to what the *user* was asking about, not to the assistant's
wording: after "Who was Rollo?" / "A Viking." / "When did he die?", "he" is Rollo — the 0.5B,
asked to name the referent, answered "A Viking". The assistant's reply supplies the referent
only when the user asked for an entity ("Who proved that air is necessary for combustion?" /
"Robert Boyle proved it." / "Where was he born?"): then the user refers to the answer.

Names are runs of capitalised words (with "of", "da", "de", "von" … inside them); a follow-up
like "And Uganda?" or "What about Uganda?" re-asks the previous question with its name swapped.
"""

from __future__ import annotations

import re

from rag.citations import strip_markers

_LINK = r"(?:of|de|da|di|von|van|du|del|la|le|the|and)"
_NAME = re.compile(rf"[A-Z][\w'’.-]*(?:\s+(?:{_LINK}\s+)*[A-Z][\w'’.-]*)*")
_QWORDS = {"who", "what", "when", "where", "why", "how", "which", "whose", "whom", "and", "did",
           "does", "do", "is", "was", "are", "were", "in", "the", "a", "an", "tell", "name", "i",
           "can", "could", "please", "list", "give", "describe", "explain", "hello", "hi", "hey",
           "thanks", "yes", "no", "ok", "okay"}
_AUX = r"(?i:is|was|are|were|did|does|do|has|had|have|can|could|will|would)"
# "Who was Rollo", "When did the Black Death reach Europe": a name right after the auxiliary
_ABOUT = re.compile(rf"^\s*(?i:who|what|when|where|why|how|which)\b[^?]*?\b{_AUX}\s+(?i:the\s+)?"
                    rf"({_NAME.pattern})")
# "Who proved ...", "Which chemist ...", "What is the capital of ...": asks for an entity
_ASKS_FOR = re.compile(rf"^\s*(?:(?i:who)\s+(?!{_AUX}\b)\w+"
                       rf"|(?i:which|what)\s+(?!{_AUX}\b)\w+\s+(?!{_AUX}\b)\w+"
                       rf"|(?i:who|what|which)\s+{_AUX}\s+(?i:the)\s+[a-z])")
ELLIPSIS = re.compile(r"^\s*(?:and|what about|how about)\s+(?:the\s+)?(.+?)\s*\??\s*$",
                       re.IGNORECASE)
PRONOUN = re.compile(r"\b(he|she|it|they|him|her|them|his|its|their|hers|theirs)\b",
                     re.IGNORECASE)
_POSSESSIVE = {"his", "its", "their", "her"}


def name_phrases(text: str) -> list[str]:
    """Capitalised phrases of ``text``, a leading question word dropped ("Who" is no name)."""
    out = []
    for m in _NAME.finditer(strip_markers(text)):
        words = m.group().split()
        while words and words[0].lower() in _QWORDS:
            words = words[1:]
        phrase = " ".join(words).strip(".'’")
        if phrase and phrase.lower() not in _QWORDS:
            out.append(phrase)
    return out


def subject(question: str) -> str | None:
    """The named thing a question asks about, or None when it asks for one (or names none)."""
    m = _ABOUT.match(question)
    if m and name_phrases(m.group(1)):
        return name_phrases(m.group(1))[0]
    if _ASKS_FOR.match(question):
        return None
    names = name_phrases(question)
    return names[0] if names else None


def answer_entity(question: str, reply: str) -> str | None:
    """The first name of the reply that the question did not already use."""
    asked = question.lower()
    return next((n for n in name_phrases(reply) if n.lower() not in asked), None)


def referent(history: list) -> str | None:
    """The most recent user turn's subject; if that turn asked for an entity, the reply's."""
    turns = list(history)
    for i in range(len(turns) - 1, -1, -1):
        if turns[i].role != "user":
            continue
        asked = turns[i].content
        found = subject(asked)
        if found:
            return found
        reply = next((t.content for t in turns[i + 1:] if t.role == "assistant"), "")
        if _ASKS_FOR.match(asked) and answer_entity(asked, reply):
            return answer_entity(asked, reply)
    return None


def substitute(question: str, name: str) -> str:
    """Replace the personal pronouns of ``question`` by ``name`` ("his" -> "Rollo's")."""
    def repl(m: re.Match) -> str:
        if m.group(1).lower() in _POSSESSIVE:
            return name + ("'" if name.endswith("s") else "'s")
        return name
    return PRONOUN.sub(repl, question)


def resolve(history: list, question: str) -> tuple[str, str] | None:
    """(standalone question, the name it brought in), or None when no rule applies."""
    m = ELLIPSIS.match(question)
    users = [t.content for t in history if t.role == "user"]
    if m and users and not PRONOUN.search(question):
        old = subject(users[-1]) or next(iter(name_phrases(users[-1])), None)
        new = m.group(1).strip()
        return (users[-1].replace(old, new), new) if old else None
    if PRONOUN.search(question):
        name = referent(history)
        return (substitute(question, name), name) if name else None
    return None


def allowed_words(history: list) -> str:
    """Text a rewrite may take words from: the user turns, and a reply to a user turn that
    asked for an entity (the user refers to that reply)."""
    parts = []
    for i, t in enumerate(history):
        asked = history[i - 1].content if i and history[i - 1].role == "user" else ""
        if t.role == "user" or _ASKS_FOR.match(asked):
            parts.append(t.content)
    return " ".join(parts)
