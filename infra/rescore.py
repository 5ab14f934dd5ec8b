"""Rescore leads under the active scoring model (the packaged YAML until one is promoted).

    make rescore STAGE=local                 # every lead, on the running local stack
    make rescore STAGE=prod LEAD=<lead_id>   # one lead, in AWS (credentials from the environment)
    make rescore STAGE=prod CURSOR=<cursor>  # resume where a stopped run left off

Safe while events keep arriving: each lead is rewritten with the same
conditional version check as the stream scorer. Resumable: it prints a cursor
after every page, and leads already on the model's version are skipped.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--stage", default="local")
    parser.add_argument("--lead", help="rescore only this lead id")
    parser.add_argument("--only-stage", help="only leads in this lifecycle stage (e.g. mql)")
    parser.add_argument("--cursor", help="resume from this cursor")
    args = parser.parse_args(argv)

    from infra import definitions

    names = definitions.table_names(args.stage)
    os.environ.setdefault("LEADS_TABLE", names["leads"])
    os.environ.setdefault("EVENTS_TABLE", names["events"])
    os.environ.setdefault("QUARANTINE_TABLE", names["quarantine"])
    os.environ.setdefault("IDEMPOTENCY_TABLE", names["idempotency"])
    os.environ.setdefault("TRECHTER_STAGE", args.stage)
    # The rescore signs nothing and serves nobody; these only satisfy the settings model.
    os.environ.setdefault("LINK_SIGNING_SECRETS", "rescore-does-not-sign-anything")
    os.environ.setdefault("API_KEYS", "rescore-serves-no-requests")
    if args.stage == "local":
        os.environ.setdefault("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")

    from chalicelib.services.rescore import RescoreProgress
    from chalicelib.wiring import get_services

    services = get_services()
    print(f"model {services.active_model.current().version} on {names['leads']}", flush=True)
    if args.lead:
        done = services.rescore.rescore_lead(args.lead)
        print("rescored" if done else f"no lead {args.lead}")
        return 0 if done else 1

    def report(progress: RescoreProgress) -> None:
        print(
            f"  {progress.rescored} rescored, {progress.skipped} current; cursor {progress.cursor}"
        )

    progress = services.rescore.rescore_all(
        stage=args.only_stage, cursor=args.cursor, on_page=report
    )
    print(f"rescored {progress.rescored}, already current {progress.skipped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
