"""What a report reads: the run's detections, and facts about the run (the
git commit)."""
import os.path as osp
import subprocess
from typing import Dict, List, Optional, Sequence, Tuple

from ...evaluation.detections import read_detections


def load_report_detections(
    path: str,
    coco,
    classes: Optional[Sequence[str]] = None
) -> Tuple[List[dict], Dict[int, str], List[str]]:
    """Detections of a run as COCO result dicts, image paths and problems.

    Args:
        path (str): ``tools/test.py --out`` pickle, a COCO results JSON, or
            ``tools/infer.py`` findings (JSON or CSV); see
            :func:`~mmspine.evaluation.detections.read_detections`.
        coco: Ground truth (pycocotools COCO).
        classes (Sequence[str], optional): The detector's dataset classes,
            numbering a pickle's labels; default the annotation file's
            categories.

    Returns:
        tuple: the detections, COCO image id -> image path (from the
        pickle's ``img_path``; empty otherwise) and the results left out
        (failed inferences, images the annotation file lacks), one line
        each.
    """
    read = read_detections(path, coco, classes)
    return read.detections, read.image_paths, read.problems


def git_commit() -> str:
    """Commit of the mmspine checkout ('+dirty' if modified), or 'unknown'."""
    root = osp.dirname(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    try:
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'],
                                cwd=root,
                                capture_output=True,
                                text=True,
                                timeout=10,
                                check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '-uno'],
                               cwd=root,
                               capture_output=True,
                               text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return 'unknown'
    return commit + ('+dirty' if dirty else '')


__all__ = ['git_commit', 'load_report_detections']
