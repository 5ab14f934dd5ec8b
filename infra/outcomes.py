"""Send a CRM's export of closed deals to Trechter (the same service as POST /v1/outcomes).

    make outcomes STAGE=local FILE=deals.csv    # on the running `make run`
    make outcomes STAGE=prod FILE=deals.csv     # in AWS (credentials from the environment)

The CSV has a header row with the columns ``email,outcome,closed_at,amount``
(``lead_id`` may replace ``email``; ``source`` is optional). It runs the outcome
service in this process against the stage's tables, reading the emulator from
``AWS_ENDPOINT_URL`` exactly like ``make rescore``; it does not need the API key.
Rows go in batches of 1,000; each rejected row is printed with its line number.
Exit status 0 when every row was applied, 1 when some were rejected, 2 on a bad file.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BATCH = 1000
COLUMNS = ("email", "lead_id", "outcome", "closed_at", "amount", "source")


def amount_of(text: str) -> float:
    """1234.5, 1234,5, 1.234,50 or 1,234.50: the last separator is the decimal one."""
    cleaned = text.replace(" ", "").replace("€", "").replace("$", "")
    decimal = max(cleaned.rfind("."), cleaned.rfind(","))
    if decimal < 0:
        return float(cleaned)
    whole = cleaned[:decimal].replace(".", "").replace(",", "")
    return float(f"{whole}.{cleaned[decimal + 1 :]}")


def rows_of(path: Path) -> Iterator[dict[str, Any]]:
    """The CSV's rows as outcome rows (empty cells left out, amount as a number)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"outcome", "closed_at"} - set(reader.fieldnames or ())
        if missing or not {"email", "lead_id"} & set(reader.fieldnames or ()):
            raise ValueError(
                f"{path}: the header must name email (or lead_id), outcome and closed_at; "
                f"it has {', '.join(reader.fieldnames or ()) or 'nothing'}"
            )
        for line in reader:
            row: dict[str, Any] = {}
            for name in COLUMNS:
                value = (line.get(name) or "").strip()
                if value:
                    row[name] = value
            if "amount" in row:
                # Not a number: the service rejects the row, naming the field.
                with contextlib.suppress(ValueError):
                    row["amount"] = amount_of(row["amount"])
            row["outcome"] = str(row.get("outcome", "")).lower()
            yield row


def send(path: Path) -> tuple[int, list[tuple[int, str]]]:
    """Apply the file through the outcome service; (applied, [(csv line, reason)])."""
    from chalicelib.schemas import OutcomesRequest
    from chalicelib.wiring import get_services

    services = get_services()
    applied, rejected = 0, []
    rows = list(rows_of(path))
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        result = services.outcomes.import_outcomes(OutcomesRequest(outcomes=batch))
        applied += result.applied
        rejected += [(start + r.index + 2, r.message) for r in result.rejected]
    return applied, rejected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--stage", default="local")
    parser.add_argument("--file", required=True, type=Path)
    args = parser.parse_args(argv)

    from infra.stage_env import use_stage

    names = use_stage(args.stage)
    try:
        applied, rejected = send(args.file)
    except (OSError, ValueError) as error:
        print(f"make outcomes: {error}", file=sys.stderr)
        return 2
    for line, message in rejected:
        print(f"  line {line}: {message}")
    print(f"{applied} outcome(s) applied, {len(rejected)} rejected, on {names['leads']}")
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
