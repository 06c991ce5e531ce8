"""Noise for the benchmark corpus, all driven by a seeded random.Random: seeded PII (with valid
checksums where the real thing has one), light word edits for near duplicates, and junk pages."""

from __future__ import annotations

import datetime
import random
import re
import string
from dataclasses import replace

from bench.corpus_pages import VARIANTS, Block, Page, slug

# --- PII ---------------------------------------------------------------------------------------

FIRST = ["anna", "li", "wei", "james", "maria", "omar", "sofia", "chen", "david", "fatima", "lucas"]
LAST = ["schmidt", "zhang", "wang", "smith", "garcia", "haddad", "rossi", "liu", "brown", "khan"]
DOMAINS = ["example.com", "example.org", "mail.example.net", "wikimirror-mail.example"]
CN_AREAS = ["110101", "310104", "440305", "510107", "330106", "420111"]  # Beijing ... Wuhan


def luhn_check_digit(payload: str) -> str:
    """The digit that makes payload + digit pass the Luhn (mod 10) check."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def cn_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a Chinese resident ID number (GB 11643-1999)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights)) % 11]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def gen_email(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)}.{rng.choice(LAST)}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}"


def gen_phone_intl(rng: random.Random) -> str:
    return rng.choice([f"+44 20 7946 0{_digits(rng, 3)}", f"+44 7700 900{_digits(rng, 3)}",
                       f"+1 ({rng.choice(['212', '415', '617'])}) 555-01{_digits(rng, 2)}",
                       f"+1 202-555-01{_digits(rng, 2)}", f"+49 30 {_digits(rng, 8)}"])


def gen_phone_cn(rng: random.Random) -> str:
    n = "1" + rng.choice("3456789") + _digits(rng, 9)
    return rng.choice([n, f"+86 {n}", f"+86-{n[:3]}-{n[3:7]}-{n[7:]}"])


def gen_cn_id(rng: random.Random) -> str:
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 20000))
    first17 = rng.choice(CN_AREAS) + born.strftime("%Y%m%d") + _digits(rng, 3)
    return first17 + cn_id_check_char(first17)


def gen_card(rng: random.Random) -> str:
    prefix, length, groups = rng.choice([("4", 16, (4, 4, 4, 4)), ("5" + rng.choice("12345"), 16, (4, 4, 4, 4)),
                                         ("37", 15, (4, 6, 5))])
    payload = prefix + _digits(rng, length - len(prefix) - 1)
    number = payload + luhn_check_digit(payload)
    if rng.random() < 0.3:
        return number
    cuts = [sum(groups[:i]) for i in range(len(groups) + 1)]
    return rng.choice([" ", "-"]).join(number[a:b] for a, b in zip(cuts, cuts[1:]))


def gen_ipv4(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{rng.randint(1, 254)}"
    return f"{rng.choice([23, 45, 81, 104, 151, 185, 212])}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def gen_api_key(rng: random.Random) -> str:
    alnum = string.ascii_letters + string.digits
    pick = lambda chars, n: "".join(rng.choice(chars) for _ in range(n))  # noqa: E731
    return rng.choice([f"sk-{pick(alnum, 48)}", f"ghp_{pick(alnum, 36)}",
                       f"AKIA{pick(string.ascii_uppercase + '234567', 16)}"])


GENERATORS = {"email": gen_email, "phone_intl": gen_phone_intl, "phone_cn": gen_phone_cn,
              "cn_id": gen_cn_id, "card": gen_card, "ipv4": gen_ipv4, "api_key": gen_api_key}

# Inserted two at a time, in this order, so the first two PII pages already hold every kind.
TEMPLATES = [
    "For corrections to this page, write to {email} or call {phone_intl}.",
    "Reader submission received from mobile {phone_cn}, resident ID {cn_id}.",
    "Print edition order paid with card {card} from IP address {ipv4}.",
    "Sync job note: the mirror uses the key {api_key}; alerts go to {email}.",
    "Contact the editor on {phone_intl} or, in China, on {phone_cn}.",
    "Account holder ID {cn_id}, card {card}, billing contact {email}.",
    "Last edit from {ipv4} by the bot account with token {api_key}.",
]


def pii_block(rng: random.Random, nth: int) -> tuple[Block, list[tuple[str, str]]]:
    """The nth inserted PII paragraph (two template sentences) and its (kind, value) pairs."""
    found: list[tuple[str, str]] = []

    def fill(m: re.Match) -> str:
        value = GENERATORS[m.group(1)](rng)
        found.append((m.group(1), value))
        return value

    sentences = [re.sub(r"\{(\w+)\}", fill, TEMPLATES[(2 * nth + i) % len(TEMPLATES)]) for i in range(2)]
    text = " ".join(sentences)
    return Block("p", text, protect=((0, len(text)),), pii=True), found


# --- near duplicates ---------------------------------------------------------------------------

SYNONYMS = {"large": "big", "big": "large", "many": "numerous", "began": "started", "started": "began",
            "however": "but", "often": "frequently", "important": "significant", "small": "little",
            "about": "around", "known": "recognised", "used": "employed", "built": "constructed",
            "city": "town", "also": "additionally", "between": "among", "first": "initial"}


def _free(start: int, end: int, protect) -> bool:
    return all(end <= s or start >= e for s, e in protect)


def _replace(word: str, rng: random.Random) -> str:
    """A synonym (same capitalisation) or a typo: two inner letters swapped."""
    core = word.rstrip(".,;:!?")
    tail = word[len(core):]
    syn = SYNONYMS.get(core.lower())
    if syn:
        return (syn.capitalize() if core[:1].isupper() else syn) + tail
    if len(core) >= 4 and core.isalpha():
        p = rng.randint(1, len(core) - 3)
        return core[:p] + core[p + 1] + core[p] + core[p + 2:] + tail
    return word + ","  # nothing to misspell: change the punctuation instead


def _punct(word: str) -> str:
    if word.endswith(","):
        return word[:-1]
    if word.endswith((";", ":")):
        return word[:-1] + ","
    if word.endswith("."):
        return word[:-1] + ";"
    return word + ","


def edit_text(text: str, protect, rng: random.Random, rate: float) -> tuple[str, int]:
    """Swap, drop, replace or re-punctuate about rate * words words; never touch text inside
    the protect spans. Returns (new text, number of edits)."""
    parts = re.split(r"(\s+)", text)  # words at even indices, whitespace at odd ones
    offsets, pos = [], 0
    for p in parts:
        offsets.append((pos, pos + len(p)))
        pos += len(p)
    free = [i for i in range(0, len(parts), 2) if parts[i] and _free(*offsets[i], protect)]
    chosen = sorted(rng.sample(free, min(len(free), max(1, round(rate * len(free))))))
    edits, used = 0, set()
    for i in chosen:
        if i in used:
            continue
        op = rng.choice(["swap", "drop", "replace", "punct"])
        if op == "swap" and i + 2 in free and i + 2 not in used and i + 2 < len(parts):
            parts[i], parts[i + 2] = parts[i + 2], parts[i]
            used.add(i + 2)
        elif op == "drop":
            parts[i] = ""
            sep = i + 1 if i + 1 < len(parts) else i - 1
            if sep > 0 and _free(*offsets[sep], protect):
                parts[sep] = ""
        elif op == "punct":
            parts[i] = _punct(parts[i])
        else:
            parts[i] = _replace(parts[i], rng)
        used.add(i)
        edits += 1
    return "".join(parts), edits


def near_duplicate(page: Page, path: str, rng: random.Random) -> Page:
    """A lightly edited copy of page under another path, with another boilerplate variant."""
    rate = rng.uniform(0.02, 0.05)
    blocks, edits = [], 0
    for b in page.blocks:
        if b.kind == "p":
            text, n = edit_text(b.text, b.protect, rng, rate)
            b = replace(b, text=text, protect=b.protect if n == 0 else ())
            edits += n
        blocks.append(b)
    variant = rng.choice([v for v in range(len(VARIANTS)) if v != page.variant])
    return page.copy(path=path, blocks=blocks, role="near_duplicate", source=page.file,
                     variant=variant, meta={**page.meta, "edits": edits})


# --- junk --------------------------------------------------------------------------------------

LINK_TEXTS = ["Click here", "Read more", "Previous page", "Next page", "Share on Facebook",
              "Share on Twitter", "Print this page", "Subscribe (RSS)", "Log in", "Random article"]
SYMBOLS = "§¶†‡•※★☆→←↑↓±×÷∞≈≠≤≥"
REPEATED = ["Subscribe to our newsletter for the latest updates!",
            "Click here to claim your free prize now!", "This page is under construction."]


def _links(rng: random.Random) -> list[Block]:
    items = []
    for _ in range(rng.randint(25, 40)):
        text = rng.choice(LINK_TEXTS + [f"Archive {rng.randint(2001, 2024)}", f"Category {rng.randint(1, 99)}"])
        items.append((text, f"https://wikimirror.example/{slug(text)}"))
    return [Block("links", items=tuple(items))]


def _table(rng: random.Random) -> list[Block]:
    rows = [("Code", "Dec", "Hex", "Symbol")]
    for _ in range(rng.randint(20, 40)):
        c = rng.choice(SYMBOLS)
        rows.append((f"U+{ord(c):04X}", str(rng.randint(0, 65535)), f"0x{rng.randint(0, 255):02X}", c))
    return [Block("table", items=tuple(rows))]


def _repeated(rng: random.Random) -> list[Block]:
    return [Block("p", " ".join([rng.choice(REPEATED)] * rng.randint(30, 60)))]


def _not_found(rng: random.Random) -> list[Block]:
    lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor."
    return [Block("p", "404 Not Found. The page you requested could not be found."),
            Block("p", " ".join([lorem] * rng.randint(2, 5))), Block("p", "Return to the Home page.")]


JUNK = [("links", "Related links", _links), ("table", "Symbol table", _table),
        ("repeated", "Newsletter", _repeated), ("not_found", "Page not found", _not_found)]


def junk_pages(n: int, rng: random.Random) -> list[Page]:
    pages = []
    for i in range(n):
        kind, title, make = JUNK[i % len(JUNK)]
        title = title if i < len(JUNK) else f"{title} {i // len(JUNK) + 1}"
        pages.append(Page(f"wiki/{slug(title)}/part-01", title, make(rng), "junk", kind))
    return pages
