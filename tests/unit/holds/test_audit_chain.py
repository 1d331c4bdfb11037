"""The audit trail's hash chain: a whole chain verifies; an altered, inserted or removed entry
is found at its sequence number, with the reason."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pnm.holds.domain.audit_chain import (
    GENESIS,
    Content,
    Entry,
    Head,
    Verifier,
    append,
    chain,
    chain_hash,
    entry_from_json,
    entry_json,
    plain,
    verify,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)

contents = st.builds(
    Content,
    at=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
    actor_subject=st.text(min_size=1, max_size=20),
    actor_roles=st.lists(st.sampled_from(["admin", "pd-inspector", "system"]), max_size=3).map(
        tuple
    ),
    actor_organisation=st.none() | st.text(max_size=10),
    action=st.sampled_from(["hold.opened", "hold.release_requested", "case.closed"]),
    subject_type=st.sampled_from(["hold", "case"]),
    subject_id=st.text(min_size=1, max_size=20),
    before=st.none() | json_values,
    after=st.none() | json_values,
    outcome=st.sampled_from(["done", "refused"]),
    detail=st.none() | st.text(max_size=30),
)
chains = st.lists(contents, min_size=1, max_size=12).map(chain)


def head_of(entries: list[Entry]) -> Head:
    return Head(entries[-1].sequence, entries[-1].hash) if entries else GENESIS


@given(chains)
def test_a_whole_chain_verifies(entries: list[Entry]) -> None:
    assert verify(entries, head_of(entries)) is None


@given(chains, st.integers(min_value=1, max_value=5))
def test_verifies_in_chunks_as_at_once(entries: list[Entry], size: int) -> None:
    verifier = Verifier()
    for i in range(0, len(entries), size):
        verifier.feed(entries[i : i + size])
    assert verifier.finish(head_of(entries)) is None
    assert verifier.entries == len(entries)


CONTENT_FIELDS = [f.name for f in dataclasses.fields(Content)]


def _changed(value: Any) -> Any:
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, tuple):
        return (*value, "admin")
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return "x"
    return {"was": value}


@settings(max_examples=200)
@given(chains, st.data())
def test_altering_any_field_of_any_entry_breaks_there(entries: list[Entry], data: Any) -> None:
    index = data.draw(st.integers(0, len(entries) - 1))
    name = data.draw(st.sampled_from(CONTENT_FIELDS))
    victim = entries[index]
    content = dataclasses.replace(victim.content, **{name: _changed(getattr(victim.content, name))})
    entries[index] = dataclasses.replace(victim, content=content)
    found = verify(entries, head_of(entries))
    assert found is not None
    assert (found.sequence, found.reason) == (victim.sequence, "altered")


@given(chains, st.data())
def test_altering_a_stored_hash_breaks_there(entries: list[Entry], data: Any) -> None:
    index = data.draw(st.integers(0, len(entries) - 1))
    victim = entries[index]
    entries[index] = dataclasses.replace(victim, hash="f" * 64)
    found = verify(entries, head_of(entries))
    assert found is not None and found.sequence == victim.sequence
    # The entry itself no longer hashes; for the last one, the head names the true hash too.
    assert found.reason == "altered"


@given(chains, contents, st.data())
def test_an_inserted_entry_breaks_at_the_entry_after_it(
    entries: list[Entry], forged: Content, data: Any
) -> None:
    """The best forgery: the inserted entry is linked and hashed correctly, the ones after it
    are renumbered (their hashes cannot be recomputed without rewriting the whole tail)."""
    at = data.draw(st.integers(0, len(entries) - 1))
    previous = entries[at - 1] if at else None
    inserted = append(head_of([previous]) if previous else GENESIS, forged)
    tail = [dataclasses.replace(e, sequence=e.sequence + 1) for e in entries[at:]]
    tampered = [*entries[:at], inserted, *tail]
    found = verify(tampered, head_of(entries))
    assert found is not None
    assert (found.sequence, found.reason) == (inserted.sequence + 1, "broken_link")


@given(chains, contents)
def test_an_entry_appended_past_the_head_is_found(entries: list[Entry], forged: Content) -> None:
    tampered = [*entries, append(head_of(entries), forged)]
    found = verify(tampered, head_of(entries))
    assert found is not None
    assert (found.sequence, found.reason) == (len(entries) + 1, "beyond_head")


@pytest.mark.parametrize("where", ["first", "middle", "last"])
@given(entries=st.lists(contents, min_size=3, max_size=12).map(chain))
def test_removing_an_entry_breaks_at_its_sequence(where: str, entries: list[Entry]) -> None:
    index = {"first": 0, "middle": len(entries) // 2, "last": len(entries) - 1}[where]
    head = head_of(entries)
    removed = entries.pop(index)
    found = verify(entries, head)
    assert found is not None
    assert (found.sequence, found.reason) == (removed.sequence, "removed")


@given(st.lists(contents, min_size=3, max_size=12).map(chain), st.data())
def test_removing_and_renumbering_breaks_at_the_gap(entries: list[Entry], data: Any) -> None:
    index = data.draw(st.integers(0, len(entries) - 2))
    head = head_of(entries)
    renumbered = [
        *entries[:index],
        *(dataclasses.replace(e, sequence=e.sequence - 1) for e in entries[index + 1 :]),
    ]
    found = verify(renumbered, head)
    assert found is not None
    assert (found.sequence, found.reason) == (index + 1, "broken_link")


@given(chains)
def test_a_head_that_is_not_the_last_entry_is_found(entries: list[Entry]) -> None:
    found = verify(entries, Head(len(entries), "e" * 64))
    assert found is not None
    assert (found.sequence, found.reason) == (len(entries), "head_mismatch")


def test_an_empty_trail_verifies_against_the_genesis() -> None:
    assert verify([], GENESIS) is None
    found = verify([], Head(1, "a" * 64))
    assert found is not None and (found.sequence, found.reason) == (1, "removed")


def test_the_hash_covers_the_sequence_and_the_previous_hash() -> None:
    assert chain_hash(1, GENESIS.hash, "d" * 64) != chain_hash(2, GENESIS.hash, "d" * 64)
    assert chain_hash(1, GENESIS.hash, "d" * 64) != chain_hash(1, "1" * 64, "d" * 64)


def test_plain_values_read_back_from_jsonb_unchanged() -> None:
    """jsonb keeps numbers as decimals: 1e20 comes back as an integer, 2.0 as 2.0 but equal."""
    assert plain({"fee": 1e20, "rate": 2.0, "share": 0.5}) == {
        "fee": 10**20,
        "rate": 2,
        "share": 0.5,
    }
    assert plain({"at": datetime(2026, 1, 1, tzinfo=UTC), "eur": Decimal("1.50")}) == {
        "at": "2026-01-01T00:00:00+00:00",
        "eur": "1.50",
    }
    assert plain([float("nan"), float("-inf")]) == ["nan", "-inf"]


def test_a_time_without_a_zone_is_refused() -> None:
    content = Content(
        datetime(2026, 1, 1), "s", (), None, "a", "hold", "h", None, None, "done", None
    )
    with pytest.raises(ValueError):
        content.digest()


@given(chains)
def test_an_archived_entry_reads_back_as_it_was(entries: list[Entry]) -> None:
    lines = [json.loads(json.dumps(entry_json(e))) for e in entries]
    assert [entry_from_json(line) for line in lines] == entries


@given(chains, contents, st.data())
def test_a_rewritten_tail_is_found_by_a_hash_kept_elsewhere(
    entries: list[Entry], forged: Content, data: Any
) -> None:
    """Whoever rewrites the chain from an entry on (and the head with it) makes a whole chain;
    a hash kept outside the database for that entry or a later one finds it."""
    at = data.draw(st.integers(0, len(entries) - 1))
    assume(forged.digest() != entries[at].content.digest())
    anchored = data.draw(st.integers(at, len(entries) - 1))
    kept = {entries[anchored].sequence: entries[anchored].hash}
    rewritten = [*entries[:at], *chain([forged], head_of(entries[:at]))]
    rewritten += chain([e.content for e in entries[at + 1 :]], head_of(rewritten))
    assert verify(rewritten, head_of(rewritten)) is None
    found = verify(rewritten, head_of(rewritten), anchors=kept)
    assert found is not None
    assert (found.sequence, found.reason) == (entries[anchored].sequence, "anchor_mismatch")
    assert verify(entries, head_of(entries), anchors=kept) is None


@given(chains)
def test_a_hash_kept_for_an_entry_that_is_gone_is_found(entries: list[Entry]) -> None:
    kept = {entries[-1].sequence: entries[-1].hash}
    found = verify(entries[:-1], head_of(entries[:-1]), anchors=kept)
    assert found is not None
    assert (found.sequence, found.reason) == (len(entries), "removed")
