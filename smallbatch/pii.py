"""Desensitise: replace personal data and credentials with typed placeholders like ``[EMAIL]``.

Whatever reaches the store can be quoted back to any user, so PII and secrets are masked before
chunking. The placeholder keeps the sentence readable ("write to [EMAIL]") and its kind is
counted. Digit patterns are checked before masking — a card number must pass the Luhn check, a
Chinese ID its MOD 11-2 check digit — so years ("1347"), quantities ("100,000 people") and
reference numbers stay. Order matters: secrets first (a key's digit runs must not be half-masked
as a card or phone), then e-mail, IP addresses, Chinese IDs before cards, and phones last.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable

# Digit runs must not continue into neighbouring letters or digits; CJK may touch them ("电话1380…").
_START = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"

# API keys and tokens by their published prefixes, then long values assigned to key/token/secret.
_SECRET = re.compile(r"""
      \bsk-[A-Za-z0-9_-]{20,}                         # OpenAI-style secret key
    | \bgh[pousr]_[A-Za-z0-9]{30,}                    # GitHub token
    | \bgithub_pat_[A-Za-z0-9_]{22,}                  # GitHub fine-grained token
    | \b(?:AKIA|ASIA)[0-9A-Z]{16}\b                   # AWS access key id
    | \bxox[baprs]-[A-Za-z0-9-]{10,}                  # Slack token
    | \beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}   # JWT: three base64url parts
    | \b[\w-]*(?i:key|token|secret|password)["']?\s*[:=]\s*["']?  # api_key = "...": mask the
      (?P<value>(?=[A-Za-z0-9_./+=-]*\d)[A-Za-z0-9_./+=-]{16,})      # value, 16+ chars, a digit
""", re.VERBOSE)

# name@domain.tld
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")

# Hex groups joined by at least two colons (last may be dotted IPv4, "::ffff:192.0.2.1");
# ipaddress then decides whether the candidate is a real IPv6 address ("12:30:45" is not).
_IPV6 = re.compile(r"""(?<![\w:.])(?=[0-9A-Fa-f:.]*\d)
    [0-9A-Fa-f]{0,4}(?::(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?){2,8}(?![\w:])""", re.VERBOSE)

# Four dot-separated octets 0-255, not part of a longer dotted number.
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\.?\d)(?![\w])")

# Chinese resident ID: 6-digit region, birth date YYYYMMDD, 3-digit sequence, check digit or X.
_CN_ID = re.compile(
    _START + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _END)

# Card: 13-19 digits, run together or in groups of 4 (4-6-5 / 4-6-4 for Amex and Diners).
_CARD = re.compile(_START + r"""(?:
      \d{13,19}
    | \d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}
    | \d{4}[ -]\d{6}[ -]\d{4,5}
)""" + _END, re.VERBOSE)

# Phones: +country grouped; North American (415) 555-2671 / 415-555-2671; Chinese mobile 1[3-9]…
_PHONE = re.compile(r"""(?:
      (?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,4}
    | """ + _START + r"""(?:1[ .-])?(?:\([2-9]\d{2}\)[ ]?|[2-9]\d{2}[.-])[2-9]\d{2}[ .-]\d{4}
    | """ + _START + r"""(?:86[ -]?)?1[3-9]\d(?:\d{8}|[ -]\d{4}[ -]\d{4})
)""" + _END, re.VERBOSE)


def luhn(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number passes (ISO/IEC 7812-1)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"  # check character for (weighted sum mod 11) = 0, 1, 2, ...


def cn_id_checksum(number: str) -> bool:
    """Whether an 18-character Chinese resident ID has the right ISO 7064 MOD 11-2 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _CN_ID_WEIGHTS))
    return _CN_ID_CHECK[total % 11] == number[17].upper()


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _is_ipv6(s: str) -> bool:
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return True


# (placeholder kind, pattern, check on the matched text), applied in this order.
RULES: list[tuple[str, re.Pattern, Callable[[str], bool]]] = [
    ("SECRET", _SECRET, lambda s: True),
    ("EMAIL", _EMAIL, lambda s: True),
    ("IP", _IPV6, _is_ipv6),
    ("IP", _IPV4, lambda s: True),
    ("CN_ID", _CN_ID, cn_id_checksum),
    ("CARD", _CARD, lambda s: 13 <= len(_digits(s)) <= 19 and luhn(_digits(s))),
    ("PHONE", _PHONE, lambda s: 8 <= len(_digits(s)) <= 15),
]


def mask(text: str) -> tuple[str, Counter]:
    """``text`` with every detected PII replaced by ``[KIND]``, and how many of each kind."""
    counts: Counter[str] = Counter()
    for kind, pattern, valid in RULES:

        def replace(m: re.Match) -> str:
            value = m.group("value") if "value" in pattern.groupindex else None
            if not valid(value or m.group(0)):
                return m.group(0)
            counts[kind] += 1
            if value:  # an assignment: keep the name, mask what is assigned
                return m.group(0)[: m.start("value") - m.start()] + f"[{kind}]"
            return f"[{kind}]"

        text = pattern.sub(replace, text)
    return text, counts
