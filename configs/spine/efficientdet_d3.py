# EfficientDet-D3 on VinDr-SpineXR: D0's recipe (efficientdet_d0.py) at the
# paper's compound scaling for D3: input 896, BiFPN 160 x 6, heads of
# depth 4, EfficientNet-B3.
_base_ = './efficientdet_d0.py'

input_size = 896
backbone_arch = 'b3'
backbone_channels = [48, 136, 384]
bifpn_width = 160
bifpn_depth = 6
head_depth = 4

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
