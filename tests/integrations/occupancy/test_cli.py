"""`parkhub eval occupancy`, `parkhub calibrate` and `parkhub slots suggest` on data made here."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from aiohttp import web

from hub.__main__ import main
from hub.integrations.occupancy.slots import read_slots_file
from tests.integrations.camera.conftest import AiohttpServer

from .scenes import bays, draw_lot, write_pklot

RNG = np.random.default_rng(7)


def _frames(count: int, slots: int) -> list[list[bool]]:
    return [list(RNG.random(slots) < 0.5) for _ in range(count)]


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("layout", ["beside", "sibling"])
def test_eval_prints_one_json_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    polygons = bays(columns=6, rows=2)
    frames = _frames(4, len(polygons))
    write_pklot(tmp_path / "lot", frames, polygons, layout=layout)
    code, out, err = _run(capsys, "eval", "occupancy", "--dataset", str(tmp_path / "lot"))
    assert code == 0, err
    result = json.loads(out)
    assert result["frames"] == 4
    assert result["slots"] == 48
    assert result["accuracy"] == 1.0
    assert result["recall_occupied"] == result["recall_empty"] == result["f1_occupied"] == 1.0
    assert result["per_lot_accuracy"] == {"synthetic": 1.0}
    assert result["ms_per_frame"] > 0
    assert result["decode_ms_per_frame"] > 0


def test_eval_baseline_and_calibration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    polygons = bays(columns=6, rows=2)
    write_pklot(tmp_path / "a", _frames(3, 12), polygons, lot="a")
    write_pklot(tmp_path / "b", _frames(3, 12), polygons, lot="b", first_seed=10)
    code, out, _ = _run(
        capsys, "eval", "occupancy", "--dataset", str(tmp_path / "a"), "--method", "baseline"
    )
    assert code == 0
    baseline = json.loads(out)
    assert baseline["method"] == "baseline"
    assert baseline["threshold"] == 0.18
    code, out, _ = _run(
        capsys,
        "eval",
        "occupancy",
        "--dataset",
        str(tmp_path / "a"),
        "--method",
        "baseline",
        "--calibrate-on",
        str(tmp_path / "b"),
    )
    assert code == 0
    tuned = json.loads(out)  # its threshold picked on the other frames
    assert tuned["threshold"] != 0.18
    assert tuned["accuracy"] >= baseline["accuracy"]
    code, out, _ = _run(
        capsys,
        "eval",
        "occupancy",
        "--dataset",
        str(tmp_path / "a"),
        "--calibrate-on",
        str(tmp_path / "b"),
    )
    assert code == 0
    result = json.loads(out)
    assert result["accuracy"] == 1.0
    assert result["calibrated_on"] == str(tmp_path / "b")


def test_eval_errors_name_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "eval", "occupancy", "--dataset", str(tmp_path / "missing"))
    assert code == 1
    assert f"{tmp_path / 'missing'}: no such directory" in err
    (tmp_path / "empty").mkdir()
    code, _, err = _run(capsys, "eval", "occupancy", "--dataset", str(tmp_path / "empty"))
    assert "no images with PKLot XML labels" in err
    (tmp_path / "broken").mkdir()
    cv2.imwrite(str(tmp_path / "broken" / "x.jpg"), np.zeros((10, 10, 3), np.uint8))
    (tmp_path / "broken" / "x.xml").write_text("<parking><space")
    code, _, err = _run(capsys, "eval", "occupancy", "--dataset", str(tmp_path / "broken"))
    assert code == 1
    assert "x.xml: not a readable PKLot XML file" in err


def test_eval_counts_and_names_unreadable_files_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    polygons = bays(columns=6, rows=2)
    write_pklot(tmp_path / "lot", _frames(3, len(polygons)), polygons)
    (tmp_path / "lot" / "frame_001.xml").write_text("<parking><space")  # cut short
    (tmp_path / "lot" / "frame_002.jpg").write_bytes(b"not a jpeg")
    code, out, err = _run(capsys, "eval", "occupancy", "--dataset", str(tmp_path / "lot"))
    assert code == 0, err
    result = json.loads(out)
    assert result["frames"] == 1
    assert result["skipped"] == 2
    assert any("frame_001.xml: not a readable PKLot XML file" in m for m in result["skipped_files"])
    assert any("frame_002.jpg: not a readable image" in m for m in result["skipped_files"])
    code, out, err = _run(
        capsys, "eval", "occupancy", "--dataset", str(tmp_path / "lot"), "--method", "baseline"
    )
    assert code == 0, err
    assert json.loads(out)["skipped"] == 2


def _lot_config(tmp_path: Path, polygons: list[list[tuple[int, int]]]) -> Path:
    slots = "".join(
        f"        - {{id: s{i + 1}, polygon: {[list(p) for p in polygon]}}}\n"
        for i, polygon in enumerate(polygons)
    )
    config = tmp_path / "config.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            hub:
              name: Test
            occupancy:
              lots:
                north:
                  camera: camera.north
                  slots:
            """
        )
        + slots
    )
    return config


