"""Findings drawn on a downscaled copy of the radiograph (OpenCV)."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from ..metainfo import SPINEXR_PALETTE

#: Long side of an overlay image.
OVERLAY_SIZE = 1024


def draw_overlay(pixels: np.ndarray,
                 result: dict,
                 max_size: Optional[int] = OVERLAY_SIZE,
                 palette: Sequence[Tuple[int, int, int]] = SPINEXR_PALETTE,
                 min_score: float = 0.) -> np.ndarray:
    """Draw a result's findings and p(abnormal) on the image.

    Args:
        pixels (np.ndarray): ``(rows, columns)`` uint8 image in any grid
            with the source's aspect; boxes are scaled from the source's.
        result (dict): A result (``FINDINGS_SCHEMA``).
        max_size (int, optional): Long side of the drawing.
        palette (Sequence): RGB colour per class (the dataset palette).
        min_score (float): Findings scoring lower are not drawn.

    Returns:
        np.ndarray: BGR uint8 image.
    """
    h, w = pixels.shape[:2]
    scale = 1.
    if max_size and max(h, w) > max_size:
        scale = max_size / max(h, w)
        pixels = cv2.resize(
            pixels, (max(1, round(w * scale)), max(1, round(h * scale))),
            interpolation=cv2.INTER_AREA)
    canvas = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    sx = canvas.shape[1] / result['columns']
    sy = canvas.shape[0] / result['rows']
    long_side = max(canvas.shape[:2])
    thick = max(1, round(long_side / 400))
    font = max(0.25, long_side / 1800)
    # lowest scores first, so the best boxes end up on top
    for f in sorted(result['findings'], key=lambda f: f['score']):
        if f['score'] < min_score:
            continue
        r, g, b = palette[f['label'] % len(palette)]
        x1, y1, x2, y2 = f['bbox']
        p1 = (int(round(x1 * sx)), int(round(y1 * sy)))
        p2 = (int(round(x2 * sx)), int(round(y2 * sy)))
        cv2.rectangle(canvas, p1, p2, (b, g, r), thick)
        _text(canvas, f'{f["lesion_type"]} {f["score"]:.2f}',
              (p1[0], max(p1[1] - 3, 10)), font, (b, g, r), thick)
    p = result.get('p_abnormal')
    if p is not None:
        call = '' if result.get('abnormal') is None else (
            ' abnormal' if result['abnormal'] else ' normal')
        _text(canvas, f'p(abnormal) {p:.2f}{call}', (4, int(22 * font) + 4),
              font, (255, 255, 255), thick)
    return canvas


def _text(canvas: np.ndarray, text: str, org: Tuple[int, int], scale: float,
          colour: Tuple[int, int, int], thick: int) -> None:
    # dark outline first: readable on bright bone and dark background alike
    cv2.putText(canvas, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0),
                thick + 2, cv2.LINE_AA)
    cv2.putText(canvas, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour,
                thick, cv2.LINE_AA)


__all__ = ['OVERLAY_SIZE', 'draw_overlay']
