# DenseNet-169 (ImageNet) classifier (paper: AUROC 87.29).
_base_ = './densenet121.py'

model = dict(backbone=dict(depth=169), head=dict(in_channels=1664))
