"""``python -m learner``: see learner/learn.py (make learn)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from learner.learn import EXIT_TOO_FEW, MIN_LOST, MIN_WON, Options, TooFewOutcomes, learn

    parser = argparse.ArgumentParser(prog="make learn", description=__doc__)
    parser.add_argument("--stage", default="local")
    parser.add_argument("--out", type=Path, default=Path("dist"))
    parser.add_argument("--promote", action="store_true", help="promote if the test AUC is better")
    parser.add_argument("--upload", action="store_true", help="store the proposal, not active")
    parser.add_argument("--target-precision", type=float, default=0.6, help="SQL precision")
    parser.add_argument("--split", help="ISO date: train before it, test from it")
    parser.add_argument("--horizon-days", type=float, default=0.0, help="cut-off before the deal")
    parser.add_argument("--min-won", type=int, default=MIN_WON)
    parser.add_argument("--min-lost", type=int, default=MIN_LOST)
    args = parser.parse_args(argv)

    from infra.stage_env import use_stage

    use_stage(args.stage)
    from chalicelib.domain.clock import parse_instant
    from chalicelib.wiring import get_services

    options = Options(
        out_dir=args.out,
        target_precision=args.target_precision,
        split_at=parse_instant(args.split) if args.split else None,
        horizon_days=args.horizon_days,
        min_won=args.min_won,
        min_lost=args.min_lost,
        promote=args.promote,
        upload=args.upload,
    )
    try:
        result = learn(get_services(), options)
    except TooFewOutcomes as error:
        print(f"make learn: {error}", file=sys.stderr)
        return EXIT_TOO_FEW
    print(f"wrote {args.out / 'model-proposal.yaml'} and {args.out / 'backtest.json'}")
    print(result.message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
