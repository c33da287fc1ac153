"""What a node keeps on disk: the central's handled event ids, the worker's outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from hub.integrations.mqtt.node_outbox import Outbox
from hub.integrations.mqtt.node_seen import SeenIds


def test_the_last_ids_survive_a_restart_and_the_files_stay_bounded(tmp_path: Path) -> None:
    seen = SeenIds(tmp_path, "west_gate", limit=3)
    seen.load()
    for n in range(10):
        seen.add(f"id{n}")
    seen.close()  # a kill -9 leaves the same files: nothing is buffered in the process

    again = SeenIds(tmp_path, "west_gate", limit=3)
    again.load()
    # Between `limit` and twice `limit` of the newest ids are remembered, nothing older.
    assert all(f"id{n}" in again for n in range(7, 10))
    assert not any(f"id{n}" in again for n in range(4))
    assert sum(len(path.read_text().splitlines()) for path in tmp_path.iterdir()) <= 6
    again.add("id10")
    again.close()
    last = SeenIds(tmp_path, "west_gate", limit=3)
    last.load()
    assert "id10" in last
    assert "id9" in last
    last.close()


def test_the_outbox_keeps_events_until_acknowledged_across_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "outbox"
    outbox = Outbox(path, limit=3)
    outbox.load()
    assert [outbox.add(b'{"id":"%d"}' % n) for n in range(5)] == [True] * 3 + [False] * 2
    assert outbox.dropped == 2  # the newest two: the bound keeps the oldest, in order
    sent = outbox.take_unsent()
    assert [payload for _n, payload in sent] == [b'{"id":"0"}', b'{"id":"1"}', b'{"id":"2"}']
    outbox.acked(sent[0][0])  # the broker has the first; the other two are in flight
    outbox.close()  # what a kill -9 leaves: they are still on disk
    with path.open("ab") as file:
        file.write(b'{"id":"cut sh')  # what a kill in the middle of a write leaves

    again = Outbox(path, limit=3)
    again.load()
    # Sent again from disk (the acknowledged one too: the central drops it by its id).
    waiting = [payload for _n, payload in again.take_unsent()]
    assert waiting == [b'{"id":"0"}', b'{"id":"1"}', b'{"id":"2"}']
    again.close()


def test_an_acknowledged_outbox_empties_its_file(tmp_path: Path) -> None:
    path = tmp_path / "outbox"
    outbox = Outbox(path, limit=10)
    outbox.load()
    outbox.add(b'{"id":"a"}')
    outbox.add(b'{"id":"b"}')
    numbers = [number for number, _payload in outbox.take_unsent()]
    outbox.requeue(numbers[1:])  # the connection dropped before the second went out
    outbox.acked(numbers[0])
    assert path.read_bytes() != b""
    assert [payload for _n, payload in outbox.take_unsent()] == [b'{"id":"b"}']
    outbox.acked(numbers[1])
    assert path.read_bytes() == b""
    outbox.close()


def test_an_outbox_that_never_empties_is_rewritten_with_what_waits(tmp_path: Path) -> None:
    """A steady stream keeps one event in flight at every moment: the file is compacted
    instead of growing, and a restart sends what was not acknowledged."""
    path = tmp_path / "outbox"
    outbox = Outbox(path, limit=2)
    outbox.load()
    outbox.add(b'{"id":"0"}')
    [(previous, _payload)] = outbox.take_unsent()
    for n in range(1, 20):
        outbox.add(b'{"id":"%d"}' % n)
        [(number, _payload)] = outbox.take_unsent()
        outbox.acked(previous)
        previous = number
        assert len(path.read_bytes().splitlines()) <= 4 * 2 + 1
    outbox.close()
    again = Outbox(path, limit=2)
    again.load()
    # What waits, after at most a few already acknowledged (dropped by the central).
    sent = [payload for _n, payload in again.take_unsent()]
    assert sent[-1] == b'{"id":"19"}'
    assert len(sent) <= 2
    again.close()


async def test_ids_recorded_together_share_fsyncs_and_each_waits_for_one(tmp_path: Path) -> None:
    """A replayed backlog of 100 ids costs a handful of fsyncs, not 100, and no record
    returns before an fsync that started after its write has finished."""
    synced: list[None] = []  # one per finished fsync

    async def run_blocking(job: Callable[[], object]) -> object:
        result = await asyncio.to_thread(job)
        synced.append(None)
        return result

    seen = SeenIds(tmp_path, "west_gate", limit=40, run_blocking=run_blocking)
    await asyncio.to_thread(seen.load)
    finished: dict[str, int] = {}

    async def record(event_id: str) -> None:
        await seen.async_record(event_id)
        finished[event_id] = len(synced)

    await asyncio.gather(*(record(f"id{n}") for n in range(100)))
    await asyncio.to_thread(seen.close)
    assert 1 <= len(synced) <= 12
    # Every record waited for at least one fsync, and the files hold the newest ids.
    assert min(finished.values()) >= 1
    again = SeenIds(tmp_path, "west_gate", limit=40)
    await asyncio.to_thread(again.load)
    assert all(f"id{n}" in again for n in range(60, 100))
