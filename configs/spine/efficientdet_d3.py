# EfficientDet-D3 on VinDr-SpineXR: D0's recipe (efficientdet_d0.py) at the
# paper's compound scaling for D3: input 896, EfficientNet-B3 (from ImageNet
# weights), BiFPN 160 x 6, class and box networks of depth 4.
_base_ = './efficientdet_d0.py'

model = dict(
    backbone=dict(
        arch='b3',
        init_cfg=dict(
            checkpoint='https://download.openmmlab.com/mmclassification/v0/efficientnet/efficientnet-b3_3rdparty_8xb32-aa_in1k_20220119-5b4887a0.pth'  # noqa: E501
        )),
    neck=dict(in_channels=[48, 136, 384], out_channels=160, num_layers=6),
    bbox_head=dict(in_channels=160, feat_channels=160, stacked_convs=4))

train_pipeline = [
    *_base_.train_pipeline[:3],
    dict(
        type='RandomChoiceResize',
        scales=[(896 * k // 8, ) * 2 for k in range(6, 11)],
        keep_ratio=True), *_base_.train_pipeline[4:]
]
test_pipeline = [
    _base_.test_pipeline[0],
    dict(type='Resize', scale=(896, 896), keep_ratio=True),
    *_base_.test_pipeline[2:]
]
tta_pipeline = [*test_pipeline[:-1], _base_.tta_pipeline[-1]]
train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
