# A tiny DenseNet-121 (narrow, random init) on the phantom data set: 64 px,
# batch 8, 300 iterations. Checks the whole pipeline on a CPU in minutes.
_base_ = './densenet121.py'

data_root = 'data/phantom/'
# the phantom's PNGs are made with --max-size 512 (make demo)
preprocess = dict(mode='reference', max_size=512)
img_size = 64
train_batch_size = 8
test_batch_size = 8
num_workers = 0
max_iters = 300
lr_steps = (200, 250)
val_interval = 100
log_interval = 20
checkpoint_interval = val_interval

model = dict(
    backbone=dict(pretrained=False, init_features=16, growth_rate=8),
    # 16 channels, + 8 per dense layer, halved by each transition: 256.
    head=dict(in_channels=256))
