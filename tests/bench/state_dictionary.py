"""Builds the preset zlib dictionary the lead's score state is compressed with.

``python -m tests.bench.state_dictionary`` writes ``chalicelib/adapters/state_dictionary_v1.bin``:
the stored form (``adapters/items.py``) of three simulated leads' score states (30, 300 and
3,000 events of the benchmark's realistic mix, default model), so the dictionary holds the
keys, rule ids, decay groups and number shapes every state repeats. A state compresses
against it to about 60 % of its size without (1,195 -> 702 bytes at 100 events).

The file is FROZEN: stored states name it by its Adler-32 in their zlib header, so it can
never change. A better one is a new file (``_v2``) next to it, and decoding keeps both.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "chalicelib" / "adapters" / "state_dictionary_v1.bin"


def build() -> bytes:
    from chalicelib.adapters.items import _compact
    from chalicelib.domain.scoring.model import load_scoring_model
    from chalicelib.domain.scoring.scorer import score_event
    from chalicelib.domain.scoring.state import LeadScoreState
    from tests.bench.workload import as_stored, history_for

    model = load_scoring_model()
    samples = []
    for seed, count in ((11, 30), (12, 300), (13, 3000)):
        state = LeadScoreState()
        for event in history_for(f"dict-{seed}", count, 1_700_000_000.0, seed=seed):
            stored = as_stored(event)
            state = score_event(state, None, stored, model, stored.occurred_at).lead
        samples.append(json.dumps(_compact(state.to_dict()), separators=(",", ":")))
    # zlib uses the last 32 KB of a dictionary; the most common strings belong at its end.
    return "".join(samples).encode()[-16_000:]


if __name__ == "__main__":
    if TARGET.exists():
        raise SystemExit(f"{TARGET} is frozen (stored states refer to it); write a _v2 instead")
    TARGET.write_bytes(build())
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
