"""The published VinDr-SpineXR preprocessing, written out plainly: the
independent reference that mmspine's pixels are checked against, by the
tests (tests/dicom/test_voi.py) and the benchmark (benchmarks/dicom2png.py).
Kept apart from mmspine on purpose: it shares none of its code."""
import cv2
import numpy as np
import pydicom
from pydicom.pixels import apply_voi_lut


def recipe(path: str) -> np.ndarray:
    """The published recipe on the whole image, its fallback included."""
    ds = pydicom.dcmread(path)
    try:
        data = apply_voi_lut(ds.pixel_array, ds)
        if ds.PhotometricInterpretation == 'MONOCHROME1':
            data = np.amax(data) - data
        data = data - np.min(data)
        data = data / np.max(data)
        return (data * 255).astype(np.uint8)
    except Exception:
        ds = pydicom.dcmread(path)
        if ds.BitsStored in (10, 12):
            ds.BitsStored = 16
        img = ds.pixel_array
        img = cv2.convertScaleAbs(img, alpha=(255.0 / img.max()))
        if ds.PhotometricInterpretation == 'MONOCHROME1':
            img = cv2.bitwise_not(img)
        return cv2.equalizeHist(img)
