# Runtime of the abnormal-vs-normal classifiers: the best checkpoint by
# AUROC on the validation split; the visualization hook draws detections
# only, so it stays off.
_base_ = './common_runtime.py'

default_hooks = dict(
    checkpoint=dict(save_best='spinexr_cls/auroc'),
    visualization=dict(draw=False))
