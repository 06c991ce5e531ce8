"""Known-good / known-bad samples judged in every ragas run, so a judge that stops telling right
from wrong (a weak model, a broken server, a changed prompt) is caught in the report."""

from __future__ import annotations

from eval.ragas_judge import Sample

SYSTEM = "_calibration"  # the pseudo-system its verdicts are recorded under
MIN_GAP = 0.5  # good must beat bad by this much on every metric

_PAIRS = [
    ("When was the Eiffel Tower completed?",
     "The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris. It was "
     "designed by Gustave Eiffel's company and completed in 1889 for the World's Fair.",
     "The Eiffel Tower was completed in 1889.", "1889",
     "Photosynthesis is the process by which green plants use sunlight to turn water and carbon "
     "dioxide into glucose and oxygen.",
     "The Eiffel Tower was completed in 1925 by Napoleon."),
    ("Which river flows through Cairo?",
     "Cairo, the capital of Egypt, lies on the banks of the Nile, the longest river in Africa, "
     "just south of the point where the river spreads into its delta.",
     "The Nile flows through Cairo.", "the Nile",
     "The violin is a string instrument with four strings tuned in perfect fifths, usually "
     "played with a bow.",
     "The Amazon flows through Cairo."),
]


def samples(pairs: int) -> dict[str, Sample]:
    """``good-i`` (right context, right answer) and ``bad-i`` (unrelated context, wrong answer)."""
    if not 0 <= pairs <= len(_PAIRS):
        raise ValueError(f"ragas_calibration must be 0..{len(_PAIRS)}, got {pairs}")
    out = {}
    for i, (q, ctx, good, ref, bad_ctx, bad) in enumerate(_PAIRS[:pairs], start=1):
        out[f"good-{i}"] = Sample(q, good, [ctx], ref)
        out[f"bad-{i}"] = Sample(q, bad, [bad_ctx], ref)
    return out


def check(verdicts: dict[str, dict[str, float | None]]) -> tuple[dict, list[str]]:
    """``verdicts[metric][sample id] -> value``: per-metric good/bad means and the warnings
    (a metric whose good samples do not beat its bad ones by MIN_GAP, or that left one unscored)."""
    table, warnings = {}, []
    for metric, by_id in verdicts.items():
        good = [v for k, v in by_id.items() if k.startswith("good")]
        bad = [v for k, v in by_id.items() if k.startswith("bad")]
        unscored = sum(v is None for v in good + bad)
        g = [v for v in good if v is not None]
        b = [v for v in bad if v is not None]
        row = {"good": round(sum(g) / len(g), 3) if g else None,
               "bad": round(sum(b) / len(b), 3) if b else None, "unscored": unscored}
        table[metric] = row
        if unscored:
            warnings.append(f"{metric}: {unscored} calibration sample(s) unscored by the judge")
        elif row["good"] - row["bad"] < MIN_GAP:
            warnings.append(f"{metric}: the judge no longer separates known-good from known-bad "
                            f"answers (good {row['good']:.2f} vs bad {row['bad']:.2f}); "
                            f"do not trust its scores")
    return table, warnings
