# A part, not a model: the backbone of the phantom detectors, ResNet-18 at
# half width from scratch (no ImageNet weights at that width), for a child's
# model = dict(backbone=_base_.resnet18_half_width,
#              neck=dict(in_channels=_base_.resnet18_half_width_channels)).
backbone_width = 32
resnet18_half_width = dict(
    depth=18,
    base_channels=backbone_width,
    frozen_stages=-1,
    norm_eval=False,
    init_cfg=None)
# the channels of its four stages
resnet18_half_width_channels = [backbone_width * 2**i for i in range(4)]