def test_calibrate_from_an_image_writes_the_lot_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    polygons = bays(columns=6, rows=1)
    config = _lot_config(tmp_path, polygons)
    model = tmp_path / "data" / "occupancy" / "north.json"
    image = tmp_path / "frame.jpg"
    cv2.imwrite(str(image), draw_lot([True, False, True, False, False, True], polygons))
    args = ["calibrate", "--config", str(config), "--lot", "north", "--image", str(image)]
    code, out, err = _run(capsys, *args, "--occupied", "s1,s3,s6")
    assert code == 0, err
    # Three of each kind: kept, but too few to fit on yet.
    assert json.loads(out) == {"lot": "north", "labelled_slots": 6, "calibrated": False}
    assert "once at least 5 occupied and 5 empty slots are labelled" in err
    assert not model.exists()
    code, out, err = _run(capsys, *args, "--occupied", "s1,s3,s6")
    assert code == 0, err
    assert json.loads(out) == {
        "lot": "north",
        "labelled_slots": 12,
        "calibrated": True,
        "accuracy_on_labels": 1.0,
        "model": str(model),
    }
    assert model.is_file()
    code, _, err = _run(
        capsys, "calibrate", "--config", str(config), "--lot", "south", "--image", str(image)
    )
    assert code == 1
    assert "no lot 'south'" in err
    code, _, err = _run(capsys, *args, "--occupied", "s9")
    assert "no such slot(s) in lot 'north': ['s9']" in err


def test_calibrate_from_a_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    polygons = bays(columns=4, rows=1)
    config = _lot_config(tmp_path, polygons)
    write_pklot(tmp_path / "labelled", [[True, False, True, False]] * 3, polygons)
    code, out, err = _run(
        capsys,
        "calibrate",
        "--config",
        str(config),
        "--lot",
        "north",
        "--dataset",
        str(tmp_path / "labelled"),
    )
    assert code == 0, err
    assert json.loads(out)["labelled_slots"] == 12


def _iou(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> float:
    canvas_a = np.zeros((720, 1280), np.uint8)
    canvas_b = np.zeros_like(canvas_a)
    cv2.fillPoly(canvas_a, [np.array(a, np.int32)], 1)
    cv2.fillPoly(canvas_b, [np.array(b, np.int32)], 1)
    return float((canvas_a & canvas_b).sum() / max(1, (canvas_a | canvas_b).sum()))


def test_slots_suggest_finds_the_painted_bays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    polygons = bays(columns=8, rows=2)
    image = tmp_path / "lot.png"
    taken = [i % 3 == 0 for i in range(16)]
    cv2.imwrite(str(image), draw_lot(taken, polygons, seed=3))
    out_file = tmp_path / "slots.yaml"
    code, out, err = _run(capsys, "slots", "suggest", "--image", str(image), "--out", str(out_file))
    assert code == 0, err
    suggested = read_slots_file(out_file)  # an owner can load what it wrote
    assert json.loads(out) == {"slots": len(suggested), "file": str(out_file)}
    matched = sum(any(_iou(p, list(s.polygon)) > 0.6 for s in suggested) for p in polygons)
    assert matched >= 14
    assert len(suggested) <= 17
    assert "image_size: [1280, 720]" in out_file.read_text()


def test_slots_suggest_from_a_running_hub_that_is_not_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(
        capsys,
        "slots",
        "suggest",
        "--camera",
        "camera.north",
        "--url",
        "http://127.0.0.1:9",
        "--frames",
        "1",
        "--out",
        str(tmp_path / "s.yaml"),
    )
    assert code == 1
    assert "parkhub slots suggest: http://127.0.0.1:9/api/camera/camera.north/snapshot.jpg" in err


async def test_slots_suggest_reads_snapshots_from_a_running_hub(
    tmp_path: Path, aiohttp_server: AiohttpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    polygons = bays(columns=8, rows=2)
    ok, jpeg = cv2.imencode(".jpg", draw_lot([i % 2 == 0 for i in range(16)], polygons, seed=2))
    assert ok
    asked: list[str] = []

    async def snapshot(request: web.Request) -> web.Response:
        asked.append(request.headers.get("Authorization", ""))
        return web.Response(body=jpeg.tobytes(), content_type="image/jpeg")

    app = web.Application()
    app.router.add_get("/api/camera/camera.north/snapshot.jpg", snapshot)
    server = await aiohttp_server(app, host="127.0.0.1")
    out_file = tmp_path / "slots.yaml"
    args = ["slots", "suggest", "--camera", "camera.north", "--url", str(server.make_url("/"))]
    args += ["--token", "secret", "--frames", "2", "--interval", "0", "--out", str(out_file)]
    code = await asyncio.to_thread(main, args)
    assert code == 0, capsys.readouterr().err
    assert asked == ["Bearer secret", "Bearer secret"]
    assert 14 <= len(await asyncio.to_thread(read_slots_file, out_file)) <= 17
