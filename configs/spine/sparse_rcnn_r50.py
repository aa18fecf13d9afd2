# Sparse R-CNN R50-FPN on VinDr-SpineXR, the reference recipe: AdamW at
# 1e-3, 50,000 iterations at batch 16, LR x0.1 at 30,000, gradient clipping,
# initialised from mmdet's COCO-trained Sparse R-CNN (100 proposals, 3x).
_base_ = [
    '../_base_/models/sparse_rcnn_r50_fpn.py',
    '../_base_/datasets/spinexr_detection.py',
    '../_base_/schedules/schedule_50k.py', '../_base_/default_runtime.py'
]

base_lr = 1e-3
weight_decay = 1e-4
# Detectron2's "full_model" clipping of the reference: global L2 norm <= 1.
grad_clip_norm = 1.0
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/sparse_rcnn/sparse_rcnn_r50_fpn_mstrain_480-800_3x_coco/sparse_rcnn_r50_fpn_mstrain_480-800_3x_coco_20201218_154234-7bc5c054.pth'  # noqa: E501

optim_wrapper = dict(
    optimizer=dict(
        _delete_=True, type='AdamW', lr=base_lr, weight_decay=weight_decay),
    clip_grad=dict(max_norm=grad_clip_norm, norm_type=2))

# Training augmentation of the reference: AutoAugment detection policy v2
# (Zoph et al., 2020) on the loaded image, before resizing. The rest of the
# pipeline is the base's (configs/_base_/datasets/spinexr_detection.py);
# the train set is wrapped in ClassBalancedDataset, hence dataset.dataset.
autoaugment_policy = 'v2'
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='DetAutoAugment', policy=autoaugment_policy),
    dict(
        type='RandomChoiceResize',
        scales={{_base_.train_scales}},
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
