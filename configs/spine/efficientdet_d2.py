# EfficientDet-D2 on VinDr-SpineXR: D0's recipe (efficientdet_d0.py) at the
# paper's compound scaling for D2: input 768, BiFPN 112 x 5, heads of
# depth 3, EfficientNet-B2.
_base_ = './efficientdet_d0.py'

input_size = 768
backbone_arch = 'b2'
backbone_channels = [48, 120, 352]
bifpn_width = 112
bifpn_depth = 5
head_depth = 3

model = dict(
    backbone=dict(arch=backbone_arch),
    neck=dict(
        in_channels=backbone_channels,
        out_channels=bifpn_width,
        num_layers=bifpn_depth),
    bbox_head=dict(
        in_channels=bifpn_width,
        feat_channels=bifpn_width,
        stacked_convs=head_depth))

# the resizing at this input size (the pipelines follow these names)
# scale jitter: long sides of 6/8 to 10/8 of input_size
train_scales = [(input_size * k // 8, ) * 2 for k in range(6, 11)]
test_scale = (input_size, input_size)
