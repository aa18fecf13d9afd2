# mmdet's Faster R-CNN R50-FPN for the 7 lesion classes. num_classes
# replaces mmdet's 80 and follows metainfo from here on; AmpSafeRoIExtractor:
# --amp in bfloat16 (mmcv has no bfloat16 RoIAlign).
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    roi_head=dict(
        bbox_roi_extractor=dict(type='AmpSafeRoIExtractor'),
        bbox_head=dict(num_classes=7)))
