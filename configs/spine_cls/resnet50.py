# Alternative backbone: mmdet's ResNet-50 (ImageNet, torchvision weights)
# in the same classifier, data and schedule as the DenseNets.
_base_ = './densenet121.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    head=dict(in_channels=2048))
