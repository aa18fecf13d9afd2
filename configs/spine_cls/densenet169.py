# DenseNet-169 (ImageNet) classifier (paper: AUROC 87.29).
_base_ = './densenet121.py'

densenet_depth = 169
feat_channels = 1664
model = dict(
    backbone=dict(depth=densenet_depth), head=dict(in_channels=feat_channels))
