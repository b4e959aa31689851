"""The feature network: weights load, small, accurate, deterministic features."""

from __future__ import annotations

import numpy as np
import torch

from course_models.data import load_fashion_mnist
from course_models.features import (
    FEATURE_DIM,
    WEIGHTS_PATH,
    class_probabilities,
    extract_features,
    extract_features_cached,
)


def test_weights_are_small():
    assert WEIGHTS_PATH.stat().st_size < 2 * 1024 * 1024


def test_accuracy_on_part_of_the_test_split():
    images, labels = load_fashion_mnist("test")
    probs = class_probabilities(images[:2000], device="cpu")
    accuracy = float((probs.argmax(1).numpy() == labels[:2000]).mean())
    assert accuracy > 0.88


def test_features_shape_dtype_and_determinism():
    images, _ = load_fashion_mnist("test")
    a = extract_features(images[:64], device="cpu")
    b = extract_features(
        torch.from_numpy(np.array(images[:64])).float()[:, None] / 255, device="cpu"
    )
    assert a.shape == (64, FEATURE_DIM) and a.dtype == torch.float64
    assert torch.allclose(a, b, atol=1e-5)
    assert torch.equal(
        extract_features_cached(images[:64], device="cpu"),
        extract_features_cached(images[:64], device="cpu"),
    )


def test_hw2_copy_of_the_denoiser_matches_course_models():
    """HW2 ships its own copy of the denoiser architecture (the sandbox has no course_models)."""
    import importlib.util
    from pathlib import Path

    from course_models.diffusion import MLPDenoiser

    path = Path(__file__).resolve().parents[2] / "assignments" / "hw2" / "common.py"
    spec = importlib.util.spec_from_file_location("hw2_common_for_test", path)
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    ours, theirs = MLPDenoiser(), common.load_denoiser("cpu")
    ours.load_state_dict(theirs.state_dict())
    x, t = torch.randn(4, 784), torch.tensor([0, 1, 500, 999])
    assert torch.equal(ours(x, t), theirs(x, t))
