# EfficientDet-D2 on VinDr-SpineXR: D0's recipe (efficientdet_d0.py) at the
# paper's compound scaling for D2: input 768, EfficientNet-B2 (from ImageNet
# weights), BiFPN 112 x 5, class and box networks of depth 3.
_base_ = './efficientdet_d0.py'

model = dict(
    backbone=dict(
        arch='b2',
        init_cfg=dict(
            checkpoint='https://download.openmmlab.com/mmclassification/v0/efficientnet/efficientnet-b2_3rdparty_8xb32-aa_in1k_20220119-dd61e80b.pth'  # noqa: E501
        )),
    neck=dict(in_channels=[48, 120, 352], out_channels=112, num_layers=5),
    bbox_head=dict(in_channels=112, feat_channels=112, stacked_convs=3))

train_pipeline = [
    *_base_.train_pipeline[:3],
    dict(
        type='RandomChoiceResize',
        scales=[(768 * k // 8, ) * 2 for k in range(6, 11)],
        keep_ratio=True), *_base_.train_pipeline[4:]
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(type='Resize', scale=(768, 768), keep_ratio=True),
    *_base_.test_pipeline[2:]
]
tta_pipeline = [*test_pipeline[:-1], _base_.tta_pipeline[-1]]
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
