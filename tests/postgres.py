"""A throwaway PostgreSQL cluster for the tests: Debian's server, started as `postgres`.

The server refuses to run as root, so when the tests run as root the cluster's directory
is handed to the `postgres` user and `initdb`/`pg_ctl` run through `runuser`. It listens
on a free loopback port (and a socket in its own directory), with trust authentication,
and is stopped (`-m immediate`: nothing in it is worth keeping) when the session ends.
Tests that want it skip with the reason when no PostgreSQL server is installed.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = [
    "count_rows",
    "db_url",
    "find_bindir",
    "postgres_cluster",
    "postgres_server",
    "postgres_url",
    "sqlite_only",
]


def find_bindir() -> Path | None:
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_cluster(bindir: Path, *, durable: bool = False) -> Iterator[str]:
    """Start a cluster; yields the URL of its `postgres` database.

    Tests run it with `fsync=off` (nothing in it is kept); `durable` keeps PostgreSQL's
    defaults (fsync, synchronous commit), for benchmarks that compare with SQLite's."""
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    with tempfile.TemporaryDirectory(prefix="parkhub-pg-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        if as_root:
            shutil.chown(tmp, "postgres")
            shutil.chown(data, "postgres")
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        port = _free_port()
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
        if not durable:
            options += " -c fsync=off"
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(data / "log"),
                "start",
                "-w",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        try:
            # A password (ignored: trust) and sslmode=disable keep asyncpg from looking for
            # ~/.pgpass and ~/.postgresql/ certificates (blocking file calls on the loop).
            yield f"postgresql://postgres:test@127.0.0.1:{port}/postgres?sslmode=disable"
        finally:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "stop", "-m", "immediate"],
                check=False,
                capture_output=True,
                timeout=60,
            )
            _discard(data)


def _discard(folder: Path) -> None:
    """Remove a stopped cluster's files in the background. A database per test makes tens
    of thousands of files, and unlinking them on a busy disk once took longer than the
    60 s a test's teardown may run."""
    trash = Path(tempfile.mkdtemp(prefix="parkhub-pg-trash-"))
    folder.rename(trash / "data")
    target = shlex.quote(str(trash))
    subprocess.run(["sh", "-c", f"rm -rf {target} >/dev/null 2>&1 &"], check=False)


# -- fixtures (imported by tests/conftest.py) -----------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One cluster for the whole session; skips where no server is installed."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server installed (apt-get install postgresql)")
    with postgres_cluster(bindir) as url:
        yield url


@pytest.fixture
async def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the session's cluster (left for the cluster's end: the
    hub that uses it may be stopped after this fixture's teardown)."""
    return await async_create_database(postgres_server, "t")


async def async_create_database(server_url: str, prefix: str) -> str:
    """A new, empty database `<prefix>_<random>` on the server; its URL."""
    import asyncpg

    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    base, _, query = server_url.partition("?")
    return f"{base.rpartition('/')[0]}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str | None:
    """Run a store's tests on both engines: None (the SQLite file) or a PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(name="db_url")
def sqlite_only() -> None:
    """Import into a test module to run its `db_url` users on SQLite only (a suite whose
    store is tested on both engines elsewhere)."""
    return None


async def count_rows(target: str | Path, table: str, where: str = "1 = 1") -> int:
    """Rows in `table`, read through a second connection, as any other reader would."""
    import aiosqlite
    import asyncpg

    sql = f"SELECT COUNT(*) FROM {table} WHERE {where}"
    if isinstance(target, str):
        connection = await asyncpg.connect(target)
        try:
            return int(await connection.fetchval(sql))
        finally:
            await connection.close()
    async with aiosqlite.connect(target) as db, db.execute(sql) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])
