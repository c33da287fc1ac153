"""The classifier's parts: sampling, features under changing light, the model file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from hub.integrations.occupancy.calibration import fit_lot_model, lot_model, model_path
from hub.integrations.occupancy.classifier import SlotClassifier, shipped_model
from hub.integrations.occupancy.const import PATCH_H, PATCH_W
from hub.integrations.occupancy.dataset import find_frames
from hub.integrations.occupancy.features import FEATURE_NAMES, slot_features
from hub.integrations.occupancy.model import ModelError, SlotModel, fit_logistic
from hub.integrations.occupancy.sampler import SlotSampler, slot_quad
from hub.integrations.occupancy.samples import LabelledSamples

from .scenes import bays, draw_lot, write_pklot


def test_sampler_cuts_each_slot_upright_with_its_long_side_across() -> None:
    image = np.zeros((100, 200, 3), np.uint8)
    image[10:90, 20:60] = 255  # a tall white slot
    patches = SlotSampler(
        [[(20, 10), (60, 10), (60, 90), (20, 90)], [(100, 10), (140, 10), (140, 50)]]
    ).patches(image)
    assert patches.shape == (2, PATCH_H, PATCH_W)
    assert patches[0, 1:-1, 1:-1].min() > 200  # all of the slot, nothing around it
    assert patches[1].max() == 0
    quad = slot_quad([(0, 0), (10, 0), (10, 40), (0, 40)])
    assert np.linalg.norm(quad[1] - quad[0]) == 40  # starts on a long side


@pytest.mark.parametrize("light", [0.35, 1.0, 1.8])
def test_cars_and_empty_bays_apart_in_dim_and_bright_light(light: float) -> None:
    polygons = bays(columns=6, rows=2)
    taken = [i % 2 == 0 for i in range(12)]
    from .scenes import draw_lot as draw

    image = np.clip(draw(taken, polygons, seed=4).astype(np.float32) * light, 0, 255).astype(
        np.uint8
    )
    probabilities = SlotClassifier(polygons).probabilities(image)
    assert list(probabilities > 0.5) == taken


def test_shipped_model_matches_the_features() -> None:
    model = shipped_model()
    assert model.weights.shape == (len(FEATURE_NAMES),)
    assert "train.py" in model.source


def test_fit_logistic_separates_and_refit_stays_near_the_prior() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.2, size=200) > 0
    weights, bias = fit_logistic(x, y, l2=0.1)
    assert ((x @ weights + bias > 0) == y).mean() > 0.9
    model = SlotModel(np.zeros(3), np.ones(3), weights, bias)
    nudged = model.refit(x[:4], ~y[:4], strength=1000.0)  # four contrary labels, strong pull
    assert np.allclose(nudged.weights, weights, rtol=0.05)
    assert (nudged.predict(x) == y).mean() > 0.9
    # A camera on which the model is biased (calls everything occupied) is put right by
    # calibrating on a few of its labelled slots.
    biased = SlotModel(np.zeros(3), np.ones(3), weights, bias + 6.0)
    assert (biased.predict(x) == y).mean() < 0.8
    calibrated = biased.refit(x[:40], y[:40])
    assert (calibrated.predict(x[40:]) == y[40:]).mean() > 0.85


def test_model_files_round_trip_and_bad_ones_are_named(tmp_path: Path) -> None:
    model = shipped_model()
    model.save(tmp_path / "lot.json")
    again = SlotModel.load(tmp_path / "lot.json")
    assert np.allclose(again.weights, model.weights, atol=1e-5)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ModelError, match=r"bad.json: not a slot model"):
        SlotModel.load(tmp_path / "bad.json")
    (tmp_path / "old.json").write_text('{"features": ["a"], "mean": []}')
    with pytest.raises(ModelError, match="made for other features"):
        SlotModel.load(tmp_path / "old.json")
    # Same feature names, but measured by an earlier version of the features: refused too.
    data = json.loads((tmp_path / "lot.json").read_text())
    del data["features_version"]
    (tmp_path / "v1.json").write_text(json.dumps(data))
    with pytest.raises(ModelError, match=r"v1\.json: made for other features"):
        SlotModel.load(tmp_path / "v1.json")


def test_a_lot_calibrated_by_an_older_version_falls_back_to_the_shipped_model(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stale = shipped_model().as_dict()
    del stale["features_version"]
    model_path(tmp_path, "north").parent.mkdir(parents=True)
    model_path(tmp_path, "north").write_text(json.dumps(stale))
    assert lot_model(tmp_path, "north") is shipped_model()
    assert "made for other features" in caplog.text
    model_path(tmp_path, "north").write_text("{")  # broken, not stale: still an error
    with pytest.raises(ModelError, match="not a slot model"):
        lot_model(tmp_path, "north")


def test_patch_features_do_not_depend_on_the_neighbouring_patches() -> None:
    """Patches are filtered side by side; the seams must not leak one slot into another."""
    rng = np.random.default_rng(3)
    patches = rng.integers(0, 256, size=(5, PATCH_H, PATCH_W), dtype=np.uint8)
    together = slot_features(patches, (40.0, 80.0))
    alone = np.concatenate([slot_features(patches[i : i + 1], (40.0, 80.0)) for i in range(5)])
    assert np.allclose(together, alone, atol=1e-4)


def test_dataset_reader_skips_unlabelled_spaces(tmp_path: Path) -> None:
    polygons = bays(columns=2, rows=1)
    write_pklot(tmp_path, [[True, False]], polygons, lot="ufpr05")
    xml = tmp_path / "frame_000.xml"
    xml.write_text(xml.read_text().replace('occupied="0"', ""))
    (frame,) = find_frames(tmp_path)
    assert frame.lot == "ufpr05"
    assert [(s.id, s.occupied) for s in frame.spaces] == [("1", True)]
    assert frame.spaces[0].polygon == [(80.0, 60.0), (150.0, 60.0), (150.0, 200.0), (80.0, 200.0)]
    assert draw_lot([True, False], polygons).shape == (720, 1280, 3)


def test_corners_listed_in_any_order_give_the_same_answer() -> None:
    polygons = bays(columns=2, rows=1)
    image = draw_lot([True, False], polygons)
    zigzag = [[p[0], p[1], p[3], p[2]] for p in polygons]  # crossing order
    assert np.allclose(
        SlotClassifier(zigzag).probabilities(image), SlotClassifier(polygons).probabilities(image)
    )


MARKED = (0, 1, 8, 9)  # bays with painted symbols and stains, seen only when empty


def _marked_lot(taken: list[bool], seed: int, light: float = 1.0) -> np.ndarray:
    import cv2

    polygons = bays(columns=8, rows=2)
    image = draw_lot(taken, polygons, seed=seed).astype(np.float32)
    for index in MARKED:
        if taken[index]:
            continue
        (x0, y0), (x1, y1) = polygons[index][0], polygons[index][2]
        rng = np.random.default_rng(100 + index)  # the same markings every day
        for _ in range(14):
            centre = (int(rng.integers(x0 + 8, x1 - 8)), int(rng.integers(y0 + 8, y1 - 8)))
            shade = (230, 230, 230) if rng.random() < 0.5 else (30, 30, 30)
            cv2.circle(image, centre, int(rng.integers(3, 8)), shade, -1)
    return np.asarray(np.clip(image * light, 0, 255), np.uint8)


def test_calibration_learns_each_slots_empty_look(tmp_path: Path) -> None:
    """Empty bays with busy markings look like cars to the shared model; a lot calibrated
    on six labelled frames knows them by their own empty look, in any light, and keeps
    that knowledge in its model file."""
    polygons = bays(columns=8, rows=2)
    rng = np.random.default_rng(1)
    shared = SlotClassifier(polygons)
    parts = []
    for seed in range(6):
        taken = list(rng.random(16) < 0.5)
        parts.append(LabelledSamples.of_image(shared, _marked_lot(taken, seed), taken))
    model = fit_lot_model(LabelledSamples.concatenate(parts))
    assert model is not None
    assert model.memory is not None
    assert set(model.memory.empty) == set(shared.keys)  # every bay was empty at least once
    model.save(tmp_path / "lot.json")
    calibrated = SlotClassifier(polygons, SlotModel.load(tmp_path / "lot.json"))
    platt_only = SlotClassifier(polygons, replace(model, memory=None))
    for seed in range(10, 13):
        taken = list(rng.random(16) < 0.5)
        assert any(not taken[i] for i in MARKED)
        for light in (0.6, 1.0, 1.3):
            image = _marked_lot(taken, seed, light)
            assert list(calibrated.probabilities(image) >= 0.5) == taken
        wrong = (shared.probabilities(image) >= 0.5) != np.array(taken)
        assert wrong.any()
        assert set(np.flatnonzero(wrong)) <= set(MARKED)
        assert ((platt_only.probabilities(image) >= 0.5) != np.array(taken)).any()
