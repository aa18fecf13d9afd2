# Faster R-CNN R50-FPN on VinDr-SpineXR (the paper's Table 4 baseline),
# initialised from mmdet's COCO-trained model; SGD, 50,000 iterations.
_base_ = [
    '../_base_/models/faster_rcnn_r50_fpn.py',
    '../_base_/datasets/spinexr_detection.py',
    '../_base_/schedules/schedule_50k.py', '../_base_/default_runtime.py'
]

load_from = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth'  # noqa: E501
