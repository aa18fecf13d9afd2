# DenseNet-121 (ImageNet) abnormal-vs-normal classifier on VinDr-SpineXR:
# 224 px, batch 32, SGD, 10,000 iterations (paper: AUROC 86.93).
_base_ = [
    '../_base_/models/densenet121_cls.py',
    '../_base_/datasets/spinexr_classification.py',
    '../_base_/schedules/schedule_cls_10k.py', '../_base_/cls_runtime.py'
]
