# Runtime of the abnormal-vs-normal classifiers: the best checkpoint by
# AUROC; the visualization hook draws detections only, so it stays off.
_base_ = './common_runtime.py'

save_best = 'spinexr_cls/auroc'
default_hooks = dict(visualization=dict(draw=False))
