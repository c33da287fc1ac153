"""What a node keeps on disk: the central's handled event ids, the worker's outbox."""

from __future__ import annotations

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


def test_the_outbox_keeps_events_across_a_restart_bounded(tmp_path: Path) -> None:
    path = tmp_path / "outbox"
    outbox = Outbox(path, limit=3)
    outbox.load()
    for n in range(5):
        outbox.add(b'{"id":"%d"}' % n)
    assert outbox.dropped == 2
    outbox.close()
    with path.open("ab") as file:
        file.write(b'{"id":"cut sh')  # what a kill in the middle of a write leaves

    again = Outbox(path, limit=3)
    again.load()
    assert again.take() == [b'{"id":"0"}', b'{"id":"1"}', b'{"id":"2"}']
    again.add(b'{"id":"5"}')
    again.close()
    emptied = Outbox(path, limit=3)
    emptied.load()
    assert emptied.take() == [b'{"id":"5"}']
    emptied.close()
