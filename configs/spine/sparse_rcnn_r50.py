# Sparse R-CNN R50-FPN on VinDr-SpineXR, the reference recipe: AdamW at
# 1e-3, 50,000 iterations at batch 16, LR x0.1 at 30,000, gradient clipping,
# AutoAugment v2, initialised from mmdet's COCO-trained Sparse R-CNN (100
# proposals, 3x).
_base_ = [
    '../_base_/models/sparse_rcnn_r50_fpn.py',
    '../_base_/datasets/spinexr_detection.py',
    '../_base_/schedules/schedule_adamw_50k.py', '../_base_/default_runtime.py'
]

load_from = 'https://download.openmmlab.com/mmdetection/v2.0/sparse_rcnn/sparse_rcnn_r50_fpn_mstrain_480-800_3x_coco/sparse_rcnn_r50_fpn_mstrain_480-800_3x_coco_20201218_154234-7bc5c054.pth'  # noqa: E501

# Training augmentation of the reference: AutoAugment detection policy v2
# (Zoph et al., 2020) after loading, before resizing.
train_pipeline = [
    *_base_.train_pipeline[:2],
    dict(type='DetAutoAugment', policy='v2'), *_base_.train_pipeline[2:]
]
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=train_pipeline)))
