# Faster R-CNN R50-FPN on VinDr-SpineXR (the paper's Table 4 baseline),
# initialised from mmdet's COCO-trained model; SGD, 50,000 iterations.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    '../_base_/datasets/spinexr_detection.py',
    '../_base_/schedules/schedule_50k.py', '../_base_/default_runtime.py'
]

# num_classes replaces mmdet's 80 and follows metainfo from here on;
# AmpSafeRoIExtractor: --amp in bfloat16 (mmcv has no bfloat16 RoIAlign)
model = dict(
    roi_head=dict(
        bbox_roi_extractor=dict(type='AmpSafeRoIExtractor'),
        bbox_head=dict(num_classes=7)))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/faster_rcnn_r50_fpn_1x_coco/faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth'  # noqa: E501
