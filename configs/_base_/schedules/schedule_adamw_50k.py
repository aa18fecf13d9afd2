# The reference's Sparse R-CNN optimiser on the 50k schedule: AdamW at 1e-3,
# weight decay 1e-4, gradients clipped to a global L2 norm of 1 (Detectron2's
# "full_model" clipping).
_base_ = './schedule_50k.py'

base_lr = 1e-3
weight_decay = 1e-4
grad_clip_norm = 1.0

optim_wrapper = dict(
    optimizer=dict(
        _delete_=True, type='AdamW', lr=base_lr, weight_decay=weight_decay),
    clip_grad=dict(max_norm=grad_clip_norm, norm_type=2))

# Where the names are used (see mmspine/utils/config.py); base_lr's place was
# rebuilt here, so its snapshot is this file's value.
_hoisted_schedule_ = dict(values=dict(base_lr=base_lr))
_hoisted_adamw_ = dict(
    values={n: globals()[n]
            for n in ('weight_decay', 'grad_clip_norm')},
    places='''
        optim_wrapper.optimizer.weight_decay: weight_decay
        optim_wrapper.clip_grad.max_norm: grad_clip_norm
    ''')
