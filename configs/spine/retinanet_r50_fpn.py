# RetinaNet R50-FPN on VinDr-SpineXR (the paper's Table 4 baseline),
# initialised from mmdet's COCO-trained model; SGD at 0.01, 50,000 iterations.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    '../_base_/datasets/spinexr_detection.py',
    '../_base_/schedules/schedule_50k.py', '../_base_/default_runtime.py'
]

# mmdet's model has 80 COCO classes
model = dict(bbox_head=dict(num_classes=7))
optim_wrapper = dict(optimizer=dict(lr=0.01))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/retinanet/retinanet_r50_fpn_1x_coco/retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth'  # noqa: E501
