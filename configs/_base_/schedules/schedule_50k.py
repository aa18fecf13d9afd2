# Iteration-based schedule of the reference detectors: SGD at 0.02, 50,000
# iterations at batch 16, learning rate x0.1 at 30,000, after a linear
# warm-up over the first 1,000 (from 0.001 x); validated every 500.
# A child that changes the length restates train_cfg and both schedulers.
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=50000, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=False,
        begin=0,
        end=1000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=50000,
        by_epoch=False,
        milestones=[30000],
        gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))
auto_scale_lr = dict(enable=False, base_batch_size=16)
