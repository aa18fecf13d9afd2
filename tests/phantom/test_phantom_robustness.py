"""Large phantom runs: plans and anatomy must work for any seed and size."""
import numpy as np
import pytest

from mmspine.metainfo import SPINEXR_CLASSES
from mmspine.phantom import plan_lesions, sample_anatomy


@pytest.mark.parametrize('num_images', [1, 2, 7, 240, 1001])
def test_plan_lesions_any_split_size(num_images):
    plans = plan_lesions(np.random.default_rng(num_images), num_images)
    assert len(plans) == num_images
    for types in plans:
        assert len(types) == len(set(types))
    detected = [t for types in plans for t in types if t in SPINEXR_CLASSES]
    if num_images >= 240:
        counts = [detected.count(c) for c in SPINEXR_CLASSES]
        assert min(counts) >= 0.7 * max(counts)


def test_sample_anatomy_many_seeds_and_shapes():
    rng = np.random.default_rng(0)
    for _ in range(400):
        height = int(rng.integers(200, 3000))
        width = int(height * rng.uniform(0.5, 0.9))
        anatomy = sample_anatomy(
            np.random.default_rng(rng.integers(2**31)), height, width)
        assert anatomy.vertebrae
        for gx, gy, *_ in anatomy.gas:
            assert 0 <= gy <= height
