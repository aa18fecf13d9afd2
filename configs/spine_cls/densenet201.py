# DenseNet-201 (ImageNet) classifier (paper: AUROC 87.14).
_base_ = './densenet121.py'

densenet_depth = 201
feat_channels = 1920
model = dict(
    backbone=dict(depth=densenet_depth), head=dict(in_channels=feat_channels))
