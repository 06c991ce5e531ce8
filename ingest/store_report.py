"""The store report: what curation did to the corpus, as JSON (for machines) and HTML (for people).

Sizes (raw vs store tokens and bytes, i.e. compression), duplicates removed, PII masked by kind,
drops per step, the teacher's cost, and FLAG-style scores of the store:

- freshness: how old the sources are (file modification time, or a ``date`` field of a record);
- coverage: share of the sources' topic clusters that keep at least one unit in the store;
- granularity: units per source and unit length;
- divergence: Jensen–Shannon divergence (base 2, in [0, 1]) between the topic distribution of the
  source passages and that of the store's units.

Topics are k-means clusters of the source passages' embeddings (k = sqrt(passages), at most 64);
store units are assigned to the nearest centroid.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

from ingest.vectors import VectorMemo
from smallbatch.records import Doc


def kmeans(vecs: np.ndarray, k: int, iters: int = 20, seed: int = 0) -> np.ndarray:
    """Spherical k-means centroids (k-means++ seeding); deterministic for a seed."""
    rng = np.random.default_rng(seed)
    centers = [vecs[rng.integers(len(vecs))]]
    for _ in range(1, k):
        d = np.clip(1.0 - np.max(vecs @ np.stack(centers).T, axis=1), 0.0, None)
        p = d / d.sum() if d.sum() > 0 else None
        centers.append(vecs[rng.choice(len(vecs), p=p)])
    c = np.stack(centers)
    for _ in range(iters):
        assign = np.argmax(vecs @ c.T, axis=1)
        for j in range(k):
            members = vecs[assign == j]
            if len(members):
                m = members.mean(axis=0)
                c[j] = m / (np.linalg.norm(m) or 1.0)
    return c


def js_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen–Shannon divergence in bits (0 = same distribution, 1 = disjoint)."""
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a, b):
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / b[nz])))

    return round((kl(p, m) + kl(q, m)) / 2, 4)


def _age_days(doc: Doc, now: float, root: Path | None) -> float | None:
    date = doc.metadata.get("date")
    if date:
        try:
            return (now - time.mktime(time.strptime(str(date)[:10], "%Y-%m-%d"))) / 86400
        except ValueError:
            return None
    path = doc.metadata.get("source_path")
    if path and root is not None and not os.path.isabs(path):
        path = str(root / path) if root.is_dir() else str(root)
    if path and os.path.exists(path):
        return (now - os.path.getmtime(path)) / 86400
    return None


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def topic_shift(passages: list[Doc], units: list[Doc], vectors: VectorMemo) -> dict:
    """The source passages' topic clusters, how many of them the store's units still cover, and
    the divergence of the two topic distributions (``{"k": 0}`` when either side is empty)."""
    if not (passages and units):
        return {"k": 0}
    pv, uv = vectors.of(passages), vectors.of(units)
    k = max(2, min(64, int(math.sqrt(len(passages)))))
    k = min(k, len(passages))
    centers = kmeans(pv, k)
    src = np.bincount(np.argmax(pv @ centers.T, axis=1), minlength=k).astype(float)
    sto = np.bincount(np.argmax(uv @ centers.T, axis=1), minlength=k).astype(float)
    return {"k": k, "source_hist": src.astype(int).tolist(),
            "store_hist": sto.astype(int).tolist(),
            "coverage": round(float(np.mean(sto[src > 0] > 0)), 4),
            "js_divergence": js_divergence(src + 1e-12, sto + 1e-12)}


