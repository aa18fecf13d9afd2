# The reference's Sparse R-CNN optimiser on the 50k schedule: AdamW at 1e-3,
# weight decay 1e-4, gradients clipped to a global L2 norm of 1 (Detectron2's
# "full_model" clipping).
_base_ = './schedule_50k.py'

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=1.0, norm_type=2))
