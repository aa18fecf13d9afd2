"""The PNG encoder: any reader decodes the image it was given."""
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from mmspine.dicom.png import encode_png_gray8
from mmspine.fileio import PNG_END, PNG_SIGNATURE


@pytest.mark.parametrize('shape', [(1, 1), (1, 7), (9, 1), (37, 53)])
def test_round_trip(shape):
    rng = np.random.default_rng(sum(shape))
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    img[0, 0], img[-1, -1] = 0, 255  # wrap-around in the Up filter
    data = encode_png_gray8(img)
    assert data.startswith(PNG_SIGNATURE) and data.endswith(PNG_END)
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(decoded, img)
    # A second reader, which also checks every chunk's CRC.
    with Image.open(io.BytesIO(data)) as pil:
        pil.load()
        assert pil.mode == 'L'
        np.testing.assert_array_equal(np.asarray(pil), img)


def test_strided_input_and_bad_input():
    img = np.arange(600, dtype=np.uint8).reshape(20, 30)[::2, ::3]
    data = encode_png_gray8(img)
    np.testing.assert_array_equal(
        cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED), img)
    with pytest.raises(ValueError, match='2-D uint8'):
        encode_png_gray8(np.zeros((4, 4), np.uint16))
    with pytest.raises(ValueError, match='2-D uint8'):
        encode_png_gray8(np.zeros((4, 4, 3), np.uint8))
