# Abnormal-vs-normal classifier of the reference: MONAI's DenseNet-121 from
# ImageNet weights, global pooling, one logit (p(abnormal)), binary
# cross-entropy. densenet169.py and densenet201.py restate the depth and
# the head's input width (1664, 1920).
model = dict(
    type='SpineLesionClassifier',
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='MonaiDenseNet', depth=121, pretrained=True),
    head=dict(
        type='SpineLesionClsHead',
        in_channels=1024,
        num_classes=1,
        dropout=0.,
        label_smoothing=0.,
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)))
