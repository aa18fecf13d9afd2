"""Classifier ensembles, the classifier-detector decision rule, and WBF."""
from .decision_rule import (DEFAULT_C_GRID, DEFAULT_K_GRID, DetectionEvaluator,
                            apply_decision_rule, compare_table,
                            fuse_and_evaluate, gate_mask, image_id_map,
                            load_detections, load_rule, max_box_scores,
                            probs_by_coco_id, reverse_scores, save_rule,
                            sweep_decision_rule, sweep_table)
from .ensemble import ensemble_classifiers, ensemble_logits, sigmoid
from .fuse import fuse
from .wbf import WBF_IOU_THR, WBF_SKIP_BOX_THR, fuse_boxes_wbf

__all__ = [
    'DEFAULT_C_GRID', 'DEFAULT_K_GRID', 'DetectionEvaluator', 'WBF_IOU_THR',
    'WBF_SKIP_BOX_THR', 'apply_decision_rule', 'compare_table',
    'ensemble_classifiers', 'ensemble_logits', 'fuse', 'fuse_and_evaluate',
    'fuse_boxes_wbf', 'gate_mask', 'image_id_map', 'load_detections',
    'load_rule', 'max_box_scores', 'probs_by_coco_id', 'reverse_scores',
    'save_rule', 'sigmoid', 'sweep_decision_rule', 'sweep_table'
]
