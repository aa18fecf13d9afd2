# Abnormal-vs-normal classifier: MONAI DenseNet-121 (ImageNet weights,
# loaded when the Runner initialises the model), global average pooling,
# one sigmoid 'abnormal' output trained with BCE.
_base_ = './imagenet_input.py'

densenet_depth = 121
# Channels of DenseNet-121/169/201's last feature map: 1024 / 1664 / 1920.
feat_channels = 1024

model = dict(
    type='SpineLesionClassifier',
    data_preprocessor=dict(
        type='ImgDataPreprocessor', **_base_.imagenet_input),
    backbone=dict(type='MonaiDenseNet', depth=densenet_depth, pretrained=True),
    head=dict(
        type='SpineLesionClsHead',
        in_channels=feat_channels,
        num_classes=1,
        dropout=0.,
        label_smoothing=0.,
        # For sigmoid focal loss instead:
        # loss=dict(type='FocalLoss', use_sigmoid=True, gamma=2.0,
        #           alpha=0.25, loss_weight=1.0)
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)))
