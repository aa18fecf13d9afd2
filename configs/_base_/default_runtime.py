# Runtime of the detectors: the best checkpoint by mAP@0.5 on the
# validation split (the dataset bases' val_dataloader).
_base_ = './common_runtime.py'

default_hooks = dict(checkpoint=dict(save_best='spinexr/bbox_mAP_50'))
