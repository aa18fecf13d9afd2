# Iteration-based schedule of the reference: 50,000 iterations at batch 16,
# learning rate x0.1 at 30,000, linear warm-up over the first 1,000.
max_iters = 50000
lr_steps = (30000, )
warmup_iters = 1000
warmup_start_factor = 0.001
val_interval = 500
base_lr = 0.02

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=warmup_start_factor,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=list(lr_steps),
        gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=base_lr, momentum=0.9, weight_decay=1e-4))

# Linear LR scaling when the total batch differs from 16 (opt in with
# tools/train.py --auto-scale-lr).
auto_scale_lr = dict(enable=False, base_batch_size=16)

# Where the names above are used (see mmspine/utils/config.py).
_hoisted_schedule_ = dict(
    values={
        n: globals()[n]
        for n in ('max_iters', 'lr_steps', 'warmup_iters',
                  'warmup_start_factor', 'val_interval', 'base_lr')
    },
    places='''
        train_cfg.max_iters: max_iters
        train_cfg.val_interval: val_interval
        param_scheduler.[LinearLR].end: warmup_iters
        param_scheduler.[LinearLR].start_factor: warmup_start_factor
        param_scheduler.[MultiStepLR].end: max_iters
        param_scheduler.[MultiStepLR].milestones: list(lr_steps)
        optim_wrapper.optimizer.lr: base_lr
    ''')
