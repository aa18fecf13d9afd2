# DenseNet-201 (ImageNet) classifier (paper: AUROC 87.14).
_base_ = './densenet121.py'

model = dict(backbone=dict(depth=201), head=dict(in_channels=1920))
