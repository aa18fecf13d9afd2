# A tiny DenseNet-121 (narrow, random init) on the phantom data set: 64 px,
# batch 8, 300 iterations, validated on the phantom's val split every 100.
# Checks the whole pipeline on a CPU in minutes.
_base_ = './densenet121.py'

data_root = 'data/phantom/'
# the phantom's PNGs are made with --max-size 512 (make demo)
preprocess = dict(mode='reference', max_size=512)
train_pipeline = [
    _base_.train_pipeline[0],
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    *_base_.train_pipeline[2:]
]
test_pipeline = [t for t in train_pipeline if t['type'] != 'RandomFlip']
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
# the same loader settings; the base keeps each split's files and sampler
val_dataloader = dict(
    train_dataloader,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    backbone=dict(pretrained=False, init_features=16, growth_rate=8),
    head=dict(in_channels=256))
train_cfg = dict(max_iters=300, val_interval=100)
param_scheduler = [
    dict(_base_.param_scheduler[0], end=300, milestones=[200, 250])
]
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=100))
