# Sparse R-CNN R101-FPN: the checkpoint the reference README asks for
# (COCO, 100 proposals, multi-scale 3x); everything else as R50.
_base_ = './sparse_rcnn_r50.py'

model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(type='Pretrained',
                      checkpoint='torchvision://resnet101')))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/sparse_rcnn/sparse_rcnn_r101_fpn_mstrain_480-800_3x_coco/sparse_rcnn_r101_fpn_mstrain_480-800_3x_coco_20201223_121552-6c46c9d6.pth'  # noqa: E501
