"""The package as a lot owner installs it: the wheel runs the demo from any folder, `init`
writes a config to edit, every command agrees on the data folder, `--help` is instant,
and the container image builds where Docker is."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("aiohttp", "numpy", "cv2", "asyncio", "voluptuous", "jinja2", "yaml", "onnxruntime")


def parkhub(
    *args: str, cwd: Path, env: dict[str, str] | None = None, path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PARKHUB_")}
    environ.update(env or {})
    if path is not None:
        environ["PYTHONPATH"] = str(path)
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_imports_nothing_heavy(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from hub.__main__ import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('\\n' + ' '.join(sorted(m for m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    loaded = set(result.stdout.splitlines()[-1].split())
    assert "run" in result.stdout
    assert "init" in result.stdout
    assert sorted(name for name in HEAVY if name in loaded) == []


@pytest.fixture(scope="module")
def wheel_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel as `pip install` would lay it out (unpacked, not the source tree)."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("parkhub-*.whl")
    tree = out / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tree)
    return tree


def test_wheel_carries_the_demo_license_and_no_missing_files(wheel_tree: Path) -> None:
    demo = wheel_tree / "hub" / "integrations" / "demo"
    text = (demo / "config.yaml").read_text()
    assert "slots_file: slots.yaml" in text
    assert "hub/integrations/demo/" not in text
    (info,) = wheel_tree.glob("parkhub-*.dist-info")
    assert "Apache License" in next(info.rglob("LICENSE*")).read_text()
    metadata = (info / "METADATA").read_text()
    assert "Requires-Dist: tzdata" in metadata
    assert "Requires-Dist: rapidfuzz" in metadata


def test_wheel_runs_the_bundled_demo_outside_the_source_tree(
    wheel_tree: Path, tmp_path: Path
) -> None:
    result = parkhub("check-config", cwd=tmp_path, path=wheel_tree)
    assert result.returncode == 0, result.stderr
    packaged = wheel_tree / "hub" / "integrations" / "demo" / "config.yaml"
    assert result.stdout.strip() == f"{packaged}: OK"  # slots and model files found

    result = parkhub("init", "lot", cwd=tmp_path, path=wheel_tree)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "lot").iterdir()) == [
        "config.yaml",
        "occupancy_model.json",
        "slots.yaml",
    ]
    # The starter config names its files beside itself, so it runs from any folder.
    result = parkhub("check-config", "--config", "lot/config.yaml", cwd=tmp_path, path=wheel_tree)
    assert result.returncode == 0, result.stderr
    again = parkhub("init", "lot", cwd=tmp_path, path=wheel_tree)
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_check_config_reports_files_that_do_not_exist(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "camera:\n"
        "  cameras:\n"
        "    - id: gate_cam\n"
        "      source: file\n"
        "      path: videos/entry.mp4\n"
        "occupancy:\n"
        "  lots:\n"
        "    north:\n"
        "      camera: camera.gate_cam\n"
        "      slots_file: north_slots.yaml\n"
    )
    result = parkhub("check-config", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"config.yaml:5: camera.cameras.0.path: file not found: {tmp_path}/videos/entry.mp4",
        f"config.yaml:10: occupancy.lots.north.slots_file: file not found:"
        f" {tmp_path}/north_slots.yaml",
    ]


def test_token_create_writes_where_run_reads(tmp_path: Path) -> None:
    # With $PARKHUB_DATA (the container and the systemd unit set it) and no --data...
    data = tmp_path / "volume"
    (tmp_path / "config.yaml").write_text("hub:\n  name: Lot\n")
    result = parkhub("token", "create", "panel", cwd=tmp_path, env={"PARKHUB_DATA": str(data)})
    assert result.returncode == 0, result.stderr
    assert "panel" in (data / "auth.json").read_text()
    # ...and with the bundled demo (no config.yaml here): data/ in the current folder.
    empty = tmp_path / "empty"
    empty.mkdir()
    result = parkhub("token", "create", "panel", cwd=empty)
    assert result.returncode == 0, result.stderr
    assert "bundled demo" in result.stderr
    assert json.loads((empty / "data" / "auth.json").read_text())


def test_container_image_builds_and_answers(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker command on this machine: the image build is not tested here")
    info = subprocess.run([docker, "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        pytest.skip(f"docker has no engine to talk to: {info.stderr.strip()[:200]}")
    tag = "parkhub-test:latest"
    subprocess.run([docker, "build", "-t", tag, str(REPO)], check=True, timeout=1800)
    help_text = subprocess.run(
        [docker, "run", "--rm", tag, "parkhub", "--help"], capture_output=True, text=True
    )
    assert "run the hub" in help_text.stdout
    checked = subprocess.run(
        [docker, "run", "--rm", tag, "parkhub", "check-config"], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    user = subprocess.run(
        [docker, "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, check=True
    )
    assert user.stdout.strip() != "0"
    # The bundled demo answers on its published port (401: the API wants a token).
    port = _free_port()
    started = subprocess.run(
        [docker, "run", "-d", "--rm", "-p", f"127.0.0.1:{port}:8123", tag],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    container = started.stdout.strip()
    try:
        assert _http_status(f"http://127.0.0.1:{port}/api/", within=120) == 401
    finally:
        subprocess.run([docker, "rm", "-f", container], capture_output=True, check=False)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _http_status(url: str, within: float) -> int:
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return err.code
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
