# mmdet's Faster R-CNN R50-FPN with 7 classes (the VinDr-SpineXR lesions);
# AmpSafeRoIExtractor pools bfloat16/float16 feature maps in float32 (mmcv
# has no bfloat16 RoIAlign), so that --amp works.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    roi_head=dict(
        bbox_roi_extractor=dict(type='AmpSafeRoIExtractor'),
        bbox_head=dict(num_classes=7)))
