"""`parkhub user ...` / `parkhub token ...` as a user types them, and first-run onboarding."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from hub.__main__ import main
from hub.core.json import json_loads
from tests.mqtt_broker import free_port


def parkhub(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `parkhub ARGS` in `folder` as the console script does, in this process (fast):
    its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(cwd)
        sys.stdin = saved
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def test_user_and_token_commands(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("hub:\n  name: Lot\n")

    added = parkhub(tmp_path, "user", "add", "rita", "--role", "resident", "--password-stdin",
                    stdin="a long password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "added rita (resident)" in added.stdout
    stored = (tmp_path / "data" / "users.json").read_text()
    assert "a long password" not in stored
    assert "$argon2id$" in stored
    again = parkhub(tmp_path, "user", "add", "rita", "--role", "admin", "--password-stdin",
                    stdin="another password\n")  # fmt: skip
    assert again.returncode == 1
    assert "exists already" in again.stderr
    short = parkhub(tmp_path, "user", "passwd", "rita", "--password-stdin", stdin="short\n")
    assert short.returncode == 1
    assert "8 to 1024 characters" in short.stderr
    assert parkhub(tmp_path, "user", "passwd", "rita", "--password-stdin",
                   stdin="a new long password\n").returncode == 0  # fmt: skip

    token = parkhub(tmp_path, "token", "create", "phone", "--user", "rita")
    assert token.returncode == 0, token.stderr
    [entry] = json_loads((tmp_path / "data" / "auth.json").read_bytes())["tokens"]
    assert (entry["name"], entry["role"]) == ("phone", "resident")
    nobody = parkhub(tmp_path, "token", "create", "x", "--user", "ghost")
    assert nobody.returncode == 1
    assert "no user 'ghost'" in nobody.stderr
    service = parkhub(tmp_path, "token", "create", "barrier", "--role", "operator")
    assert service.returncode == 0

    listing = parkhub(tmp_path, "token", "list").stdout
    assert "phone\tresident\tuser=rita" in listing
    assert "barrier\toperator\tuser=-" in listing
    assert token.stdout.strip() not in listing

    users = parkhub(tmp_path, "user", "list").stdout
    assert users.splitlines() == ["rita\tresident\t-"]
    removed = parkhub(tmp_path, "user", "remove", "rita")
    assert "removed rita and 1 token(s)" in removed.stdout
    remaining = json_loads((tmp_path / "data" / "auth.json").read_bytes())["tokens"]
    assert [item["name"] for item in remaining] == ["barrier"]
    revoked = parkhub(tmp_path, "token", "revoke", remaining[0]["id"])
    assert revoked.returncode == 0
    assert json_loads((tmp_path / "data" / "auth.json").read_bytes())["tokens"] == []


async def test_first_run_logs_an_onboarding_code_that_makes_the_first_admin(
    tmp_path: Path,
) -> None:
    await asyncio.to_thread((tmp_path / "config.yaml").write_text, "hub:\n  name: Lot\n")
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "run", "--host", "127.0.0.1", "--port", str(port),
        cwd=tmp_path, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stderr is not None
    try:
        code = None
        async with asyncio.timeout(60):
            while code is None:
                line = (await process.stderr.readline()).decode()
                assert line, "the hub stopped without an onboarding code"
                if "Onboarding code: " in line:
                    code = line.split("Onboarding code: ")[1].split()[0]
        base = f"http://127.0.0.1:{port}"
        # A browser keeps cookies of an address too; aiohttp needs `unsafe` for that.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            for _ in range(100):
                try:
                    async with session.post(
                        base + "/api/onboarding",
                        json={"code": code, "username": "owner", "password": "a long password"},
                    ) as response:
                        assert response.status == 200, await response.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            async with session.get(base + "/auth/session") as response:
                assert (await response.json())["role"] == "admin"
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
