# A tiny DenseNet-121 (narrow, random init) on the phantom data set: 64 px,
# batch 8, 300 iterations. Checks the whole pipeline on a CPU in minutes.
_base_ = './densenet121.py'

data_root = 'data/phantom/'
# the phantom's PNGs are made with --max-size 512 (make demo)
preprocess = dict(mode='reference', max_size=512)
img_size = 64
batch_size = 8
max_iters = 300
val_interval = 100

model = dict(
    backbone=dict(pretrained=False, init_features=16, growth_rate=8),
    # 16 channels, + 8 per dense layer, halved by each transition: 256.
    head=dict(in_channels=256))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSpineClsInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size), keep_ratio=False),
    dict(type='PackSpineClsInputs')
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[200, 250],
        gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=val_interval))
