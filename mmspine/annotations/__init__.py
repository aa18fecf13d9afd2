"""Annotation conversion for VinDr-SpineXR; free of torch and mmdet."""
from .dataset_stats import (SplitStats, class_order, dataset_stats,
                            format_dataset_stats)
from .spinexr_to_coco import (CATEGORY_IDS, MIN_BOX_SIZE, AnnotationCSVError,
                              CocoStats, ImageSize, RowProblem,
                              convert_spinexr_to_coco, load_size_csv,
                              original_to_png_boxes, png_to_original_boxes,
                              read_png_size, resolve_image_sizes,
                              spinexr_to_coco, unusable_images)
from .val_split import (CLS_TRAIN_CSV, CLS_VAL_CSV, DEFAULT_VAL_FRACTION,
                        SPLIT_REPORT, VAL_JSON, convert_with_val_split,
                        image_labels, split_coco, stratified_split)

__all__ = [
    'CATEGORY_IDS', 'MIN_BOX_SIZE', 'AnnotationCSVError', 'CocoStats',
    'ImageSize', 'RowProblem', 'convert_spinexr_to_coco', 'load_size_csv',
    'original_to_png_boxes', 'png_to_original_boxes', 'read_png_size',
    'resolve_image_sizes', 'spinexr_to_coco', 'unusable_images'
]
__all__ += [
    'SplitStats', 'class_order', 'dataset_stats', 'format_dataset_stats'
]
__all__ += [
    'CLS_TRAIN_CSV', 'CLS_VAL_CSV', 'DEFAULT_VAL_FRACTION', 'SPLIT_REPORT',
    'VAL_JSON', 'convert_with_val_split', 'image_labels', 'split_coco',
    'stratified_split'
]
