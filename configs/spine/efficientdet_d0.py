# EfficientDet-D0 on VinDr-SpineXR (the paper's Table 4 detector), from
# ImageNet EfficientNet-B0 weights. The recipe of Tan et al. scaled to
# batch 16: SGD at 0.16 x 16 / 128 = 0.02, momentum 0.9, weight decay 4e-5,
# gradient norm clipped at 10; on the 50,000-iteration schedule of the other
# detectors, with AutoAugment v2 as configs/spine/sparse_rcnn_r50.py.
# Images are resized to a long side of the input size, 512 (scale jitter
# over 6/8 to 10/8 of it in training), and padded to a multiple of 128.
_base_ = [
    '../_base_/models/efficientdet_d0.py',
    '../_base_/datasets/spinexr_detection.py',
    '../_base_/schedules/schedule_50k.py', '../_base_/default_runtime.py'
]

optim_wrapper = dict(
    optimizer=dict(lr=0.02, weight_decay=4e-5),
    clip_grad=dict(max_norm=10., norm_type=2))

train_pipeline = [
    *_base_.train_pipeline[:2],
    dict(type='DetAutoAugment', policy='v2'),
    dict(
        type='RandomChoiceResize',
        scales=[(512 * k // 8, ) * 2 for k in range(6, 11)],
        keep_ratio=True), *_base_.train_pipeline[3:]
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(type='Resize', scale=(512, 512), keep_ratio=True),
    *_base_.test_pipeline[2:]
]
tta_pipeline = [*test_pipeline[:-1], _base_.tta_pipeline[-1]]
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
