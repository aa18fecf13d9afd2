# Runtime of the detectors: the best checkpoint by mAP@0.5.
_base_ = './common_runtime.py'

save_best = 'spinexr/bbox_mAP_50'
