# Classifier schedule of the reference: SGD, 10,000 iterations at batch 32,
# learning rate x0.1 at 5,000 and 7,500. The detectors' schedule_50k.py is
# this one, longer and with a warm-up.
max_iters = 10000
lr_steps = (5000, 7500)
val_interval = 1000
# Reference code 0.01 (the paper says 0.001).
base_lr = 0.01

train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
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
auto_scale_lr = dict(enable=False, base_batch_size=32)

# Where the names above are used (see mmspine/utils/config.py).
_hoisted_schedule_ = dict(
    values={
        n: globals()[n]
        for n in ('max_iters', 'lr_steps', 'val_interval', 'base_lr')
    },
    places='''
        train_cfg.max_iters: max_iters
        train_cfg.val_interval: val_interval
        param_scheduler.[MultiStepLR].end: max_iters
        param_scheduler.[MultiStepLR].milestones: list(lr_steps)
        optim_wrapper.optimizer.lr: base_lr
    ''')
