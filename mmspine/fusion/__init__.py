"""Classifier ensembles and the classifier-detector decision rule."""
from .decision_rule import (DEFAULT_C_GRID, DEFAULT_K_GRID, DetectionEvaluator,
                            apply_decision_rule, compare_table,
                            fuse_and_evaluate, image_id_map, load_detections,
                            max_box_scores, probs_by_coco_id, reverse_scores,
                            sweep_decision_rule, sweep_table)
from .ensemble import ensemble_classifiers, ensemble_logits, sigmoid
from .fuse import fuse

__all__ = [
    'DEFAULT_C_GRID', 'DEFAULT_K_GRID', 'DetectionEvaluator',
    'apply_decision_rule', 'compare_table', 'ensemble_classifiers',
    'ensemble_logits', 'fuse', 'fuse_and_evaluate', 'image_id_map',
    'load_detections', 'max_box_scores', 'probs_by_coco_id', 'reverse_scores',
    'sigmoid', 'sweep_decision_rule', 'sweep_table'
]