def build_report(sources: list[Doc], cleaned: list[Doc], passages: list[Doc], units: list[Doc],
                 drops: dict, vectors: VectorMemo, count_tokens,
                 teacher: dict | None = None, root: Path | None = None) -> dict:
    """``sources`` as loaded, ``cleaned`` as the chunk step reads them (after PII masking),
    ``passages`` as it writes them."""
    now = time.time()
    raw_tokens = sum(count_tokens(d.text) for d in sources)
    raw_bytes = sum(len(d.text.encode()) for d in sources)
    unit_tokens = [count_tokens(u.text) for u in units]
    store_tokens = sum(unit_tokens)
    store_bytes = sum(len(u.text.encode()) for u in units)
    pii = Counter()
    for d in cleaned:
        pii.update(d.metadata.get("pii_masked", {}))
    kinds = Counter(u.metadata.get("kind", "passage") for u in units)
    per_source = Counter(u.metadata.get("source_id") for u in units)
    ages = [a for a in (_age_days(d, now, root) for d in sources) if a is not None]

    topics = topic_shift(passages, units, vectors)
    dup = {step: sum(drops.get(step, {}).values())
           for step in ("exact_dedup", "near_dedup", "semantic_dedup")}
    return {
        "raw": {"sources": len(sources), "tokens": raw_tokens, "bytes": raw_bytes},
        "store": {"units": len(units), "tokens": store_tokens, "bytes": store_bytes,
                  "by_kind": dict(kinds)},
        "compression": {"tokens": round(store_tokens / raw_tokens, 4) if raw_tokens else None,
                        "bytes": round(store_bytes / raw_bytes, 4) if raw_bytes else None},
        "duplicates_removed": dup,
        "pii_masked": dict(pii),
        "drops": drops,
        "teacher": teacher or {},
        "flag": {
            "freshness": {"dated_sources": len(ages), "median_age_days":
                          round(_pct(ages, 50), 1) if ages else None,
                          "max_age_days": round(max(ages), 1) if ages else None},
            "coverage": topics.get("coverage"),
            "granularity": {"units_per_source_mean": round(len(units) / max(1, len(per_source)), 2),
                            "unit_tokens_mean": round(store_tokens / max(1, len(units)), 1),
                            "unit_tokens_p50": _pct(unit_tokens, 50),
                            "unit_tokens_p95": _pct(unit_tokens, 95)},
            "js_divergence": topics.get("js_divergence"),
        },
        "topics": topics,
    }


def _topic_plot(topics: dict) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    src, sto = np.array(topics["source_hist"], float), np.array(topics["store_hist"], float)
    order = np.argsort(-src)
    fig, ax = plt.subplots(figsize=(8, 3))
    x = np.arange(len(order))
    ax.bar(x - 0.2, src[order] / src.sum(), 0.4, label="source passages")
    ax.bar(x + 0.2, sto[order] / max(1.0, sto.sum()), 0.4, label="store units")
    ax.set_xlabel("topic cluster (by source share)")
    ax.set_ylabel("share")
    ax.set_title(f"Topic distribution (JS divergence {topics['js_divergence']})")
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _visible_rows(report: dict) -> dict:
    """Reader-visible tokens (what the model can be shown) apart from index keys' tokens."""
    store = report["store"]
    if "visible_tokens" not in store:
        return {}
    raw = report["raw"]["tokens"]
    return {"reader-visible tokens": store["visible_tokens"],
            "reader-visible / raw": round(store["visible_tokens"] / raw, 4) if raw else "–",
            f"index key tokens ({store['keys']} keys)": store["key_tokens"]}


def write_html(report: dict, path: Path, title: str) -> None:
    def rows(d: dict) -> str:
        return "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in d.items())

    parts = [f"<!doctype html><meta charset=utf-8><title>{html.escape(title)}</title>",
             "<style>body{font:14px system-ui;margin:2em;max-width:60em}"
             "table{border-collapse:collapse;margin:.5em 0 1.5em}"
             "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}</style>",
             f"<h1>{html.escape(title)}</h1>",
             "<h2>Size</h2><table>", rows({
                 "raw tokens": report["raw"]["tokens"], "store tokens": report["store"]["tokens"],
                 **_visible_rows(report),
                 "compression (tokens)": report["compression"]["tokens"],
                 "raw bytes": report["raw"]["bytes"], "store bytes": report["store"]["bytes"],
                 "units": report["store"]["units"], **{f"units: {k}": v for k, v in
                                                       report["store"]["by_kind"].items()}}),
             "</table><h2>FLAG scores</h2><table>",
             rows({"freshness": report["flag"]["freshness"],
                   "coverage": report["flag"]["coverage"],
                   "granularity": report["flag"]["granularity"],
                   "JS divergence": report["flag"]["js_divergence"]}),
             "</table><h2>Removed</h2><table>", rows(report["duplicates_removed"]),
             rows({f"PII masked: {k}": v for k, v in report["pii_masked"].items()}),
             "</table><h2>Drops by step</h2><table>",
             rows({step: reasons for step, reasons in report["drops"].items()}),
             "</table><h2>Teacher</h2><table>", rows(report["teacher"]), "</table>"]
    if report.get("budget"):  # the coverage step ran; query_log says whether it was query-aware
        parts += ["<h2>Budget</h2><table>", rows(report["budget"]), "</table>"]
    if report["topics"].get("k"):
        parts.append(f'<img alt="topic distribution" src="data:image/png;base64,'
                     f'{_topic_plot(report["topics"])}">')
    path.write_text("\n".join(parts), encoding="utf-8")
