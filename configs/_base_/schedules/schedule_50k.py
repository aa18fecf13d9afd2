# Iteration-based schedule of the reference detectors: the classifier's SGD
# step schedule (schedule_cls_10k.py) at 50,000 iterations at batch 16,
# learning rate x0.1 at 30,000, after a linear warm-up over the first 1,000.
_base_ = './schedule_cls_10k.py'

max_iters = 50000
lr_steps = (30000, )
warmup_iters = 1000
warmup_start_factor = 0.001
val_interval = 500
base_lr = 0.02

# Written out (not only through the base's record) so that the file reads
# right with plain Config.fromfile too.
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=warmup_start_factor,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(_base_.param_scheduler[0], end=max_iters, milestones=list(lr_steps))
]
optim_wrapper = dict(optimizer=dict(lr=base_lr))
# what those places now hold (the base's record keeps its places)
_hoisted_schedule_ = dict(
    values={
        n: globals()[n]
        for n in ('max_iters', 'lr_steps', 'val_interval', 'base_lr')
    })

# Linear LR scaling when the total batch differs from 16 (opt in with
# tools/train.py --auto-scale-lr).
auto_scale_lr = dict(base_batch_size=16)

# Where the warm-up names are used (see mmspine/utils/config.py); the base's
# record re-derives the others.
_hoisted_warmup_ = dict(
    values={n: globals()[n]
            for n in ('warmup_iters', 'warmup_start_factor')},
    places='''
        param_scheduler.[LinearLR].end: warmup_iters
        param_scheduler.[LinearLR].start_factor: warmup_start_factor
    ''')
