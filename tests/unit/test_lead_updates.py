"""One read-apply-conditional-write-retry loop for every change of a lead's state."""

from __future__ import annotations

import pytest

from chalicelib.adapters.ports import AlreadyApplied, VersionConflict
from chalicelib.services.updates import Change, LeadUpdates


class Store:
    def __init__(self, refusals: list[Exception]) -> None:
        self.refusals = refusals
        self.written: list[object] = []

    def commit(self, commit: object) -> None:
        if self.refusals:
            raise self.refusals.pop(0)
        self.written.append(commit)


def test_a_conflict_reads_and_applies_again_and_only_the_holding_commit_runs_its_follow_up():
    store = Store([VersionConflict("x"), VersionConflict("y")])
    reads, follow_ups, conflicts = [], [], []
    updates = LeadUpdates(store.commit, sleep=lambda _: None)
    result = updates.update(
        lambda: reads.append(len(reads)) or len(reads),
        lambda n: Change(f"commit-{n}", n, lambda: follow_ups.append(n)),  # type: ignore[arg-type]
        on_conflict=lambda: conflicts.append(1),
    )
    assert result == 3 and store.written == ["commit-3"]
    assert follow_ups == [3] and len(conflicts) == 2


def test_nothing_to_write_answers_without_a_commit():
    store = Store([])
    assert LeadUpdates(store.commit).update(lambda: None, lambda _: Change(None, "none")) == "none"
    assert store.written == []


def test_a_redelivery_is_answered_by_the_caller_or_raised():
    store = Store([AlreadyApplied(["e1"])])
    updates = LeadUpdates(store.commit, sleep=lambda _: None)
    answer = updates.update(
        lambda: None, lambda _: Change("c", "new"), lambda refused: f"dup {refused.event_ids[0]}"
    )  # type: ignore[arg-type]
    assert answer == "dup e1" and store.written == []
    store = Store([AlreadyApplied(["e1"])])
    with pytest.raises(AlreadyApplied):
        LeadUpdates(store.commit).update(lambda: None, lambda _: Change("c", 1))  # type: ignore[arg-type]


def test_a_lead_that_keeps_changing_gives_up_after_the_last_attempt():
    store = Store([VersionConflict(str(n)) for n in range(3)])
    updates = LeadUpdates(store.commit, attempts=3, sleep=lambda _: None)
    with pytest.raises(VersionConflict, match="lead L1 kept changing"):
        updates.update(lambda: None, lambda _: Change("c", 1), what="lead L1")  # type: ignore[arg-type]
    assert store.written == []
