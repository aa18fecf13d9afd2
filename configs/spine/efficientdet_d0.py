# EfficientDet-D0 on VinDr-SpineXR (the paper's Table 4 detector), from
# scratch. The recipe of Tan et al. scaled to batch 16: SGD at
# 0.16 x 16 / 128 = 0.02, momentum 0.9, weight decay 4e-5, gradient norm
# clipped at 10; on the 50,000-iteration schedule of the other detectors.
# Images are resized to a long side of the input size (scale jitter of +-25 %
# in training) and padded to a multiple of 128.
_base_ = [
    '../_base_/models/efficientdet_d0.py',
    '../_base_/datasets/spinexr_detection.py',
    '../_base_/schedules/schedule_50k.py', '../_base_/default_runtime.py'
]

# D0's row of the compound scaling (the model base): input size 512, scale
# jitter over long sides of 6/8 to 10/8 of it. D1-D3 pick another row and
# these follow (mmspine.apis.load_config).
train_scales = [(512 * k // 8, ) * 2 for k in range(6, 11)]
test_scale = (512, 512)
base_lr = 0.02
weight_decay = 4e-5
grad_clip_norm = 10.
autoaugment_policy = 'v2'

optim_wrapper = dict(
    optimizer=dict(lr=base_lr, weight_decay=weight_decay),
    clip_grad=dict(max_norm=grad_clip_norm, norm_type=2))

# The base's pipeline with AutoAugment v2 after loading, before resizing,
# as configs/spine/sparse_rcnn_r50.py; the
# loaders, the scales and the test and TTA pipelines follow the names above
# (mmspine.apis.load_config).
train_pipeline = [
    *_base_.train_pipeline[:2],
    dict(type='DetAutoAugment', policy=autoaugment_policy),
    *_base_.train_pipeline[2:]
]
