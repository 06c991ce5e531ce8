"""`smallbatch tune --kb NAME --dev FILE`: sweep cuts of the full curated store, answer the dev
questions over each, publish the smallest cut within the tolerance of the best F1."""

from __future__ import annotations

from pathlib import Path

from smallbatch.errors import UserError
from smallbatch.settings import Settings


def tune(args, s: Settings) -> int:
    from smallbatch.store import StoreError
    from tune.run import grid_of, table
    from tune.run import tune as sweep

    grid = grid_of(s.tune, args.grid, budgets=args.budgets, min_scores=args.min_scores,
                   weights=args.weights, kinds=args.kinds)
    tolerance = s.tune.tolerance if args.tolerance is None else args.tolerance
    try:
        result = sweep(s, s.kb, Path(args.dev), grid, tolerance, args.dry_run, args.snapshot,
                       args.n, args.source_field, args.concurrency or s.tune.concurrency)
    except StoreError as e:  # no such knowledge base or snapshot
        raise UserError(str(e)) from e
    print(table(result))
    chosen = result.points[result.chosen]
    print(f"chosen {chosen['name']}: F1 {chosen['f1']:.3f} with {chosen['store_tokens']} of "
          f"{result.tuning['full_store']['tokens']} tokens (tolerance {tolerance:g}); "
          f"sweep and plot in {result.work}")
    print(f"published {result.snapshot}" if result.snapshot else "dry run: nothing published")
    return 0
